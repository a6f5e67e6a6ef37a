"""Check and save one export into the workspace: what the Data page's "Check and save" does,
shared with `python -m ecom_models ingest FILE --save` so a scheduled import and a click give
the same dataset, the same mapping memory and the same report."""

from __future__ import annotations

from pathlib import Path

from ecom_models.intake import intake as intake
from ecom_models.intake import pii
from ecom_models.workspace.workspace import DatasetInfo, Workspace

MAPPINGS = "intake.mappings"  # workspace namespace: column mapping chosen per header signature
PRIVACY = "privacy"  # workspace namespace: the salt of this workspace's pseudonyms


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


def workspace_salt(ws: Workspace) -> str:
    """The workspace's own salt for pseudonyms, drawn on first use and kept in the workspace."""
    salt = ws.get(PRIVACY, "salt")
    if not salt:
        salt = pii.new_salt()
        ws.put(PRIVACY, "salt", salt)
    return salt


def save_result(ws: Workspace, result: intake.IngestResult, dataset_name: str | None = None,
                source_file: str | None = None) -> DatasetInfo:
    """Store a checked export as the active dataset of its kind, personal data protected.

    Customer identifiers are stored as salted pseudonyms and free text has e-mails and phone
    numbers masked (ecom_models.intake.pii); the report says so under `privacy`.
    """
    source_file = source_file or result.report.file
    canonical_pii = {canon: result.report.pii[col] for canon, col in result.mapping.items() if col in result.report.pii}
    canonical_pii.update({c: k for c, k in result.report.pii.items() if c in result.df.columns})
    frame, actions = pii.protect_frame(result.df, result.kind, workspace_salt(ws), canonical_pii)
    report = pii.scrub_report(result.report.to_dict(), result.report.pii)
    report["privacy"] = actions
    return ws.save_dataset(dataset_name or source_file, result.kind, frame, source_file=source_file,
                           mapping=result.mapping, report=report)


def masked_preview(raw, rows: int = 5):
    """The first rows of an upload as text, personal columns and text masked, for showing."""
    preview = raw.head(rows).astype("str")
    for col in pii.detect_pii(raw):
        preview[col] = pii.MASK
    return preview.apply(pii.mask_series)
