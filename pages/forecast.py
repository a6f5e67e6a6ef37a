"""Forecast & what-if: next weeks' sales with honest intervals, which model wins on held-out
weeks, what a price change or promotion would do, every product at once, and reorder points."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import datetime as dt
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.forecast import models as F
from ecom_models.forecast import pipeline as P
from ecom_models.workspace.results import dataclass_from_doc
from ecom_models.workspace import runs
from ecom_models.value import valuation as VAL
from ecom_models.core.errors import InputError
from ecom_models.core.safe_export import csv_bytes
from ecom_ui import jobs
from ecom_ui.common import (
    active_data,
    guarded,
    money,
    number,
    page_header,
    pct,
    require_data,
    results,
    show_input_error,
    workspace,
)

page_header("Forecast & what-if", "How much you will sell in the coming weeks, how sure we are, and what a price "
            "change, a promotion or a sale day would change. Every model is checked on past weeks it did not see.")

COUNTRIES = ["US", "GB", "DE", "FR", "NL", "ES", "IT", "CA", "AU", "IE", "BE", "AT", "CH", "SE", "DK", "NO", "PL", "JP"]
METRIC_WORDS = {"revenue": "revenue", "orders": "orders", "units": "units sold"}


# -- cached work ------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def _series(key: str, _orders: pd.DataFrame, metric: str, by: str | None, traffic_key: str,
            _traffic: pd.DataFrame | None, max_series: int | None = None) -> F.SeriesData:
    return F.build_series(_orders, metric, by=by, traffic=_traffic, max_series=max_series)


@st.cache_resource(show_spinner=False, max_entries=16)
def _decoded(key: str, _doc) -> F.ForecastResult:
    return dataclass_from_doc(F.ForecastResult, _doc)


def _forecast(parts: list, series_obj: F.SeriesData, series_key: str | None, horizon: int, country: str | None,
              tune: bool = True) -> F.ForecastResult:
    """The kept forecast for these settings; while it is being computed (in the background,
    maybe started by the Data page), the page shows the progress and stops."""
    key = P.forecast_result_key(parts)
    store = results()

    def work(run):
        P.forecast(store, parts, series_obj, horizon, series_key, country, tune, run=run)

    doc = store.get("forecast.result", key)
    if doc is None:
        run = jobs.ensure(key, "Forecast", work, group=parts[0], ready=lambda: store.has("forecast.result", key))
        doc = store.get("forecast.result", key)  # inline runs (page tests) have finished by now
        if doc is None:
            if run.status != runs.FAILED:
                st.info("Checking every model on past weeks it did not see, then forecasting with the winner "
                        "(first time for these settings only; the result is kept in your workspace).",
                        icon=":material/hourglass_top:")
            jobs.follow(run)
            st.stop()
    return _decoded(key, doc)


@st.cache_resource(show_spinner="Learning how price and promotions move your sales…", max_entries=4)
def _whatif(key: str, _series_obj: F.SeriesData, series_key: str | None, country: str | None, use_spend: bool,
            cps: float) -> F.WhatIf:
    return F.WhatIf(country=country, changepoint_prior_scale=cps, use_spend=use_spend).fit(_series_obj, series_key)


def _fmt(metric: str, value: float) -> str:
    return money(value) if metric == "revenue" else number(value)


def _total_range(fc: pd.DataFrame) -> tuple[float, float, float]:
    """Total over the horizon with an 80% range (daily spreads combined as if independent)."""
    sd = ((fc["yhat_upper"] - fc["yhat_lower"]) / (2 * F.Z80)) ** 2
    total = float(fc["yhat"].sum())
    half = F.Z80 * math.sqrt(float(sd.sum()))
    return total, max(total - half, 0.0), total + half


# -- data ---------------------------------------------------------------------------------------
data = require_data("orders", "(order lines with a date, and quantity or revenue)")
orders = data.df
traffic_data = active_data("traffic")
traffic = traffic_data.df if traffic_data is not None else None
traffic_key = traffic_data.key if traffic_data is not None else "none"

with st.sidebar:
    st.subheader("Forecast settings")
    metric = st.radio("What to forecast", list(METRIC_WORDS), format_func=lambda m: METRIC_WORDS[m].capitalize(),
                      key="fc_metric", help="Revenue is net of same-day cancellations; units are items sold; orders count checkouts.")
    by_options = [None] + [c for c in F.BY_COLUMNS if c in orders.columns and orders[c].notna().any()]
    by_labels = {None: "Whole store", "product_id": "One product", "product_name": "One product (by name)",
                 "category": "One category", "country": "One country", "channel": "One channel"}
    by = st.selectbox("For", by_options, format_func=lambda b: by_labels.get(b, b), key="fc_by",
                      help="Forecast the whole store, or one product, category, country or channel.")
    horizon = st.slider("Days ahead", 7, 120, 28, step=7, key="fc_horizon",
                        help="How far ahead to forecast. The models are checked on past windows of the same length.")
    default_country = F.main_country(orders)
    country_options = ["(no holidays)"] + sorted(set(COUNTRIES) | set(F.supported_countries()))
    country_label = st.selectbox("Public holidays of", country_options,
                                 index=country_options.index(default_country) if default_country else 0, key="fc_country",
                                 help="Prophet learns how your sales change on this country's public holidays. "
                                      "Black Friday, Cyber Monday and Christmas Eve are always included.")
    country = None if country_label.startswith("(") else country_label

series_key = None
if by is not None:
    all_series = guarded(_series, data.key, orders, metric, by, traffic_key, traffic, 200)
    if all_series is None:
        st.stop()
    series_key = st.selectbox(f"Which {by_labels[by].split(' ', 1)[1]}", all_series.keys, key="fc_series_key",
                              help="Largest first.")
    series = all_series
else:
    series = guarded(_series, data.key, orders, metric, None, traffic_key, traffic)
    if series is None:
        st.stop()

result = _forecast(P.forecast_key(data.key, traffic_key, metric, by, series_key, horizon, country, True), series,
                   series_key, horizon, country)

# -- forecast -----------------------------------------------------------------------------------
st.header("Your forecast")
fc = result.forecast
total, low, high = _total_range(fc)
hist_tail = result.history.tail(56)
past_total = float(result.history["y_raw"].tail(horizon).sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric(f"Next {horizon} days: {METRIC_WORDS[metric]}", _fmt(metric, total),
          help="The forecast added up over the coming days, from the model that was most accurate on past weeks.")
c2.metric("Likely range (80%): low", _fmt(metric, low),
          help="In about 8 of 10 cases the real total lands between this and the high end (daily uncertainties combined).")
c3.metric("Likely range (80%): high", _fmt(metric, high),
          help="In about 8 of 10 cases the real total lands between the low end and this.")
c4.metric(f"The {horizon} days just before", _fmt(metric, past_total),
          delta=pct(total / past_total - 1, signed=True) if past_total > 0 else None,
          help=f"What you actually sold in the last {horizon} days, to compare with the forecast.")

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
st.plotly_chart(fig, width="stretch")
with st.expander("How we prepared your data"):
    for note in result.notes or ["Nothing unusual: every day was used as it is."]:
        st.text("• " + note)

# -- leaderboard --------------------------------------------------------------------------------
st.header("Which model wins")
st.markdown(result.verdict())
board = result.leaderboard
n_days = int(board["n"].iloc[0])
st.caption(f"Each model forecast {horizon}-day windows it had not seen (the last {len(result.backtest['fold'].unique())} "
           f"windows of your history, {n_days} trading days in all) and we compared with what really happened. "
           "Prophet's settings were tuned on an earlier window, so this comparison is fair.")
show = pd.DataFrame({
    "Model": [m + ("  ✓ used" if c else "") for m, c in zip(board["model"], board["chosen"])],
    "Typical daily error": [_fmt(metric, v) for v in board["mae"]],
    "Error in %": [pct(v / 2) for v in board["smape"]],
    "Error vs 'same day last week'": [f"{v:.2f}×" for v in board["mase"]],
    "Inside the 80% range": [pct(v, 0) for v in board["coverage"]],
    "What it is": [F.MODEL_HELP.get(m, "") for m in board["model"]],
})
st.dataframe(show, hide_index=True, width="stretch")
st.caption("Typical daily error = mean absolute error (MAE). Error in % = symmetric percentage error (sMAPE/2). "
           "Error vs 'same day last week' = MASE: below 1 beats the naive rule on its own history. The 80% range "
           "should hold the real value about 80% of the time.")
if len(result.tuning):
    with st.expander("Prophet's tuning on the earlier window"):
        t = result.tuning.rename(columns={"changepoint_prior_scale": "trend flexibility",
                                          "seasonality_prior_scale": "pattern strength", "mode": "effects",
                                          "mae": "typical daily error"})
        st.dataframe(t, hide_index=True, width="stretch")

# -- what-if ------------------------------------------------------------------------------------
st.header("What if…")
st.caption("Plan a price change, a promotion, a sale day or a closure and see what it does to units sold and "
           "revenue. Price and promotion effects are learned from your own past price changes and promotions, "
           "by comparing each day with the same weekday one and two weeks earlier.")
units_series = series if metric == "units" else guarded(_series, data.key, orders, "units", by, traffic_key, traffic,
                                                          200 if by else None)
has_spend = traffic is not None and "ad_spend" in getattr(traffic, "columns", [])
use_spend = st.checkbox("Include marketing spend as a driver", value=False, disabled=not has_spend, key="fc_use_spend",
                        help="Uses daily ad spend from your traffic data. If spend always rises during promotions, "
                             "the two effects are hard to tell apart, so this is off by default.")
whatif = None
if units_series is not None:
    try:
        whatif = _whatif(data.key + traffic_key, units_series, series_key, country, use_spend,
                         float(result.prophet_params.get("changepoint_prior_scale", 0.05)))
    except InputError as exc:
        show_input_error(exc)
if whatif is not None:
    effects = whatif.effects()
    if len(effects):
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
    start = fc["ds"].min().date()
    end = fc["ds"].max().date()
    with st.form("fc_scenario_form"):
        name = st.text_input("Scenario name", value="My plan", max_chars=60, key="fc_sc_name")
        price = st.slider("Price change for the whole period (%)", -30, 30, 0, key="fc_sc_price",
                          help="Applied to list prices from the first forecast day. Negative = cheaper.")
        promo_on = st.checkbox("Run a promotion", key="fc_sc_promo_on",
                               help="Like your past promotions (same kind of discount).")
        promo_dates = st.date_input("Promotion dates", value=(start + dt.timedelta(days=7), start + dt.timedelta(days=13)),
                                    min_value=start, max_value=end, key="fc_sc_promo")
        event_on = st.checkbox("Add a sale day like Black Friday", key="fc_sc_event_on",
                               help="Uses the Black Friday effect learned from your history.")
        event_day = st.date_input("Sale day", value=start + dt.timedelta(days=3), min_value=start, max_value=end,
                                  key="fc_sc_event")
        closed_on = st.checkbox("Close the shop one day", key="fc_sc_closed_on")
        closed_day = st.date_input("Closed on", value=start + dt.timedelta(days=1), min_value=start, max_value=end,
                                   key="fc_sc_closed")
        spend = st.slider("Marketing spend change (%)", -50, 100, 0, key="fc_sc_spend", disabled=not use_spend,
                          help="Only with 'Include marketing spend as a driver'.")
        submitted = st.form_submit_button("Show scenario")
    periods = []
    if promo_on and isinstance(promo_dates, (tuple, list)) and len(promo_dates) == 2:
        periods = [(str(promo_dates[0]), str(promo_dates[1]))]
    scenario = F.Scenario(name=name.strip() or "My plan", price_change=price / 100, promo_periods=periods,
                          spend_change=spend / 100 if use_spend else 0.0,
                          events=[str(event_day)] if event_on else [], closed=[str(closed_day)] if closed_on else [])
    empty_plan = not (scenario.price_change or scenario.promo_periods or scenario.spend_change or scenario.events
                      or scenario.closed)
    sres = None
    if empty_plan:
        st.info("Set a price change, a promotion, a sale day or a closure above and press **Show scenario**.", icon="💡")
    else:
        sres = guarded(whatif.run, scenario, horizon)
    if sres is not None:
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
        fig2 = go.Figure()
        fig2.add_trace(go.Scatter(x=d["ds"], y=d["base"], name="No change", line=dict(color="#888")))
        fig2.add_trace(go.Scatter(x=pd.concat([d["ds"], d["ds"][::-1]]),
                                  y=pd.concat([d["base"] + d["diff_upper"], (d["base"] + d["diff_lower"])[::-1]]),
                                  fill="toself", fillcolor="rgba(214,39,40,0.15)", line=dict(width=0),
                                  name="80% range of the effect", hoverinfo="skip"))
        fig2.add_trace(go.Scatter(x=d["ds"], y=d["scenario"], name=scenario.name, line=dict(color="#d62728")))
        fig2.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="Units per day",
                           legend=dict(orientation="h", y=1.1))
        st.plotly_chart(fig2, width="stretch")
        ws = workspace()
        if st.button("Save this scenario", key="fc_save"):
            try:
                F.save_scenario(ws, scenario, t)
                st.success(f"Saved '{scenario.name}'.")
            except InputError as exc:
                show_input_error(exc)
        st.download_button("Download this scenario (CSV)", csv_bytes(d),
                           file_name="scenario.csv", mime="text/csv", key="fc_dl_scenario")
    ws = workspace()
    saved = F.saved_scenarios(ws)
    if saved:
        st.subheader("Saved scenarios side by side")
        st.caption(f"Each saved plan applied to the current forecast ({horizon} days from {start}).")
        runs = [r for r in (guarded(whatif.run, sc, horizon) for sc in saved.values()) if r is not None]
        if runs:
            cmp = F.compare_scenarios(runs)
            st.dataframe(pd.DataFrame({
                "Scenario": cmp["scenario"],
                "Units": cmp["units"].map(lambda v: f"{v:,.0f}"),
                "Units vs no change (80% range)": [f"{a:+,.0f} ({b:+,.0f} to {c:+,.0f})" for a, b, c in
                                                   zip(cmp["units_vs_baseline"], cmp["units_low"], cmp["units_high"])],
                "Revenue": cmp["revenue"].map(money),
                "Revenue vs no change (80% range)": [f"{money(a)} ({money(b)} to {money(c)})" for a, b, c in
                                                     zip(cmp["revenue_vs_baseline"], cmp["revenue_low"], cmp["revenue_high"])],
            }), hide_index=True, width="stretch")
        drop = st.selectbox("Delete a saved scenario", ["(keep all)"] + list(saved), key="fc_delete_pick")
        if drop != "(keep all)" and st.button("Delete", key="fc_delete"):
            F.delete_scenario(ws, drop)
            st.rerun()

# -- many series --------------------------------------------------------------------------------
st.header("Every product or category at once")
st.caption("Forecasts each series with the model that wins on its own last held-out window, in parallel on this "
           "computer's cores (or on a Dask cluster when ECOM_DASK_SCHEDULER is set). Results are kept in your workspace.")
many_cols = [c for c in ("category", "product_id", "country", "channel") if c in orders.columns and orders[c].notna().any()]
if many_cols:
    mc1, mc2 = st.columns(2)
    many_by = mc1.selectbox("Split by", many_cols, key="fc_many_by")
    many_max = mc2.slider("At most this many series (largest first)", 5, 200, 30, key="fc_many_max",
                          help="Each series takes about a second per core.")
    ws = workspace()
    store_key = f"{data.key}:{metric}:{many_by}:{horizon}:{many_max}"
    if st.button("Forecast them all", key="fc_many_go"):
        many_series = guarded(_series, data.key, orders, metric, many_by, traffic_key, traffic, many_max)
        if many_series is not None:
            bar = st.progress(0.0, text="Starting…")
            many = guarded(F.forecast_many, many_series, horizon, country=country,
                           progress=lambda f, msg: bar.progress(f, text=msg))
            bar.empty()
            if many is not None:
                ws.put_frame("forecast.many", store_key, many.forecast)
                ws.put_frame("forecast.many_summary", store_key, many.summary)
                st.caption(f"Done in {many.seconds:.0f} s ({many.backend}).")
    stored = ws.get_frame("forecast.many_summary", store_key)
    stored_fc = ws.get_frame("forecast.many", store_key)
    if stored is not None and stored_fc is not None:
        totals = stored_fc.groupby("key", sort=False)["yhat"].sum().rename("forecast_total")
        view = stored.merge(totals, left_on="key", right_index=True, how="left")
        beats = int((view["mae_chosen"] < view["mae_seasonal_naive"]).sum())
        st.markdown(f"A model beat 'same weekday last week' on {beats} of {len(view)} series; the others use that rule.")
        st.dataframe(pd.DataFrame({
            many_by: view["key"], "Model used": view["chosen"],
            f"Next {horizon} days": view["forecast_total"].map(lambda v: _fmt(metric, v)),
            "Typical daily error": view["mae_chosen"].map(lambda v: _fmt(metric, v)),
            "Error of 'same day last week'": view["mae_seasonal_naive"].map(lambda v: _fmt(metric, v)),
            "Problem": view["error"].fillna(""),
        }), hide_index=True, width="stretch")
        st.download_button("Download all forecasts (CSV)", csv_bytes(stored_fc),
                           file_name="forecasts_by_series.csv", mime="text/csv", key="fc_dl_many")

# -- inventory ----------------------------------------------------------------------------------
st.header("Stock: when to reorder")
if "product_id" in orders.columns:
    prod_series = guarded(_series, data.key, orders, "units", "product_id", traffic_key, traffic, 50)
    if prod_series is not None:
        i1, i2, i3 = st.columns(3)
        names = {}
        if "product_name" in orders.columns:
            pn = orders[["product_id", "product_name"]].dropna().drop_duplicates("product_id")
            names = dict(zip(pn["product_id"].astype(str), pn["product_name"].astype(str)))
        product = i1.selectbox("Product", prod_series.keys, key="fc_inv_product", help="Best sellers first.",
                               format_func=lambda k: f"{names[k]} ({k})" if k in names else k)
        lead = i2.slider("Delivery time from your supplier (days)", 1, 60, 14, key="fc_inv_lead",
                         help="Days between placing an order with your supplier and the stock arriving.")
        service = i3.select_slider("How often you want to avoid running out", [0.8, 0.9, 0.95, 0.98, 0.99], value=0.95,
                                   format_func=lambda v: f"{v:.0%}", key="fc_inv_service",
                                   help="Service level: the share of reorder cycles without a stock-out.")
        inv_h = max(lead, 28)
        try:
            with st.spinner("Forecasting this product…"):
                inv_res = P.forecast(results(), P.forecast_key(data.key, traffic_key, "units", "product_id", product, inv_h,
                                                               country, False), prod_series, inv_h, product, country, False)
            plan = F.inventory_plan(inv_res, lead, service)
            j1, j2, j3 = st.columns(3)
            j1.metric("Expected sales in the delivery time", f"{plan.demand:,.0f} units",
                      help=f"Forecast units over the next {lead} days ({inv_res.chosen}).")
            j2.metric("Safety stock", f"{plan.safety_stock:,.0f} units",
                      help="Extra stock to cover a busier than expected period at the chosen service level.")
            j3.metric("Reorder point", f"{plan.reorder_point:,.0f} units",
                      help="Order from your supplier when stock on hand falls to this level.")
            st.text(plan.explain())
            if plan.calibration > 1.01:
                st.caption(f"The forecast ranges were too narrow on past weeks, so the safety stock was widened by "
                           f"{plan.calibration - 1:.0%}.")
        except InputError as exc:
            show_input_error(exc)

# -- value --------------------------------------------------------------------------------------
st.header("What it could be worth")
with st.expander("Assumptions (edit to match your business)"):
    values = {}
    for a in VAL.forecasting_assumptions():
        if a.unit == "%":
            values[a.key] = st.number_input(f"{a.label} (%)", 0.0, 100.0, a.value * 100, step=5.0, key=f"fc_val_{a.key}",
                                            help=a.help) / 100
        else:
            values[a.key] = st.number_input(f"{a.label} ({a.unit})", 1.0, 365.0, a.value, step=1.0, key=f"fc_val_{a.key}",
                                            help=a.help)
unit_value = series.unit_value if metric != "revenue" else 1.0
est = VAL.forecasting_value(result, unit_value=unit_value if math.isfinite(unit_value) else 1.0, assumptions=values,
                       currency=series.currency)
v1, v2 = st.columns(2)
v1.metric("Stock costs avoided per month (estimate)", money(est.monthly_value),
          help="Planning stock with the chosen model instead of 'same weekday last week': a smaller error spread on "
               "held-out days needs less safety stock for the same service level (less holding cost) and runs out "
               "less often (less lost profit).")
v2.metric("Range (90%)", f"{money(est.monthly_low)} – {money(est.monthly_high)}",
          help="Resampling the held-out days: how much the estimate could move.")
st.caption(f"Evidence: {est.evidence}. {est.note}")
if by is None:
    # the Business value page adds this up with the other models' estimates
    try:
        from dataclasses import asdict

        from ecom_models.core.jsonio import dumps

        doc = asdict(est)
        saved_doc = workspace().get("forecast.value", "latest")
        if (not data.is_demo or saved_doc is None) and (saved_doc is None or dumps(saved_doc) != dumps(doc)):
            workspace().put("forecast.value", "latest", doc)
    except Exception:  # the estimate is still shown; saving it is a convenience
        pass

# -- export -------------------------------------------------------------------------------------
st.header("Export")
out = fc.rename(columns={"ds": "date"}).assign(model=result.chosen, metric=metric)
st.download_button("Download the forecast (CSV)", csv_bytes(out), file_name="forecast.csv",
                   mime="text/csv", key="fc_dl_forecast")
