"""Business value arithmetic: edits, A/B precedence, Monte-Carlo totals, ROI, sensitivity.

Fake capability functions with hand-checkable formulas stand in for the real models, so every
expected number below is computed by hand.
"""

import math

import numpy as np
import pandas as pd
import pytest

from ecom_models import value as V
from ecom_models.core.errors import InputError
from ecom_models.value import Assumption, CostInputs, Lever, ValueEstimate
from ecom_models.value.compute import _run  # private: tested where it is defined
from ecom_models.value.summary import MARGIN_HIGH


def fake_bv(rate: float = 0.1, visitors: float = 1000.0, aov: float = 50.0, model: str = "recommendations"):
    """value = visitors x rate x aov; interval +-20%. `at_stake` is an assumption it does not take."""
    v = visitors * rate * aov
    return ValueEstimate(model, "a lever", v, 0.8 * v, 1.2 * v, "offline metric 1 vs 2", "offline metric",
                         [Assumption("rate", "Rate", rate, "%", "guess", 0.05, 0.2),
                          Assumption("visitors", "Visitors", visitors, "visitors/month"),
                          Assumption("at_stake", "Share at stake", 1.0, "%", "", 0.5, 1.0)], "EUR")


def lever(model="recommendations", **kw) -> Lever:
    base = dict(model=model, **kw)
    return Lever(model, fake_bv(**base), lambda ov: V.call_with_overrides(fake_bv, base, ov))


def fixed(model, value, low, high, currency="EUR") -> Lever:
    return Lever(model, ValueEstimate(model, f"{model} lever", value, low, high, "backtest", "backtest", [], currency))


# -- edits -----------------------------------------------------------------------------------
def test_override_recomputes_through_the_model_function():
    lv = lever()
    assert lv.estimate.monthly_value == pytest.approx(5000)
    est, note = V.apply_overrides(lv.estimate, {"rate": 0.2}, lv.recompute)
    assert est.monthly_value == pytest.approx(10000)
    assert est.monthly_low == pytest.approx(8000) and est.monthly_high == pytest.approx(12000)
    assert note == ""  # the function took the edit itself
    assert {a.key: a.value for a in est.assumptions}["rate"] == 0.2


def test_override_not_taken_by_the_function_is_applied_in_proportion():
    lv = lever()
    est, note = V.apply_overrides(lv.estimate, {"at_stake": 0.5, "unknown_key": 3}, lv.recompute)
    assert est.monthly_value == pytest.approx(2500)
    assert est.monthly_high == pytest.approx(3000)
    assert "Share at stake" in note
    # a saved estimate (no recompute at all) scales too
    est2, _ = V.apply_overrides(lv.estimate, {"visitors": 3000}, None)
    assert est2.monthly_value == pytest.approx(15000)


def test_call_with_overrides_routes_by_signature():
    seen = {}

    def with_dict(result, assumptions=None):
        seen["dict"] = dict(assumptions or {})
        return fake_bv()

    def with_kwargs(gain=None, **assumptions):
        seen["kw"] = dict(assumptions)
        return fake_bv()

    V.call_with_overrides(with_dict, {"result": 1}, {"gross_margin": 0.3})
    V.call_with_overrides(with_kwargs, {"gain": 1}, {"widget_share": 0.2})
    assert seen == {"dict": {"gross_margin": 0.3}, "kw": {"widget_share": 0.2}}


def test_a_refused_edit_falls_back_to_scaling():
    def picky(rate=0.1):
        if rate <= 0:
            raise InputError("rate must be positive")
        return fake_bv(rate=rate)

    lv = Lever("recommendations", picky(), lambda ov: V.call_with_overrides(picky, {}, ov))
    est, note = V.apply_overrides(lv.estimate, {"rate": 0.0}, lv.recompute)
    assert est.monthly_value == 0.0 and "Rate" in note


