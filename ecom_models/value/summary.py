"""Business value: every lever's monthly value added up, evidence first.

The capabilities return evidence (`ecom_models.core.evidence`); `ecom_models.value.valuation` turns it into
money through one table of priors; this module adds the rows up for the Business value page,
its report and `python -m ecom_models value`:
- one row per lever (`LEVERS`), with its evidence kind and its share of the store's net revenue;
- two totals side by side: "shown by your data" (measured, backtest, labels) and "if the
  assumptions hold" (offline, assumption), each with a 90% range; no single combined figure
  is the headline;
- a plausibility bound per lever (valuation.BOUNDS) and for the assumed total (15% of revenue):
  a row above its bound is flagged with the assumption that drives it (its largest swing);
- "chance it pays off" only once the merchant has entered costs.

Adding a row (e.g. customer service deflection): see docs/value.md, "Adding a row".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecom_models.core.evidence import (DATA_KINDS, EVIDENCE_KINDS, KIND_LABELS, Assumption, ValueEstimate,  # noqa: F401
                                  is_data_kind, normalise_kind)
from ecom_models.core.formatting import format_money


@dataclass(frozen=True)
class LeverSpec:
    """One row of the business case: what it is, what it needs, how it is counted."""

    model: str
    title: str
    measures: str  # what changes for the store, in a merchant's words
    needs: str  # what to upload when it cannot be computed
    revenue: bool = True  # extra revenue (only the margin is profit) vs a cost avoided (counts in full)
    ab_keywords: tuple[str, ...] = ()  # words that tie an A/B test to this lever
    saved: tuple[str, ...] = ()  # workspace namespaces where the lever's own page saves its estimate


# Adding up, conventions
# - A `Lever` is one capability's estimate plus, when available, a cheap `recompute(overrides)`
#   that calls the valuation function again with edited assumptions (the evidence is kept in
#   the closure, so editing never refits anything).
# - Assumptions the function does not take as arguments are applied proportionally: the
#   estimate is multiplied by new / old (`EstimateRow.note` says when it happened).
# - Each row's low/high is read as a ~90% interval around the estimate (the median). Totals
#   come from a Monte-Carlo simulation of independent split-normal draws per row.
# - Measured A/B results outrank offline estimates: when the A/B test measured the same lever
#   as an offline row, that offline row is shown but not counted (see `resolve_rows`).

import inspect
import math
from dataclasses import asdict, replace
from typing import Callable
from ecom_models.core.stats import finite as _finite

LEVERS: dict[str, LeverSpec] = {s.model: s for s in (
    LeverSpec("recommendations", "Recommendations", "conversion and basket lift from a better 'you may also like' widget",
              "orders with customer ids (upload them on the Data page)", True,
              ("recommend", "reco", "recs", "widget", "also like", "crosssell", "cross sell", "upsell", "similar product",
               "personali"), ("recommend.value", "recommendations.value")),
    LeverSpec("forecasting", "Forecasting", "smaller safety stock and fewer stock-outs than the naive plan",
              "at least a few months of orders (upload them on the Data page)", False,
              ("forecast", "inventory", "replenish"), ("forecast.value",)),
    LeverSpec("risk", "Risk & fraud", "fraud losses prevented by reviewing the riskiest orders",
              "orders (upload them on the Data page)", False, ("fraud", "risk"), ("risk.value", "anomaly.value")),
    LeverSpec("reviews", "Reviews", "rating and return-rate gains from fixing the top complaints",
              "product reviews (upload them on the Data page)", True, ("review", "rating", "complaint"),
              ("sentiment.value", "reviews.value")),
    LeverSpec("images", "Product images", "conversion from fixing listing photo problems",
              "product photos analysed on the Product images page", True,
              ("photo", "image", "picture", "gallery", "thumbnail"), ("images.value", "vision.value")),
    LeverSpec("support", "Customer service", "agent hours saved by answering repetitive tickets with the FAQ",
              "support tickets and an FAQ (Customer service page)", False, ("chatbot", "faq", "support", "deflect"),
              ("support.value",)),
    LeverSpec("abtest", "A/B test", "measured lift of the change you tested",
              "an A/B test file (upload it on the Data page or the A/B tests page)", True, (), ("abtest.value",)),
)}


def register_lever(spec: LeverSpec) -> None:
    """Add a row (kept in LEVERS order; the A/B test stays last)."""
    items = [(m, s) for m, s in LEVERS.items() if m not in (spec.model, "abtest")]
    items.append((spec.model, spec))
    if "abtest" in LEVERS and spec.model != "abtest":
        items.append(("abtest", LEVERS["abtest"]))
    LEVERS.clear()
    LEVERS.update(items)
    _refresh_tables()


def _refresh_tables() -> None:
    global MODELS, REVENUE_MODELS
    MODELS = tuple(LEVERS)
    TITLES.clear(), TITLES.update({m: s.title for m, s in LEVERS.items()})
    WHAT_IT_MEASURES.clear(), WHAT_IT_MEASURES.update({m: s.measures for m, s in LEVERS.items()})
    NEEDS.clear(), NEEDS.update({m: s.needs for m, s in LEVERS.items()})
    REVENUE_MODELS = frozenset(m for m, s in LEVERS.items() if s.revenue)
    AB_KEYWORDS.clear(), AB_KEYWORDS.update({m: s.ab_keywords for m, s in LEVERS.items() if s.ab_keywords})
    SAVED_NAMESPACES.clear(), SAVED_NAMESPACES.update({m: s.saved for m, s in LEVERS.items() if s.saved})


MODELS: tuple[str, ...] = ()
TITLES: dict[str, str] = {}
WHAT_IT_MEASURES: dict[str, str] = {}
NEEDS: dict[str, str] = {}
# Rows whose value is extra *revenue*: only the gross margin of it is profit. The others
# (forecasting, risk) are already costs or losses avoided.
REVENUE_MODELS: frozenset = frozenset()
# Words that tie an A/B test to an offline lever (file name, variant names, metric, lever).
# A word matches when it starts with the keyword ("photos" matches "photo"); "reco" and "recs"
# must be whole words (so "record" does not count); keywords with a space match as phrases.
AB_KEYWORDS: dict[str, tuple[str, ...]] = {}
SAVED_NAMESPACES: dict[str, tuple[str, ...]] = {}
_refresh_tables()
WHOLE_WORDS = frozenset({"reco", "recs"})
Z90 = 1.6448536269514722  # a ~90% interval spans +-1.645 standard deviations
DEFAULT_RANGE = 0.2  # assumptions without a plausible range vary by +-20% in the sensitivity chart
MARGIN_LOW, MARGIN_HIGH = 0.2, 0.6
KIND_ORDER = {k: i for i, k in enumerate(EVIDENCE_KINDS)}
KIND_COLOURS = {"measured": "#1b5e20", "backtest": "#2e7d32", "labels": "#558b2f", "offline": "#ef6c00",
                "assumption": "#c62828"}


@dataclass
class Lever:
    """One capability's estimate and how to recompute it cheaply with edited assumptions."""

    model: str
    estimate: ValueEstimate | None = None
    recompute: Callable[[dict], ValueEstimate] | None = None
    problem: str = ""  # why there is no estimate (merchant's words)
    source: str = "computed"  # "computed" | "saved" (from the model's own page) | "missing"
    seconds: float = 0.0
    context: str = ""  # words describing what was tested (A/B tests: variant and metric names)
    # The evidence the estimate was priced from, as plain data (`valuation` function name and its
    # keyword arguments), so a stored lever can be priced again after a restart without refitting.
    valuation: str = ""
    evidence: dict | None = None


