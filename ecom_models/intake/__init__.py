"""Data intake: read merchants' exports, map their columns, clean them, report quality, save them.

The public API of the package; importing it loads no model library. The modules, in the order
an export goes through them: read (bytes to a frame), parse (numbers, dates), mapping (columns
to canonical fields, the kind), clean_orders / clean_other / clean_support (one cleaner per
kind), report (quirks), load (`ingest`: all of it in one call), save (into the workspace);
orders holds the figures every capability takes from canonical orders; currency the store's
currency when the file names none. Big inputs (a folder, a
zip, a file too big to read whole) go through the subpackage `ecom_models.intake.big`.

`ingest` here is the function (defined in load.py; no submodule is named `ingest`).
"""

from ecom_models.intake.schemas import (  # noqa: F401
    KINDS,
    KIND_HELP,
    SYNONYM_INDEX,
)
from ecom_models.intake.read import (  # noqa: F401
    DEFAULT_MAX_MB,
    max_upload_bytes,
    ReadInfo,
    read_table,
)
from ecom_models.intake.parse import (  # noqa: F401
    NumberParse,
    parse_number,
    DateParse,
    parse_dates,
)
from ecom_models.intake.mapping import (  # noqa: F401
    ColumnMapping,
    header_signature,
    map_columns,
    detect_kind,
    guess_kind,
)
from ecom_models.intake.report import (  # noqa: F401
    IMPLAUSIBLE_LABEL,
    IMPLAUSIBLE_ADVICE,
    Quirk,
    QualityReport,
    IngestResult,
)
from ecom_models.intake.clean_orders import NON_PRODUCT_CODES  # noqa: F401
from ecom_models.intake.load import (  # noqa: F401
    ingest,
    load_orders,
)
from ecom_models.intake.orders import (  # noqa: F401
    DAYS_PER_MONTH,
    sales_mask,
    sales_lines,
    summarise_orders,
    store_currency,
    store_figures,
    recent_visitors,
    monthly_visitors,
    recent_order_value,
)
from ecom_models.intake.currency import (  # noqa: F401
    CHOSEN as CHOSEN_CURRENCY,
    COMMON_CURRENCIES,
    DEFAULT_CURRENCY,
    chosen_currency,
    choose_currency,
    country_currency,
    infer_currency,
    with_currency,
)
from ecom_models.intake.pii import (  # noqa: F401
    LABELS as PII_LABELS,
    detect_pii,
)
from ecom_models.intake.save import (  # noqa: F401
    MAPPINGS,
    PRIVACY,
    remembered_mapping,
    remember_mapping,
    check_file,
    check_and_save,
    workspace_salt,
    save_result,
    masked_preview,
)
