"""Forecasting: series building, honest backtest, what-if recovery, bad input, value, inventory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecom_models import forecast as F
from ecom_models.forecast.backtest import _apply_closed
from ecom_models.core.errors import InputError


def make_orders(start="2025-01-01", days=200, base=100.0, closed_weekday=None, seed=0, price_steps=(),
                weekly=(1.0, 0.9, 0.95, 1.1, 1.2, 1.3, 0.8), last_hour=None, cancel_day=None):
    """Canonical orders: one line per order, Poisson orders per day around `base`."""
    rng = np.random.default_rng(seed)
    rows = []
    dates = pd.date_range(start, periods=days, freq="D")
    oid = 0
    for i, d in enumerate(dates):
        if closed_weekday is not None and d.day_of_week == closed_weekday:
            continue
        mult = 1.0
        for when, pct in price_steps:
            if d >= pd.Timestamp(when):
                mult *= 1 + pct
        n = rng.poisson(base * weekly[d.day_of_week])
        hours = rng.integers(8, 20, n) if not (last_hour and i == days - 1) else rng.integers(8, last_hour, n)
        for k in range(n):
            oid += 1
            q = float(1 + rng.binomial(2, 0.2))
            rows.append((f"O{oid}", d + pd.Timedelta(hours=int(hours[k]), minutes=int(rng.integers(0, 60))),
                         "P1", q, round(10 * mult, 2), round(10 * mult * q, 2), "sale"))
        if cancel_day is not None and i == cancel_day:
            rows.append((f"C{oid}", d + pd.Timedelta(hours=12), "P1", -5000.0, 10.0, -50000.0, "cancellation"))
    df = pd.DataFrame(rows, columns=["order_id", "order_date", "product_id", "quantity", "unit_price", "revenue", "line_type"])
    df["discount"] = 0.0
    df["currency"] = "EUR"
    df["category"] = "c1"
    df["is_duplicate"] = False
    return df


def test_series_handles_closed_weekday_partial_day_and_cancellations():
    orders = make_orders(days=120, closed_weekday=5, last_hour=10, cancel_day=40)
    s = F.build_series(orders, "revenue")
    h = s.one()
    assert s.closed_weekdays == [5]
    # the partial last day was dropped
    assert h["ds"].max() == pd.Timestamp("2025-01-01") + pd.Timedelta(days=118)
    assert any("incomplete" in n for n in s.notes)
    # the day with a huge cancellation counts as zero, not negative, and is not learned from
    day40 = h[h["ds"] == pd.Timestamp("2025-01-01") + pd.Timedelta(days=40)].iloc[0]
    assert day40["y_raw"] == 0 and np.isnan(day40["y"])
    assert (h["y_raw"] >= 0).all()
    assert not h.loc[h["ds"].dt.day_of_week == 5, "open"].any()
    assert s.currency == "EUR"


def test_units_and_orders_metrics():
    orders = make_orders(days=60)
    units = F.build_series(orders, "units").one()
    n_orders = F.build_series(orders, "orders").one()
    day = orders[orders["order_date"].dt.normalize() == pd.Timestamp("2025-01-10")]
    row_u = units[units["ds"] == pd.Timestamp("2025-01-10")].iloc[0]
    row_o = n_orders[n_orders["ds"] == pd.Timestamp("2025-01-10")].iloc[0]
    assert row_u["y_raw"] == day["quantity"].sum()
    assert row_o["y_raw"] == day["order_id"].nunique()


def test_bad_input_is_explained():
    orders = make_orders(days=60)
    s = F.build_series(orders, "revenue")
    with pytest.raises(InputError, match="too few"):
        F.backtest_and_forecast(s, horizon=28, models=(F.MODEL_NAIVE,))
    with pytest.raises(InputError, match="at least 1"):
        F.check_horizon(0)
    with pytest.raises(InputError, match="too far ahead"):
        F.check_horizon(3000)
    zeros = make_orders(days=100)
    zeros["revenue"] = 0.0
    with pytest.raises(InputError, match="zero on every day"):
        F.backtest_and_forecast(F.build_series(zeros, "revenue"), horizon=7, models=(F.MODEL_NAIVE,))
    const = F.build_series(make_orders(days=100), "orders")
    const.frame["y_raw"] = 5.0
    const.frame["y"] = 5.0
    with pytest.raises(InputError, match="same"):
        F.backtest_and_forecast(const, horizon=7, models=(F.MODEL_NAIVE,))
    with pytest.raises(InputError, match="metric"):
        F.build_series(orders, "profit")
    with pytest.raises(InputError, match="column"):
        F.build_series(orders, "revenue", by="brand")
    for text in ("price=cheap", "promo=2026-13-45", "colour=red", "price"):
        with pytest.raises(InputError):
            F.parse_scenario(text)
    sc = F.parse_scenario("price=-10%,promo=2026-12-01:2026-12-14,spend=+20%,event=2026-12-24,closed=2026-12-25")
    assert sc.price_change == pytest.approx(-0.10) and sc.spend_change == pytest.approx(0.20)
    assert sc.promo_periods == [("2026-12-01", "2026-12-14")] and sc.events == ["2026-12-24"]


def test_seasonal_naive_and_scores_by_hand():
    hist = pd.DataFrame({"ds": pd.date_range("2025-01-06", periods=14), "y": [1, 2, 3, 4, 5, 6, 7] * 2,
                         "y_raw": [1, 2, 3, 4, 5, 6, 7] * 2, "open": True})
    fut = pd.DataFrame({"ds": pd.date_range("2025-01-20", periods=9)})
    pred = F.SeasonalNaive(7).fit(hist).predict(fut)
    assert pred["yhat"].tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 2]
    s = F.score(np.array([2.0, 2.0]), pd.DataFrame({"yhat": [1.0, 3.0], "yhat_lower": [0.0, 0.0], "yhat_upper": [1.5, 4.0]}), 2.0)
    assert s["mae"] == 1.0 and s["mase"] == 0.5 and s["coverage"] == 0.5
    assert s["smape"] == pytest.approx((2 / 3 + 2 / 5) / 2)


def simulated_invoice_store(seed=4):
    """About a year of daily invoices shaped like a UK gift wholesaler's export (monthly revenue
    levels of the public "Online Retail" data set, 2010-12 to 2011-12): closed on Saturdays, shut
    over Christmas, a strong pre-Christmas peak (September to November doubles the summer level),
    heavy-tailed invoice sizes, 2% cancellations and a partial last day."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2010-12-01", "2011-12-09", freq="D")
    # revenue per trading day, in thousands, at mid-month
    anchors = {"2010-12-10": 44, "2011-01-15": 24, "2011-02-15": 21, "2011-03-15": 26, "2011-04-15": 21,
               "2011-05-15": 28, "2011-06-15": 27, "2011-07-15": 26, "2011-08-15": 26, "2011-09-15": 39,
               "2011-10-15": 40, "2011-11-15": 56, "2011-12-05": 54}
    level = pd.Series(anchors.values(), index=pd.to_datetime(list(anchors))).reindex(dates.union(pd.to_datetime(list(anchors))))
    level = level.interpolate(method="time").bfill().ffill().reindex(dates)
    weekday = np.array([1.0, 1.05, 1.1, 1.25, 0.9, 0.0, 0.6])
    weekday = weekday / weekday[weekday > 0].mean()
    rows = []
    inv = 500000
    mean_invoice = float(np.exp(5.6 + 0.5))
    for d in dates:
        if d.day_of_week == 5 or (pd.Timestamp("2010-12-23") <= d <= pd.Timestamp("2011-01-04")):
            continue
        n = rng.poisson(1000 * level[d] * weekday[d.day_of_week] / mean_invoice)
        last_hour = 12 if d == dates[-1] else 19
        for _ in range(n):
            inv += 1
            value = float(np.exp(rng.normal(5.6, 1.0)))
            rows.append((str(inv), d + pd.Timedelta(hours=int(rng.integers(8, last_hour)), minutes=int(rng.integers(0, 60))),
                         f"P{rng.integers(1, 400)}", 12.0, round(value / 12, 2), round(value, 2), "sale", "United Kingdom"))
            if rng.random() < 0.02:
                rows.append(("C" + str(inv), d + pd.Timedelta(hours=18), rows[-1][2], -12.0, rows[-1][4], -round(value, 2),
                             "cancellation", "United Kingdom"))
    df = pd.DataFrame(rows, columns=["order_id", "order_date", "product_id", "quantity", "unit_price", "revenue",
                                     "line_type", "country"])
    df["discount"] = 0.0
    df["is_duplicate"] = False
    return df


