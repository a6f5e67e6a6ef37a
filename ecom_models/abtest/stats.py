"""The statistics of an A/B test, from sufficient statistics: the tests, intervals, CUPED,
Bayesian chance to win, sequential intervals and the traffic-split (SRM) check.

Pure functions and dataclasses, no UI. Per-unit rows and pre-aggregated rows are both reduced
to the same sufficient statistics (n, sum, sum of squares, plus cross-products for ratio and
CUPED metrics), as GrowthBook's gbstats does, so one code path serves both and every formula
can be checked against hand-computed numbers.

Formulas (c = control, t = variant; "var" is the per-unit variance):
- conversion metrics: var = p (1 - p); p-value from the pooled two-proportion z-test
  z = (p_t - p_c) / sqrt(p̄ (1 - p̄) (1/n_c + 1/n_t)); CI of the difference is unpooled.
- mean metrics: var = sample variance (n - 1); Welch's t-test with Welch-Satterthwaite
  degrees of freedom df = se⁴ / ((v_c/n_c)²/(n_c - 1) + (v_t/n_t)²/(n_t - 1)).
- ratio metrics (numerator / denominator per unit): delta method
  var = v_m/d̄² - 2 cov_md m̄/d̄³ + m̄² v_d/d̄⁴, tested like a mean metric.
- relative lift r = (m_t - m_c) / m_c with delta-method variance
  v_t/(n_t m_c²) + v_c m_t²/(n_c m_c⁴); its CI uses the same critical value as the test.
- CUPED: θ = cov(y, x) / var(x) pooled over the arms; adjusted mean ȳ - θ x̄; adjusted
  variance v_y + θ² v_x - 2 θ cov(x, y) (as gbstats' RegressionAdjustedStatistic).
- Bayesian: normal posterior on the relative lift, flat prior by default (posterior =
  N(r, var_r)), or a proper prior N(0, prior_sd²); chance to win = P(lift > 0); risk =
  expected relative loss, the same as gbstats' EffectBayesianABTest.
- Sequential: asymptotic confidence sequences (Waudby-Smith et al. 2023, eq. 9 and 155; the
  ones GrowthBook uses), tuning parameter 5,000 units; valid however often you look.
- SRM: chi-square goodness of fit of the units per variant against the expected split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from scipy import stats

SEQUENTIAL_TUNING = 5000.0


# --------------------------------------------------------------------------------------------
# Sufficient statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanStats:
    """n units, sum and sum of squares of one metric in one arm. binary: a 0/1 conversion."""

    n: int
    sum: float
    sum_squares: float
    binary: bool = False

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        if self.binary:
            return self.mean * (1 - self.mean)
        if self.n <= 1:
            return 0.0
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)

    def __add__(self, other: "MeanStats") -> "MeanStats":
        return MeanStats(self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares, self.binary)


@dataclass(frozen=True)
class RatioStats:
    """Per-unit numerator m and denominator d (e.g. revenue and orders), ratio = Σm / Σd."""

    n: int
    m: MeanStats
    d: MeanStats
    md_sum: float

    @property
    def mean(self) -> float:
        return self.m.sum / self.d.sum if self.d.sum else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def covariance(self) -> float:
        return (self.md_sum - self.m.sum * self.d.sum / self.n) / (self.n - 1) if self.n > 1 else 0.0

    @property
    def variance(self) -> float:
        dm, mm = self.d.mean, self.m.mean
        if dm == 0 or self.n <= 1:
            return 0.0
        v = self.m.variance / dm**2 - 2 * self.covariance * mm / dm**3 + mm**2 * self.d.variance / dm**4
        return max(v, 0.0)


@dataclass(frozen=True)
class CupedStats:
    """Metric y with pre-period covariate x; theta is shared by all arms of the comparison."""

    n: int
    post: MeanStats
    pre: MeanStats
    post_pre_sum: float
    theta: float = 0.0

    @property
    def mean(self) -> float:
        return self.post.mean - self.theta * self.pre.mean

    @property
    def unadjusted_mean(self) -> float:
        return self.post.mean

    @property
    def covariance(self) -> float:
        return (self.post_pre_sum - self.post.sum * self.pre.sum / self.n) / (self.n - 1) if self.n > 1 else 0.0

    @property
    def variance(self) -> float:
        if self.n <= 1:
            return 0.0
        return max(self.post.variance + self.theta**2 * self.pre.variance - 2 * self.theta * self.covariance, 0.0)


def cuped_theta(a: CupedStats, b: CupedStats) -> float:
    """θ = cov(y, x) / var(x) over both arms pooled (gbstats.compute_theta)."""
    n = a.n + b.n
    post = MeanStats(n, a.post.sum + b.post.sum, a.post.sum_squares + b.post.sum_squares, a.post.binary)
    pre = MeanStats(n, a.pre.sum + b.pre.sum, a.pre.sum_squares + b.pre.sum_squares, a.pre.binary)
    if pre.variance == 0 or post.variance == 0:
        return 0.0
    joint = CupedStats(n, post, pre, a.post_pre_sum + b.post_pre_sum)
    return joint.covariance / pre.variance


# --------------------------------------------------------------------------------------------
# Tests (each pinned to hand-computed values in tests/test_abtest.py)
# --------------------------------------------------------------------------------------------


def two_proportion_z(x_c: float, n_c: int, x_t: float, n_t: int, two_sided: bool = True) -> tuple[float, float]:
    """Pooled two-proportion z-test. Returns (z, p); one-sided tests 'variant > control'."""
    p_c, p_t = x_c / n_c, x_t / n_t
    pool = (x_c + x_t) / (n_c + n_t)
    se = math.sqrt(pool * (1 - pool) * (1 / n_c + 1 / n_t))
    if se == 0:
        return 0.0, 1.0
    z = (p_t - p_c) / se
    p = 2 * stats.norm.sf(abs(z)) if two_sided else stats.norm.sf(z)
    return float(z), float(p)


def welch_t(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, two_sided: bool = True) -> tuple[float, float, float]:
    """Welch's t-test. Returns (t, df, p) with Welch-Satterthwaite df; one-sided 'variant > control'."""
    a, b = var_c / n_c, var_t / n_t
    se2 = a + b
    if se2 <= 0:
        return 0.0, float("nan"), 1.0
    df = se2**2 / (a**2 / (n_c - 1) + b**2 / (n_t - 1))
    t = (mean_t - mean_c) / math.sqrt(se2)
    p = 2 * stats.t.sf(abs(t), df) if two_sided else stats.t.sf(t, df)
    return float(t), float(df), float(p)


