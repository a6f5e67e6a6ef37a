"""Business value: what each model is worth per month, with an interval and its evidence.

Every capability returns a `ValueEstimate`. The Business value page (and its report) adds
them up; measured A/B results outrank offline estimates for the same lever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecom_models.formatting import format_money


@dataclass(frozen=True)
class Assumption:
    """A number the estimate rests on, shown to the merchant and editable by them."""

    key: str
    label: str  # plain words, e.g. "Share of visitors who see the widget"
    value: float
    unit: str = ""  # "%", "USD", "orders/day", …
    help: str = ""  # one line: where the default comes from
    low: float | None = None  # plausible range, for the sensitivity chart
    high: float | None = None


@dataclass(frozen=True)
class ValueEstimate:
    """Monthly revenue effect (or loss avoided) of one model, in the store's currency."""

    model: str  # "recommendations", "forecasting", "risk", "reviews", "images", "abtest"
    lever: str  # what changes for the store, e.g. "conversion lift from recommendations"
    monthly_value: float
    monthly_low: float
    monthly_high: float
    evidence: str  # e.g. "offline hit rate 0.21 vs 0.12 for popularity (held-out customers)"
    evidence_kind: str  # "measured A/B test" | "backtest" | "offline metric" | "assumption"
    assumptions: list[Assumption] = field(default_factory=list)
    currency: str = "USD"
    note: str = ""

    @property
    def yearly_value(self) -> float:
        return 12 * self.monthly_value


# =============================================================================================
# Adding the levers up (the Business value page, its report and `python -m ecom_models value`)
# =============================================================================================
#
# Conventions
# - A `Lever` is one capability's estimate plus, when available, a cheap `recompute(overrides)`
#   that calls the capability's own `business_value` again with edited assumptions (the fitted
#   model is kept in the closure, so editing never refits anything).
# - Assumptions the capability does not take as arguments are applied proportionally: the
#   estimate is multiplied by new / old. Every estimate we receive is linear in such numbers
#   (revenue at stake, today's conversion rate, …); `EstimateRow.note` says when it happened.
# - Each row's low/high is read as a ~90% interval around the estimate (the median). Totals
#   come from a Monte-Carlo simulation of independent split-normal draws per row.
# - Measured A/B results outrank offline estimates: when the A/B test measured the same lever
#   as an offline row, that offline row is shown but not counted (see `resolve_rows`).

import inspect
import math
from dataclasses import asdict, replace
from typing import Callable

