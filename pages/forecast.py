"""Forecast & what-if: next weeks' sales with honest intervals, which model wins on held-out
weeks, what a price change or promotion would do, every product at once, and reorder points."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import datetime as dt

import streamlit as st

from ecom_models.core.errors import InputError
from ecom_models.core.safe_export import csv_bytes
from ecom_models.forecast import (
    BY_COLUMNS,
    MANY_BY_COLUMNS,
    Scenario,
    by_options,
    compare_scenarios,
    delete_scenario,
    forecast_many,
    holiday_countries,
    inventory_horizon,
    inventory_plan,
    load_many,
    main_country,
    many_key,
    many_view,
    product_names,
    save_many,
    save_scenario,
    saved_scenarios,
)
from ecom_models.value import forecasting_assumptions, forecasting_value
from ecom_ui import forecast as ui
from ecom_ui.common import active_data, guarded, money, page_header, require_data, show_input_error, workspace

page_header("Forecast & what-if", "How much you will sell in the coming weeks, how sure we are, and what a price "
            "change, a promotion or a sale day would change. Every model is checked on past weeks it did not see.")

# -- data ---------------------------------------------------------------------------------------
data = require_data("orders", "(order lines with a date, and quantity or revenue)")
orders = data.df
traffic_data = active_data("traffic")
traffic = traffic_data.df if traffic_data is not None else None
traffic_key = traffic_data.key if traffic_data is not None else "none"

with st.sidebar:
    st.subheader("Forecast settings")
    metric = st.radio("What to forecast", list(ui.METRIC_WORDS), format_func=lambda m: ui.METRIC_WORDS[m].capitalize(),
                      key="fc_metric", help="Revenue is net of same-day cancellations; units are items sold; orders count checkouts.")
    by = st.selectbox("For", [None] + by_options(orders, BY_COLUMNS), format_func=lambda b: ui.BY_LABELS.get(b, b), key="fc_by",
                      help="Forecast the whole store, or one product, category, country or channel.")
    horizon = st.slider("Days ahead", 7, 120, 28, step=7, key="fc_horizon",
                        help="How far ahead to forecast. The models are checked on past windows of the same length.")
    default_country = main_country(orders)
    country_options = ["(no holidays)"] + holiday_countries()
    country_label = st.selectbox("Public holidays of", country_options,
                                 index=country_options.index(default_country) if default_country else 0, key="fc_country",
                                 help="Prophet learns how your sales change on this country's public holidays. "
                                      "Black Friday, Cyber Monday and Christmas Eve are always included.")
    country = None if country_label.startswith("(") else country_label

series_key = None
series = guarded(ui.series, data.key, orders, metric, by, traffic_key, traffic, 200 if by is not None else None)
if series is None:
    st.stop()
if by is not None:
    series_key = st.selectbox(f"Which {ui.BY_LABELS[by].split(' ', 1)[1]}", series.keys, key="fc_series_key",
                              help="Largest first.")

result = ui.kept_forecast(data.key, traffic_key, metric, by, series_key, horizon, country, series)

# -- forecast -----------------------------------------------------------------------------------
st.header("Your forecast")
fc = result.forecast
ui.total_metrics(result, metric, horizon)
st.plotly_chart(ui.forecast_chart(result, metric), width="stretch")
with st.expander("How we prepared your data"):
    for note in result.notes or ["Nothing unusual: every day was used as it is."]:
        st.text("• " + note)

# -- leaderboard --------------------------------------------------------------------------------
st.header("Which model wins")
st.markdown(result.verdict())
board = result.leaderboard
st.caption(f"Each model forecast {horizon}-day windows it had not seen (the last {len(result.backtest['fold'].unique())} "
           f"windows of your history, {int(board['n'].iloc[0])} trading days in all) and we compared with what really "
           "happened. Prophet's settings were tuned on an earlier window, so this comparison is fair.")
st.dataframe(ui.leaderboard_table(board, metric), hide_index=True, width="stretch")
st.caption("Typical daily error = mean absolute error (MAE). Error in % = symmetric percentage error (sMAPE/2). "
           "Error vs 'same day last week' = MASE: below 1 beats the naive rule on its own history. The 80% range "
           "should hold the real value about 80% of the time.")
if len(result.tuning):
    with st.expander("Prophet's tuning on the earlier window"):
        st.dataframe(ui.tuning_table(result.tuning), hide_index=True, width="stretch")

# -- what-if ------------------------------------------------------------------------------------
st.header("What if…")
st.caption("Plan a price change, a promotion, a sale day or a closure and see what it does to units sold and "
           "revenue. Price and promotion effects are learned from your own past price changes and promotions, "
           "by comparing each day with the same weekday one and two weeks earlier.")
units_series = series if metric == "units" else guarded(ui.series, data.key, orders, "units", by, traffic_key, traffic,
                                                          200 if by else None)
has_spend = traffic is not None and "ad_spend" in getattr(traffic, "columns", [])
use_spend = st.checkbox("Include marketing spend as a driver", value=False, disabled=not has_spend, key="fc_use_spend",
                        help="Uses daily ad spend from your traffic data. If spend always rises during promotions, "
                             "the two effects are hard to tell apart, so this is off by default.")
whatif = None
if units_series is not None:  # fitted in a worker process; None (progress shown) until it is there
    whatif = ui.fitted_whatif(data.key, traffic_key, units_series, by, series_key, country, use_spend,
                              float(result.prophet_params.get("changepoint_prior_scale", 0.05)), horizon)
if whatif is not None:
    ui.effect_metrics(whatif.effects())
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
        st.form_submit_button("Show scenario")
    periods = []
    if promo_on and isinstance(promo_dates, (tuple, list)) and len(promo_dates) == 2:
        periods = [(str(promo_dates[0]), str(promo_dates[1]))]
    scenario = Scenario(name=name.strip() or "My plan", price_change=price / 100, promo_periods=periods,
                        spend_change=spend / 100 if use_spend else 0.0,
                        events=[str(event_day)] if event_on else [], closed=[str(closed_day)] if closed_on else [])
    sres = None
    if scenario.is_empty:
        st.info("Set a price change, a promotion, a sale day or a closure above and press **Show scenario**.", icon="💡")
    else:
        sres = guarded(whatif.run, scenario, horizon)
    ws = workspace()
    if sres is not None:
        ui.scenario_outcome(sres, horizon)
        if st.button("Save this scenario", key="fc_save"):
            try:
                save_scenario(ws, scenario, sres.totals)
                st.success(f"Saved '{scenario.name}'.")
            except InputError as exc:
                show_input_error(exc)
        st.download_button("Download this scenario (CSV)", csv_bytes(sres.daily),
                           file_name="scenario.csv", mime="text/csv", key="fc_dl_scenario")
    saved = saved_scenarios(ws)
    if saved:
        st.subheader("Saved scenarios side by side")
        st.caption(f"Each saved plan applied to the current forecast ({horizon} days from {start}).")
        scenario_runs = [r for r in (guarded(whatif.run, sc, horizon) for sc in saved.values()) if r is not None]
        if scenario_runs:
            st.dataframe(ui.scenarios_table(compare_scenarios(scenario_runs)), hide_index=True, width="stretch")
        drop = st.selectbox("Delete a saved scenario", ["(keep all)"] + list(saved), key="fc_delete_pick")
        if drop != "(keep all)" and st.button("Delete", key="fc_delete"):
            delete_scenario(ws, drop)
            st.rerun()

# -- many series --------------------------------------------------------------------------------
st.header("Every product or category at once")
st.caption("Forecasts each series with the model that wins on its own last held-out window, in parallel on this "
           "computer's cores (or on a Dask cluster when ECOM_DASK_SCHEDULER is set). Results are kept in your workspace.")
many_cols = by_options(orders, MANY_BY_COLUMNS)
if many_cols:
    mc1, mc2 = st.columns(2)
    many_by = mc1.selectbox("Split by", many_cols, key="fc_many_by")
    many_max = mc2.slider("At most this many series (largest first)", 5, 200, 30, key="fc_many_max",
                          help="Each series takes about a second per core.")
    ws = workspace()
    store_key = many_key(data.key, metric, many_by, horizon, many_max)
    if st.button("Forecast them all", key="fc_many_go"):
        many_series = guarded(ui.series, data.key, orders, metric, many_by, traffic_key, traffic, many_max)
        if many_series is not None:
            bar = st.progress(0.0, text="Starting…")
            many = guarded(forecast_many, many_series, horizon, country=country,
                           progress=lambda f, msg: bar.progress(f, text=msg))
            bar.empty()
            if many is not None:
                save_many(ws, store_key, many)
                st.caption(f"Done in {many.seconds:.0f} s ({many.backend}).")
    kept = load_many(ws, store_key)
    if kept is not None:
        view, beats = many_view(*kept)
        st.markdown(f"A model beat 'same weekday last week' on {beats} of {len(view)} series; the others use that rule.")
        st.dataframe(ui.many_table(view, many_by, metric, horizon), hide_index=True, width="stretch")
        st.download_button("Download all forecasts (CSV)", csv_bytes(kept[1]),
                           file_name="forecasts_by_series.csv", mime="text/csv", key="fc_dl_many")

# -- inventory ----------------------------------------------------------------------------------
st.header("Stock: when to reorder")
if "product_id" in orders.columns:
    prod_series = guarded(ui.series, data.key, orders, "units", "product_id", traffic_key, traffic, 50)
    if prod_series is not None:
        i1, i2, i3 = st.columns(3)
        names = product_names(orders)
        product = i1.selectbox("Product", prod_series.keys, key="fc_inv_product", help="Best sellers first.",
                               format_func=lambda k: f"{names[k]} ({k})" if k in names else k)
        lead = i2.slider("Delivery time from your supplier (days)", 1, 60, 14, key="fc_inv_lead",
                         help="Days between placing an order with your supplier and the stock arriving.")
        service = i3.select_slider("How often you want to avoid running out", [0.8, 0.9, 0.95, 0.98, 0.99], value=0.95,
                                   format_func=lambda v: f"{v:.0%}", key="fc_inv_service",
                                   help="Service level: the share of reorder cycles without a stock-out.")
        inv_res = ui.product_forecast(data.key, traffic_key, prod_series, product, inventory_horizon(lead), country)
        if inv_res is not None:  # else its progress is shown (a worker process forecasts it)
            try:
                ui.plan_metrics(inventory_plan(inv_res, lead, service), inv_res.chosen)
            except InputError as exc:
                show_input_error(exc)

# -- value --------------------------------------------------------------------------------------
st.header("What it could be worth")
with st.expander("Assumptions (edit to match your business)"):
    values = ui.assumption_inputs(forecasting_assumptions())
est = forecasting_value(result, unit_value=series.value_per_unit(), assumptions=values, currency=series.currency)
v1, v2 = st.columns(2)
v1.metric("Stock costs avoided per month (estimate)", money(est.monthly_value),
          help="Planning stock with the chosen model instead of 'same weekday last week': a smaller error spread on "
               "held-out days needs less safety stock for the same service level (less holding cost) and runs out "
               "less often (less lost profit).")
v2.metric("Range (90%)", f"{money(est.monthly_low)} – {money(est.monthly_high)}",
          help="Resampling the held-out days: how much the estimate could move.")
st.caption(f"Evidence: {est.evidence}. {est.note}")
if by is None:
    ui.keep_estimate(est, is_demo=data.is_demo)

# -- export -------------------------------------------------------------------------------------
st.header("Export")
out = fc.rename(columns={"ds": "date"}).assign(model=result.chosen, metric=metric)
st.download_button("Download the forecast (CSV)", csv_bytes(out), file_name="forecast.csv",
                   mime="text/csv", key="fc_dl_forecast")
