"""What the Customer service page keeps in the merchant's workspace, read and written in one place.

Namespaces (persisted data: their strings never change; docs/support.md):
- `support.faq` / `support.examples` (frames, key "current"): the FAQ and the labelled tickets the merchant
  uploaded, read and cleaned once when dropped (`save_upload`: `clean_faq` / `clean_examples`);
- `support.edits` (key: the tickets' content hash): the rename/merge/split edits of that file's intents;
- `support.intents` (frame, key "saved"): typical tickets per edited intent, reused for the next file;
- `support.settings` (key "current"): target precision, tickets per month, minutes per ticket, cost per hour;
- `support.checks` (key: the tickets' content hash): FAQ answers the merchant marked right or wrong
  ([{ticket_id, right}]), which correct the bundled confidence curve (`support.checks`).
The money estimate (`support.value`) goes through `ecom_models.value.settings.save_page_estimate`.
`ws` is a `ecom_models.workspace.Workspace`.
"""

from __future__ import annotations

import pandas as pd

FAQ = "support.faq"
EXAMPLES = "support.examples"
EDITS = "support.edits"
INTENTS = "support.intents"
SETTINGS = "support.settings"
CHECKS = "support.checks"
CURRENT, SAVED = "current", "saved"
UPLOADS = (FAQ, EXAMPLES)


def _clean(namespace: str):
    from ecom_models.support.analysis import clean_examples
    from ecom_models.support.faq import clean_faq

    return {FAQ: clean_faq, EXAMPLES: clean_examples}[namespace]


def save_upload(ws, namespace: str, source, name: str) -> pd.DataFrame:
    """Read an uploaded FAQ (`support.faq`) or labelled-tickets file (`support.examples`), clean it and
    keep it; the cleaned frame. Raises InputError (in the merchant's words) when the file cannot be used."""
    from ecom_models.intake import read_table

    cleaned = _clean(namespace)(read_table(source, name), name)
    ws.put_frame(namespace, CURRENT, cleaned)
    return cleaned


def has_upload(ws, namespace: str) -> bool:
    return ws.get_frame(namespace, CURRENT) is not None


def remove_upload(ws, namespace: str) -> None:
    ws.delete_frame(namespace, CURRENT)


def _frame(ws, namespace: str, key: str) -> pd.DataFrame | None:
    frame = ws.get_frame(namespace, key)
    return frame if frame is not None and len(frame) else None


def load_faq(ws) -> pd.DataFrame | None:
    """The uploaded FAQ, or None (none, or empty)."""
    return _frame(ws, FAQ, CURRENT)


def load_examples(ws) -> pd.DataFrame | None:
    """The uploaded labelled tickets, or None."""
    return _frame(ws, EXAMPLES, CURRENT)


def load_saved_intents(ws) -> pd.DataFrame | None:
    """The typical tickets per intent saved after editing a discovery, or None."""
    return _frame(ws, INTENTS, SAVED)


def save_intents(ws, analysis) -> None:
    """Keep these (edited) intents to sort the next file's tickets into them."""
    from ecom_models.support.analysis import saved_intents

    ws.put_frame(INTENTS, SAVED, saved_intents(analysis))


def forget_intents(ws) -> None:
    ws.delete_frame(INTENTS, SAVED)


def load_edits(ws, data_key: str) -> list[dict]:
    """The edits of this tickets file's intents, oldest first."""
    return ws.get(EDITS, data_key, []) or []


def add_edit(ws, data_key: str, op: dict) -> None:
    ws.put(EDITS, data_key, load_edits(ws, data_key) + [op])


def undo_edit(ws, data_key: str) -> None:
    """Drop the last edit."""
    ws.put(EDITS, data_key, load_edits(ws, data_key)[:-1])


def load_settings(ws) -> dict:
    """The page's settings (target_precision, tickets_per_month, minutes, cost_per_hour), or {}."""
    return ws.get(SETTINGS, CURRENT, {}) or {}


def save_settings(ws, settings: dict) -> None:
    ws.put(SETTINGS, CURRENT, settings)


# -- the analysis in the results store ---------------------------------------------------------------
ANALYSIS = "support.analysis"  # results-store kind: persisted, never changes


def analysis_to_doc(analysis) -> dict:
    """A SupportAnalysis as plain data for the results store (frames, numbers, text; nothing pickled).

    Every field is kept by name, so a field added to the analysis is stored too (or refused by the
    store if it is not plain data, which a round-trip test catches)."""
    from ecom_models.workspace.results import dataclass_to_doc

    doc = dataclass_to_doc(analysis)
    doc["comparison"] = analysis.comparison.to_dict() if analysis.comparison is not None else None
    doc["tradeoff"] = dataclass_to_doc(analysis.tradeoff) if analysis.tradeoff is not None else None
    doc["silhouette"] = [[k, v] for k, v in (analysis.silhouette or {}).items()]  # int keys stay ints
    return doc


def analysis_from_doc(doc: dict):
    """The SupportAnalysis stored by `analysis_to_doc`."""
    from ecom_models.support.analysis import SupportAnalysis
    from ecom_models.support.faq import TradeOff
    from ecom_models.support.intents import Comparison
    from ecom_models.workspace.results import dataclass_from_doc

    doc = dict(doc)
    if doc.get("comparison") is not None:
        comp = dict(doc["comparison"])
        comp["interval"] = {k: tuple(v) for k, v in (comp.get("interval") or {}).items()}
        doc["comparison"] = dataclass_from_doc(Comparison, comp, tuples=("difference_interval",))
    if doc.get("tradeoff") is not None:
        doc["tradeoff"] = dataclass_from_doc(TradeOff, doc["tradeoff"])
    doc["silhouette"] = {int(k): v for k, v in doc.get("silhouette") or []}
    return dataclass_from_doc(SupportAnalysis, doc)


def load_checks(ws, data_key: str) -> pd.DataFrame | None:
    """The FAQ answers of this tickets file the merchant checked: ticket_id, right; None when none."""
    rows = ws.get(CHECKS, data_key, []) or []
    return pd.DataFrame(rows, columns=["ticket_id", "right"]) if rows else None


def add_check(ws, data_key: str, ticket_id: str, right: bool) -> None:
    rows = [r for r in (ws.get(CHECKS, data_key, []) or []) if r["ticket_id"] != str(ticket_id)]
    ws.put(CHECKS, data_key, rows + [{"ticket_id": str(ticket_id), "right": bool(right)}])


def forget_checks(ws, data_key: str) -> None:
    ws.put(CHECKS, data_key, [])