def relative_variance(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int) -> float:
    """Delta-method variance of (mean_t - mean_c) / mean_c."""
    return var_t / (mean_c**2 * n_t) + var_c * mean_t**2 / (mean_c**4 * n_c)


def relative_lift_ci(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, crit: float) -> tuple[float, float, float, float]:
    """(relative lift, its standard error, low, high) with the given critical value."""
    rel = (mean_t - mean_c) / mean_c
    se = math.sqrt(relative_variance(mean_c, var_c, n_c, mean_t, var_t, n_t))
    return rel, se, rel - crit * se, rel + crit * se


def srm_test(counts: Iterable[float], weights: Iterable[float] | None = None) -> tuple[float, float]:
    """Chi-square test of the units per variant against the expected split. Returns (chi2, p)."""
    counts = np.asarray(list(counts), dtype=float)
    w = np.ones_like(counts) if weights is None else np.asarray(list(weights), dtype=float)
    total = counts.sum()
    if total == 0 or len(counts) < 2:
        return 0.0, 1.0
    expected = w / w.sum() * total
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return chi2, float(stats.chi2.sf(chi2, len(counts) - 1))


def holm(p_values: Iterable[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(list(p_values), dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def benjamini_hochberg(p_values: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate)."""
    p = np.asarray(list(p_values), dtype=float)
    m = len(p)
    order = np.argsort(p)[::-1]
    adj = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        adj[i] = min(running, 1.0)
    return adj


def _truncnorm_mean(mu: float, sigma: float, a: float, b: float) -> float:
    return float(stats.truncnorm.mean((a - mu) / sigma, (b - mu) / sigma, loc=mu, scale=sigma))


def bayes_relative(rel: float, var_rel: float, prior_sd: float | None = None, prior_mean: float = 0.0) -> dict:
    """Posterior of the relative lift: chance to win and risk (gbstats EffectBayesianABTest).

    prior_sd None = flat prior (posterior N(rel, var_rel)); else proper N(prior_mean, prior_sd²).
    risk_variant: expected relative loss if you ship the variant and it is in fact worse.
    """
    if not var_rel > 0 or not math.isfinite(var_rel):
        return {"chance_to_win": float("nan"), "post_mean": float("nan"), "post_sd": float("nan"), "risk_control": float("nan"), "risk_variant": float("nan")}
    if prior_sd:
        prec = 1 / var_rel + 1 / prior_sd**2
        mean = (rel / var_rel + prior_mean / prior_sd**2) / prec
    else:
        prec = 1 / var_rel
        mean = rel
    sd = math.sqrt(1 / prec)
    p_ctrl_better = float(stats.norm.cdf(0.0, loc=mean, scale=sd))
    mn_neg = _truncnorm_mean(mean, sd, -np.inf, 0.0)
    mn_pos = _truncnorm_mean(mean, sd, 0.0, np.inf)
    return {
        "chance_to_win": 1 - p_ctrl_better,
        "post_mean": mean,
        "post_sd": sd,
        "risk_control": float((1 - p_ctrl_better) * mn_pos),
        "risk_variant": -float(p_ctrl_better * mn_neg),
    }


def _rho(alpha: float, tuning: float) -> float:
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def sequential_halfwidth(variance: float, n_total: int, alpha: float, tuning: float = SEQUENTIAL_TUNING) -> float:
    """Half-width of the asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9)."""
    rho = _rho(alpha, tuning)
    s2 = variance * n_total
    return math.sqrt(s2) * math.sqrt(2 * (n_total * rho**2 + 1) * math.log(math.sqrt(n_total * rho**2 + 1) / alpha) / (n_total * rho) ** 2)


def sequential_p_value(estimate: float, variance: float, n_total: int, alpha: float, tuning: float = SEQUENTIAL_TUNING) -> float:
    """Always-valid p-value (eq. 155 of the same paper, as gbstats)."""
    if variance <= 0:
        return 1.0
    rho = _rho(alpha, tuning)
    st2 = estimate**2 * n_total / variance
    tr2p1 = n_total * rho**2 + 1
    log_e = rho**2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    return float(min(1.0, math.exp(-log_e)))