def test_chosen_model_beats_seasonal_naive_on_held_out_last_four_weeks_of_invoice_store():
    orders = simulated_invoice_store(seed=4)  # seeds 3-10 are summarised in docs/forecast.md
    series = F.build_series(orders, "revenue")
    assert series.closed_weekdays == [5]
    full = series.frame
    cutoff = full["ds"].max() - pd.Timedelta(days=28)
    train = F.SeriesData(frame=full[full["ds"] <= cutoff].copy(), metric="revenue", by=None, freq="D",
                         closed_weekdays=series.closed_weekdays, closure_dates=series.closure_dates)
    held = full[full["ds"] > cutoff]
    result = F.backtest_and_forecast(train, horizon=28, country="GB")
    fc = result.forecast.merge(held[["ds", "y_raw", "open"]], on="ds", suffixes=("", "_actual"))
    assert len(fc) == 28
    naive = F.SeasonalNaive(7).fit(train.one()).predict(fc[["ds"]])
    naive = _apply_closed(naive, fc)
    mask = fc["open_actual"].to_numpy()
    mae_model = np.abs(fc["y_raw"] - fc["yhat"])[mask].mean()
    mae_naive = np.abs(fc["y_raw"].to_numpy() - naive["yhat"].to_numpy())[mask].mean()
    assert result.chosen != F.MODEL_NAIVE
    assert mae_model < mae_naive, (result.chosen, mae_model, mae_naive)
    # zero on the closed weekday
    assert (fc.loc[fc["ds"].dt.day_of_week == 5, "yhat"] == 0).all()
    # leaderboard is scored on held-out windows, and Prophet was tuned on an earlier window
    assert set(result.leaderboard["model"]) == set(F.ALL_MODELS)
    assert len(result.tuning) == len(F.PROPHET_GRID)
    assert result.backtest["ds"].min() > train.frame["ds"].max() - pd.Timedelta(days=28 * 2 + 1)


