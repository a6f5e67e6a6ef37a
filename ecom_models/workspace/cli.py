"""`python -m ecom_models workspace list|export|import ...`: the Data page's Workspace tab for
scripts and schedulers.

    workspace list [--workspace NAME] --json
        {"workspace", "folder", "datasets": [{"name", "kind", "rows", "saved_at", "content_hash", "active"}],
         "workspaces": [every workspace name in the folder]}
    workspace export FILE [--workspace NAME] --json      {"workspace", "file", "bytes"}
    workspace import FILE --as NAME --json               {"workspace", "datasets"}

The folder is $ECOM_WORKSPACE_DIR (default ~/.ecom_value_lab), as for the app.
"""

from __future__ import annotations

from pathlib import Path

from ecom_models.core.errors import InputError


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=["list", "export", "import"], help="what to do")
    parser.add_argument("file", nargs="?", help="export: file to write; import: exported workspace file to read")
    parser.add_argument("--workspace", default=None, help="workspace name (default: $ECOM_WORKSPACE or 'default')")
    parser.add_argument("--as", dest="new_name", default=None, help="import: name for the imported workspace")


def _existing(name: str | None):
    from ecom_models.workspace.workspace import Workspace, default_workspace_name, list_workspaces, workspace_dir

    name = name or default_workspace_name()
    if name not in list_workspaces():
        known = ", ".join(list_workspaces()) or "none yet"
        raise InputError(f"there is no workspace named '{name}' in {workspace_dir()} (workspaces: {known}).",
                         fix="check the name and ECOM_WORKSPACE_DIR, or save a file into it with 'ingest FILE --save'.")
    return Workspace(name)


def run(args) -> dict:
    from ecom_models.workspace.workspace import import_workspace, list_workspaces, workspace_dir

    if args.action == "list":
        ws = _existing(args.workspace)
        return {
            "workspace": ws.name,
            "folder": str(workspace_dir()),
            "datasets": [{"name": d.name, "kind": d.kind, "rows": d.rows, "saved_at": d.created_at,
                          "content_hash": d.content_hash, "active": d.active} for d in ws.datasets()],
            "workspaces": list_workspaces(),
        }
    if not args.file:
        raise InputError(f"'workspace {args.action}' needs a file.",
                         fix=f"e.g. python -m ecom_models workspace {args.action} backup.duckdb")
    path = Path(args.file).expanduser()
    if args.action == "export":
        ws = _existing(args.workspace)
        if path.is_dir():
            path = path / f"{ws.name}.duckdb"
        ws.export(path)
        return {"workspace": ws.name, "file": str(path), "bytes": path.stat().st_size}
    if not args.new_name:
        raise InputError("'workspace import' needs --as NAME for the new workspace.",
                         fix="e.g. python -m ecom_models workspace import backup.duckdb --as restored")
    if not path.is_file():
        raise InputError("the file does not exist.", file=str(path), fix="check the path.")
    ws = import_workspace(args.new_name, path.read_bytes())
    return {"workspace": ws.name, "datasets": len(ws.datasets())}