@dataclass(frozen=True)
class CostInputs:
    """The merchant's costs, for the return on investment."""

    monthly_cost: float = 0.0  # running it: hosting, licences, staff time
    setup_cost: float = 0.0  # one-off: integration, design, training
    gross_margin: float = 0.4  # share of extra revenue that is profit


@dataclass
class EstimateRow:
    """One row of the business case, after the merchant's edits and the A/B precedence."""

    model: str
    title: str
    status: str  # "counted" | "replaced" | "not computed"
    estimate: ValueEstimate | None
    counted: bool
    needs: str = ""  # what is missing, when not computed
    note: str = ""  # how edits or the A/B precedence changed it
    source: str = "computed"
    bound: float = float("nan")  # plausibility bound, share of monthly net revenue
    flag: str = ""  # set when the row is above its bound: what drives it

    @property
    def monthly(self) -> float:
        return self.estimate.monthly_value if self.estimate is not None else float("nan")

    @property
    def evidence_kind(self) -> str:
        return self.estimate.evidence_kind if self.estimate is not None else ""

    @property
    def share_of_revenue(self) -> float:
        e = self.estimate
        return float(e.share_of_revenue) if e is not None and _finite(e.share_of_revenue) else float("nan")


@dataclass
class Interval:
    mid: float
    low: float
    high: float

    def scaled(self, k: float) -> "Interval":
        return Interval(self.mid * k, self.low * k, self.high * k)


@dataclass
class ValueSummary:
    """Everything the page, the report and the CLI show. Computed by `summarise` only."""

    rows: list[EstimateRow]
    currency: str
    costs: CostInputs
    monthly: Interval  # total value per month (revenue gained + cost avoided), both kinds together
    yearly: Interval
    monthly_profit: Interval  # after the gross margin on revenue rows
    monthly_net: Interval  # profit minus running cost
    first_year_net: Interval  # 12 x net - setup
    roi_first_year: float  # first-year net / first-year cost (nan when there is no cost)
    payback_months: float  # setup / monthly net (inf when the net is not positive)
    chance_positive: float  # share of simulations with a positive first-year net
    waterfall: "object"  # DataFrame: step, amount, kind (relative | total)
    tornado: "object"  # DataFrame: model, key, label, low_input, high_input, low_net, high_net, swing
    assumptions: "object"  # DataFrame: model, key, label, value, unit, low, high, help, edited
    figures: "object"  # DataFrame: key, figure, value, low, high, unit, explanation
    n_sims: int = 0
    seed: int = 0
    measured: Interval | None = None  # "shown by your data": measured + backtest + labels rows
    assumed: Interval | None = None  # "if the assumptions hold": offline + assumption rows
    monthly_net_revenue: float = float("nan")  # the store's, for every share of revenue
    flags: list = field(default_factory=list)  # plain sentences: rows or totals above their bound
    costs_entered: bool = False  # "chance it pays off" is shown only then

    def share(self, amount: float) -> float:
        r = self.monthly_net_revenue
        return amount / r if _finite(amount) and _finite(r) and r > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# Estimates as documents (workspace, CLI)
# --------------------------------------------------------------------------------------------
def estimate_to_dict(estimate: ValueEstimate) -> dict:
    d = asdict(estimate)
    d["yearly_value"] = estimate.yearly_value
    return d


def estimate_from_dict(d: dict) -> ValueEstimate:
    """Rebuild an estimate saved by a capability page (`<capability>.value` / `latest`)."""
    fields_ = {"model", "lever", "monthly_value", "monthly_low", "monthly_high", "evidence", "evidence_kind",
               "currency", "note"}
    kw = {k: d[k] for k in fields_ if k in d}
    for k in ("monthly_value", "monthly_low", "monthly_high"):
        kw[k] = float(kw[k]) if kw.get(k) is not None else float("nan")
    keys = {"key", "label", "value", "unit", "help", "low", "high"}
    assumptions = [Assumption(**{k: v for k, v in a.items() if k in keys}) for a in d.get("assumptions") or []]
    return ValueEstimate(assumptions=assumptions, **kw)


