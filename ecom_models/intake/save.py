"""Check and save one export into the workspace: what the Data page's "Check and save" does,
shared with `python -m ecom_models ingest FILE --save` so a scheduled import and a click give
the same dataset, the same mapping memory and the same report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake import pii
from ecom_models.intake.load import ingest
from ecom_models.intake.mapping import detect_kind, header_signature
from ecom_models.intake.read import ReadInfo, read_table
from ecom_models.intake.report import IngestResult
from ecom_models.workspace.identities import save_identities
from ecom_models.workspace.workspace import DatasetInfo, Workspace

MAPPINGS = "intake.mappings"  # workspace namespace: column mapping chosen per header signature
PRIVACY = "privacy"  # workspace namespace: the salt of this workspace's pseudonyms


def remembered_mapping(ws: Workspace, columns, kind: str) -> dict:
    """The mapping the merchant chose before for files with these columns (empty if none)."""
    return ws.get(MAPPINGS, header_signature(columns, kind), {}) or {}


def remember_mapping(ws: Workspace, columns, kind: str, mapping: dict) -> None:
    ws.put(MAPPINGS, header_signature(columns, kind), mapping)


def _read(source, name: str | None, read_info: ReadInfo | None):
    """(raw frame, its ReadInfo, its name) of a path, an upload or a frame already read."""
    if isinstance(source, pd.DataFrame):
        return source, read_info or ReadInfo(format="dataframe"), name or "table"
    info = ReadInfo(format="")
    name = name or (Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "upload"))
    return read_table(source, name=name, info=info), info, name


def _check(ws: Workspace, raw, info: ReadInfo, name: str, kind: str | None, mapping_override: dict | None,
           default_currency: str) -> IngestResult:
    if kind is None:
        try:
            kind, _ = detect_kind(raw)
        except InputError as exc:
            raise InputError(exc.problem, file=name, fix=exc.fix) from None
    if mapping_override is None:
        mapping_override = remembered_mapping(ws, raw.columns, kind) or None
    return ingest(raw, kind=kind, name=name, mapping_override=mapping_override,
                  default_currency=default_currency, read_info=info)


def check_file(ws: Workspace, source, *, name: str | None = None, kind: str | None = None,
               default_currency: str | None = None) -> IngestResult:
    """Read, map (with the remembered mapping for these columns) and check one export."""
    raw, info, name = _read(source, name, None)
    return _check(ws, raw, info, name, kind, None, default_currency)


def check_and_save(ws: Workspace, source, *, kind: str | None = None, mapping_override: dict | None = None,
                   name: str | None = None, dataset_name: str | None = None, read_info: ReadInfo | None = None,
                   default_currency: str | None = None, remember: bool = False) -> tuple[IngestResult, DatasetInfo]:
    """Check one export and store it as the active dataset of its kind: the Data page's "Check
    and save" and `ingest FILE --save`. Returns (the checked result, the saved dataset).

    `source`: a path or an upload, or a frame already read by `read_table` (pass its
    `read_info`). `kind`: detected from the columns when None. `mapping_override`: the mapping
    chosen by hand; None uses the one remembered for files with these columns. `remember`:
    keep `mapping_override` as the mapping for files with these columns from now on.
    `name` is the file's name (the report's), `dataset_name` the dataset's (default: `name`).
    Raises InputError when the export cannot be used; nothing is saved then.
    """
    raw, info, name = _read(source, name, read_info)
    result = _check(ws, raw, info, name, kind, mapping_override, default_currency)
    saved = save_result(ws, result, dataset_name or name, source_file=name, raw=raw)
    if remember and mapping_override is not None:
        remember_mapping(ws, raw.columns, result.kind, mapping_override)
    return result, saved


def workspace_salt(ws: Workspace) -> str:
    """The workspace's own salt for pseudonyms, drawn on first use and kept in the workspace."""
    salt = ws.get(PRIVACY, "salt")
    if not salt:
        salt = pii.new_salt()
        ws.put(PRIVACY, "salt", salt)
    return salt


def save_result(ws: Workspace, result: IngestResult, dataset_name: str | None = None,
                source_file: str | None = None, raw: pd.DataFrame | None = None) -> DatasetInfo:
    """Store a checked export as the active dataset of its kind, personal data protected.

    Customer identifiers are stored as salted pseudonyms and free text has e-mails and phone
    numbers masked (ecom_models.intake.pii); the report says so under `privacy`. The original
    ids (with e-mail, name and phone from `raw`, the file as read, where it had them) go to the
    workspace's encrypted key, so pages and downloads can show the merchant their own ids.
    """
    source_file = source_file or result.report.file
    canonical_pii = {canon: result.report.pii[col] for canon, col in result.mapping.items() if col in result.report.pii}
    canonical_pii.update({c: k for c, k in result.report.pii.items() if c in result.df.columns})
    salt = workspace_salt(ws)
    save_identities(ws, pii.identity_frame(result.df, salt, raw, result.mapping.get("customer_id"),
                                           result.report.pii))
    frame, actions = pii.protect_frame(result.df, result.kind, salt, canonical_pii)
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