MODELS: tuple[str, ...] = ("recommendations", "forecasting", "risk", "reviews", "images", "abtest")
TITLES: dict[str, str] = {
    "recommendations": "Recommendations",
    "forecasting": "Forecasting",
    "risk": "Risk & fraud",
    "reviews": "Reviews",
    "images": "Product images",
    "abtest": "A/B test",
}
WHAT_IT_MEASURES: dict[str, str] = {
    "recommendations": "conversion and basket lift from a better 'you may also like' widget",
    "forecasting": "stock-out and overstock cost avoided by a smaller forecast error than the naive plan",
    "risk": "fraud losses prevented by reviewing the riskiest orders",
    "reviews": "rating and return-rate gains from fixing the top complaints",
    "images": "conversion from fixing listing photo problems",
    "abtest": "measured lift of the change you tested",
}
NEEDS: dict[str, str] = {
    "recommendations": "orders with customer ids (upload them on the Data page)",
    "forecasting": "at least a few months of orders (upload them on the Data page)",
    "risk": "orders (upload them on the Data page)",
    "reviews": "product reviews (upload them on the Data page)",
    "images": "product photos analysed on the Product images page",
    "abtest": "an A/B test file (upload it on the Data page or the A/B tests page)",
}
# Rows whose value is extra *revenue*: only the gross margin of it is profit. The others
# (forecasting, risk) are already costs or losses avoided.
REVENUE_MODELS = frozenset({"recommendations", "reviews", "images", "abtest"})
# Words that tie an A/B test to an offline lever (file name, variant names, metric, lever).
# A word matches when it starts with the keyword ("photos" matches "photo"); "reco" and "recs"
# must be whole words (so "record" does not count); keywords with a space match as phrases.
AB_KEYWORDS: dict[str, tuple[str, ...]] = {
    "recommendations": ("recommend", "reco", "recs", "widget", "also like", "crosssell", "cross sell", "upsell",
                        "similar product", "personali"),
    "images": ("photo", "image", "picture", "gallery", "thumbnail"),
    "reviews": ("review", "rating", "complaint"),
    "risk": ("fraud", "risk"),
    "forecasting": ("forecast", "inventory", "replenish"),
}
WHOLE_WORDS = frozenset({"reco", "recs"})
Z90 = 1.6448536269514722  # a ~90% interval spans +-1.645 standard deviations
DEFAULT_RANGE = 0.2  # assumptions without a plausible range vary by +-20% in the sensitivity chart
MARGIN_LOW, MARGIN_HIGH = 0.2, 0.6


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

    @property
    def monthly(self) -> float:
        return self.estimate.monthly_value if self.estimate is not None else float("nan")


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
    monthly: Interval  # total value per month (revenue gained + cost avoided)
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


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


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
                 ab_replaces: str | None = None) -> list[EstimateRow]:
    """One row per model in `MODELS` order, with edits applied and the A/B precedence.

    ab_replaces: the offline lever the A/B test measured (None: a change of its own). That
    offline row stays visible with status "replaced" and is not counted in the totals.
    """
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
        rows.append(EstimateRow(model, TITLES[model], "counted", est, True, note=note, source=lever.source))
    by_model = {r.model: r for r in rows}
    ab = by_model.get("abtest")
    if ab_replaces and ab_replaces in by_model and ab_replaces != "abtest" and ab is not None and ab.counted:
        target = by_model[ab_replaces]
        ab.title = f"A/B test: {TITLES[ab_replaces]} (measured)"
        ab.note = (ab.note + "; " if ab.note else "") + f"measured result for {TITLES[ab_replaces].lower()}: replaces the offline estimate"
        if target.estimate is not None:
            target.status, target.counted = "replaced", False
            target.note = (target.note + "; " if target.note else "") + "replaced by the measured A/B test, not counted"
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
    profit = sum(r.estimate.monthly_value * _profit_share(r.model, costs.gross_margin) for r in counted)
    net = profit - costs.monthly_cost
    return {"monthly": monthly, "profit": profit, "net": net, "first_year_net": 12 * net - costs.setup_cost}


def simulate(rows: list[EstimateRow], costs: CostInputs, n: int = 20000, seed: int = 0) -> dict[str, "object"]:
    """Monte-Carlo draws of the monthly total, monthly profit and first-year net gain."""
    import numpy as np

    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    profit = np.zeros(n)
    for r in rows:
        if not r.counted or r.estimate is None:
            continue
        e = r.estimate
        lo = e.monthly_low if _finite(e.monthly_low) else e.monthly_value
        hi = e.monthly_high if _finite(e.monthly_high) else e.monthly_value
        d = split_normal_draws(e.monthly_value, lo, hi, rng.standard_normal(n))
        total += d
        profit += d * _profit_share(r.model, costs.gross_margin)
    net = profit - costs.monthly_cost
    return {"monthly": total, "profit": profit, "net": net, "first_year_net": 12 * net - costs.setup_cost}


