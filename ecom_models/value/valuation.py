"""Evidence into money: each lever's monthly value, through ONE table of priors.

The capabilities measure (`ecom_models.core.evidence` shapes: metrics with intervals, counts,
stock figures); this module prices what they measured. It never fits a model and no
capability imports it. `ecom_models.value.summary` adds the rows up.

Every number that is not the store's own is a prior in `ecom_models.value.priors.PRIORS` (value, 90%
range, unit, source); docs/value.md lists them with their published sources. Every lever has a
plausibility bound in `priors.BOUNDS` (largest believable share of the store's monthly net revenue):
a row above it is flagged with the assumption that drives it.

Formulas (monthly; N = orders per month, AOV = average order value, R = net revenue):

risk         (`risk_money.py`) value = min(r x N x q, capacity x 30.44) x AOV x fraud_order_value x loss_share
             r: share of orders that are fraud, a prior (10% chance of none at all, else
             log-normal) updated by the merchant's decisions (grid posterior: each decided
             order in the review queue is fraud with chance r x lift, outside it r x
             (1-q)/(1-s)); q: share of synthetic fraud caught by the review queue, measured
             on the store's own orders (Beta(caught+1, missed+1)); s: share of orders
             reviewed. Interval: 5th-95th percentile of 4,000 draws; point: their median.
recommend    extra orders = N / store_conversion x widget_share x widget_ctr x click_to_order
             x offline hit-rate gain x online_share; value = extra orders x AOV.
             online_share is the published offline-to-online transfer prior (0 to 60%).
             Low: gain at its low end, transfer 0; high: both at the high end.
forecasting  a stock policy: safety stock z x sd x sqrt(L) at service level z, reordered
             every L days. Per month, each plan costs holding (safety stock x cost share x
             holding rate / 12) plus lost profit (sd x sqrt(L) x G(z) x 30.44 / L x margin),
             G the standard normal loss function. value = (naive plan cost - model plan cost)
             x plan_share; bounded by the naive plan's own cost (the row can never exceed it).
reviews      rating gain from fixing top complaints x revenue per star + returns avoided.
images       revenue of listings with photo problems x assumed conversion gain.
abtest       visitors x exposed share x conversion today x measured relative lift x AOV.
winback      customers targeted x response rate x spend of a returning customer (`winback.py`).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from ecom_models.core.evidence import Assumption, StockEvidence, ValueEstimate
from ecom_models.intake.orders import store_figures
from ecom_models.core.formatting import format_money
from ecom_models.core.stats import finite as _finite
from ecom_models.value.priors import as_assumption, prior, prior_value, zero_lognormal
from ecom_models.value.risk_money import (  # noqa: F401 - priced by name (compute.priced)
    MIN_DECISIONS, P_NO_FRAUD, base_rate_posterior, risk_value)
from ecom_models.value.winback import winback_value  # noqa: F401 - priced by name (compute.priced)


# =========================================================================================
# Recommendations
# =========================================================================================
RECOMMEND_KEYS = ("store_conversion", "widget_share", "widget_ctr", "click_to_order", "online_share")
RECOMMEND_ASSUMPTIONS = {k: prior_value("recommendations", k) for k in RECOMMEND_KEYS}


P_NO_TRANSFER = 0.10  # prior chance that none of an offline gain shows up online


def _draws(rng, n: int, value: float, low: float, high: float):
    """Split log-normal draws with median `value` and 5% / 95% points `low` / `high`."""
    import numpy as np

    z = rng.standard_normal(n)
    lo = math.log(value / low) / 1.645 if low > 0 and value > 0 else 0.0
    hi = math.log(high / value) / 1.645 if high > 0 and value > 0 else 0.0
    return value * np.exp(np.where(z < 0, z * lo, z * hi))


def transfer_draws(rng, n: int, median: float, high: float):
    """The offline-to-online transfer: P_NO_TRANSFER at zero, else log-normal (median, 95th point)."""
    import numpy as np

    mu, sigma = zero_lognormal(max(median, 1e-6), max(high, median * 1.01), P_NO_TRANSFER)
    out = np.exp(mu + sigma * rng.standard_normal(n))
    return np.where(rng.random(n) < P_NO_TRANSFER, 0.0, np.minimum(out, 1.5))


def sample_size(baseline_rate: float, relative_mde: float) -> int | None:
    """Visitors per arm to detect a relative lift (two-sided 5%, power 80%)."""
    if not (0 < baseline_rate < 1) or not relative_mde or not math.isfinite(relative_mde):
        return None
    from ecom_models.core.stats import sample_size_per_arm
    from ecom_models.core.errors import InputError

    try:
        return int(sample_size_per_arm(baseline_rate, relative_mde))
    except InputError:
        return None


def recommendations_value(gain: dict[str, float] | None = None, *, monthly_orders: float = float("nan"),
                          order_value: float = float("nan"), currency: str = "USD", report=None, orders=None,
                          seed: int = 0, model_name: str | None = None, k: int | None = None,
                          **assumptions) -> ValueEstimate:
    """Extra revenue per month from replacing a best-seller widget with the chosen model.

    gain: the offline relative hit-rate gain over best sellers with its bootstrap interval
    ({gain, low, high, model, baseline}); or `report` (a RecommenderReport) to read it from.
    `recommendations_value(orders)` alone also works: the comparison is then run on them."""
    import pandas as pd

    if isinstance(gain, pd.DataFrame):
        orders, gain = gain, None
    if report is None and gain is None and orders is not None:
        from ecom_models import recommend as R

        report = R.build_recommender(R.interactions_from_frame(orders), k=10, include_deep=False)
    if report is not None and gain is None:
        from ecom_models import recommend as R

        te = report.test_evals
        if report.chosen in te and "popularity" in te and report.chosen != "popularity":
            gain = R.paired_gain(te[report.chosen], te["popularity"], "hit")
    if orders is not None:
        figs = store_figures(orders)
        monthly_orders = figs["monthly_orders"] if not math.isfinite(monthly_orders) else monthly_orders
        order_value = figs["order_value"] if not math.isfinite(order_value) else order_value
        currency = figs["currency"]
    a = {**RECOMMEND_ASSUMPTIONS, **{k: float(v) for k, v in assumptions.items() if v is not None and k in RECOMMEND_KEYS}}
    g = gain or {"gain": 0.0, "low": 0.0, "high": 0.0, "model": float("nan"), "baseline": float("nan")}
    visits = monthly_orders / a["store_conversion"] if a["store_conversion"] > 0 else float("nan")
    base_orders = visits * a["widget_share"] * a["widget_ctr"] * a["click_to_order"]
    p_on = prior("recommendations", "online_share")
    # the transfer prior's range scales with the merchant's own figure
    on_lo = p_on.low * a["online_share"] / p_on.value if p_on.value else p_on.low
    on_hi = min(1.0, p_on.high * a["online_share"] / p_on.value) if p_on.value else p_on.high

    def extra(rel, share):
        return base_orders * max(rel, 0.0) * share * order_value if math.isfinite(rel) else 0.0

    value = extra(g["gain"], a["online_share"])
    low = high = value
    if math.isfinite(g["gain"]) and math.isfinite(base_orders) and math.isfinite(order_value):
        # 90% range: every prior at once (split log-normal around the merchant's figure, scaled
        # like the published range), the transfer (10% chance of none) and the measured gain
        import numpy as np

        rng = np.random.default_rng(seed)
        n = 4000
        scaled = {}
        for key in ("store_conversion", "widget_share", "widget_ctr", "click_to_order"):
            p = prior("recommendations", key)
            scaled[key] = _draws(rng, n, a[key], p.low * a[key] / p.value, min(p.high * a[key] / p.value, 1.0))
        sd = (g["high"] - g["low"]) / (2 * 1.96) if math.isfinite(g["high"]) and math.isfinite(g["low"]) else 0.0
        gains = np.maximum(g["gain"] + sd * rng.standard_normal(n), 0.0)
        transfer = transfer_draws(rng, n, a["online_share"], on_hi)
        draws = (monthly_orders / scaled["store_conversion"] * scaled["widget_share"] * scaled["widget_ctr"]
                 * scaled["click_to_order"] * gains * transfer * order_value)
        low, high = (float(x) for x in np.quantile(draws, [0.05, 0.95]))
    lift_orders = base_orders * max(g["gain"], 0.0) * a["online_share"] if math.isfinite(g["gain"]) else 0.0
    conv_lift = lift_orders / monthly_orders if monthly_orders and math.isfinite(monthly_orders) else float("nan")
    n_arm = sample_size(a["store_conversion"], conv_lift) if conv_lift and math.isfinite(conv_lift) and conv_lift > 0 else None
    model_label = report.chosen if report is not None else (model_name or "the recommender")
    k = report.k if report is not None else (k or 10)
    try:
        from ecom_models.recommend import MODEL_LABELS

        model_label = MODEL_LABELS.get(model_label, model_label)
    except ImportError:
        pass
    evidence = (f"offline hit rate@{k} {g['model']:.3f} vs {g['baseline']:.3f} for best sellers "
                f"on held-out purchases ({g['gain']:+.0%}, 95% interval {g['low']:+.0%} to {g['high']:+.0%}); "
                f"{a['online_share']:.0%} of it assumed to show up online (published range "
                f"{on_lo:.0%} to {on_hi:.0%}); range: every assumption at once"
                if math.isfinite(g.get("model", float("nan"))) else "no offline comparison available")
    weeks = 2 * n_arm / (visits * 12 / 52) if n_arm and math.isfinite(visits) and visits > 0 else None
    ctr_lift = max(g["gain"], 0.0) * a["online_share"] if math.isfinite(g["gain"]) else 0.0
    n_ctr = sample_size(a["widget_ctr"], ctr_lift) if ctr_lift > 0 else None
    weeks_ctr = None
    if n_ctr and math.isfinite(visits) and visits * a["widget_share"] > 0:
        weeks_ctr = 2 * n_ctr / (visits * a["widget_share"] * 12 / 52)
    note = "Estimate from offline results, to confirm with an A/B test."
    if n_arm:
        note += (f" Measured on store conversion it needs about {n_arm:,} visitors per arm to detect the "
                 f"{conv_lift:.2%} relative lift" + (f" (about {weeks:,.0f} weeks of all your traffic)." if weeks else "."))
    if n_ctr:
        note += (f" Measured on the widget's click-through (+{ctr_lift:.0%} expected) it needs about {n_ctr:,} "
                 f"widget viewers per arm" + (f" (about {weeks_ctr:,.1f} weeks)." if weeks_ctr else "."))
    return ValueEstimate(
        model="recommendations",
        lever=f"conversion lift from '{model_label}' instead of best sellers in the 'you may also like' widget",
        monthly_value=float(value), monthly_low=float(min(low, value)), monthly_high=float(max(high, value)),
        evidence=evidence, evidence_kind="offline", currency=currency, note=note,
        assumptions=[
            Assumption("monthly_orders", "Orders per month", float(monthly_orders), "orders/month", "from your order history"),
            Assumption("order_value", "Average order value", float(order_value), currency, "from your order history"),
            *(as_assumption("recommendations", k, a[k]) for k in RECOMMEND_KEYS),
        ],
    )


# =========================================================================================
# Forecasting
# =========================================================================================
FORECAST_KEYS = ("lead_time_days", "service_level", "holding_rate", "gross_margin", "plan_share")


def forecasting_assumptions() -> list[Assumption]:
    return [as_assumption("forecasting", k) for k in FORECAST_KEYS]


def stock_policy_cost(sd_per_period: float, a: dict, periods_per_day: float = 1.0) -> dict[str, float]:
    """Monthly cost of a safety-stock policy whose forecast error spread is `sd_per_period`.

    Returns {safety_stock, holding, shortfall, total} (money per month; safety stock in the
    forecast's unit)."""
    from scipy.stats import norm

    lead = max(float(a["lead_time_days"]), 1.0)
    z = float(norm.ppf(min(max(a["service_level"], 0.5), 0.999)))
    sd_lead = sd_per_period * math.sqrt(lead * periods_per_day)
    safety = z * sd_lead
    loss_fn = float(norm.pdf(z) - z * (1 - norm.cdf(z)))  # expected shortfall per cycle, in sd units
    holding = safety * (1 - a["gross_margin"]) * a["holding_rate"] / 12
    shortfall = sd_lead * loss_fn * (30.44 / lead) * a["gross_margin"]
    return {"safety_stock": safety, "holding": holding, "shortfall": shortfall, "total": holding + shortfall}


def forecasting_value(evidence: StockEvidence | Any, unit_value: float = 1.0, assumptions: dict[str, float] | None = None,
                      currency: str = "USD", **kw) -> ValueEstimate:
    """Safety stock and lost sales avoided per month by planning with the chosen model instead of
    seasonal naive (module docstring). `evidence`: StockEvidence, or a ForecastResult."""
    if not isinstance(evidence, StockEvidence):
        from ecom_models.forecast.backtest import stock_evidence

        evidence = stock_evidence(evidence)
    a = {k: prior_value("forecasting", k) for k in FORECAST_KEYS}
    a.update({k: float(v) for k, v in {**(assumptions or {}), **kw}.items() if k in a and _finite(v)})
    used = [as_assumption("forecasting", k, a[k]) for k in FORECAST_KEYS]
    lever = "smaller safety stock and fewer stock-outs than the naive plan"
    ppd = 1.0 if evidence.periods_per_month > 10 else 1 / 7  # daily or weekly series
    ppd *= evidence.periods_per_month / 30.4 if evidence.periods_per_month > 10 else 1.0  # open days only
    naive = stock_policy_cost(evidence.sd_naive * unit_value, a, ppd)
    model = stock_policy_cost(evidence.sd_model * unit_value, a, ppd)
    per_sd = naive["total"] / evidence.sd_naive if evidence.sd_naive > 0 else 0.0  # cost is linear in sd
    share = a["plan_share"]
    if evidence.model == evidence.naive_model or evidence.sd_naive <= 0:
        return ValueEstimate("forecasting", lever, 0.0, 0.0, 0.0, "no model beat seasonal naive on held-out days",
                             "backtest", used, currency, "The simple rule is already the best plan on this data.")
    mid = (naive["total"] - model["total"]) * share
    low = per_sd * evidence.sd_diff_low * share
    high = min(per_sd * evidence.sd_diff_high * share, naive["total"] * share)
    evidence_text = (
        f"held-out error spread {evidence.sd_model:,.0f} a day for {evidence.model} vs {evidence.sd_naive:,.0f} for "
        f"seasonal naive ({evidence.held_out_days} days, {evidence.metric}; MAE {evidence.mae_model:,.0f} vs "
        f"{evidence.mae_naive:,.0f}); safety stock at {a['service_level']:.0%} service with a {a['lead_time_days']:.0f}-day "
        f"lead time: {format_money(model['safety_stock'], currency)} instead of {format_money(naive['safety_stock'], currency)}")
    note = (f"Bounded by the naive plan's own safety-stock cost, {format_money(naive['total'] * share, currency)} a month "
            f"(holding {format_money(naive['holding'], currency)} + lost profit on stock-outs "
            f"{format_money(naive['shortfall'], currency)}). Forecast of the whole store's sales: stock is bought per product, "
            "where errors are larger.")
    return ValueEstimate("forecasting", lever, float(mid), float(min(low, mid)), float(max(high, mid)), evidence_text,
                         "backtest", used, currency, note)


# =========================================================================================
# Reviews
# =========================================================================================
REVIEW_KEYS = ("fix_share", "revenue_per_star", "fixable_return_share")
REVIEW_ASSUMPTIONS: dict[str, Assumption] = {k: as_assumption("reviews", k) for k in REVIEW_KEYS}


def reviews_value(analysis=None, orders=None, assumptions: dict[str, float] | None = None, top_n: int = 2,
                  currency: str = "USD") -> ValueEstimate:
    """Monthly revenue from fixing the top complaint aspects: higher rating + fewer returns.

    rating gain = (negative reviews mentioning the top aspects x fix_share) / all scored reviews x
                  (mean rating of positive reviews - mean rating of those negative reviews);
    revenue = monthly sales x rating gain x revenue_per_star
            + monthly returned revenue x fixable_return_share x fix_share x (share of negative aspect
              mentions that are size/fit or quality).
    """
    import numpy as np
    import pandas as pd

    values = {k: a.value for k, a in REVIEW_ASSUMPTIONS.items()}
    values.update({k: float(v) for k, v in (assumptions or {}).items() if k in values})
    used = [Assumption(a.key, a.label, values[a.key], a.unit, a.help, a.low, a.high) for a in REVIEW_ASSUMPTIONS.values()]
    if analysis is None or orders is None or len(orders) == 0:
        return ValueEstimate("reviews", "higher rating and fewer returns from fixing top complaints", 0.0, 0.0, 0.0,
                             "needs reviews and orders", "assumption", used, currency,
                             "Load reviews and orders to estimate this.")
    from ecom_models.reviews.views import aspect_summary

    scored, aspects = analysis.scored, analysis.aspects
    summary = aspect_summary(scored, aspects)
    top = summary[summary["negative_mentions"] > 0].head(top_n)
    n_scored = int(scored["label"].notna().sum())
    negs = aspects[(aspects["label"] == "negative") & aspects["aspect"].isin(top["aspect"])] if len(aspects) else aspects
    affected_rows = sorted(set(negs["row"])) if len(negs) else []
    affected = scored.iloc[affected_rows]
    pos_rating = scored.loc[scored["label"] == "positive", "rating"].mean()
    neg_rating = affected["rating"].mean()
    if np.isnan(pos_rating) or np.isnan(neg_rating):  # no stars: assume 4.5 vs 2
        pos_rating, neg_rating = 4.5, 2.0

    def star_gain(fix):
        return len(affected_rows) * fix / max(n_scored, 1) * max(pos_rating - neg_rating, 0.0)

    o = orders
    months = max((o["order_date"].max() - o["order_date"].min()).days / 30.44, 1.0) if o["order_date"].notna().any() else 1.0
    last = o[o["order_date"] >= o["order_date"].max() - pd.Timedelta(days=90)] if o["order_date"].notna().any() else o
    last_months = max(min(months, 90 / 30.44), 1.0)
    if "line_type" in last:
        sales = last.loc[last["line_type"] == "sale", "revenue"].sum() / last_months
        returned = -last.loc[last["line_type"].isin(["return", "cancellation"]), "revenue"].sum() / last_months
    else:
        sales, returned = last["revenue"].clip(lower=0).sum() / last_months, 0.0
    neg_all = aspects[aspects["label"] == "negative"] if len(aspects) else aspects
    product_share = float(neg_all["aspect"].isin(["size/fit", "quality"]).mean()) if len(neg_all) else 0.0

    def value(fix, per_star, ret_share):
        return sales * star_gain(fix) * per_star + max(returned, 0.0) * ret_share * fix * product_share

    a = REVIEW_ASSUMPTIONS
    mid = value(values["fix_share"], values["revenue_per_star"], values["fixable_return_share"])
    low = value(a["fix_share"].low * values["fix_share"] / a["fix_share"].value, a["revenue_per_star"].low, a["fixable_return_share"].low)
    high = value(a["fix_share"].high * values["fix_share"] / a["fix_share"].value, a["revenue_per_star"].high, a["fixable_return_share"].high)
    evidence = (f"top complaints: {', '.join(top['aspect'])}; {len(affected_rows)} of {n_scored} reviews; "
                f"rating +{star_gain(values['fix_share']):.2f} stars if {values['fix_share']:.0%} are fixed; "
                f"sentiment model: {analysis.comparison.reason}")
    return ValueEstimate("reviews", "higher rating and fewer returns from fixing top complaints", float(mid),
                         float(min(low, mid)), float(max(high, mid)), evidence, "offline", used, currency,
                         "An estimate from your reviews and orders and published rating studies, not a measured test.")


# =========================================================================================
# Product images
# =========================================================================================
def images_value(analysis=None, orders=None, *, problem_products: list[str] | None = None,
                 conversion_gain: float | None = None, gain_low: float | None = None, gain_high: float | None = None,
                 currency: str | None = None) -> ValueEstimate:
    """Monthly revenue from fixing the photos of listings with problems.

    value = monthly revenue of the listings with photo problems (last 90 days of orders) x the
    assumed conversion gain (a prior)."""
    from ecom_models.images.analysis import listing_problems, revenue_at_stake

    p = prior("images", "conversion_gain")
    conversion_gain = p.value if conversion_gain is None else conversion_gain
    gain_low = p.low if gain_low is None else gain_low
    gain_high = p.high if gain_high is None else gain_high
    if problem_products is None:
        problem_products = listing_problems(analysis)["product_id"].tolist() if analysis is not None else []
    n_listings = int(analysis.table["product_id"].nunique()) if analysis is not None else None
    stake = revenue_at_stake(orders, problem_products)
    monthly, share = stake["monthly"], stake["share"]
    currency = currency or stake["currency"]
    evidence = (f"{len(problem_products)} listing(s)" + (f" of {n_listings}" if n_listings else "")
                + " have photo problems (quality rules, duplicates or a photo that disagrees with the category)")
    if share == share:
        evidence += f"; they bring {share:.1%} of revenue ({monthly:,.0f} a month)"
    return ValueEstimate(
        model="images", lever="more sales from fixing product photos that break marketplace rules",
        monthly_value=monthly * conversion_gain, monthly_low=monthly * gain_low, monthly_high=monthly * gain_high,
        evidence=evidence, evidence_kind="assumption",
        assumptions=[
            Assumption("conversion_gain", p.label, conversion_gain, "%", p.source, gain_low, gain_high),
            Assumption("monthly_revenue_at_stake", "Monthly revenue of listings with photo problems", monthly,
                       currency or "USD", "measured from the last 90 days of orders"),
        ],
        currency=currency or "USD",
        note="An estimate, not a measurement: test fixed photos with an A/B test to measure the real gain.",
    )


# =========================================================================================
# A/B test
# =========================================================================================
def abtest_value(result, monthly_visitors: float, average_order_value: float, metric: str | None = None,
                 variant: str | None = None, exposed_share: float = 1.0, currency: str = "USD") -> ValueEstimate:
    """Monthly value of shipping the variant, from the measured relative conversion lift.

    extra conversions / month = visitors x exposed share x control rate x relative lift;
    revenue = extra conversions x average order value. Low/high from the lift's interval."""
    from ecom_models.core.errors import InputError

    t = result.table
    conv = t[t.kind == "conversion"]
    if metric:
        conv = t[t.metric == metric]
    elif len(conv):
        conv = conv[conv.metric == conv.metric.iloc[0]]  # the first (main) conversion metric
    if conv.empty:
        raise InputError("money impact needs a conversion metric (0/1 per person).", fix="add a conversion column such as 'converted'.")
    if variant:
        conv = conv[conv.variant == variant]
    r = conv.sort_values("rel_lift", ascending=False).iloc[0]
    base = monthly_visitors * exposed_share * float(r.value_control)
    hi_rel = float(r.rel_ci_high) if math.isfinite(r.rel_ci_high) else float(r.rel_lift + (r.rel_lift - r.rel_ci_low))
    val = base * float(r.rel_lift) * average_order_value
    low = base * float(r.rel_ci_low) * average_order_value
    high = base * hi_rel * average_order_value
    return ValueEstimate(
        model="abtest",
        lever=f"ship '{r.variant}' ({r.metric})",
        monthly_value=val, monthly_low=min(low, high), monthly_high=max(low, high),
        evidence=f"measured A/B test: {r.metric} {r.value_variant:.2%} vs {r.value_control:.2%} ({r.rel_lift:+.1%}, "
                 f"{result.settings.confidence:.0%} interval {r.rel_ci_low:+.1%} to {hi_rel:+.1%}), {int(r.units_control + r.units_variant):,} people",
        evidence_kind="measured",
        assumptions=[
            Assumption("monthly_visitors", "Visitors per month", float(monthly_visitors), "visitors/month", "from the store's traffic (sessions over the last 30 days)"),
            Assumption("exposed_share", "Share of visitors who would see the change", float(exposed_share), "share", "1 = everyone", 0.0, 1.0),
            Assumption("average_order_value", "Average order value", float(average_order_value), currency, "from the store's orders"),
            Assumption("control_rate", "Conversion rate today", float(r.value_control), "share", "control group of the test"),
        ],
        currency=currency,
        note="Extra conversions = visitors x share exposed x today's rate x measured lift; each worth one average order.",
    )


def value_details(estimate: ValueEstimate) -> dict[str, Any]:
    """The estimate as a plain dict (for the CLI and the workspace)."""
    return asdict(estimate)


def support_value(evidence: dict, cost_per_hour: float | None = None, minutes_per_ticket: float | None = None,
                  tickets_per_month: float | None = None, currency: str = "USD") -> ValueEstimate:
    """Agent time saved by answering the tickets the FAQ answers right (ecom_models.support.deflection).

    monthly = tickets per month × share answered right × minutes per ticket / 60 × cost per hour.
    Low/high: the 90% intervals of the answered share and the expected precision (Wilson, widened by the
    FAQ curve's measured transfer error), both at their low or both at their high end. Evidence kind "offline": FAQ matches scored offline, not a live test.
    """
    share = float(evidence.get("share") or 0.0)
    lo, hi = float(evidence.get("share_low") or 0.0), float(evidence.get("share_high") or share)
    per_month = float(tickets_per_month if tickets_per_month is not None else evidence.get("tickets_per_month") or 0.0)
    minutes = float(minutes_per_ticket if minutes_per_ticket is not None else evidence.get("minutes_per_ticket")
                    or prior_value("support", "minutes_per_ticket"))
    cost = float(cost_per_hour if cost_per_hour is not None else evidence.get("cost_per_hour")
                 or prior_value("support", "cost_per_hour"))
    per_share = per_month * minutes / 60 * cost
    return ValueEstimate(
        model="support",
        lever="answer repetitive tickets with the FAQ",
        monthly_value=share * per_share, monthly_low=lo * per_share, monthly_high=hi * per_share,
        evidence=str(evidence.get("evidence") or "FAQ matches held out"),
        evidence_kind="offline",
        assumptions=[
            Assumption("tickets_per_month", "Tickets per month", per_month, "tickets/month", "from the dates in your support file"),
            Assumption("minutes_per_ticket", "Agent minutes per ticket", minutes, "minutes",
                       str(evidence.get("minutes_source") or prior("support", "minutes_per_ticket").source), 4.0, 15.0),
            Assumption("cost_per_hour", "Agent cost per hour", cost, currency, prior("support", "cost_per_hour").source,
                       15.0, 45.0),
        ],
        currency=currency,
        note=(f"{share:.1%} of tickets answered right by the FAQ (answered share × expected precision); "
              "the A/B test on the Customer service page would confirm it."),
    )
