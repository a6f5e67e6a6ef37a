"""Data intake: read merchants' exports, map their columns, clean them, report quality, save them.

The public API of the package; importing it loads no model library."""

from ecom_models.intake.intake import (  # noqa: F401
    IMPLAUSIBLE_LABEL,
    IMPLAUSIBLE_ADVICE,
    KINDS,
    DEFAULT_MAX_MB,
    max_upload_bytes,
    ReadInfo,
    read_table,
    ColumnMapping,
    header_signature,
    map_columns,
    NumberParse,
    parse_number,
    DateParse,
    parse_dates,
    Quirk,
    QualityReport,
    IngestResult,
    detect_kind,
    ingest,
    load_orders,
    NON_PRODUCT_CODES,
    sales_lines,
    summarise_orders,
)
from ecom_models.intake.save import (  # noqa: F401
    MAPPINGS,
    PRIVACY,
    remembered_mapping,
    remember_mapping,
    check_file,
    workspace_salt,
    save_result,
    masked_preview,
)