def _interval(mid: float, draws, q: float = 0.05) -> Interval:
    import numpy as np

    if len(draws) == 0:
        return Interval(mid, mid, mid)
    lo, hi = np.quantile(draws, [q, 1 - q])
    return Interval(float(mid), float(min(lo, mid)), float(max(hi, mid)))


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
    df = df[df["swing"] > 0].sort_values("swing", ascending=False).head(top).reset_index(drop=True)
    df.attrs["base_net"] = base
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
              with_tornado: bool = True) -> ValueSummary:
    """The whole business case: rows, totals with 90% intervals, waterfall, tornado and ROI."""
    import numpy as np
    import pandas as pd

    costs = costs or CostInputs()
    rows = resolve_rows(levers, overrides, ab_replaces)
    cur = rows_currency(rows)
    pt = point_totals(rows, costs)
    sims = simulate(rows, costs, n_sims, seed)
    monthly = _interval(pt["monthly"], sims["monthly"])
    profit = _interval(pt["profit"], sims["profit"])
    net = _interval(pt["net"], sims["net"])
    first_year = _interval(pt["first_year_net"], sims["first_year_net"])
    roi, payback = roi_figures(first_year.mid, net.mid, costs)
    chance = float(np.mean(sims["first_year_net"] > 0)) if len(sims["first_year_net"]) else float("nan")

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

    yearly = monthly.scaled(12)
    figs = [
        ("monthly_value", "Value per month", monthly, cur,
         "Extra revenue plus costs avoided per month, all counted models together (90% interval)."),
        ("yearly_value", "Value per year", yearly, cur, "Twelve times the monthly value, with its 90% interval."),
        ("monthly_profit", "Profit per month", profit, cur,
         "Monthly value after your gross margin on extra sales (costs avoided count in full)."),
        ("monthly_net", "Net gain per month", net, cur, "Profit per month minus the monthly cost of running it."),
        ("first_year_net", "Net gain in the first year", first_year, cur,
         "Twelve months of net gain minus the one-off setup cost."),
    ]
    figures = [{"key": k, "figure": f, "value": i.mid, "low": i.low, "high": i.high, "unit": u, "explanation": ex}
               for k, f, i, u, ex in figs]
    figures += [
        {"key": "roi_first_year", "figure": "Return on investment, first year", "value": roi, "low": None, "high": None,
         "unit": "ratio", "explanation": "First-year net gain divided by what you spend in the first year."},
        {"key": "payback_months", "figure": "Payback time", "value": payback, "low": None, "high": None, "unit": "months",
         "explanation": "Months of net gain needed to earn back the setup cost."},
        {"key": "chance_positive", "figure": "Chance the first year pays off", "value": chance, "low": None, "high": None,
         "unit": "%", "explanation": "Share of the simulated outcomes in which the first-year net gain is above zero."},
    ]
    for r in rows:
        e = r.estimate
        figures.append({"key": f"row.{r.model}", "figure": r.title, "value": e.monthly_value if e else None,
                        "low": e.monthly_low if e else None, "high": e.monthly_high if e else None, "unit": cur,
                        "explanation": (f"{r.status}: {e.lever}" if e else f"{r.status}: {r.needs}")})
    return ValueSummary(rows=rows, currency=cur, costs=costs, monthly=monthly, yearly=yearly, monthly_profit=profit,
                        monthly_net=net, first_year_net=first_year, roi_first_year=roi, payback_months=payback,
                        chance_positive=chance, waterfall=waterfall, tornado=torn, assumptions=assumptions,
                        figures=pd.DataFrame(figures, columns=["key", "figure", "value", "low", "high", "unit", "explanation"]),
                        n_sims=n_sims, seed=seed)


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
    """Orders per month, average order value and currency from canonical orders (sales only)."""
    import pandas as pd

    if orders is None or len(orders) == 0 or "order_id" not in orders:
        return {"monthly_orders": float("nan"), "order_value": float("nan"), "currency": "USD", "monthly_revenue": float("nan")}
    sales = orders
    if "line_type" in sales:
        sales = sales[sales["line_type"].astype("str") == "sale"]
    if "is_duplicate" in sales:
        sales = sales[~sales["is_duplicate"].fillna(False).astype(bool)]
    n = int(sales["order_id"].nunique())
    dates = pd.to_datetime(sales["order_date"], errors="coerce") if "order_date" in sales else pd.Series(dtype="datetime64[ns]")
    months = max((dates.max() - dates.min()).days / 30.44, 1.0) if dates.notna().any() else 1.0
    revenue = float(pd.to_numeric(sales["revenue"], errors="coerce").sum()) if "revenue" in sales else float("nan")
    currency = "USD"
    if "currency" in orders and orders["currency"].notna().any():
        currency = str(orders["currency"].mode().iloc[0])
    return {"monthly_orders": n / months, "order_value": revenue / n if n else float("nan"), "currency": currency,
            "monthly_revenue": revenue / months}


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

    from ecom_models.errors import InputError

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
    from ecom_models.errors import InputError

    if df is None or len(df) == 0:
        raise InputError(f"no {what} yet.", fix=fix)


