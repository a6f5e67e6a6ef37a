"""`python -m ecom_models workspace list|export|import ...`: the Data page's Workspace tab for
scripts and schedulers.

    workspace list [--workspace NAME] --json
        {"workspace", "folder", "datasets": [{"name", "kind", "rows", "saved_at", "content_hash", "active"}],
         "workspaces": [every workspace name in the folder]}
    workspace export FILE [--workspace NAME] [--with-identities] --json
        {"workspace", "file", "bytes", "identities": "included" | "left out" | "none", "note"}
    workspace import FILE --as NAME --json
        {"workspace", "datasets", "identities": "ok" | "missing" | "none", "note"}

The key to the customers' own ids (ecom_models.workspace.identities) leaves the machine only with
--with-identities; an import without it shows pseudonyms and keeps working.

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
    parser.add_argument("--with-identities", action="store_true",
                        help="export: include the key to the customers' own ids (left out by default)")


def _existing(name: str | None):
    from ecom_models.workspace.workspace import (
        Workspace,
        default_workspace_name,
        list_workspaces,
        workspace_dir,
    )

    name = name or default_workspace_name()
    if name not in list_workspaces():
        known = ", ".join(list_workspaces()) or "none yet"
        raise InputError(f"there is no workspace named '{name}' in {workspace_dir()} (workspaces: {known}).",
                         fix="check the name and ECOM_WORKSPACE_DIR, or save a file into it with 'ingest FILE --save'.")
    return Workspace(name)


def run(args) -> dict:
    from ecom_models.workspace.workspace import (
        import_workspace,
        list_workspaces,
        workspace_dir,
    )

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
        from ecom_models.workspace.identities import status

        has_key = status(ws) == "ok"
        ws.export(path, with_identities=args.with_identities)
        if not has_key:
            ids, note = "none", "This workspace has no key to customers' own ids; the export holds pseudonyms only."
        elif args.with_identities:
            ids, note = "included", "The export includes the key to your customers' own ids: keep it private."
        else:
            ids, note = "left out", ("The key to your customers' own ids was left out: the export holds pseudonyms "
                                     "only. Add --with-identities to include it.")
        return {"workspace": ws.name, "file": str(path), "bytes": path.stat().st_size, "identities": ids, "note": note}
    if not args.new_name:
        raise InputError("'workspace import' needs --as NAME for the new workspace.",
                         fix="e.g. python -m ecom_models workspace import backup.duckdb --as restored")
    if not path.is_file():
        raise InputError("the file does not exist.", file=str(path), fix="check the path.")
    ws = import_workspace(args.new_name, path.read_bytes())
    from ecom_models.workspace.identities import MISSING_NOTE, status

    ids = status(ws)
    note = {"ok": "The key to your customers' own ids came with it.", "missing": MISSING_NOTE,
            "none": "No customer ids in this workspace."}[ids]
    return {"workspace": ws.name, "datasets": len(ws.datasets()), "identities": ids, "note": note}