# -- A/B precedence --------------------------------------------------------------------------
def test_measured_ab_replaces_the_offline_row_of_the_same_lever():
    levers = {"recommendations": fixed("recommendations", 1000, 500, 1500),
              "forecasting": fixed("forecasting", 200, 100, 300),
              "abtest": fixed("abtest", 700, 100, 1300)}
    rows = V.resolve_rows(levers, {}, ab_replaces="recommendations")
    by = {r.model: r for r in rows}
    assert by["recommendations"].status == "replaced" and not by["recommendations"].counted
    assert by["abtest"].counted and "measured" in by["abtest"].title
    assert V.point_totals(rows, CostInputs(gross_margin=1.0))["monthly"] == pytest.approx(900)
    # without the link both count
    rows = V.resolve_rows(levers, {}, ab_replaces=None)
    assert V.point_totals(rows, CostInputs(gross_margin=1.0))["monthly"] == pytest.approx(1900)


def test_match_ab_lever_from_names():
    assert V.match_ab_lever("reco_widget_test.csv", "control treatment") == "recommendations"
    assert V.match_ab_lever("new product photos", "") == "images"
    assert V.match_ab_lever("checkout_button_colour.csv", "control treatment converted") is None
    assert V.match_ab_lever("record_checkout_v2.csv") is None  # "reco" only as a whole word
    assert V.match_ab_lever("reco-test.xlsx", "A B") == "recommendations"
    assert V.match_ab_lever("you-may-also-like carousel") == "recommendations"


def test_missing_rows_say_what_is_needed_and_do_not_count():
    levers = {"risk": Lever("risk", problem="no orders yet. How to fix: upload.", source="missing")}
    rows = V.resolve_rows(levers)
    assert [r.model for r in rows] == list(V.MODELS)
    assert all(r.status == "not computed" and not r.counted for r in rows)
    risk = next(r for r in rows if r.model == "risk")
    assert "no orders yet" in risk.needs and "Needs:" in risk.needs
    s = V.summarise(levers, n_sims=500)
    assert s.monthly.mid == 0 and s.monthly.low == 0 and s.monthly.high == 0
    assert len(s.tornado) == 0


def test_run_turns_any_failure_into_a_message():
    def boom():
        raise RuntimeError("model exploded")

    lv = _run("forecasting", boom)
    assert lv.estimate is None and "model exploded" in lv.problem and lv.source == "missing"
    lv = _run("reviews", lambda: (_ for _ in ()).throw(ImportError("x")))
    assert "not available" in lv.problem


# -- simulation -------------------------------------------------------------------------------
def test_split_normal_draws_hit_the_stated_90_percent_points():
    z = np.random.default_rng(1).standard_normal(200_000)
    d = V.split_normal_draws(100.0, 40.0, 250.0, z)
    assert np.median(d) == pytest.approx(100.0, abs=1.0)
    assert np.quantile(d, 0.05) == pytest.approx(40.0, abs=1.5)
    assert np.quantile(d, 0.95) == pytest.approx(250.0, abs=3.0)


def test_total_interval_adds_independent_uncertainty_in_quadrature():
    levers = {"forecasting": fixed("forecasting", 100, 0, 200), "risk": fixed("risk", 100, 0, 200)}
    s = V.summarise(levers, costs=CostInputs(), n_sims=200_000, seed=3)
    half = 100 * math.sqrt(2)  # not 200: two independent errors partly cancel
    assert s.monthly.mid == pytest.approx(200)
    assert s.monthly.low == pytest.approx(200 - half, abs=3)
    assert s.monthly.high == pytest.approx(200 + half, abs=3)
    assert s.yearly.mid == pytest.approx(2400) and s.yearly.high == pytest.approx(12 * s.monthly.high)