# --------------------------------------------------------------------------------------------
# Edited assumptions
# --------------------------------------------------------------------------------------------
def call_with_overrides(fn: Callable, kwargs: dict, overrides: dict) -> ValueEstimate:
    """Call a capability's `business_value(**kwargs)` with the overrides it accepts as arguments.

    Parameters named like an assumption take it; a parameter called `assumptions` takes the
    dict; `**kwargs` takes everything. The rest is applied proportionally by `apply_overrides`.
    """
    params = inspect.signature(fn).parameters
    kw = dict(kwargs)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if "assumptions" in params and params["assumptions"].kind is not inspect.Parameter.VAR_KEYWORD:
        kw["assumptions"] = {**(kw.get("assumptions") or {}), **overrides}
    for key, value in overrides.items():
        if key in params and key not in ("assumptions",) or (takes_any and key not in params):
            kw[key] = value
    return fn(**kw)


def apply_overrides(estimate: ValueEstimate, overrides: dict | None,
                    recompute: Callable[[dict], ValueEstimate] | None = None) -> tuple[ValueEstimate, str]:
    """The estimate with the merchant's edited assumptions, and a note on how they were applied."""
    known = {a.key: a for a in estimate.assumptions}
    ov = {k: float(v) for k, v in (overrides or {}).items() if k in known and _finite(v)}
    if not ov:
        return estimate, ""
    est = estimate
    if recompute is not None:
        try:
            est = recompute(ov)
        except Exception:  # an edit the model refuses (e.g. a zero rate): fall back to scaling
            est = estimate
    factor, scaled, out = 1.0, [], []
    for a in est.assumptions:
        if a.key in ov and not math.isclose(a.value, ov[a.key], rel_tol=1e-9, abs_tol=1e-12):
            if _finite(a.value) and a.value != 0:
                factor *= ov[a.key] / a.value
                scaled.append(a.label)
            a = replace(a, value=ov[a.key])
        out.append(a)
    note = ""
    if scaled:
        lo, hi = est.monthly_low * factor, est.monthly_high * factor
        est = replace(est, monthly_value=est.monthly_value * factor, monthly_low=min(lo, hi), monthly_high=max(lo, hi),
                      assumptions=out)
        note = "scaled in proportion to your edit of: " + ", ".join(scaled)
    else:
        est = replace(est, assumptions=out)
    return est, note


# --------------------------------------------------------------------------------------------
# A/B precedence
# --------------------------------------------------------------------------------------------
def match_ab_lever(*texts: str) -> str | None:
    """Which offline lever an A/B test measured, from its file name, variant names or lever."""
    import re

    text = " ".join(str(t) for t in texts if t).lower()
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    phrase = " " + " ".join(words) + " "
    best, hits = None, 0
    for model, keywords in AB_KEYWORDS.items():
        n = 0
        for kw in keywords:
            if " " in kw:
                n += phrase.count(" " + kw)
            elif kw in WHOLE_WORDS:
                n += sum(w == kw for w in words)
            else:
                n += sum(w.startswith(kw) for w in words)
        if n > hits:
            best, hits = model, n
    return best


def resolve_rows(levers: dict[str, Lever], overrides: dict[str, dict] | None = None,
                 ab_replaces: str | None = None, monthly_net_revenue: float = float("nan")) -> list[EstimateRow]:
    """One row per lever, with edits applied, the A/B precedence and each row's share of the
    store's monthly net revenue; ordered by evidence (measured first, assumptions last), rows
    not computed at the end.

    ab_replaces: the offline lever the A/B test measured (None: a change of its own). That
    offline row stays visible with status "replaced" and is not counted in the totals.
    """
    from ecom_models.value.valuation import BOUNDS, DEFAULT_BOUND

    overrides = overrides or {}
    rows = []
    for model in MODELS:
        lever = levers.get(model)
        if lever is None or lever.estimate is None:
            why = lever.problem if lever is not None and lever.problem else "not computed yet"
            rows.append(EstimateRow(model, TITLES[model], "not computed", None, False,
                                    needs=f"{why} Needs: {NEEDS[model]}." if lever is not None and lever.problem
                                    else f"Not computed yet. Needs: {NEEDS[model]}.",
                                    source=lever.source if lever else "missing"))
            continue
        est, note = apply_overrides(lever.estimate, overrides.get(model), lever.recompute)
        if not _finite(est.monthly_value):
            rows.append(EstimateRow(model, TITLES[model], "not computed", None, False,
                                    needs=f"The estimate is missing a figure ({est.evidence}). Needs: {NEEDS[model]}.",
                                    source=lever.source))
            continue
        if _finite(monthly_net_revenue) and monthly_net_revenue > 0:
            est = replace(est, share_of_revenue=est.monthly_value / monthly_net_revenue)
        rows.append(EstimateRow(model, TITLES[model], "counted", est, True, note=note, source=lever.source,
                                bound=BOUNDS.get(model, DEFAULT_BOUND)[0]))
    by_model = {r.model: r for r in rows}
    ab = by_model.get("abtest")
    if ab_replaces and ab_replaces in by_model and ab_replaces != "abtest" and ab is not None and ab.counted:
        target = by_model[ab_replaces]
        ab.title = f"A/B test: {TITLES[ab_replaces]} (measured)"
        ab.note = (ab.note + "; " if ab.note else "") + f"measured result for {TITLES[ab_replaces].lower()}: replaces the offline estimate"
        if target.estimate is not None:
            target.status, target.counted = "replaced", False
            target.note = (target.note + "; " if target.note else "") + "replaced by the measured A/B test, not counted"
    order = {m: i for i, m in enumerate(MODELS)}
    rows.sort(key=lambda r: (r.estimate is None, KIND_ORDER.get(r.evidence_kind, 9), order.get(r.model, 99)))
    return rows


