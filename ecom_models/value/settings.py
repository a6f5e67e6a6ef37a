"""What the pages keep for the Business value page: each model page's money estimate and the
assumptions the merchant set there, read and written through one set of rules.

- An estimate is kept under `<namespace>` / "latest" (namespaces such as "forecast.value" are
  persisted data: their strings never change). It is written only when it changed, so a page
  rerun does not rewrite the workspace file; and an estimate made on the demo store never
  replaces one made on the merchant's own data.
- A page's assumptions are kept under the namespace and key of PAGE_ASSUMPTIONS; only finite
  numbers are read back, so a damaged value falls back to the default instead of breaking a page.
- The Business value page's own settings live in `value.assumptions` (NAMESPACE): "overrides" (the
  assumptions edited there, per lever), "costs" (`CostInputs`) and "ab_replaces" (what the A/B test
  measured: "auto", "none" or a lever). `load_settings` reads them back (bad values are ignored),
  `changed_overrides` keeps only the edits that differ from the defaults, `ab_replaces` turns the
  stored choice into the lever the A/B test replaces.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

from ecom_models.core.jsonio import dumps
from ecom_models.core.stats import finite
from ecom_models.value.summary import CostInputs

NAMESPACE = "value.assumptions"  # the Business value page's own edits (persisted: never rename)
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


# --------------------------------------------------------------------------------------------
# The Business value page's own settings (`value.assumptions`)
# --------------------------------------------------------------------------------------------
def load_settings(ws) -> tuple[dict[str, dict[str, float]], CostInputs, str]:
    """(overrides per lever, costs, A/B choice) from the workspace; bad saved values are ignored."""
    overrides = ws.get(NAMESPACE, "overrides", {}) or {}
    if not isinstance(overrides, dict):
        overrides = {}
    overrides = {m: {k: float(v) for k, v in d.items() if finite(v)} for m, d in overrides.items() if isinstance(d, dict)}
    c = ws.get(NAMESPACE, "costs", {}) or {}
    try:
        costs = CostInputs(float(c.get("monthly_cost", 0.0)), float(c.get("setup_cost", 0.0)),
                           float(c.get("gross_margin", 0.4)))
    except (TypeError, ValueError, AttributeError):
        costs = CostInputs()
    ab = ws.get(NAMESPACE, "ab_replaces", "auto") or "auto"
    return overrides, costs, str(ab)


def save_costs(ws, monthly_cost: float, setup_cost: float, gross_margin: float) -> None:
    """The merchant's costs (gross margin as a share, 0.4 = 40%)."""
    ws.put(NAMESPACE, "costs", {"monthly_cost": monthly_cost, "setup_cost": setup_cost, "gross_margin": gross_margin})


def save_ab_choice(ws, choice: str) -> None:
    """What the A/B test measured: "auto" (guessed from its names), "none" (a change of its own) or a lever."""
    ws.put(NAMESPACE, "ab_replaces", choice)


def save_overrides(ws, overrides: dict[str, dict[str, float]]) -> None:
    """The assumptions edited on the Business value page, per lever."""
    ws.put(NAMESPACE, "overrides", overrides)


def changed_overrides(new: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
    """The entered values that differ from the defaults (relative tolerance 1e-9): an assumption left
    at its default is not an edit, so a later change of the default still reaches the row."""
    return {k: v for k, v in new.items()
            if k in defaults and not (finite(defaults[k]) and abs(v - defaults[k]) <= 1e-9 * max(1, abs(defaults[k])))}


def effective_overrides(ws, own: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The models' own pages' assumptions (`all_page_assumptions`), updated with the edits made on the
    Business value page (ours win)."""
    merged = all_page_assumptions(ws)
    for model, values in own.items():
        merged[model] = {**merged.get(model, {}), **values}
    return merged


def ab_replaced_lever(choice: str, guess: str | None) -> str | None:
    """The offline lever the A/B test replaces: the guess from its names ("auto"), none ("none"), or
    the lever the merchant chose."""
    return guess if choice == "auto" else (None if choice == "none" else choice)