def test_roi_payback_and_margin_by_hand():
    # revenue lever 1000/month at 40% margin = 400 profit; cost-avoided lever 300 counts in full
    levers = {"recommendations": fixed("recommendations", 1000, 1000, 1000), "risk": fixed("risk", 300, 300, 300)}
    costs = CostInputs(monthly_cost=200, setup_cost=2500, gross_margin=0.4)
    s = V.summarise(levers, costs=costs, n_sims=1000)
    assert s.monthly_profit.mid == pytest.approx(700)
    assert s.monthly_net.mid == pytest.approx(500)
    assert s.first_year_net.mid == pytest.approx(12 * 500 - 2500)
    assert s.roi_first_year == pytest.approx(3500 / (12 * 200 + 2500))
    assert s.payback_months == pytest.approx(5.0)
    assert s.chance_positive == 1.0
    w = s.waterfall.set_index("step")["amount"]
    assert w["Total value"] == pytest.approx(1300) and w["Cost of goods on extra sales"] == pytest.approx(-600)
    assert w["Running cost"] == pytest.approx(-200) and w["Net gain per month"] == pytest.approx(500)
    # a loss-making case never pays back
    s = V.summarise(levers, costs=CostInputs(monthly_cost=5000, setup_cost=100), n_sims=1000)
    assert s.payback_months == float("inf") and s.chance_positive == 0.0


def test_tornado_swings_are_the_hand_computed_ones():
    levers = {"recommendations": lever()}  # 1000 visitors x rate x 50 EUR, margin 50%
    costs = CostInputs(gross_margin=0.5)
    t = V.tornado(levers, {}, None, costs).set_index("key")
    # rate 0.05..0.2 -> 2500..10000 per month -> x 0.5 margin x 12
    assert t.loc["rate", "low_net"] == pytest.approx(2500 * 0.5 * 12)
    assert t.loc["rate", "high_net"] == pytest.approx(10000 * 0.5 * 12)
    # visitors has no stated range: +-20%
    assert bool(t.loc["visitors", "default_range"]) and t.loc["visitors", "low_input"] == pytest.approx(800)
    assert t.loc["gross_margin", "high_net"] == pytest.approx(5000 * MARGIN_HIGH * 12)
    swings = V.tornado(levers, {}, None, costs)["swing"].tolist()
    assert swings == sorted(swings, reverse=True)


def test_saved_estimates_round_trip_and_bad_documents_are_ignored():
    est = fake_bv()
    doc = V.estimate_to_dict(est)
    back = V.estimate_from_dict(doc)
    assert back == est
    assert V.lever_from_saved("images", doc).source == "saved"
    assert V.lever_from_saved("images", {"nonsense": 1}) is None
    assert V.lever_from_saved("images", None) is None


def test_store_figures_and_visitors():
    orders = pd.DataFrame({
        "order_id": ["1", "1", "2", "3", "4"],
        "order_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-15", "2026-02-01", "2026-03-02"]),
        "revenue": [60.0, 40.0, 50.0, 150.0, -20.0],
        "line_type": ["sale", "sale", "sale", "sale", "return"],
        "is_duplicate": [False] * 5, "currency": ["EUR"] * 5})
    f = V.store_figures(orders)
    assert f["order_value"] == pytest.approx(100.0)
    assert f["currency"] == "EUR"
    traffic = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=60), "sessions": 100})
    visitors, source = V.monthly_visitors(traffic, orders)
    assert visitors == pytest.approx(100 * 30.44) and "sessions" in source
    visitors, source = V.monthly_visitors(None, orders)
    assert visitors == pytest.approx(f["monthly_orders"] / 0.02) and "assumed" in source


def test_abtest_lever_on_a_planted_lift():
    rng = np.random.default_rng(0)
    n = 6000
    variant = np.where(rng.random(n) < 0.5, "control", "treatment")
    converted = (rng.random(n) < np.where(variant == "treatment", 0.12, 0.08)).astype(int)
    exp = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "variant": variant, "converted": converted})
    orders = pd.DataFrame({"order_id": ["a", "b"], "order_date": pd.to_datetime(["2026-01-01", "2026-03-01"]),
                           "revenue": [80.0, 120.0], "line_type": "sale", "is_duplicate": False, "currency": "USD"})
    lv = V.lever_abtest(exp, orders, None)
    assert lv.estimate is not None, lv.problem
    e = lv.estimate
    assert e.evidence_kind == "measured"
    assert 0 < e.monthly_low < e.monthly_value < e.monthly_high
    assert "treatment" in lv.context
    # no experiment: a message, not an exception
    missing = V.lever_abtest(None, orders, None)
    assert missing.estimate is None and "A/B test" in missing.problem