# --------------------------------------------------------------------------------------------
# Simulation, ROI, sensitivity
# --------------------------------------------------------------------------------------------
def split_normal_draws(mid: float, low: float, high: float, z) -> "object":
    """Draws whose median is `mid` and whose 5% / 95% points are `low` / `high`."""
    import numpy as np

    low, high = min(low, mid), max(high, mid)
    sd_lo, sd_hi = (mid - low) / Z90, (high - mid) / Z90
    return np.where(z < 0, mid + z * sd_lo, mid + z * sd_hi)


def _profit_share(model: str, margin: float) -> float:
    return margin if model in REVENUE_MODELS else 1.0


def point_totals(rows: list[EstimateRow], costs: CostInputs) -> dict[str, float]:
    counted = [r for r in rows if r.counted and r.estimate is not None]
    monthly = sum(r.estimate.monthly_value for r in counted)
    measured = sum(r.estimate.monthly_value for r in counted if is_data_kind(r.evidence_kind))
    profit = sum(r.estimate.monthly_value * _profit_share(r.model, costs.gross_margin) for r in counted)
    net = profit - costs.monthly_cost
    return {"monthly": monthly, "profit": profit, "net": net, "first_year_net": 12 * net - costs.setup_cost,
            "measured": measured, "assumed": monthly - measured}


def simulate(rows: list[EstimateRow], costs: CostInputs, n: int = 20000, seed: int = 0) -> dict[str, "object"]:
    """Monte-Carlo draws of the monthly total, monthly profit and first-year net gain."""
    import numpy as np

    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    profit = np.zeros(n)
    measured = np.zeros(n)
    for r in rows:
        if not r.counted or r.estimate is None:
            continue
        e = r.estimate
        lo = e.monthly_low if _finite(e.monthly_low) else e.monthly_value
        hi = e.monthly_high if _finite(e.monthly_high) else e.monthly_value
        d = split_normal_draws(e.monthly_value, lo, hi, rng.standard_normal(n))
        total += d
        profit += d * _profit_share(r.model, costs.gross_margin)
        if is_data_kind(r.evidence_kind):
            measured += d
    net = profit - costs.monthly_cost
    return {"monthly": total, "profit": profit, "net": net, "first_year_net": 12 * net - costs.setup_cost,
            "measured": measured, "assumed": total - measured}


def _interval(mid: float, draws, q: float = 0.05) -> Interval:
    import numpy as np

    if len(draws) == 0:
        return Interval(mid, mid, mid)
    lo, hi = np.quantile(draws, [q, 1 - q])
    return Interval(float(mid), float(min(lo, mid)), float(max(hi, mid)))


def _floor_at_zero(interval: Interval, rows: list[EstimateRow]) -> Interval:
    """A sum of rows that can none of them go below zero cannot either.

    The split-normal draws of a row whose range starts at 0 dip below it, so the simulated
    total's 5% point could read "-0.05" on a report; floor it where no row could be negative."""
    if not rows or any(r.estimate.monthly_value < 0 or (_finite(r.estimate.monthly_low) and r.estimate.monthly_low < 0)
                       for r in rows):
        return interval
    return Interval(interval.mid, max(interval.low, 0.0), interval.high)


def roi_figures(first_year_net: float, monthly_net: float, costs: CostInputs) -> tuple[float, float]:
    """First-year ROI (net gain / cost) and payback in months (setup / monthly net)."""
    spend = 12 * costs.monthly_cost + costs.setup_cost
    roi = first_year_net / spend if spend > 0 else float("nan")
    if monthly_net <= 0:
        payback = float("inf")
    else:
        payback = costs.setup_cost / monthly_net
    return roi, payback


def _ranges(a: Assumption) -> tuple[float, float] | None:
    if _finite(a.low) and _finite(a.high) and float(a.low) != float(a.high):
        return float(a.low), float(a.high)
    if _finite(a.value) and a.value != 0:
        v = float(a.value)
        return v * (1 - DEFAULT_RANGE), v * (1 + DEFAULT_RANGE)
    return None


def tornado(levers: dict[str, Lever], overrides: dict[str, dict] | None, ab_replaces: str | None,
            costs: CostInputs, top: int = 12) -> "object":
    """First-year net gain with each assumption at the low and high end of its plausible range.

    Columns: model, key, label, value, low_input, high_input, low_net, high_net, swing,
    default_range (True when the range is our +-20% because the model gave none).
    """
    import pandas as pd

    overrides = {m: dict(v) for m, v in (overrides or {}).items()}
    rows = resolve_rows(levers, overrides, ab_replaces)
    base = point_totals(rows, costs)["first_year_net"]
    out = []
    for r in rows:
        if not r.counted or r.estimate is None:
            continue
        for a in r.estimate.assumptions:
            rng_ = _ranges(a)
            if rng_ is None:
                continue
            nets = []
            lever = levers[r.model]
            for x in rng_:  # only this row changes: recompute it alone, keep the others
                ov = {**overrides.get(r.model, {}), a.key: x}
                est, _ = apply_overrides(lever.estimate, ov, lever.recompute)
                changed = [replace(o, estimate=est) if o is r else o for o in rows]
                nets.append(point_totals(changed, costs)["first_year_net"])
            out.append({"model": r.model, "key": a.key, "label": f"{TITLES[r.model]}: {a.label}", "value": a.value,
                        "unit": a.unit, "low_input": rng_[0], "high_input": rng_[1], "low_net": nets[0], "high_net": nets[1],
                        "swing": abs(nets[1] - nets[0]),
                        "default_range": not (_finite(a.low) and _finite(a.high) and a.low != a.high)})
    if any(r.counted and r.model in REVENUE_MODELS for r in rows):
        nets = [point_totals(rows, replace(costs, gross_margin=m))["first_year_net"] for m in (MARGIN_LOW, MARGIN_HIGH)]
        out.append({"model": "costs", "key": "gross_margin", "label": "Your gross margin on extra sales",
                    "value": costs.gross_margin, "unit": "%", "low_input": MARGIN_LOW, "high_input": MARGIN_HIGH,
                    "low_net": nets[0], "high_net": nets[1], "swing": abs(nets[1] - nets[0]), "default_range": False})
    cols = ["model", "key", "label", "value", "unit", "low_input", "high_input", "low_net", "high_net", "swing", "default_range"]
    df = pd.DataFrame(out, columns=cols)
    df = df[df["swing"] > 0].sort_values("swing", ascending=False)
    drivers = {m: lab for m, lab in zip(df["model"], df["label"]) if m != "costs"}
    drivers = {m: df.loc[df["model"] == m, "label"].iloc[0] for m in drivers}
    df = df.head(top).reset_index(drop=True)
    df.attrs["base_net"] = base
    df.attrs["drivers"] = drivers  # per row: the assumption with the largest swing
    return df


