"""Business value: every lever's monthly value added up, evidence first.

The capabilities return evidence (`ecom_models.core.evidence`); `ecom_models.value.valuation` turns it into
money through one table of priors (`ecom_models.value.priors`); `ecom_models.value.compute` computes each
lever; this module adds the rows up for the Business value page, its report and `python -m ecom_models value`:
- one row per lever (`ecom_models.value.levers.LEVERS`), with its evidence kind and its share of the store's
  net revenue;
- two totals side by side: "shown by your data" (measured, backtest, labels) and "if the
  assumptions hold" (offline, assumption), each with a 90% range; no single combined figure
  is the headline;
- a plausibility bound per lever (priors.BOUNDS) and for the assumed total (15% of revenue):
  a row above its bound is flagged with the assumption that drives it (its largest swing);
- "chance it pays off" only once the merchant has entered costs.

It imports only core, `levers` and `priors`: never a capability, the valuation functions or the report.
Adding a row (e.g. customer service deflection): see docs/value.md, "Adding a row".
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

from ecom_models.core.evidence import EVIDENCE_KINDS, Assumption, ValueEstimate, is_data_kind
from ecom_models.core.stats import finite as _finite
from ecom_models.value.levers import AB_KEYWORDS, MODELS, NEEDS, REVENUE_MODELS, TITLES, WHOLE_WORDS
from ecom_models.value.priors import ASSUMED_TOTAL_BOUND, BOUNDS, DEFAULT_BOUND

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

Z90 = 1.6448536269514722  # a ~90% interval spans +-1.645 standard deviations
DEFAULT_RANGE = 0.2  # assumptions without a plausible range vary by +-20% in the sensitivity chart
MARGIN_LOW, MARGIN_HIGH = 0.2, 0.6
KIND_ORDER = {k: i for i, k in enumerate(EVIDENCE_KINDS)}


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

    @property
    def models_counted(self) -> tuple[int, int]:
        """(models whose estimate counts in the totals, every model of the app): the one count of
        models the page, the HTML and PDF reports state, as MODELS_COUNTED_LABEL "6 of 7". A row
        replaced by a measured A/B test or still missing data is not counted; the denominator is
        every model (MODELS, customer service included), computed here or saved by its own page."""
        return sum(1 for r in self.rows if r.counted and r.estimate is not None), len(MODELS)

    @property
    def models_counted_text(self) -> str:
        counted, total = self.models_counted
        return f"{counted} of {total}"


MODELS_COUNTED_LABEL = "Models counted"
MODELS_COUNTED_HELP = ("Models whose estimate counts in the totals, of every model the app values. Offline estimates "
                       "replaced by a measured A/B test, and models still missing data, are not counted.")


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

    monthly_net_revenue: the store's (intake.store_figures), for every share of revenue."""
    import numpy as np
    import pandas as pd

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
