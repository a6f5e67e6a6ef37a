"""`python -m ecom_models ingest FILE [--kind K] [--save [--as NAME] [--workspace NAME]] --json`:
read, map and check one export; with --save, store it in the workspace as the Data page's
"Check and save" does (same remembered mapping, same report) and add `saved`."""

from __future__ import annotations

from pathlib import Path

from ecom_models.core.errors import InputError
from ecom_models.intake.load import ingest
from ecom_models.intake.orders import summarise_orders
from ecom_models.intake.schemas import KIND_HELP, KINDS


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV, Excel (.xlsx), Parquet or JSON Lines export; or a folder or .zip of "
                                     "daily exports with the same columns (read in chunks, bounded memory)")
    parser.add_argument("--kind", choices=KINDS,
                        help="what the file holds (detected from its columns when left out): "
                             + "; ".join(f"{k}: {text}" for k, text in KIND_HELP.items()))
    parser.add_argument("--currency", default=None,
                        help="currency of the amounts when the file names none (default: the dominant country's, "
                             "when 80%% of sale lines are from one currency's countries; else USD)")
    parser.add_argument("--save", action="store_true",
                        help="save it to the workspace as the active dataset of its kind (like 'Check and save')")
    parser.add_argument("--as", dest="dataset_name", default=None,
                        help="with --save: dataset name (default: the file name; the same name replaces it)")
    parser.add_argument("--workspace", default=None,
                        help="with --save: workspace name (default: $ECOM_WORKSPACE or 'default', in $ECOM_WORKSPACE_DIR)")


def document(result) -> dict:
    report = result.report
    doc = {
        "file": report.file,
        "kind": result.kind,
        "rows_in": report.rows_in,
        "rows_usable": report.rows_usable,
        "mapping": result.mapping,
        "confidence": report.confidence,
        "quirks": report.quirk_counts,
        "notes": report.notes,
        "read": report.read,
        "dropped_lines": next((q.examples for q in report.quirks if q.key == "malformed_lines"), []),
        "pii": report.pii,
    }
    if result.kind == "orders":
        doc.update(summarise_orders(result.df))
    return doc


def run(args) -> dict:
    from ecom_models.intake import big as intake_big

    if intake_big.wants_big(args.file):  # a folder, a zip or a file too big to read whole
        ws = None
        if args.save:
            from ecom_models.workspace.workspace import Workspace

            ws = Workspace(args.workspace)
        elif args.dataset_name or args.workspace:
            raise InputError("--as and --workspace only apply with --save.", fix="add --save, or leave them out.")
        return intake_big.cli_document(args.file, kind=args.kind, default_currency=args.currency, save_to=ws,
                                       dataset_name=args.dataset_name)
    if not args.save:
        if args.dataset_name or args.workspace:
            raise InputError("--as and --workspace only apply with --save.", fix="add --save, or leave them out.")
        return document(ingest(args.file, kind=args.kind, default_currency=args.currency))
    from ecom_models.intake.save import check_and_save
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(args.workspace)
    result, info = check_and_save(ws, args.file, kind=args.kind, default_currency=args.currency,
                                  dataset_name=args.dataset_name or Path(args.file).name)
    doc = document(result)
    doc["saved"] = {"workspace": ws.name, "name": info.name, "rows": info.rows}
    return doc