def assumptions_table(rows: list[EstimateRow], overrides: dict[str, dict] | None, costs: CostInputs) -> "object":
    import pandas as pd

    overrides = overrides or {}
    out = []
    for r in rows:
        if r.estimate is None:
            continue
        for a in r.estimate.assumptions:
            out.append({"model": r.model, "key": a.key, "label": a.label, "value": a.value, "unit": a.unit,
                        "low": a.low, "high": a.high, "help": a.help, "edited": a.key in overrides.get(r.model, {})})
    cur = rows_currency(rows)
    for key, label, value, unit, help_ in (
        ("monthly_cost", "Monthly cost of running it", costs.monthly_cost, cur, "hosting, licences and staff time per month"),
        ("setup_cost", "One-off setup cost", costs.setup_cost, cur, "integration, design and training, paid once"),
        ("gross_margin", "Gross margin on extra sales", costs.gross_margin, "%", "share of extra revenue that is profit"),
    ):
        out.append({"model": "costs", "key": key, "label": label, "value": value, "unit": unit, "low": None, "high": None,
                    "help": help_, "edited": True})
    return pd.DataFrame(out, columns=["model", "key", "label", "value", "unit", "low", "high", "help", "edited"])


def rows_currency(rows: list[EstimateRow]) -> str:
    for r in rows:
        if r.estimate is not None and r.estimate.currency:
            return r.estimate.currency
    return "USD"


