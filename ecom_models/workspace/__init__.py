"""The merchant's workspace: one embedded DuckDB file per workspace, its lock, the results store and background runs.

The public API of the package; importing it loads no model library."""

from ecom_models.workspace.workspace import (  # noqa: F401
    DEFAULT_DIR,
    workspace_dir,
    default_workspace_name,
    list_workspaces,
    content_hash,
    DatasetInfo,
    Workspace,
    create_workspace,
    delete_workspace,
    import_workspace,
)
from ecom_models.workspace.lock import (  # noqa: F401
    DEFAULT_TIMEOUT,
    DEFAULT_LINGER,
    linger_seconds,
    lock_timeout,
    WorkspaceBusy,
    FileGate,
)
from ecom_models.workspace.results import (  # noqa: F401
    DEFAULT_MAX_MB,
    max_bytes_default,
    result_key,
    ResultsStore,
    format_size,
)
from ecom_models.workspace.runs import (  # noqa: F401
    Run,
    submit,
    get,
    forget,
    wait,
)
from ecom_models.workspace.identities import (  # noqa: F401
    MISSING_NOTE as IDENTITIES_MISSING_NOTE,
    save_identities,
    load_identities,
    load_frame as load_identity_frame,
    reveal,
    reveal_with,
    status as identities_status,
    get_hide_identities,
    set_hide_identities,
)
