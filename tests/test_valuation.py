"""Evidence into money: importing a capability loads no money module, the stock policy and the fraud prior by hand,
and the risk row on stores whose fraud we know."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from ecom_models.value import priors as PR
from ecom_models.value import valuation as VAL
from ecom_models.core.evidence import CatchEvidence, RiskEvidence, StockEvidence

ROOT = Path(__file__).resolve().parents[1]


def test_importing_a_capability_loads_no_money_module():
    """Which package imports which is import-linter's (.importlinter: `library-layers`, `value-inside`,
    run by tests/test_layout.py). What it does not model is a package's `__init__` running when one of
    its modules is imported: so check at run time that loading the capabilities loads no value module."""
    code = ("import sys, ecom_models.risk, ecom_models.forecast, ecom_models.recommend, ecom_models.abtest, "
            "ecom_models.images, ecom_models.reviews, ecom_models.support, ecom_models.text; "
            "bad = sorted(m for m in sys.modules if m == 'ecom_models.value' or m.startswith('ecom_models.value.')); "
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_prior_has_a_range_a_unit_and_a_source():
    for p in PR.PRIORS.values():
        assert p.low <= p.value <= p.high, p
        assert p.unit and len(p.source) > 20, p
    assert set(PR.BOUNDS) >= {"recommendations", "forecasting", "risk", "reviews", "images"}


def test_stock_policy_by_hand():
    a = {"lead_time_days": 16.0, "service_level": 0.95, "holding_rate": 0.24, "gross_margin": 0.4, "plan_share": 1.0}
    c = VAL.stock_policy_cost(100.0, a)
    z, loss = 1.6448536, 0.0208930  # standard normal 95% point and its loss function G(z)
    assert c["safety_stock"] == pytest.approx(z * 100 * 4, rel=1e-5)  # sd x sqrt(16 days)
    assert c["holding"] == pytest.approx(z * 400 * 0.6 * 0.24 / 12, rel=1e-5)
    assert c["shortfall"] == pytest.approx(400 * loss * 30.44 / 16 * 0.4, rel=1e-4)
    ev = StockEvidence("ETS", "Seasonal naive", sd_model=80.0, sd_naive=100.0, sd_diff_low=5.0, sd_diff_high=30.0,
                       mae_model=60, mae_naive=75, held_out_days=56, daily_mean=1000.0, periods_per_month=30.4)
    est = VAL.forecasting_value(ev, assumptions=a)
    naive, model = VAL.stock_policy_cost(100.0, a), VAL.stock_policy_cost(80.0, a)
    assert est.monthly_value == pytest.approx(naive["total"] - model["total"])
    assert est.monthly_value == pytest.approx(0.2 * naive["total"])  # cost is linear in the spread
    assert est.monthly_low == pytest.approx(0.05 * naive["total"]) and est.monthly_high == pytest.approx(0.3 * naive["total"])
    assert est.evidence_kind == "backtest" and "Bounded by" in est.note
    # never above the naive plan's own cost
    wild = VAL.forecasting_value(StockEvidence("ETS", "Seasonal naive", 1.0, 100.0, 90.0, 500.0, 1, 75, 56, 1000.0),
                                 assumptions=a)
    assert wild.monthly_high <= naive["total"] + 1e-9


def _risk_evidence(catch=(45, 60), decided=(0, 0, 0, 0), orders=3000.0, aov=100.0) -> RiskEvidence:
    ranks = tuple(range(10, 10 * catch[0] + 1, 10)) + tuple(range(10_000, 10_000 + catch[1] - catch[0]))
    ev = CatchEvidence(injected=catch[1], caught=catch[0], reviewed=600, orders_in_window=12_000, window_days=120,
                       capacity_per_day=5.0, by_pattern={"_ranks": ranks, "_patterns": ("bulk",) * catch[1]})
    return RiskEvidence(ev, monthly_orders=orders, order_value=aov, capacity_per_day=5.0, orders_per_day=orders / 30.44,
                        decided=decided[0], decided_fraud=decided[1], decided_in_queue=decided[2],
                        decided_fraud_in_queue=decided[3])


def test_risk_without_labels_is_the_prior_times_the_measured_catch():
    ev = _risk_evidence()
    est = VAL.risk_value(ev)
    revenue = 3000 * 100
    # median: 0.1% of orders x 75% caught x 1.5 x order value; 5% point: no fraud at all
    assert est.monthly_value == pytest.approx(0.001 * 3000 * 0.75 * 100 * 1.5, rel=0.15)
    assert est.monthly_value / revenue < 0.002
    assert est.monthly_low == 0.0
    assert est.monthly_high / revenue == pytest.approx(0.05 * 0.75 * 1.5, rel=0.2)
    assert est.evidence_kind == "assumption" and "45 of 60" in est.evidence
    # the capacity is read off the same measurement: 1 order a day catches less
    small = VAL.risk_value(ev, capacity_per_day=1.0)
    assert small.monthly_value < est.monthly_value


def test_risk_labels_move_the_base_rate_both_ways():
    none_found = VAL.risk_value(_risk_evidence(decided=(150, 0, 150, 0)))
    found = VAL.risk_value(_risk_evidence(decided=(150, 30, 150, 30)))
    prior = VAL.risk_value(_risk_evidence())
    assert none_found.evidence_kind == found.evidence_kind == "labels"
    assert none_found.monthly_value < prior.monthly_value < found.monthly_value
    assert none_found.monthly_value / (3000 * 100) < 0.001  # a store whose queue is all fine: near zero
    # 30 of 150 reviewed orders were fraud: 20% precision / lift (0.75 / 0.05 = 15) = 1.3% of orders
    assert "1.3" in found.evidence or "1.4" in found.evidence or "1.2" in found.evidence
    assert found.monthly_low > 0  # a store with fraud cannot have none
    # the interval narrows as decisions come in
    few = VAL.risk_value(_risk_evidence(decided=(20, 4, 20, 4)))
    assert (found.monthly_high - found.monthly_low) < (few.monthly_high - few.monthly_low)


def test_base_rate_prior_has_the_stated_median_and_95th_point():
    import numpy as np

    grid, w = VAL.base_rate_posterior(0.001, 0.05)
    cdf = np.cumsum(w)
    assert w[0] == pytest.approx(VAL.P_NO_FRAUD, abs=2e-3)
    assert grid[np.searchsorted(cdf, 0.5)] == pytest.approx(0.001, rel=0.05)
    assert grid[np.searchsorted(cdf, 0.95)] == pytest.approx(0.05, rel=0.05)
    assert math.isclose(w.sum(), 1.0)


# -- rank-aware: decisions keep their place in the list (ecom_models.value.risk_decisions) ----------
def _ranked_store(n_decided: int, shape: str, seed: int = 0):
    """A store of 9,000 orders over 90 days, the queue its 450 riskiest (5 a day), fraud whose chance
    falls with the rank (60% at the top, 1% by rank 450); every order worth 100, fraud 150.
    Returns (evidence, the true monthly fraud value in the queue)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n, k, days = 9000, 450, 90.0
    rank = np.arange(1, n + 1)
    p = 1 / (1 + np.exp(-(0.4 - 1.2 * np.log(rank / 1.0))))
    is_fraud = rng.random(n) < p
    value = np.where(is_fraud, 150.0, 100.0)
    picked = {"top": np.arange(n_decided), "random": rng.choice(k, n_decided, replace=False),
              "outside": k + rng.choice(2 * k, n_decided, replace=False)}[shape]
    decisions = tuple((int(rank[i]), int(is_fraud[i]), float(value[i])) for i in picked)
    df = int(is_fraud[picked].sum())
    inq = picked < k
    base = _risk_evidence(decided=(n_decided, df, int(inq.sum()), int((is_fraud[picked] & inq).sum())),
                          orders=n / days * 30.44)
    from dataclasses import replace

    ev = replace(base, period_days=days, n_ranked=n, ranked_values=tuple(value[:2500]), decisions=decisions)
    truth = float(value[:k][is_fraud[:k]].sum()) / days * 30.44
    return ev, truth, picked, is_fraud, value


