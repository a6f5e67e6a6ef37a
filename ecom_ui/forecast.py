"""What the Forecast & what-if page draws, and the Streamlit caching around the forecast library.

The forecast itself is kept in the results store (ecom_models.forecast.pipeline), filled by a
background run that the Data page may already have started; `kept_forecast` shows that run's
progress and stops the page until the result is there. A product's stock forecast and the what-if
model are fitted in worker processes too (one run per key for every session); the page draws the
rest meanwhile. Series are cached per process (st.cache_data), keyed on the data's content hash
and the settings. The charts and tables
below only shape and word what the library returns.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.forecast import MODEL_HELP, ForecastResult, InventoryPlan, ScenarioResult, SeriesData, WhatIf, build_series
from ecom_models.forecast import pipeline as P
from ecom_models.workspace import runs
from ecom_ui import jobs
from ecom_ui.common import money, number, pct, results, workspace

METRIC_WORDS = {"revenue": "revenue", "orders": "orders", "units": "units sold"}
BY_LABELS = {None: "Whole store", "product_id": "One product", "product_name": "One product (by name)",
             "category": "One category", "country": "One country", "channel": "One channel"}


def fmt(metric: str, value: float) -> str:
    return money(value) if metric == "revenue" else number(value)


# -- cached work ------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def series(key: str, _orders: pd.DataFrame, metric: str, by: str | None, traffic_key: str,
           _traffic: pd.DataFrame | None, max_series: int | None = None) -> SeriesData:
    return build_series(_orders, metric, by=by, traffic=_traffic, max_series=max_series)


@st.cache_resource(show_spinner=False, max_entries=16)
def _decoded(key: str, _doc) -> ForecastResult:
    return P.forecast_from_doc(_doc)


def kept_forecast(data_key: str, traffic_key: str, metric: str, by: str | None, series_key: str | None, horizon: int,
                  country: str | None, series_obj: SeriesData) -> ForecastResult:
    """The kept forecast for these settings; while it is being computed (in the background,
    maybe started by the Data page), the page shows the progress and stops."""
    parts = P.forecast_key(data_key, traffic_key, metric, by, series_key, horizon, country, True)
    key = P.forecast_result_key(parts)
    store = results()

    doc = P.stored_forecast_doc(store, parts)
    if doc is None:
        # in a worker process: the backtests are Python-heavy and would slow every session's pages
        work = P.forecast_task(store.ws, parts, series_obj, horizon, series_key, country, True)
        run = jobs.ensure(key, "Forecast", work, group=parts[0], ready=lambda: P.forecast_ready(store, parts))
        doc = P.stored_forecast_doc(store, parts)  # inline runs (page tests) have finished by now
        if doc is None:
            if run.status != runs.FAILED:
                st.info("Checking every model on past weeks it did not see, then forecasting with the winner "
                        "(first time for these settings only; the result is kept in your workspace).",
                        icon=":material/hourglass_top:")
            jobs.follow(run)
            st.stop()
    return _decoded(key, doc)


def product_forecast(data_key: str, traffic_key: str, units_by_product: SeriesData, product: str, horizon: int,
                     country: str | None) -> ForecastResult | None:
    """One product's units forecast (no Prophet tuning: it runs while the merchant waits), kept;
    None while a worker process makes it (its progress is shown)."""
    parts = P.forecast_key(data_key, traffic_key, "units", "product_id", product, horizon, country, False)
    key = P.forecast_result_key(parts)
    store = results()
    doc = P.stored_forecast_doc(store, parts)
    if doc is None:
        work = P.forecast_task(store.ws, parts, units_by_product, horizon, product, country, False)
        run = jobs.ensure(key, "Product forecast", work, group=data_key, ready=lambda: P.forecast_ready(store, parts))
        doc = P.stored_forecast_doc(store, parts)  # inline runs (page tests) have finished by now
        if doc is None:
            jobs.follow(run)
            return None
    return _decoded(key, doc)


@st.cache_resource(show_spinner=False)
def _whatif_memory() -> dict:
    """Fitted what-if models of the last few settings, shared by every session."""
    return {}


def fitted_whatif(data_key: str, traffic_key: str, units_series: SeriesData, by: str | None, series_key: str | None,
                  country: str | None, use_spend: bool, cps: float, horizon: int) -> WhatIf | None:
    """The what-if model for these settings, fitted once in a worker process for every session;
    None while it is being fitted (its progress is shown) or if it failed (the message is shown)."""
    key = P.whatif_key(data_key, traffic_key, by, series_key, country, use_spend, cps)
    mem = _whatif_memory()
    if key in mem:
        return mem[key]

    def ready() -> bool:
        current = runs.get(key)
        return current is not None and current.has_value

    run = jobs.ensure(key, "What-if model", P.whatif_task(units_series, series_key, country, use_spend, cps, horizon),
                      group=data_key, ready=ready)
    if run.status == runs.DONE and run.has_value:
        while len(mem) >= 4:
            mem.pop(next(iter(mem)))
        mem[key] = run.value
        return run.value
    if run.status != runs.FAILED:
        st.caption("Learning how price and promotions move your sales (once for these settings)…")
    jobs.follow(run)
    return None


# -- drawing ------------------------------------------------------------------------------------
def total_metrics(result: ForecastResult, metric: str, horizon: int) -> None:
    total, low, high = result.total_range()
    past_total = result.previous_total()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"Next {horizon} days: {METRIC_WORDS[metric]}", fmt(metric, total),
              help="The forecast added up over the coming days, from the model that was most accurate on past weeks.")
    c2.metric("Likely range (80%): low", fmt(metric, low),
              help="In about 8 of 10 cases the real total lands between this and the high end (daily uncertainties combined).")
    c3.metric("Likely range (80%): high", fmt(metric, high),
              help="In about 8 of 10 cases the real total lands between the low end and this.")
    c4.metric(f"The {horizon} days just before", fmt(metric, past_total),
              delta=pct(total / past_total - 1, signed=True) if past_total > 0 else None,
              help=f"What you actually sold in the last {horizon} days, to compare with the forecast.")


def forecast_chart(result: ForecastResult, metric: str) -> go.Figure:
    """The last eight weeks as sold, then the forecast with its 80% range."""
    fc, hist_tail = result.forecast, result.history.tail(56)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=hist_tail["ds"], y=hist_tail["y_raw"], name="Actual", mode="lines",
                             line=dict(color="#444")))
    fig.add_trace(go.Scatter(x=pd.concat([fc["ds"], fc["ds"][::-1]]), y=pd.concat([fc["yhat_upper"], fc["yhat_lower"][::-1]]),
                             fill="toself", fillcolor="rgba(31,119,180,0.2)", line=dict(width=0), name="80% range",
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=fc["ds"], y=fc["yhat"], name=f"Forecast ({result.chosen})", mode="lines",
                             line=dict(color="#1f77b4")))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), yaxis_title=METRIC_WORDS[metric].capitalize(),
                      legend=dict(orientation="h", y=1.1))
    return fig


def leaderboard_table(board: pd.DataFrame, metric: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Model": [m + ("  ✓ used" if c else "") for m, c in zip(board["model"], board["chosen"])],
        "Typical daily error": [fmt(metric, v) for v in board["mae"]],
        "Error in %": [pct(v / 2) for v in board["smape"]],
        "Error vs 'same day last week'": [f"{v:.2f}×" for v in board["mase"]],
        "Inside the 80% range": [pct(v, 0) for v in board["coverage"]],
        "What it is": [MODEL_HELP.get(m, "") for m in board["model"]],
    })


def tuning_table(tuning: pd.DataFrame) -> pd.DataFrame:
    return tuning.rename(columns={"changepoint_prior_scale": "trend flexibility", "seasonality_prior_scale": "pattern strength",
                                  "mode": "effects", "mae": "typical daily error"})


def effect_metrics(effects: pd.DataFrame) -> None:
    """Price elasticity and promotion lift, with their 80% ranges, in numbers and in plain words."""
    if not len(effects):
        return
    e1, e2 = st.columns(2)
    for col, row in zip((e1, e2), effects.to_dict("records")):
        if row["driver"] == "price elasticity":
            col.metric("Price elasticity", f"{row['estimate']:.2f}",
                       help=f"{row['meaning']}. 80% range {row['low']:.2f} to {row['high']:.2f}. "
                            "-1 means revenue stays flat when prices change.")
        elif row["driver"] == "promotion lift":
            col.metric("Promotion lift", pct(row["estimate"], signed=True),
                       help=f"{row['meaning']}. 80% range {pct(row['low'], signed=True)} to {pct(row['high'], signed=True)}.")
    words = [row["meaning"] + f" (80% range {row['low']:.2f} to {row['high']:.2f})" if row["driver"] == "price elasticity"
             else row["meaning"] + f" (80% range {pct(row['low'], signed=True)} to {pct(row['high'], signed=True)})"
             for row in effects.to_dict("records") if row["driver"] in ("price elasticity", "promotion lift")]
    if words:
        st.caption("In plain words: " + "; ".join(words) + ".")


def scenario_outcome(sres: ScenarioResult, horizon: int) -> None:
    """A scenario against no change: units, revenue, implied elasticity and the daily chart."""
    t = sres.totals
    for w in sres.warnings:
        st.warning(w, icon="⚠️")
    m1, m2, m3 = st.columns(3)
    m1.metric("Units vs no change", f"{t['units_diff']:+,.0f}",
              help=f"Extra units sold over the {horizon} days compared with today's prices and no promotion. "
                   f"80% range {t['units_diff_low']:+,.0f} to {t['units_diff_high']:+,.0f}.")
    m2.metric("Revenue vs no change", ("+" if t["revenue_diff"] >= 0 else "") + money(t["revenue_diff"]),
              help=f"At the new prices (and the promotion discount). 80% range {money(t['revenue_diff_low'])} "
                   f"to {money(t['revenue_diff_high'])}.")
    implied = t["implied_elasticity"]
    m3.metric("Implied price elasticity", "–" if implied is None or not math.isfinite(implied) else f"{implied:.2f}",
              help="% change in units for a 1% price change, from this scenario alone (only for a pure price change).")
    st.caption(f"80% range for the units: {t['units_diff_low']:+,.0f} to {t['units_diff_high']:+,.0f}; "
               f"for revenue: {money(t['revenue_diff_low'])} to {money(t['revenue_diff_high'])}.")
    d = sres.daily
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d["ds"], y=d["base"], name="No change", line=dict(color="#888")))
    fig.add_trace(go.Scatter(x=pd.concat([d["ds"], d["ds"][::-1]]),
                             y=pd.concat([d["base"] + d["diff_upper"], (d["base"] + d["diff_lower"])[::-1]]),
                             fill="toself", fillcolor="rgba(214,39,40,0.15)", line=dict(width=0),
                             name="80% range of the effect", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=d["ds"], y=d["scenario"], name=sres.scenario.name, line=dict(color="#d62728")))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="Units per day",
                      legend=dict(orientation="h", y=1.1))
    st.plotly_chart(fig, width="stretch")


def scenarios_table(cmp: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Scenario": cmp["scenario"],
        "Units": cmp["units"].map(lambda v: f"{v:,.0f}"),
        "Units vs no change (80% range)": [f"{a:+,.0f} ({b:+,.0f} to {c:+,.0f})" for a, b, c in
                                           zip(cmp["units_vs_baseline"], cmp["units_low"], cmp["units_high"])],
        "Revenue": cmp["revenue"].map(money),
        "Revenue vs no change (80% range)": [f"{money(a)} ({money(b)} to {money(c)})" for a, b, c in
                                             zip(cmp["revenue_vs_baseline"], cmp["revenue_low"], cmp["revenue_high"])],
    })


def many_table(view: pd.DataFrame, by: str, metric: str, horizon: int) -> pd.DataFrame:
    return pd.DataFrame({
        by: view["key"], "Model used": view["chosen"],
        f"Next {horizon} days": view["forecast_total"].map(lambda v: fmt(metric, v)),
        "Typical daily error": view["mae_chosen"].map(lambda v: fmt(metric, v)),
        "Error of 'same day last week'": view["mae_seasonal_naive"].map(lambda v: fmt(metric, v)),
        "Problem": view["error"].fillna(""),
    })


def plan_metrics(plan: InventoryPlan, chosen: str) -> None:
    j1, j2, j3 = st.columns(3)
    j1.metric("Expected sales in the delivery time", f"{plan.demand:,.0f} units",
              help=f"Forecast units over the next {plan.lead_time_days} days ({chosen}).")
    j2.metric("Safety stock", f"{plan.safety_stock:,.0f} units",
              help="Extra stock to cover a busier than expected period at the chosen service level.")
    j3.metric("Reorder point", f"{plan.reorder_point:,.0f} units",
              help="Order from your supplier when stock on hand falls to this level.")
    st.text(plan.explain())
    if plan.calibration > 1.01:
        st.caption(f"The forecast ranges were too narrow on past weeks, so the safety stock was widened by "
                   f"{plan.calibration - 1:.0%}.")


def assumption_inputs(assumptions) -> dict[str, float]:
    """One number input per valuation assumption (percentages shown as %), keyed by assumption."""
    values = {}
    for a in assumptions:
        if a.unit == "%":
            values[a.key] = st.number_input(f"{a.label} (%)", 0.0, 100.0, a.value * 100, step=5.0, key=f"fc_val_{a.key}",
                                            help=a.help) / 100
        else:
            values[a.key] = st.number_input(f"{a.label} ({a.unit})", 1.0, 365.0, a.value, step=1.0, key=f"fc_val_{a.key}",
                                            help=a.help)
    return values


def keep_estimate(estimate, is_demo: bool) -> None:
    """Keep the whole-store estimate for the Business value page, which adds it up with the other
    models' estimates ("forecast.value" is persisted: the string never changes). An estimate made
    on the demo store never replaces the merchant's own."""
    from ecom_models.value.settings import save_page_estimate

    try:
        save_page_estimate(workspace(), "forecast.value", estimate, is_demo=is_demo)
    except Exception:  # noqa: BLE001 - the estimate is still shown; saving it is a convenience
        pass