def summarise(levers: dict[str, Lever], overrides: dict[str, dict] | None = None, ab_replaces: str | None = None,
              costs: CostInputs | None = None, n_sims: int = 20000, seed: int = 0,
              with_tornado: bool = True, monthly_net_revenue: float = float("nan")) -> ValueSummary:
    """The whole business case: rows, the two totals (shown by your data / if the assumptions
    hold) with 90% intervals, shares of revenue, flags, waterfall, tornado and ROI.

    monthly_net_revenue: the store's (evidence.store_figures), for every share of revenue."""
    import numpy as np
    import pandas as pd

    from ecom_models.value.valuation import ASSUMED_TOTAL_BOUND, BOUNDS

    costs = costs or CostInputs()
    rows = resolve_rows(levers, overrides, ab_replaces, monthly_net_revenue)
    cur = rows_currency(rows)
    pt = point_totals(rows, costs)
    sims = simulate(rows, costs, n_sims, seed)
    counted = [r for r in rows if r.counted and r.estimate is not None]
    data_rows = [r for r in counted if is_data_kind(r.evidence_kind)]
    assumed_rows = [r for r in counted if not is_data_kind(r.evidence_kind)]
    measured = _floor_at_zero(_interval(pt["measured"], sims["measured"]), data_rows)
    assumed = _floor_at_zero(_interval(pt["assumed"], sims["assumed"]), assumed_rows)
    costs_entered = costs.monthly_cost > 0 or costs.setup_cost > 0
    monthly = _floor_at_zero(_interval(pt["monthly"], sims["monthly"]), counted)
    profit = _floor_at_zero(_interval(pt["profit"], sims["profit"]), counted)
    net = _interval(pt["net"], sims["net"])
    first_year = _interval(pt["first_year_net"], sims["first_year_net"])
    roi, payback = roi_figures(first_year.mid, net.mid, costs)
    chance = float(np.mean(sims["first_year_net"] > 0)) if len(sims["first_year_net"]) else float("nan")
    if not costs_entered:  # a chance (or a payback) built on no costs at all would read as a promise
        chance = payback = float("nan")

    steps = [(r.title, r.estimate.monthly_value, "relative") for r in rows if r.counted and r.estimate is not None]
    steps.append(("Total value", pt["monthly"], "total"))
    cogs = pt["profit"] - pt["monthly"]
    if cogs:
        steps.append(("Cost of goods on extra sales", cogs, "relative"))
    if costs.monthly_cost:
        steps.append(("Running cost", -costs.monthly_cost, "relative"))
    steps.append(("Net gain per month", pt["net"], "total"))
    waterfall = pd.DataFrame(steps, columns=["step", "amount", "kind"])

    torn = tornado(levers, overrides, ab_replaces, costs) if with_tornado else pd.DataFrame()
    assumptions = assumptions_table(rows, overrides, costs)
    drivers = torn.attrs.get("drivers", {}) if with_tornado else {}
    flags = []
    for r in rows:
        share = r.share_of_revenue
        if r.counted and _finite(share) and _finite(r.bound) and share > r.bound:
            why = BOUNDS.get(r.model, ("", ""))[1]
            driver = drivers.get(r.model, "")
            driver = driver.split(": ", 1)[-1] if driver else ""
            r.flag = (f"{share:.1%} of your revenue, above the {r.bound:.0%} plausible for this lever"
                      + (f"; it rests mostly on: {driver}" if driver else "") + f" ({why}).")
            flags.append(f"{r.title}: {r.flag}")
    a_share = pt["assumed"] / monthly_net_revenue if _finite(monthly_net_revenue) and monthly_net_revenue > 0 else float("nan")
    if _finite(a_share) and a_share > ASSUMED_TOTAL_BOUND:
        flags.append(f"The 'if the assumptions hold' total is {a_share:.0%} of your revenue, above the "
                     f"{ASSUMED_TOTAL_BOUND:.0%} a finance lead would believe without a test: confirm the largest rows "
                     "with an A/B test first.")

    yearly = monthly.scaled(12)
    figs = [
        ("monthly_value_measured", "Shown by your data, per month", measured, cur,
         "Rows resting on an A/B test, a backtest or your own decisions (90% interval)."),
        ("monthly_value_assumed", "If the assumptions hold, per month", assumed, cur,
         "Rows resting on offline metrics and published priors: to confirm with a test (90% interval)."),
        ("monthly_value", "Both together, per month", monthly, cur,
         "Extra revenue plus costs avoided per month, all counted rows together (90% interval)."),
        ("yearly_value", "Value per year", yearly, cur, "Twelve times the monthly value, with its 90% interval."),
        ("monthly_profit", "Profit per month", profit, cur,
         "Monthly value after your gross margin on extra sales (costs avoided count in full)."),
        ("monthly_net", "Net gain per month", net, cur, "Profit per month minus the monthly cost of running it."),
        ("first_year_net", "Net gain in the first year", first_year, cur,
         "Twelve months of net gain minus the one-off setup cost."),
    ]
    kinds = {"monthly_value_measured": "measured+backtest+labels", "monthly_value_assumed": "offline+assumption"}
    figures = [{"key": k, "figure": f, "value": i.mid, "low": i.low, "high": i.high, "unit": u, "explanation": ex,
                "evidence_kind": kinds.get(k, ""),
                "share_of_revenue": (i.mid / monthly_net_revenue if _finite(monthly_net_revenue) and monthly_net_revenue > 0
                                     and k.startswith("monthly_value") else None)}
               for k, f, i, u, ex in figs]
    figures.append({"key": "monthly_net_revenue", "figure": "Your net revenue per month", "value": monthly_net_revenue,
                    "low": None, "high": None, "unit": cur, "explanation": "Sales minus cancellations and returns, per "
                    "month of your order history: every share of revenue is of this.", "evidence_kind": "",
                    "share_of_revenue": None})
    figures += [
        {"key": "roi_first_year", "figure": "Return on investment, first year", "value": roi, "low": None, "high": None,
         "unit": "ratio", "explanation": "First-year net gain divided by what you spend in the first year."},
        {"key": "payback_months", "figure": "Payback time", "value": payback, "low": None, "high": None, "unit": "months",
         "explanation": "Months of net gain needed to earn back the setup cost."},
        {"key": "chance_positive", "figure": "Chance the first year pays off", "value": chance, "low": None, "high": None,
         "unit": "%", "explanation": ("Share of the simulated outcomes in which the first-year net gain is above zero."
                                      if costs_entered else "Enter your running and setup costs to see it.")},
    ]
    for r in rows:
        e = r.estimate
        figures.append({"key": f"row.{r.model}", "figure": r.title, "value": e.monthly_value if e else None,
                        "low": e.monthly_low if e else None, "high": e.monthly_high if e else None, "unit": cur,
                        "explanation": (f"{r.status}: {e.lever}" if e else f"{r.status}: {r.needs}")
                                       + (f" FLAG: {r.flag}" if r.flag else ""),
                        "evidence_kind": r.evidence_kind,
                        "share_of_revenue": r.share_of_revenue if _finite(r.share_of_revenue) else None})
    return ValueSummary(rows=rows, currency=cur, costs=costs, monthly=monthly, yearly=yearly, monthly_profit=profit,
                        monthly_net=net, first_year_net=first_year, roi_first_year=roi, payback_months=payback,
                        chance_positive=chance, waterfall=waterfall, tornado=torn, assumptions=assumptions,
                        figures=pd.DataFrame(figures, columns=["key", "figure", "value", "low", "high", "unit", "explanation",
                                                               "evidence_kind", "share_of_revenue"]),
                        n_sims=n_sims, seed=seed, measured=measured, assumed=assumed,
                        monthly_net_revenue=float(monthly_net_revenue) if _finite(monthly_net_revenue) else float("nan"),
                        flags=flags, costs_entered=costs_entered)


# --------------------------------------------------------------------------------------------
# Formatting shared by the page and the report (same output as ecom_ui.common.money)
# --------------------------------------------------------------------------------------------
def fmt_money(value, currency: str = "USD") -> str:
    return format_money(value, currency)


