"""`python -m ecom_models ingest FILE [--kind K] --json`: read, map and check one export."""

from __future__ import annotations

from ecom_models.intake import KINDS, ingest, summarise_orders


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV, Excel (.xlsx), Parquet or JSON Lines export; or a folder or .zip of "
                                     "daily exports with the same columns (read in chunks, bounded memory)")
    parser.add_argument("--kind", choices=KINDS, help="what the file holds (detected from its columns when left out)")
    parser.add_argument("--currency", default="USD", help="currency to assume when the file names none (default USD)")


def run(args) -> dict:
    from ecom_models import intake_big

    if intake_big.wants_big(args.file):  # a folder, a zip or a file too big to read whole
        return intake_big.cli_document(args.file, kind=args.kind, default_currency=args.currency)
    result = ingest(args.file, kind=args.kind, default_currency=args.currency)
    report = result.report
    document = {
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
    }
    if result.kind == "orders":
        document.update(summarise_orders(result.df))
    return document