def lever_recommendations(orders, k: int = 10, include_deep: bool = False) -> Lever:
    def work():
        from ecom_models import recommend as R

        _need(orders, "orders", "upload your orders on the Data page.")
        rep = R.build_recommender(R.interactions_from_orders(orders), k=k, include_deep=include_deep)
        te = rep.test_evals
        gain = None
        if rep.chosen in te and "popularity" in te and rep.chosen != "popularity":
            gain = R.paired_gain(te[rep.chosen], te["popularity"], "hit")
        figs = R.store_figures(orders)
        kwargs = dict(gain=gain, report=rep, monthly_orders=figs["monthly_orders"], order_value=figs["order_value"],
                      currency=figs["currency"])
        fn = R.business_value
        return Lever("recommendations", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("recommendations", work)


def lever_forecasting(orders, fast: bool = False) -> Lever:
    def work():
        from ecom_models import forecast as F

        _need(orders, "orders", "upload your orders on the Data page.")
        series = F.build_series(orders, metric="revenue")
        models = (F.MODEL_NAIVE, F.MODEL_ETS) if fast else (F.MODEL_NAIVE, F.MODEL_ETS, F.MODEL_PROPHET)
        result = F.backtest_and_forecast(series, models=models, tune=False)
        kwargs = dict(result=result, unit_value=1.0, currency=store_figures(orders)["currency"])
        fn = F.business_value
        return Lever("forecasting", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("forecasting", work)


def lever_risk(orders, labels: dict | None = None, result=None) -> Lever:
    """`result`: a RiskResult already computed (e.g. by the Risk page), to avoid scoring twice."""

    def work():
        from ecom_models import anomaly as A

        nonlocal result
        if result is None:
            _need(orders, "orders", "upload your orders on the Data page.")
            result = A.score_orders(orders)
        kwargs = dict(result=result, labels=labels or None)
        fn = A.business_value
        return Lever("risk", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("risk", work)


def lever_abtest(experiment, orders=None, traffic=None) -> Lever:
    def work():
        from ecom_models import abtest as AB

        _need(experiment, "A/B test", "upload an A/B test file on the Data page or the A/B tests page.")
        result = AB.analyze(experiment)
        visitors, source = monthly_visitors(traffic, orders)
        figs = store_figures(orders)
        aov = figs["order_value"]
        if not _finite(aov):
            from ecom_models.errors import InputError

            raise InputError("the A/B test needs your orders to put a money value on the lift (average order value).",
                             fix="upload your orders on the Data page.")
        kwargs = dict(result=result, monthly_visitors=visitors, average_order_value=aov, currency=figs["currency"])
        # The measured *relative* lift applies to the store's own conversion, not to the test
        # group's (a test run on engaged visitors converts better than the store as a whole).
        store_rate = figs["monthly_orders"] / visitors if _finite(visitors) and visitors > 0 else float("nan")

        def bv(control_rate=None, **kw):
            est = AB.business_value(**kw)
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
        from ecom_models import vision as V
        from ecom_models.errors import InputError

        if folder is None:
            raise InputError("no product photos analysed yet.", fix="analyse your photos on the Product images page.")
        analysis = V.analyse(folder, products=products, learn_categories=False, keep_thumbnails=False)
        kwargs = dict(analysis=analysis, orders=orders)
        fn = V.business_value
        return Lever("images", fn(**kwargs), lambda ov: call_with_overrides(fn, kwargs, ov))

    return _run("images", work)


def lever_reviews(reviews, orders=None, analysis=None) -> Lever:
    """`analysis`: a ReviewAnalysis already computed (e.g. saved by the Reviews page); else the
    reviews are scored here with the bundled model (no fine-tuning, to stay quick)."""

    def work():
        from ecom_models import sentiment as S

        nonlocal analysis
        if analysis is None:
            _need(reviews, "reviews", "upload your product reviews on the Data page.")
            analysis = S.analyse_reviews(reviews, fine_tune_on_ratings=False)
        _need(orders, "orders", "upload your orders on the Data page.")
        kwargs = dict(analysis=analysis, orders=orders, currency=store_figures(orders)["currency"])
        fn = S.business_value
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


SAVED_NAMESPACES: dict[str, tuple[str, ...]] = {
    "recommendations": ("recommend.value", "recommendations.value"),
    "forecasting": ("forecast.value",),
    "risk": ("risk.value", "anomaly.value"),
    "reviews": ("sentiment.value", "reviews.value"),
    "images": ("images.value", "vision.value"),
    "abtest": ("abtest.value",),
}


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
