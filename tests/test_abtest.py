"""A/B test statistics: every formula pinned to hand-computed values, and agreement with gbstats.

Hand-computed values below were worked out with plain arithmetic (math module) from the
textbook formulas written next to each test, and cross-checked with scipy.stats.chisquare,
scipy.stats.ttest_ind_from_stats(equal_var=False) and statsmodels' proportions_ztest.

gbstats reference numbers were computed ONCE with gbstats 0.8.0 (GrowthBook's Python stats
engine) installed in a throwaway venv (python3 -m venv /tmp/gbvenv; pip install gbstats), e.g.
    a = ProportionStatistic(n=11775, sum=578); b = ProportionStatistic(n=12225, sum=676)
    EffectBayesianABTest(a, b).compute_result()          # flat prior, relative effect
    EffectBayesianABTest(a, b, EffectBayesianConfig(prior_effect=GaussianPrior(0, 0.3**2, True)))
    TwoSidedTTest(a, b).compute_result(); SequentialTwoSidedTTest(a, b).compute_result()
gbstats is not a runtime dependency; the numbers are copied here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ecom_models import abtest as ab
from ecom_models.core.errors import InputError


def mean_stats(mean, var, n):
    s = mean * n
    return ab.MeanStats(n, s, var * (n - 1) + s * s / n)


# ---------------------------------------------------------------- formulas vs hand values


def test_two_proportion_z_matches_hand_computation():
    # pooled p = 230/2000 = 0.115; se = sqrt(0.115*0.885*(1/1000+1/1000)); z = 0.03/se
    z, p = ab.two_proportion_z(100, 1000, 130, 1000)
    assert z == pytest.approx(2.102740605622114, abs=1e-6)
    assert p == pytest.approx(0.03548845046647471, abs=1e-6)
    z1, p1 = ab.two_proportion_z(100, 1000, 130, 1000, two_sided=False)
    assert p1 == pytest.approx(0.017744225233237355, abs=1e-6)
    # the comparison row uses it for conversion metrics
    row = ab.compare(ab.MeanStats(1000, 100, 100, True), ab.MeanStats(1000, 130, 130, True), "conversion")
    assert row["p_value"] == pytest.approx(0.03548845046647471, abs=1e-6)
    assert row["abs_lift"] == pytest.approx(0.03, abs=1e-12)
    # unpooled CI of the difference: 0.03 ± 1.959964 * sqrt(.1*.9/1000 + .13*.87/1000)
    se = math.sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000)
    assert row["abs_ci_low"] == pytest.approx(0.03 - 1.959963984540054 * se, abs=1e-9)


def test_welch_t_with_welch_satterthwaite_df():
    # means 10 vs 11, variances 4 vs 9, n 50 vs 40: se² = 4/50 + 9/40 = 0.305
    # df = 0.305² / ((0.08²)/49 + (0.225²)/39) = 65.11213361536137
    t, df, p = ab.welch_t(10.0, 4.0, 50, 11.0, 9.0, 40)
    assert t == pytest.approx(1.0 / math.sqrt(0.305), abs=1e-9)
    assert t == pytest.approx(1.8107149208503706, abs=1e-6)
    assert df == pytest.approx(65.11213361536137, abs=1e-6)
    assert p == pytest.approx(0.07479873860026835, abs=1e-6)
    row = ab.compare(mean_stats(10.0, 4.0, 50), mean_stats(11.0, 9.0, 40), "mean")
    assert row["p_value"] == pytest.approx(0.07479873860026835, abs=1e-6)
    assert row["dof"] == pytest.approx(65.11213361536137, abs=1e-6)


def test_delta_method_relative_ci():
    # r = 11/10 - 1 = 0.1; var = 9/(10²·40) + 4·11²/(10⁴·50) = 0.00225 + 0.000968 = 0.003218
    rel, se, lo, hi = ab.relative_lift_ci(10.0, 4.0, 50, 11.0, 9.0, 40, 1.959963984540054)
    assert rel == pytest.approx(0.1, abs=1e-12)
    assert se**2 == pytest.approx(0.003218, abs=1e-12)
    assert lo == pytest.approx(-0.011183697028807574, abs=1e-6)
    assert hi == pytest.approx(0.21118369702880774, abs=1e-6)


def test_srm_chi_square():
    # (480-500)²/500 + (520-500)²/500 = 1.6 → p = 0.20590321073206466 (1 df)
    chi2, p = ab.srm_test([480, 520])
    assert chi2 == pytest.approx(1.6, abs=1e-9)
    assert p == pytest.approx(0.20590321073206466, abs=1e-6)
    chi2, p = ab.srm_test([100, 130, 170])
    assert chi2 == pytest.approx(18.5, abs=1e-9)
    assert p == pytest.approx(9.611165206139472e-05, abs=1e-6)
    # expected split 25/75: (300-250)²/250 + (700-750)²/750 = 13.333…
    chi2, p = ab.srm_test([300, 700], [1, 3])
    assert chi2 == pytest.approx(13.333333333333334, abs=1e-9)
    assert p == pytest.approx(0.0002607296328553165, abs=1e-6)
    assert ab.srm_test([11775, 12225])[1] == pytest.approx(0.003675612117741226, abs=1e-9)  # gbstats check_srm


def test_sample_size_and_power():
    # 10% → 11%: (1.959964·sqrt(2·.105·.895) + 0.841621·sqrt(.1·.9 + .11·.89))² / 0.01² = 14750.06 → 14751
    assert ab.sample_size_per_arm(0.10, 0.10) == 14751
    za, zb = 1.959963984540054, 0.8416212335729143
    p1, p2 = 0.05, 0.06
    n = (za * math.sqrt(2 * 0.055 * 0.945) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / 0.01**2
    assert ab.sample_size_per_arm(0.05, 0.20) == math.ceil(n)
    # one-sided needs fewer units
    assert ab.sample_size_per_arm(0.10, 0.10, two_sided=False) < 14751
    # power is the inverse: at the exact n the power is 80%
    n_exact = (za * math.sqrt(2 * 0.105 * 0.895) + zb * math.sqrt(0.1 * 0.9 + 0.11 * 0.89)) ** 2 / 0.01**2
    assert ab.power_two_proportions(0.10, 0.10, n_exact) == pytest.approx(0.8, abs=1e-6)
    assert ab.power_two_proportions(0.10, 0.10, 14751) >= 0.8
    assert ab.mde_two_proportions(0.10, n_exact) == pytest.approx(0.10, abs=1e-6)
    # mean metric: 2 sd² (za+zb)² / (mde·mean)² = 2·25·7.848879/1 = 392.44 → 393
    assert ab.sample_size_mean(10.0, 5.0, 0.1) == math.ceil(2 * 25 * (za + zb) ** 2 / 1.0)


def test_sample_size_rejects_impossible_plans():
    for args in [(0.0, 0.1), (1.2, 0.1), (0.5, 0.0), (0.9, 0.5)]:
        with pytest.raises(InputError):
            ab.sample_size_per_arm(*args)


def test_holm_and_bh():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted .005,.01,.03,.04 → 4·.005=.02, 3·.01=.03, 2·.03=.06, 1·.04=.04→max .06
    assert np.allclose(ab.holm(p), [0.03, 0.06, 0.06, 0.02])
    # BH: .04·4/4=.04, .03·4/3=.04, .01·4/2=.02, .005·4/1=.02
    assert np.allclose(ab.benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])


# ---------------------------------------------------------------- gbstats agreement


def test_chance_to_win_and_risk_match_gbstats_proportions():
    sc, st = ab.MeanStats(11775, 578, 578, True), ab.MeanStats(12225, 676, 676, True)
    row = ab.compare(sc, st, "conversion")
    assert row["rel_lift"] == pytest.approx(0.12649924639650167, abs=1e-9)
    assert row["chance_to_win"] == pytest.approx(0.9791135087240388, abs=1e-6)
    assert row["risk_control"] == pytest.approx(0.126978366208909, abs=1e-6)
    assert row["risk_variant"] == pytest.approx(0.00047911981240732134, abs=1e-6)
    proper = ab.compare(sc, st, "conversion", ab.Settings(prior_sd=0.3))
    assert proper["chance_to_win"] == pytest.approx(0.976894579406124, abs=1e-6)
    neg = ab.compare(ab.MeanStats(1000, 100, 100, True), ab.MeanStats(1000, 90, 90, True), "conversion")
    assert neg["chance_to_win"] == pytest.approx(0.21077414089306634, abs=1e-6)
    assert neg["risk_variant"] == pytest.approx(0.11485774307010431, abs=1e-6)


def test_mean_metric_matches_gbstats_ttest_and_sequential():
    sc = ab.MeanStats(500, 1520.5, 32000.25)
    st = ab.MeanStats(480, 1610.0, 35500.0)
    row = ab.compare(sc, st, "mean")
    assert row["chance_to_win"] == pytest.approx(0.7287497112453788, abs=1e-6)
    assert row["rel_ci_low"] == pytest.approx(-0.22884296840706014, abs=1e-6)
    assert row["rel_ci_high"] == pytest.approx(0.43480591919079353, abs=1e-6)
    seq = ab.compare(sc, st, "mean", ab.Settings(sequential=True))
    assert seq["rel_ci_low"] == pytest.approx(-0.4675469242904699, abs=1e-6)
    assert seq["rel_ci_high"] == pytest.approx(0.6735098750742032, abs=1e-6)
    assert seq["p_value"] == pytest.approx(1.0, abs=1e-9)
    # the always-valid interval is wider than the fixed one
    assert seq["rel_ci_high"] - seq["rel_ci_low"] > row["rel_ci_high"] - row["rel_ci_low"]


def test_ratio_metric_matches_gbstats():
    ra = ab.RatioStats(300, ab.MeanStats(300, 9000.0, 400000.0), ab.MeanStats(300, 450.0, 900.0), 16000.0)
    rb = ab.RatioStats(310, ab.MeanStats(310, 9800.0, 450000.0), ab.MeanStats(310, 460.0, 920.0), 17500.0)
    row = ab.compare(ra, rb, "ratio")
    assert row["rel_lift"] == pytest.approx(0.06521739130434785, abs=1e-9)
    assert row["chance_to_win"] == pytest.approx(0.8780714991320773, abs=1e-6)
    assert row["rel_ci_low"] == pytest.approx(-0.0446838503072776, abs=1e-6)
    assert row["rel_ci_high"] == pytest.approx(0.1751186329159733, abs=1e-6)


def test_cuped_matches_gbstats_regression_adjustment():
    ca = ab.CupedStats(400, ab.MeanStats(400, 2000.0, 16000.0), ab.MeanStats(400, 1900.0, 14000.0), 13500.0)
    cb = ab.CupedStats(410, ab.MeanStats(410, 2200.0, 18000.0), ab.MeanStats(410, 1950.0, 14500.0), 14200.0)
    theta = ab.cuped_theta(ca, cb)
    assert theta == pytest.approx(0.7584871406959152, abs=1e-9)
    from dataclasses import replace

    row = ab.compare(replace(ca, theta=theta), replace(cb, theta=theta), "mean")
    assert row["rel_lift"] == pytest.approx(0.07224574738939538, abs=1e-9)
    assert row["chance_to_win"] == pytest.approx(0.9623747710236189, abs=1e-6)
    assert row["rel_ci_low"] == pytest.approx(-0.007472098689268916, abs=1e-6)
    assert row["rel_ci_high"] == pytest.approx(0.15196359346805965, abs=1e-6)


# ---------------------------------------------------------------- behaviour on data


def _frame(n=4000, lift=0.3, seed=1, pre=True):
    rng = np.random.default_rng(seed)
    v = rng.choice(["control", "treatment"], n)
    base = rng.gamma(2.0, 5.0, n)
    p = np.where(v == "treatment", 0.10 * (1 + lift), 0.10)
    conv = (rng.random(n) < p).astype(int)
    rev = conv * (base * 3 + rng.gamma(2, 10, n))
    df = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "group": v, "purchased": conv, "revenue": rev,
                       "country": rng.choice(["DE", "FR", "US"], n),
                       "day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 14, n), "D")})
    if pre:
        df["pre_revenue"] = base * 3 + rng.normal(0, 1, n)
    return df


def test_detection_finds_columns():
    spec = ab.detect_experiment(_frame())
    assert spec.variant_col == "group"
    assert spec.unit_col == "user_id"
    assert spec.covariate_col == "pre_revenue"
    assert spec.date_col == "day"
    assert spec.segment_cols == ["country"]
    assert [(m.name, m.kind) for m in spec.metrics] == [("purchased", "conversion"), ("revenue", "mean")]
    assert spec.control == "control"


def test_control_naming():
    assert ab.default_control(["B", "A"]) == "A"
    assert ab.default_control(["new_design", "original"]) == "original"
    assert ab.default_control(["gate_40", "gate_30"]) == "gate_30"
    assert ab.default_control(["treatment", "Control group"]) == "Control group"


def test_cuped_reduces_variance_and_keeps_estimate():
    df = _frame(6000, lift=0.2, seed=3)
    rng = np.random.default_rng(3)
    df["revenue"] = df["pre_revenue"] * np.where(df.group == "treatment", 1.05, 1.0) + rng.normal(0, 5, len(df))
    with_c = ab.analyze(df, settings=ab.Settings(cuped=True)).row("revenue")
    without = ab.analyze(df, settings=ab.Settings(cuped=False)).row("revenue")
    assert with_c.variance_reduction > 0.3
    assert (with_c.rel_ci_high - with_c.rel_ci_low) < (without.rel_ci_high - without.rel_ci_low)
    assert abs(with_c.rel_lift - without.rel_lift) < 0.1


def test_capping_counts_units():
    df = _frame(2000, seed=4, pre=False)
    df.loc[5, "revenue"] = 1e6
    r = ab.analyze(df, settings=ab.Settings(cap_percentile=0.999)).row("revenue")
    assert r.capped_units == 2  # 0.1% of 2,000 units lie above the 99.9th percentile
    assert r.value_control < 1000 and r.value_variant < 1000


def test_planted_lift_inside_interval_and_segments_and_time():
    df = _frame(20000, lift=0.3, seed=5)
    res = ab.analyze(df)
    r = res.row("purchased")
    assert r.rel_ci_low < 0.3 < r.rel_ci_high
    assert r.significant and r.chance_to_win > 0.99
    assert ab.verdict(res).call == "ship"
    seg = ab.segment_results(df, res.spec, "country", "purchased", "control")
    assert set(seg.segment) == {"DE", "FR", "US"}
    cum = ab.cumulative_lift(df, res.spec, "purchased", "control", "treatment")
    assert len(cum) == 14
    assert (cum.seq_ci_high - cum.seq_ci_low >= cum.ci_high - cum.ci_low).all()
    assert cum.iloc[-1].rel_lift == pytest.approx(ab.analyze(df, settings=ab.Settings(cuped=False)).row("purchased").rel_lift)


def test_no_effect_gives_no_ship():
    df = _frame(3000, lift=0.0, seed=11)
    res = ab.analyze(df)
    assert ab.verdict(res).call in {"keep running", "inconclusive"}


def test_ratio_metric_on_per_unit_data():
    rng = np.random.default_rng(2)
    n = 3000
    orders = rng.poisson(2, n) + 1
    df = pd.DataFrame({"visitor_id": range(n), "variant": rng.choice(["A", "B"], n), "orders": orders,
                       "revenue": orders * rng.gamma(3, 10, n)})
    spec = ab.detect_experiment(df)
    assert any(m.kind == "ratio" and m.column == "revenue" and m.denominator == "orders" for m in spec.metrics)
    res = ab.analyze(df, metrics=["revenue/orders"])
    r = res.row()
    sums = df.groupby("variant")[["revenue", "orders"]].sum()
    assert r.value_control == pytest.approx(sums.loc["A", "revenue"] / sums.loc["A", "orders"])
    assert r.kind == "ratio"


def test_multiple_variants_and_corrections():
    rng = np.random.default_rng(9)
    n = 6000
    df = pd.DataFrame({"user": range(n), "arm": rng.choice(["control", "v1", "v2"], n), "clicked": rng.integers(0, 2, n),
                       "spend": rng.gamma(2, 3, n)})
    res = ab.analyze(df, settings=ab.Settings(correction="holm"))
    assert len(res.table) == 4
    assert (res.table.p_holm >= res.table.p_value - 1e-12).all()
    assert (res.table.p_bh >= res.table.p_value - 1e-12).all()
    assert (res.table.significant == (res.table.p_holm < 0.05)).all()


def test_aggregated_input():
    df = pd.DataFrame({"variant": ["control", "treatment"], "users": [1000, 1000], "conversions": [100, 130],
                       "revenue_sum": [5000.0, 5600.0], "revenue_sum_squares": [260000.0, 300000.0]})
    res = ab.analyze(df)
    assert res.spec.aggregated
    conv = res.row("conversions")
    assert conv.p_value == pytest.approx(0.03548845046647471, abs=1e-6)
    mean = res.row("revenue per unit")
    assert mean.value_control == pytest.approx(5.0)


def test_business_value_uses_lift_interval():
    df = _frame(20000, lift=0.3, seed=5)
    res = ab.analyze(df)
    from ecom_models.value.valuation import abtest_value

    v = abtest_value(res, monthly_visitors=100000, average_order_value=50.0)
    r = res.row("purchased")
    assert v.evidence_kind == "measured"
    assert v.monthly_value == pytest.approx(100000 * r.value_control * r.rel_lift * 50.0)
    assert v.monthly_low < v.monthly_value < v.monthly_high


def test_html_summary_escapes_user_text():
    df = _frame(2000, seed=6)
    df["group"] = df["group"].replace({"treatment": "<script>alert(1)</script>"})
    res = ab.analyze(df)
    page = ab.html_summary(res)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "metric" in ab.results_csv(res).splitlines()[0]


# ---------------------------------------------------------------- bad input


def test_one_variant_only():
    df = _frame(200)
    df["group"] = "control"
    with pytest.raises(InputError, match="only one variant"):
        ab.analyze(df, ab.detect_experiment(df, variant_col="group"))


def test_empty_arm_aggregated():
    df = pd.DataFrame({"variant": ["control", "treatment"], "users": [1000, 0], "conversions": [100, 0]})
    with pytest.raises(InputError, match="no units"):
        ab.analyze(df)


def test_metric_without_variance():
    df = _frame(500)
    df["purchased"] = 0
    with pytest.raises(InputError, match="same value for everyone"):
        ab.analyze(df, metrics=["purchased"])


def test_non_numeric_metric():
    df = _frame(500)
    df["revenue"] = df["revenue"].astype(str)
    df.loc[3:100, "revenue"] = "lots"
    spec = ab.detect_experiment(df)
    with pytest.raises(InputError, match="text, not numbers") as err:
        ab.analyze(df, spec, metrics=["revenue"])
    assert err.value.row == 5  # first bad value is data row 3 → line 5 of the file


def test_too_many_variants():
    df = pd.DataFrame({"variant": [f"v{i}" for i in range(200)], "user_id": range(200), "converted": [0, 1] * 100})
    with pytest.raises(InputError, match="wrong column"):
        ab.detect_experiment(df, variant_col="variant")


def test_conversions_above_units():
    df = pd.DataFrame({"variant": ["A", "B"], "visitors": [100, 100], "conversions": [20, 120]})
    with pytest.raises(InputError, match="impossible") as err:
        ab.analyze(df)
    assert err.value.row == 3


def test_unknown_control():
    with pytest.raises(InputError, match="no variant called"):
        ab.analyze(_frame(300), control="nope")


def test_demo_store_planted_lift_inside_interval():
    from ecom_models.demo.store import demo_store

    store = demo_store()
    res = ab.analyze(store.experiment)
    assert res.spec.variant_col == "variant" and res.spec.covariate_col == "pre_revenue"
    truth = store.truth["ab_true_rel_lift"]
    for cuped in (True, False):
        r = ab.analyze(store.experiment, settings=ab.Settings(cuped=cuped)).row("converted")
        assert r.rel_ci_low < truth < r.rel_ci_high
        assert r.value_control == pytest.approx(store.truth["ab_control_rate"], abs=0.01)


def test_sequential_matches_gbstats_when_significant():
    # gbstats 0.8.0: SequentialTwoSidedTTest(ProportionStatistic(20000, 2000), ProportionStatistic(20000, 2250))
    sc, st = ab.MeanStats(20000, 2000, 2000, True), ab.MeanStats(20000, 2250, 2250, True)
    row = ab.compare(sc, st, "conversion", ab.Settings(sequential=True))
    assert row["rel_lift"] == pytest.approx(0.125, abs=1e-12)
    assert row["rel_ci_low"] == pytest.approx(0.01998896471492996, abs=1e-6)
    assert row["rel_ci_high"] == pytest.approx(0.23001103528507, abs=1e-6)
    assert row["p_value"] == pytest.approx(0.006015949965084741, abs=1e-6)
    # alpha 0.1 and tuning 10,000 units
    row = ab.compare(sc, st, "conversion", ab.Settings(confidence=0.9, sequential=True, tuning=10000))
    assert row["rel_ci_low"] == pytest.approx(0.03146268235297467, abs=1e-6)
    assert row["p_value"] == pytest.approx(0.004529778905095078, abs=1e-6)
    fixed = ab.compare(sc, st, "conversion")
    assert fixed["rel_ci_high"] - fixed["rel_ci_low"] < row["rel_ci_high"] - row["rel_ci_low"]


def test_metric_names_do_not_collide_with_ratio_numerators():
    rng = np.random.default_rng(4)
    n = 1000
    df = pd.DataFrame({"customer_id": range(n), "bucket": rng.choice(["old", "new"], n), "spend": rng.gamma(2, 5, n),
                       "orders": rng.poisson(2, n) + 1})
    spec = ab.detect_experiment(df)
    assert [(m.name, m.kind) for m in spec.metrics] == [("spend", "mean"), ("orders", "mean"), ("spend per orders", "ratio")]
    res = ab.analyze(df, spec, metrics=["spend", "orders", "spend per orders"])
    assert res.table.metric.tolist() == ["spend", "orders", "spend per orders"]
    assert res.control == "old"
    assert res.row("spend").value_control == pytest.approx(df[df.bucket == "old"].spend.mean())


def test_aggregated_by_day_and_small_per_user_files():
    rng = np.random.default_rng(0)
    agg = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=30).repeat(2), "variant": ["A", "B"] * 30,
                        "users": rng.integers(900, 1100, 60), "conversions": rng.integers(80, 120, 60)})
    res = ab.analyze(agg)
    assert res.spec.aggregated
    a = agg[agg.variant == "A"]
    assert res.row().units_control == a.users.sum()
    assert res.row().value_control == pytest.approx(a.conversions.sum() / a.users.sum())
    # a small per-user file with a 'sessions' count is not mistaken for an aggregated one
    small = pd.DataFrame({"user_id": range(60), "variant": ["A", "B"] * 30, "sessions": rng.integers(1, 5, 60), "bought": rng.integers(0, 2, 60)})
    assert not ab.detect_experiment(small).aggregated
