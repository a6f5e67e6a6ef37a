"""Big exports with bounded memory: one big file, a folder or a zip of daily exports, read in
chunks into a DuckDB table and cleaned by intake's own `ingest`, chunk by chunk, with the
decisions that need the whole input taken over the whole input.

    from ecom_models.intake import big
    res = big.ingest_big("exports/")      # see ingest.py for how memory stays bounded
    res.summary(); res.to_frame(); res.close()

The modules, in the order an input goes through them: files (which inputs, folders, zips),
stream (bytes to chunks of raw rows), store_wide (decisions over the whole store), chunks (one
chunk cleaned, the reports merged), result (the DuckDB table, its KPIs and cross-chunk
duplicates), ingest (`ingest_big` and the CLI document). This file re-exports the public API.
"""

from ecom_models.intake.big.files import (  # noqa: F401
    SUFFIXES,
    STREAMED,
    DEFAULT_BIG_MB,
    DEFAULT_MAX_UNZIPPED_MB,
    MAX_ZIP_MEMBERS,
    big_file_bytes,
    max_unzipped_bytes,
    wants_big,
    list_files,
    extract_zip,
)
from ecom_models.intake.big.stream import SAMPLE_ROWS  # noqa: F401
from ecom_models.intake.big.result import (  # noqa: F401
    BigIngestResult,
    summarise_table,
)
from ecom_models.intake.big.ingest import (  # noqa: F401
    DEFAULT_CHUNK_ROWS,
    ingest_big,
    peek,
    load_orders,
    ingested_orders,
    cli_document,
)