def _synthetic_orders(n_days: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    oid = 0
    for d in range(n_days):
        day = pd.Timestamp("2025-06-01") + pd.Timedelta(days=d)
        for _ in range(int(rng.poisson(6 + 3 * (day.dayofweek >= 5)))):
            oid += 1
            cust = f"C{rng.integers(0, 120)}"
            for p in rng.choice(30, size=rng.integers(1, 4), replace=False):
                price = 10.0 + p
                rows.append({"order_id": f"O{oid}", "order_date": day + pd.Timedelta(hours=int(rng.integers(8, 22))),
                             "customer_id": cust, "product_id": f"P{p}", "product_name": f"Product {p}",
                             "category": f"cat{p % 3}", "quantity": 1.0, "unit_price": price, "revenue": price,
                             "discount": 0.0, "currency": "EUR", "country": "DE", "channel": "web", "status": "paid",
                             "line_type": "sale", "is_duplicate": False})
    return pd.DataFrame(rows)


def test_real_levers_on_a_small_store_and_a_summary_of_them():
    """The real capability functions, through our adapters: each gives an estimate (or says why
    not), edits go through their own business_value, and the summary adds them up."""
    orders = _synthetic_orders()
    levers = {"recommendations": V.lever_recommendations(orders), "risk": V.lever_risk(orders)}
    for model, lv in levers.items():
        assert lv.estimate is not None or lv.problem, model
        if lv.estimate is not None:
            e = lv.estimate
            assert e.model == model and e.currency == "EUR"
            assert e.monthly_low <= e.monthly_value <= e.monthly_high
    risk = levers["risk"]
    assert risk.estimate is not None, risk.problem
    loss = next(a.value for a in risk.estimate.assumptions if a.key == "loss_share")
    doubled, note = V.apply_overrides(risk.estimate, {"loss_share": 2 * loss}, risk.recompute)
    assert doubled.monthly_value == pytest.approx(2 * risk.estimate.monthly_value, rel=1e-6)
    assert note == ""  # valuation.risk_value took loss_share itself
    s = V.summarise(levers, n_sims=2000)
    counted = sum(r.estimate.monthly_value for r in s.rows if r.counted)
    assert s.monthly.mid == pytest.approx(counted)
    assert s.currency == "EUR"


def test_an_estimate_without_a_number_is_not_counted():
    nan = float("nan")
    levers = {"recommendations": fixed("recommendations", nan, nan, nan), "risk": fixed("risk", 100, 50, 150)}
    s = V.summarise(levers, n_sims=1000)
    assert s.monthly.mid == pytest.approx(100) and math.isfinite(s.monthly.high)
    reco = next(r for r in s.rows if r.model == "recommendations")
    assert reco.status == "not computed" and "missing a figure" in reco.needs


def test_total_of_rows_that_start_at_zero_never_reads_negative():
    # one row whose range starts at 0: its split-normal draws dip below 0 on some seeds
    levers = {"risk": fixed("risk", 100, 0, 5000)}
    raw_lows, lows = [], []
    for seed in range(20):
        sims = V.simulate(V.resolve_rows(levers, None, None), CostInputs(), 2000, seed)
        raw_lows.append(float(np.quantile(sims["monthly"], 0.05)))
        s = V.summarise(levers, costs=CostInputs(), n_sims=2000, seed=seed, with_tornado=False)
        lows += [s.monthly.low, s.assumed.low, s.monthly_profit.low]
    assert min(raw_lows) < 0  # the case the floor exists for does occur
    assert min(lows) >= 0.0
    # a row that can really lose money keeps its negative floor
    levers = {"risk": fixed("risk", 100, -300, 500)}
    s = V.summarise(levers, costs=CostInputs(), n_sims=20_000, seed=1)
    assert s.monthly.low < 0
