"""Check and save one export into the workspace: what the Data page's "Check and save" does,
shared with `python -m ecom_models ingest FILE --save` so a scheduled import and a click give
the same dataset, the same mapping memory and the same report."""

from __future__ import annotations

from pathlib import Path

from ecom_models import intake
from ecom_models.workspace import DatasetInfo, Workspace

MAPPINGS = "intake.mappings"  # workspace namespace: column mapping chosen per header signature


def remembered_mapping(ws: Workspace, columns, kind: str) -> dict:
    """The mapping the merchant chose before for files with these columns (empty if none)."""
    return ws.get(MAPPINGS, intake.header_signature(columns, kind), {}) or {}


def remember_mapping(ws: Workspace, columns, kind: str, mapping: dict) -> None:
    ws.put(MAPPINGS, intake.header_signature(columns, kind), mapping)


def check_file(ws: Workspace, source, *, name: str | None = None, kind: str | None = None,
               default_currency: str = "USD") -> intake.IngestResult:
    """Read, map (with the remembered mapping for these columns) and check one export."""
    info = intake.ReadInfo(format="")
    name = name or (Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "upload"))
    raw = intake.read_table(source, name=name, info=info)
    if kind is None:
        try:
            kind, _ = intake.detect_kind(raw)
        except intake.InputError as exc:
            raise intake.InputError(exc.problem, file=name, fix=exc.fix) from None
    remembered = remembered_mapping(ws, raw.columns, kind)
    return intake.ingest(raw, kind=kind, name=name, mapping_override=remembered or None,
                         default_currency=default_currency, read_info=info)


def save_result(ws: Workspace, result: intake.IngestResult, dataset_name: str | None = None,
                source_file: str | None = None) -> DatasetInfo:
    """Store a checked export as the active dataset of its kind."""
    source_file = source_file or result.report.file
    return ws.save_dataset(dataset_name or source_file, result.kind, result.df, source_file=source_file,
                           mapping=result.mapping, report=result.report.to_dict())
