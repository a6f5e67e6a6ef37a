"""What the pages keep for the Business value page: each model page's money estimate and the
assumptions the merchant set there, read and written through one set of rules.

- An estimate is kept under `<namespace>` / "latest" (namespaces such as "forecast.value" are
  persisted data: their strings never change). It is written only when it changed, so a page
  rerun does not rewrite the workspace file; and an estimate made on the demo store never
  replaces one made on the merchant's own data.
- A page's assumptions are kept under the namespace and key of PAGE_ASSUMPTIONS; only finite
  numbers are read back, so a damaged value falls back to the default instead of breaking a page.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

from ecom_models.core.jsonio import dumps
from ecom_models.core.stats import finite

LATEST = "latest"
DEMO_FLAG = "_from_demo"  # stored beside an estimate made on the demo store

# lever -> (namespace, key) of the assumptions its own page saves
PAGE_ASSUMPTIONS = {
    "recommendations": ("recommend.assumptions", "default"),
    "reviews": ("sentiment.assumptions", "current"),
    "images": ("images.assumptions", "default"),
    "risk": ("risk.assumptions", "default"),
}


def _document(estimate) -> dict:
    if is_dataclass(estimate):
        doc = asdict(estimate)
        yearly = getattr(estimate, "yearly_value", None)
        if yearly is not None:
            doc["yearly_value"] = yearly
        return doc
    return dict(estimate)


def save_page_estimate(ws, namespace: str, estimate, *, is_demo: bool = False) -> bool:
    """Keep a page's estimate for the Business value page; True if the workspace was written."""
    doc = _document(estimate)
    saved = ws.get(namespace, LATEST)
    if is_demo and saved is not None and not saved.get(DEMO_FLAG, False):
        return False  # the merchant's own estimate stays
    if is_demo:
        doc[DEMO_FLAG] = True
    if saved is not None and dumps(saved) == dumps(doc):
        return False
    ws.put(namespace, LATEST, doc)
    return True


def load_page_estimate(ws, namespace: str) -> dict | None:
    doc = ws.get(namespace, LATEST)
    if not isinstance(doc, dict):
        return None
    return {k: v for k, v in doc.items() if k != DEMO_FLAG}


def load_page_assumptions(ws, lever: str) -> dict[str, float]:
    """The assumptions the lever's own page saved (finite numbers only), or {}."""
    namespace, key = PAGE_ASSUMPTIONS[lever]
    try:
        saved = ws.get(namespace, key, {}) or {}
    except Exception:  # noqa: BLE001 - a damaged value is the same as none
        saved = {}
    if not isinstance(saved, dict):
        return {}
    return {k: float(v) for k, v in saved.items() if finite(v)}


def save_page_assumptions(ws, lever: str, values: dict) -> bool:
    """Keep the assumptions set on the lever's page; True if the workspace was written."""
    namespace, key = PAGE_ASSUMPTIONS[lever]
    clean = {k: float(v) for k, v in values.items() if finite(v)}
    if load_page_assumptions(ws, lever) == clean:
        return False
    ws.put(namespace, key, clean)
    return True


def all_page_assumptions(ws) -> dict[str, dict[str, float]]:
    """Every lever's page assumptions that were saved: the Business value page starts from them."""
    out = {}
    for lever in PAGE_ASSUMPTIONS:
        values = load_page_assumptions(ws, lever)
        if values:
            out[lever] = values
    return out