def test_whatif_recovers_demo_store_price_elasticity_and_promo_lift():
    from ecom_models.demo.store import demo_store

    store = demo_store()
    truth = store.truth
    series = F.build_series(store.orders, "units")
    whatif = F.WhatIf(country="US").fit(series)
    # price scenario: implied elasticity from the scenario itself
    res = whatif.run(F.parse_scenario("price=-5%"), horizon=28)
    implied = res.totals["implied_elasticity"]
    assert abs(implied - truth["price_elasticity"]) <= 0.10 * abs(truth["price_elasticity"]), implied
    assert res.totals["units_diff"] > 0 and res.totals["units_diff_low"] <= res.totals["units_diff"] <= res.totals["units_diff_high"]
    # promotion scenario: lift on promotion days
    start = pd.Timestamp(res.totals["start"])
    promo = whatif.run(F.Scenario(name="promo", promo_periods=[(str((start + pd.Timedelta(days=3)).date()),
                                                                  str((start + pd.Timedelta(days=9)).date()))]), 28)
    d = promo.daily[promo.daily["promo"] == 1]
    lift = d["scenario"].sum() / d["base"].sum() - 1
    assert abs(lift - truth["promo_lift"]) <= 0.10 * truth["promo_lift"], lift
    assert promo.daily.loc[promo.daily["promo"] == 0, "diff"].abs().max() < 1e-6
    # a big price cut is outside the history: warned as an extrapolation
    far = whatif.run(F.parse_scenario("price=-40%"), 28)
    assert any("extrapolation" in w for w in far.warnings)
    closed = whatif.run(F.parse_scenario(f"closed={res.totals['start']}"), 28)
    assert closed.daily["scenario"].iloc[0] == 0