def fmt_figure(value, unit: str, currency: str = "USD") -> str:
    """One figure as the page and the report print it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "months":
        return "never at this net gain" if value == float("inf") else ("0 months" if value <= 0 else f"{value:,.1f} months")
    if unit == "ratio":
        return f"{value * 100:+,.0f}%"
    if unit == "%":
        return f"{value * 100:.0f}%"
    return fmt_money(value, currency)


def fmt_interval(low, high, unit: str, currency: str = "USD") -> str:
    if low is None or high is None or not (_finite(low) and _finite(high)):
        return ""
    return f"{fmt_figure(low, unit, currency)} to {fmt_figure(high, unit, currency)}"


def fmt_assumption(value, unit: str) -> str:
    if not _finite(value):
        return "–"
    if unit in ("%", "share"):
        return f"{float(value) * 100:.3g}%"
    v = float(value)
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"
    return text + (f" {unit}" if unit else "")


# --------------------------------------------------------------------------------------------
# Computing each lever (cheap paths; heavy libraries are imported inside)
# --------------------------------------------------------------------------------------------
def store_figures(orders) -> dict:
    """Orders per month, average order value, gross and net revenue per month, currency."""
    from ecom_models.core.evidence import store_figures as figures

    return figures(orders)


def monthly_visitors(traffic, orders, assumed_conversion: float = 0.02) -> tuple[float, str]:
    """Visitors per month: sessions of the last 30 days of traffic, else orders / 2% conversion."""
    import pandas as pd

    if traffic is not None and len(traffic) and {"date", "sessions"} <= set(traffic.columns):
        d = pd.to_datetime(traffic["date"], errors="coerce")
        s = pd.to_numeric(traffic["sessions"], errors="coerce")
        if d.notna().any() and s.notna().any():
            recent = s[d > d.max() - pd.Timedelta(days=30)]
            days = min(30, int(d[d > d.max() - pd.Timedelta(days=30)].dt.normalize().nunique()) or 1)
            return float(recent.sum() / days * 30.44), "sessions over the last 30 days of your traffic"
    figs = store_figures(orders)
    if _finite(figs["monthly_orders"]):
        return figs["monthly_orders"] / assumed_conversion, f"orders per month / an assumed {assumed_conversion:.0%} conversion"
    return float("nan"), "unknown"


def _run(model: str, work: Callable[[], Lever]) -> Lever:
    """Run one lever's computation; any failure becomes a plain message, never an exception."""
    import time

    from ecom_models.core.errors import InputError

    t0 = time.perf_counter()
    try:
        lever = work()
    except InputError as exc:
        lever = Lever(model, problem=exc.message, source="missing")
    except ImportError:
        lever = Lever(model, problem="This model is not available in this version yet.", source="missing")
    except MemoryError:
        lever = Lever(model, problem="The data is too large for this machine's memory.", source="missing")
    except Exception as exc:  # a bug elsewhere must not take the business case down
        lever = Lever(model, problem=f"Could not be computed ({type(exc).__name__}: {str(exc)[:120]}).", source="missing")
    lever.seconds = time.perf_counter() - t0
    return lever


def _need(df, what: str, fix: str):
    from ecom_models.core.errors import InputError

    if df is None or len(df) == 0:
        raise InputError(f"no {what} yet.", fix=fix)


def lever_recommendations(orders, k: int = 10, include_deep: bool = False, report=None) -> Lever:
    """`report`: a RecommenderReport already computed (the results store's), to avoid fitting twice."""

    def work():
        from ecom_models import recommend as R

        _need(orders, "orders", "upload your orders on the Data page.")
        rep = report if report is not None else R.build_recommender(R.interactions_from_orders(orders), k=k,
                                                                    include_deep=include_deep)
        te = rep.test_evals
        gain = None
        if rep.chosen in te and "popularity" in te and rep.chosen != "popularity":
            gain = R.paired_gain(te[rep.chosen], te["popularity"], "hit")
        figs = store_figures(orders)
        kwargs = dict(gain=gain, monthly_orders=figs["monthly_orders"], order_value=figs["order_value"],
                      currency=figs["currency"], model_name=rep.chosen, k=rep.k)
        return priced("recommendations", "recommendations_value", kwargs)

    return _run("recommendations", work)


def lever_forecasting(orders, fast: bool = False, result=None) -> Lever:
    """`result`: a ForecastResult of the store's revenue already computed (the results store's)."""

    def work():
        from ecom_models.forecast import models as F

        nonlocal result
        _need(orders, "orders", "upload your orders on the Data page.")
        if result is None:
            series = F.build_series(orders, metric="revenue")
            models = (F.MODEL_NAIVE, F.MODEL_ETS) if fast else (F.MODEL_NAIVE, F.MODEL_ETS, F.MODEL_PROPHET)
            result = F.backtest_and_forecast(series, models=models, tune=False)
        kwargs = dict(evidence=F.stock_evidence(result), unit_value=1.0, currency=store_figures(orders)["currency"])
        return priced("forecasting", "forecasting_value", kwargs)

    return _run("forecasting", work)


def lever_risk(orders, labels: dict | None = None, result=None, capacity_per_day: float = 5.0, seed: int = 0,
               catch=None) -> Lever:
    """`result`: the store's scores already computed (e.g. by the Risk page), to place the
    merchant's decided orders in or out of the review queue without scoring twice; `catch`: the
    detector's test on synthetic fraud already run (CatchEvidence), read at this capacity."""

    def work():
        from ecom_models.risk.inject import risk_evidence

        _need(orders, "orders", "upload your orders on the Data page.")
        if catch is not None:
            from ecom_models.risk.inject import at_capacity

            found = at_capacity(catch, capacity_per_day)
        else:
            found = None
        evidence = risk_evidence(orders, capacity_per_day, labels=labels or None, result=result, seed=seed, catch=found)
        return priced("risk", "risk_value", dict(evidence=evidence))

    return _run("risk", work)


def priced(model: str, valuation_fn: str, kwargs: dict) -> Lever:
    """A lever priced by `ecom_models.value.valuation.<valuation_fn>(**kwargs)` from plain evidence."""
    from ecom_models.value import valuation as VAL

    fn = getattr(VAL, valuation_fn)
    return Lever(model, fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov), valuation=valuation_fn,
                 evidence=kwargs)


_EVIDENCE_TYPES = {"RiskEvidence", "StockEvidence"}


def lever_to_store(lever: Lever) -> dict:
    """A lever as a plain document for the results store (no objects, nothing to unpickle)."""
    import dataclasses

    evidence = None
    if lever.evidence is not None:
        evidence = {}
        for k, v in lever.evidence.items():
            if dataclasses.is_dataclass(v):
                evidence[k] = {"__type__": type(v).__name__, **dataclasses.asdict(v)}
            else:
                evidence[k] = v
    return {"model": lever.model, "estimate": estimate_to_dict(lever.estimate) if lever.estimate else None,
            "problem": lever.problem, "source": lever.source, "seconds": lever.seconds, "context": lever.context,
            "valuation": lever.valuation, "evidence": evidence}


