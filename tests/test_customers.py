"""Customers: per-customer summary, BG/NBD + Gamma-Gamma (parity with PyMC-Marketing), P(active)
for one-time buyers, seasonality, the backtest against its baselines, retention, win-back, CLI ids.

Data: generated stores from bench/customers.py (the BG/NBD story with known parameters); CDNOW
is not shipped (no licence stated): bench/customers.py measures it when the file is at hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.customers import simulate_orders
from ecom_models.core.errors import InputError
from ecom_models.customers import (
    BetaGeo,
    GammaGamma,
    analyse_customers,
    customer_summary,
    purchase_days,
    roc_auc,
    seasonal_factor,
    spend_inputs,
    top_decile_capture,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def steady():
    return simulate_orders(3000, seed=11, guests=0.1, lapsing=25)


@pytest.fixture(scope="module")
def steady_result(steady):
    return analyse_customers(steady)


def test_summary_counts_days_leaves_guests_and_returns_out():
    orders = pd.DataFrame({
        "order_id": ["1", "2", "3", "4", "5", "6"],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-21", "2024-01-05",
                                      "2024-01-06"]),
        "customer_id": ["a", "a", "a", "a", None, "b"],
        "revenue": [10.0, 5.0, 20.0, -20.0, 99.0, 7.0],
        "line_type": ["sale", "sale", "sale", "return", "sale", "sale"],
        "is_duplicate": False,
    })
    days = purchase_days(orders)
    assert days.attrs["guest_lines"] == 1 and days.attrs["guest_orders"] == 1
    s = customer_summary(days, "2024-01-31").set_index("customer_id")
    # two orders on one day are one purchase; the return is not a purchase
    assert s.loc["a", "purchases"] == 2 and s.loc["a", "frequency"] == 1
    assert s.loc["a", "recency"] == 10 and s.loc["a", "T"] == 30 and s.loc["a", "days_since"] == 20
    assert s.loc["a", "first_value"] == 15 and s.loc["a", "monetary"] == 20 and s.loc["a", "total_spend"] == 35
    assert s.loc["b", "frequency"] == 0 and s.loc["b", "monetary"] == 0


def test_bgnbd_recovers_the_parameters_it_was_simulated_with():
    orders = simulate_orders(6000, seed=5, r=0.6, alpha=60.0, a=0.9, b=6.0)
    s = customer_summary(purchase_days(orders), "2023-12-31")
    bg = BetaGeo.fit(s["frequency"], s["recency"], s["T"])
    # the rate's mean r/alpha and the dropout's mean a/(a+b) are what the data pin down
    assert bg.r / bg.alpha == pytest.approx(0.6 / 60.0, rel=0.15)
    assert bg.a / (bg.a + bg.b) == pytest.approx(0.9 / 6.9, rel=0.3)


def test_p_active_falls_for_one_time_buyers_where_p_alive_cannot():
    bg = BetaGeo(r=0.25, alpha=30.0, a=0.7, b=2.2)
    T = np.array([10.0, 100.0, 400.0])
    zero = np.zeros(3)
    assert np.all(bg.p_alive(zero, zero, T) == 1.0)  # the trap: every one-time buyer "alive"
    p = bg.p_active(90, zero, zero, T)
    assert np.all(np.diff(p) < 0) and p[0] < 1


def test_expected_purchases_match_the_simulation_of_the_same_model():
    bg = BetaGeo(r=0.8, alpha=40.0, a=1.5, b=4.0)
    x, tx, T = np.array([0.0, 3.0, 8.0]), np.array([0.0, 100.0, 300.0]), np.array([200.0, 200.0, 320.0])
    exact = bg.expected_purchases(90, x, tx, T)
    simulated = bg.sample_purchases(90, x, tx, T, draws=40_000).mean(axis=1)
    np.testing.assert_allclose(exact, simulated, rtol=0.03)


def test_parity_with_pymc_marketing():
    """Our maximum-likelihood fit against PyMC-Marketing's on the same data (flat priors, MAP =
    maximum likelihood): parameters and predictions within 1%."""
    clv = pytest.importorskip("pymc_marketing.clv")
    from pymc_extras.prior import Prior

    s = customer_summary(purchase_days(simulate_orders(2000, seed=2)), "2023-12-31")
    data = pd.DataFrame({"customer_id": np.arange(len(s)), "frequency": s["frequency"], "recency": s["recency"] / 7,
                         "T": s["T"] / 7})
    flat = {k: Prior("HalfFlat") for k in ("r", "alpha", "a", "b")}
    theirs = clv.BetaGeoModel(data=data, model_config=flat)
    theirs.fit(fit_method="map")
    fitted = theirs.fit_summary()
    ours = BetaGeo.fit(data["frequency"], data["recency"], data["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(float(fitted[name]), rel=0.01), name
    theirs_pred = np.asarray(theirs.expected_purchases(data=data, future_t=13)).reshape(-1, len(s)).mean(axis=0)
    ours_pred = ours.expected_purchases(13, data["frequency"], data["recency"], data["T"])
    assert ours_pred.sum() == pytest.approx(theirs_pred.sum(), rel=0.01)
    np.testing.assert_allclose(ours_pred, theirs_pred, rtol=0.01, atol=1e-4)

    x, m = spend_inputs(s)
    keep = x > 0
    spend = pd.DataFrame({"customer_id": np.arange(keep.sum()), "frequency": x[keep], "monetary_value": m[keep]})
    gg_theirs = clv.GammaGammaModel(data=spend)
    gg_theirs.fit(fit_method="map")
    gg_fit = gg_theirs.fit_summary()
    gg = GammaGamma.fit(x, m)
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(float(gg_fit[name]), rel=0.01), name


def test_seasonality_is_measured_and_used():
    orders = simulate_orders(2500, seed=3, start="2021-09-01", end="2023-12-31", seasonal=0.6)
    days = purchase_days(orders)
    cutoff = pd.Timestamp("2023-08-31")
    factor, note = seasonal_factor(days[days["day"] <= cutoff], cutoff, 122)
    assert factor > 1.15 and "busiest month" in note
    steady_factor, _ = seasonal_factor(days[days["day"] <= "2022-06-30"], "2022-06-30", 90)
    assert steady_factor == 1.0  # under a year of history: nothing measured
    result = analyse_customers(orders, cutoff=cutoff)
    model = result.backtest["models"][0]
    # the bar for a seasonal store (the index learned from repeat purchases per customer;
    # from all purchases this store was -19%)
    assert abs(model["total_purchases_predicted"] / model["total_purchases_actual"] - 1) < 0.15


def test_backtest_model_beats_both_baselines(steady_result):
    bt = steady_result.backtest
    assert [m["name"] for m in bt["models"]] == ["model", "past rate", "recency"]
    model, past, recency = bt["models"]
    assert bt["winner"] == "model" and "wins on" in bt["verdict"]
    assert abs(model["total_purchases_predicted"] / model["total_purchases_actual"] - 1) < 0.15
    assert model["mae_purchases"] < min(past["mae_purchases"], recency["mae_purchases"])
    assert model["churn_auc"] > max(past["churn_auc"], recency["churn_auc"]) and model["churn_auc"] > 0.75
    assert model["top_decile_capture"] > 0.45


def test_metrics():
    assert roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0])) == 1.0
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([1, 1, 0, 0])) == 0.0
    assert top_decile_capture(np.arange(10.0), np.r_[np.zeros(9), 5.0]) == 1.0


def test_predictions_intervals_segments_and_winback(steady_result):
    r = steady_result
    c = r.customers
    for h in (90, 180, 365):
        assert (c[f"expected_spend_{h}_low"] <= c[f"expected_spend_{h}_high"]).all()
        likely = c["p_alive"] * c[f"expected_purchases_{h}"] > 0.5
        assert (c.loc[likely, f"expected_spend_{h}_high"] >= c.loc[likely, f"expected_spend_{h}"]).all()
        # the 80% range holds about 80% of the simulated outcomes: checked on the means' scale
        assert (c[f"expected_spend_{h}_low"] <= c[f"expected_spend_{h}"]).all()
    assert (c["expected_purchases_365"] >= c["expected_purchases_90"]).all()
    assert c["p_active"].between(0, 1).all()
    assert r.guest_orders > 0 and any("guest" in n for n in r.notes)
    seg = r.segments
    assert set(seg["segment"]) >= {"champions", "lost", "hibernating"} and seg["rule"].str.len().gt(20).all()
    # the planted lapsing regulars (bought every 2-3 weeks for a year, then stopped) lead the win-back list
    w = r.winback
    assert w["value_at_stake"].is_monotonic_decreasing
    planted = w.index[w["customer_id"].str.startswith("LAPSE-")]
    assert len(planted) == 25 and np.median(planted) < 0.2 * len(w), (len(w), list(planted))
    lapsed = c[c["customer_id"].str.startswith("LAPSE-")]
    # regulars whose own chance has fallen are flagged, though mid-store by P(active)
    assert lapsed["segment"].isin(["can't lose them", "at risk"]).all(), lapsed["segment"].value_counts()
    # retention tables
    assert (r.cohorts["share"].between(0, 1)).all() and (r.cohorts.query("months_since == 0")["share"] == 1).all()
    assert r.repeat["share"].is_monotonic_decreasing and r.median_days_between > 0


def test_winback_carries_three_recommended_products(steady, steady_result):
    from ecom_models.customers import winback_list

    ids = steady_result.winback["customer_id"].head(3).tolist()
    recs = pd.DataFrame({"customer_id": np.repeat(ids, 4), "product_id": [f"P{i}" for i in range(12)],
                         "rank": np.tile([1, 2, 3, 4], 3)})
    w = winback_list(steady_result.customers, 90, recs)
    assert w.loc[w["customer_id"] == ids[0], "recommended_products"].iloc[0] == "P0; P1; P2"


def test_guests_only_and_too_few_customers_say_why():
    orders = simulate_orders(50, seed=1)
    orders["customer_id"] = None
    with pytest.raises(InputError, match="guest checkout"):
        analyse_customers(orders)


def test_cli_prints_the_files_own_ids(tmp_path):
    orders = simulate_orders(400, seed=4, guests=0.05)
    orders["customer_id"] = orders["customer_id"].map(lambda c: c if c is None else f"{c.lower()}@shop.example")
    path = tmp_path / "orders.csv"
    orders[["order_id", "order_date", "customer_id", "product_id", "quantity", "unit_price"]].to_csv(path, index=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT), ECOM_WORKSPACE_DIR=str(tmp_path / "ws"))
    out = subprocess.run([sys.executable, "-m", "ecom_models", "customers", str(path), "--json"], capture_output=True,
                         text=True, env=env, check=False, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"customers", "backtest", "cohorts"}
    row = doc["customers"][0]
    assert set(row) == {"customer_id", "segment", "p_active", "expected_purchases", "expected_spend",
                        "expected_spend_low", "expected_spend_high", "last_purchase", "frequency", "monetary"}
    ids = {r["customer_id"] for r in doc["customers"]}
    assert ids <= set(orders["customer_id"].dropna()) and len(ids) == orders["customer_id"].nunique()
    assert set(doc["backtest"]) == {"cutoff", "holdout_days", "models", "winner"}
    assert set(doc["backtest"]["models"][0]) == {
        "name", "total_purchases_predicted", "total_purchases_actual", "total_spend_predicted", "total_spend_actual",
        "mae_purchases", "spearman_spend", "top_decile_capture", "churn_auc"}
    bad = subprocess.run([sys.executable, "-m", "ecom_models", "customers", str(path), "--cutoff", "soon", "--json"],
                         capture_output=True, text=True, env=env, check=False, timeout=300)
    assert bad.returncode == 2 and "--cutoff" in bad.stderr and "Traceback" not in bad.stderr


def test_winback_test_plan_sizes_the_holdout_test():
    from ecom_models.abtest import winback_test_plan
    from ecom_models.core.stats import sample_size_per_arm

    plan = winback_test_plan(5000, 0.10, 0.03)
    assert plan.per_arm == sample_size_per_arm(0.10, 0.3) and plan.feasible and "random" in plan.message
    small = winback_test_plan(100, 0.10, 0.03)
    assert not small.feasible and "per group" in small.message
    # a larger assumed response needs fewer people
    assert winback_test_plan(5000, 0.10, 0.10).per_arm < plan.per_arm


def test_winback_rows_carry_the_real_recommenders_products():
    """The page's path: the Recommendations report's top 3 per win-back customer (a real
    recommender, no deep model for time), joined by the customers capability without importing it."""
    from ecom_models import recommend as R
    from ecom_models.customers import winback_list
    from ecom_models.recommend.serve import recommend_for_users

    orders = simulate_orders(1500, seed=11, lapsing=10)
    rng = np.random.default_rng(0)
    orders["product_id"] = rng.choice([f"P{i}" for i in range(60)], len(orders))
    orders["product_name"] = orders["product_id"] + " name"
    result = analyse_customers(orders, backtest=False)
    report = R.build_recommender(R.interactions_from_orders(orders), k=10, include_deep=False)
    recs = recommend_for_users(report, list(result.winback["customer_id"]), k=3)
    w = winback_list(result.customers, 90, recs.rename(columns={"user_id": "customer_id", "item_id": "product_id"}))
    three = w["recommended_products"].str.split("; ")
    assert len(w) > 0 and (three.str.len() == 3).all() and three.iloc[0][0].endswith(" name")