def test_inventory_and_business_value():
    orders = make_orders(days=180, seed=4)
    s = F.build_series(orders, "units")
    result = F.backtest_and_forecast(s, horizon=21, models=(F.MODEL_NAIVE, F.MODEL_ETS), tune=False)
    plan = F.inventory_plan(result, lead_time_days=7, service_level=0.95)
    assert plan.demand == pytest.approx(result.forecast["yhat"].iloc[:7].sum())
    assert plan.reorder_point > plan.demand > 0 and plan.safety_stock > 0
    plan99 = F.inventory_plan(result, lead_time_days=7, service_level=0.99)
    assert plan99.safety_stock > plan.safety_stock
    with pytest.raises(InputError):
        F.inventory_plan(result, lead_time_days=60)
    from ecom_models.value.valuation import forecasting_value

    ev = F.stock_evidence(result)
    assert ev.sd_model > 0 and ev.sd_naive > 0 and ev.held_out_days > 0
    v = forecasting_value(ev, unit_value=s.unit_value, currency="EUR")
    assert v.model == "forecasting" and v.monthly_low <= v.monthly_value <= v.monthly_high or v.monthly_value == 0
    assert {a.key for a in v.assumptions} == {"lead_time_days", "service_level", "holding_rate", "gross_margin", "plan_share"}
    doubled = forecasting_value(result, unit_value=2 * s.unit_value)
    assert doubled.monthly_value == pytest.approx(2 * v.monthly_value)


def test_scenarios_saved_in_workspace(tmp_path):
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace("t", tmp_path)
    F.save_scenario(ws, F.parse_scenario("price=-10%", name="Ten off"), {"units_diff": 5})
    F.save_scenario(ws, F.parse_scenario("promo=2026-12-01:2026-12-03", name="Xmas promo"))
    saved = F.saved_scenarios(ws)
    assert set(saved) == {"Ten off", "Xmas promo"}
    assert saved["Ten off"].price_change == pytest.approx(-0.1)
    assert ws.get(F.SCENARIO_NAMESPACE, "Ten off")["totals"] == {"units_diff": 5}
    F.delete_scenario(ws, "Ten off")
    assert set(F.saved_scenarios(ws)) == {"Xmas promo"}
    with pytest.raises(InputError):
        F.save_scenario(ws, F.Scenario(name="  "))
    ws.close()


def test_shutdown_closes_the_same_dates_next_year():
    # closed on Sundays, and shut from 23 Dec to 3 Jan (which includes Sundays)
    orders = make_orders(start="2024-06-01", days=560, closed_weekday=6, seed=5, base=20)
    day = orders["order_date"].dt.normalize()
    orders = orders[~((day >= "2024-12-23") & (day <= "2025-01-03"))]
    s = F.build_series(orders, "units")
    assert pd.Timestamp("2024-12-29") in s.closure_dates  # a Sunday inside the shutdown
    hist = s.one()
    hist = hist[hist["ds"] <= "2025-12-10"]
    fut = F.future_frame(hist, 30, "D", s.closed_weekdays, s.closure_dates)
    closed = set(fut.loc[~fut["open"], "ds"].dt.strftime("%m-%d"))
    assert {"12-23", "12-24", "12-25", "12-28", "12-31"} <= closed
    assert "12-22" not in closed and "12-19" not in closed


def test_country_names_map_to_holiday_calendars():
    assert F.country_code("United Kingdom") == "GB" and F.country_code("USA") == "US" and F.country_code("de") == "DE"
    assert F.country_code("EIRE") == "IE" and F.country_code("Unspecified") is None and F.country_code(None) is None
    orders = make_orders(days=30)
    orders["country"] = ["United Kingdom"] * (len(orders) - 3) + ["France"] * 3
    assert F.main_country(orders) == "GB"
    with pytest.raises(InputError, match="country"):
        F.holiday_frame("XX", [2025])


def test_weekly_series_and_forecast():
    orders = make_orders(days=420, seed=9)
    s = F.build_series(orders, "units", freq="W")
    h = s.one()
    assert (h["ds"].dt.day_of_week == 6).all()  # weeks end on Sunday
    assert len(h) == 59  # only complete weeks
    res = F.backtest_and_forecast(s, horizon=4, models=(F.MODEL_NAIVE, F.MODEL_ETS), tune=False)
    assert len(res.forecast) == 4 and (res.forecast["ds"].diff().dropna() == pd.Timedelta(days=7)).all()
    with pytest.raises(InputError, match="weeks"):
        F.backtest_and_forecast(s, horizon=60, models=(F.MODEL_NAIVE,))