def lever_from_store(doc: dict) -> Lever:
    """The lever back, priced again from its evidence when it has some (edits recompute)."""
    from ecom_models.core import evidence as EV

    est = estimate_from_dict(doc["estimate"]) if doc.get("estimate") else None
    lever = Lever(doc["model"], est, None, doc.get("problem", ""), doc.get("source", "computed"),
                  float(doc.get("seconds") or 0.0), doc.get("context", ""))
    if doc.get("valuation") and doc.get("evidence") is not None and est is not None:
        kwargs = {}
        for k, v in doc["evidence"].items():
            if isinstance(v, dict) and v.get("__type__") in _EVIDENCE_TYPES:
                fields_ = {f: x for f, x in v.items() if f != "__type__"}
                if v["__type__"] == "RiskEvidence" and isinstance(fields_.get("catch"), dict):
                    fields_["catch"] = EV.CatchEvidence(**fields_["catch"])
                v = getattr(EV, v["__type__"])(**fields_)
            kwargs[k] = v
        try:
            rebuilt = priced(doc["model"], doc["valuation"], kwargs)
            rebuilt.source, rebuilt.seconds, rebuilt.context = lever.source, lever.seconds, lever.context
            return rebuilt
        except Exception:  # an old document the valuation no longer reads: keep the stored estimate
            return lever
    return lever


def lever_abtest(experiment, orders=None, traffic=None) -> Lever:
    def work():
        from ecom_models.abtest import analysis as AB
        from ecom_models.value.valuation import abtest_value

        _need(experiment, "A/B test", "upload an A/B test file on the Data page or the A/B tests page.")
        result = AB.analyze(experiment)
        visitors, source = monthly_visitors(traffic, orders)
        figs = store_figures(orders)
        aov = figs["order_value"]
        if not _finite(aov):
            from ecom_models.core.errors import InputError

            raise InputError("the A/B test needs your orders to put a money value on the lift (average order value).",
                             fix="upload your orders on the Data page.")
        kwargs = dict(result=result, monthly_visitors=visitors, average_order_value=aov, currency=figs["currency"])
        # The measured *relative* lift applies to the store's own conversion, not to the test
        # group's (a test run on engaged visitors converts better than the store as a whole).
        store_rate = figs["monthly_orders"] / visitors if _finite(visitors) and visitors > 0 else float("nan")

        def bv(control_rate=None, **kw):
            est = abtest_value(**kw)
            target = control_rate if control_rate is not None else store_rate
            test_rate = next((a.value for a in est.assumptions if a.key == "control_rate"), float("nan"))
            if not _finite(target):
                return est
            est, _ = apply_overrides(est, {"control_rate": target})
            help_ = (f"your store's orders per month / visitors per month; the test's control group converted at "
                     f"{test_rate:.2%}")
            return replace(est, assumptions=[replace(a, help=help_, low=None, high=None) if a.key == "control_rate" else a
                                             for a in est.assumptions])

        est = bv(**kwargs)
        est = replace(est, note=(est.note + f" Visitors per month: {source}. Today's conversion rate: your store's.").strip())
        words = [str(v) for v in (getattr(result.spec, "variants", None) or [])]
        words += [str(m) for m in result.table.get("metric", [])]
        return Lever("abtest", est, lambda ov: call_with_overrides(bv, kwargs, ov), context=" ".join(words))

    return _run("abtest", work)


def lever_images(folder, products=None, orders=None) -> Lever:
    def work():
        from ecom_models.images import analysis as V
        from ecom_models.core.errors import InputError
        from ecom_models.value.valuation import images_value

        if folder is None:
            raise InputError("no product photos analysed yet.", fix="analyse your photos on the Product images page.")
        analysis = V.analyse(folder, products=products, learn_categories=False, keep_thumbnails=False)
        kwargs = dict(analysis=analysis, orders=orders)
        fn = images_value
        return Lever("images", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("images", work)


def lever_reviews(reviews, orders=None, analysis=None) -> Lever:
    """`analysis`: a ReviewAnalysis already computed (e.g. saved by the Reviews page); else the
    reviews are scored here with the bundled model (no fine-tuning, to stay quick)."""

    def work():
        from ecom_models.reviews import sentiment as S
        from ecom_models.value.valuation import reviews_value

        nonlocal analysis
        if analysis is None:
            _need(reviews, "reviews", "upload your product reviews on the Data page.")
            analysis = S.analyse_reviews(reviews, fine_tune_on_ratings=False)
        _need(orders, "orders", "upload your orders on the Data page.")
        kwargs = dict(analysis=analysis, orders=orders, currency=store_figures(orders)["currency"])
        fn = reviews_value
        return Lever("reviews", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("reviews", work)


def lever_from_saved(model: str, document: dict | None) -> Lever | None:
    """An estimate saved by the model's own page (no recompute: edits are applied proportionally)."""
    if not document:
        return None
    try:
        est = estimate_from_dict(document)
    except (TypeError, ValueError, KeyError):
        return None
    if not _finite(est.monthly_value):
        return None
    return Lever(model, est, None, source="saved")


def saved_levers(ws) -> dict[str, Lever]:
    """Estimates that the capability pages saved in the workspace (`<namespace>` / `latest`)."""
    out = {}
    for model, namespaces in SAVED_NAMESPACES.items():
        for ns in namespaces:
            try:
                lever = lever_from_saved(model, ws.get(ns, "latest"))
            except Exception:
                lever = None
            if lever is not None:
                out[model] = lever
                break
    return out


def ab_lever_guess(lever: Lever | None, source_name: str = "") -> str | None:
    """The offline lever an A/B test most likely measured, from its names (None: its own change)."""
    if lever is None or lever.estimate is None:
        return None
    return match_ab_lever(source_name, lever.context, lever.estimate.lever)