def test_top_ranked_decisions_are_not_read_as_a_random_sample_of_the_queue():
    from ecom_models.value.risk_decisions import decision_money

    ev, truth, picked, is_fraud, value = _ranked_store(100, "top")
    est = VAL.risk_value(ev)
    assert est.monthly_low <= truth <= est.monthly_high
    assert abs(est.monthly_value - truth) / truth < 0.35
    # confirmed money: exactly the marked fraud among the 450 riskiest, at its own values
    dm = decision_money(ev, 5.0)
    assert dm.confirmed == pytest.approx(value[picked][is_fraud[picked]].sum() / 90 * 30.44)
    assert dm.open_orders == 350 and dm.fitted and dm.p_top > dm.p_end  # the chance falls down the list
    assert "Confirmed" in est.note and "extrapolated" in est.note and "(extrapolated)" in est.evidence
    # the old reading (decisions = a random sample of the queue) overstates this store
    old = VAL.risk_value(replace_ranked(ev))
    assert old.monthly_value > 1.5 * truth


def replace_ranked(ev):
    from dataclasses import replace

    return replace(ev, ranked_values=(), decisions=())


@pytest.mark.parametrize("shape", ["random", "outside"])
def test_decisions_of_other_shapes_are_covered(shape):
    ev, truth, *_ = _ranked_store(100, shape, seed=3)
    est = VAL.risk_value(ev)
    assert est.monthly_low <= truth <= est.monthly_high, (shape, truth, est)


def test_few_decisions_fall_back_to_the_prior_with_the_confirmed_money_kept():
    ev, truth, picked, is_fraud, value = _ranked_store(10, "top")
    est = VAL.risk_value(ev)
    confirmed = value[picked][is_fraud[picked]].sum() / 90 * 30.44
    assert est.monthly_low >= confirmed - 1e-6  # what was marked is money for sure
    assert est.monthly_low <= truth <= est.monthly_high
    assert est.evidence_kind == "assumption" and "too few decisions" in est.evidence
    wide = VAL.risk_value(_ranked_store(100, "top")[0])
    assert est.monthly_high - est.monthly_low > 3 * (wide.monthly_high - wide.monthly_low)
