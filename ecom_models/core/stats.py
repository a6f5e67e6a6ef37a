"""Small statistics shared by every capability: one Wilson interval, one two-proportion plan.

- `wilson(k, n, z)`: the Wilson score interval for a proportion k/n (Wilson 1927; the form in
  Agresti & Coull 1998). z = 1.96 gives 95%, 1.645 gives 90%. n <= 0 gives (nan, nan).
- Planning a test of two proportions or two means (z-tests, normal approximation): units per
  arm, power for a given size, smallest detectable lift. Formulas in each docstring.
"""

from __future__ import annotations

import math

from ecom_models.core.errors import InputError


def wilson(successes: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of successes/n, clipped to [0, 1]; (nan, nan) when n <= 0."""
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# -- planning ------------------------------------------------------------------------------------
def _z(q: float) -> float:
    from scipy import stats  # lazily: core stays cheap to import

    return float(stats.norm.ppf(q))


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


def _check_plan(p1: float, relative_mde: float, alpha: float, power: float | None = None) -> float:
    if not 0 < p1 < 1:
        raise InputError(f"The baseline conversion rate must be between 0% and 100% (got {p1:.4g}).", fix="enter it as a share, e.g. 0.03 for 3%.")
    if relative_mde == 0 or not math.isfinite(relative_mde):
        raise InputError("The smallest lift worth detecting cannot be zero.", fix="enter e.g. 0.05 for a 5% relative lift.")
    p2 = p1 * (1 + relative_mde)
    if not 0 < p2 < 1:
        raise InputError(f"A {relative_mde:.0%} lift on a {p1:.2%} rate gives an impossible rate ({p2:.2%}).", fix="choose a smaller lift.")
    if not 0 < alpha < 1 or (power is not None and not 0 < power < 1):
        raise InputError("Significance level and power must be between 0 and 1.", fix="use e.g. alpha 0.05 and power 0.8.")
    return p2


def sample_size_per_arm(
    baseline_rate: float,
    relative_mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
) -> int:
    """Units needed in EACH arm for a two-proportion z-test.

    n = (z_a * sqrt(2 p̄ (1 - p̄)) + z_b * sqrt(p1 (1 - p1) + p2 (1 - p2)))² / (p2 - p1)²
    with p1 = baseline_rate, p2 = p1 (1 + relative_mde), p̄ = (p1 + p2) / 2,
    z_a = z(1 - alpha/2) two-sided (z(1 - alpha) one-sided), z_b = z(power).
    """
    p1 = float(baseline_rate)
    p2 = _check_plan(p1, relative_mde, alpha, power)
    return sample_size_two_rates(p1, p2, alpha, power, two_sided)


def sample_size_two_rates(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8,
                          two_sided: bool = True) -> int:
    """sample_size_per_arm's formula on the two rates themselves (p1 may be 0: a new channel)."""
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    zb = _z(power)
    pbar = (p1 + p2) / 2
    num = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return int(math.ceil(num / (p2 - p1) ** 2))


def power_two_proportions(baseline_rate: float, relative_mde: float, n_per_arm: float, alpha: float = 0.05, two_sided: bool = True) -> float:
    """Power of the two-proportion z-test with n units per arm (inverse of sample_size_per_arm).

    power = Φ((|p2 - p1| sqrt(n) - z_a sqrt(2 p̄ (1 - p̄))) / sqrt(p1 (1 - p1) + p2 (1 - p2)))
    """
    p1 = float(baseline_rate)
    p2 = _check_plan(p1, relative_mde, alpha)
    if n_per_arm <= 0:
        return 0.0
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    pbar = (p1 + p2) / 2
    zb = (abs(p2 - p1) * math.sqrt(n_per_arm) - za * math.sqrt(2 * pbar * (1 - pbar))) / math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    from scipy import stats

    return float(stats.norm.cdf(zb))


def mde_two_proportions(baseline_rate: float, n_per_arm: float, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True) -> float:
    """Smallest relative lift (upwards) detectable with the given power and n units per arm."""
    p1 = float(baseline_rate)
    _check_plan(p1, 0.01, alpha, power)
    if n_per_arm <= 1:
        return float("inf")
    hi = (1 - 1e-9) / p1 - 1
    if power_two_proportions(p1, hi, n_per_arm, alpha, two_sided) < power:
        return float("inf")
    lo = 1e-9
    for _ in range(200):
        mid = (lo + hi) / 2
        if power_two_proportions(p1, mid, n_per_arm, alpha, two_sided) >= power:
            hi = mid
        else:
            lo = mid
        if hi - lo < 1e-10:
            break
    return float(hi)


def sample_size_mean(mean: float, sd: float, relative_mde: float, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True) -> int:
    """Units per arm for a mean metric (normal approximation): 2 sd² (z_a + z_b)² / (mde·mean)²."""
    delta = abs(relative_mde * mean)
    if delta == 0 or sd <= 0:
        raise InputError("Cannot plan a test on a metric whose average or spread is zero.", fix="pick a metric that varies between customers.")
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    return int(math.ceil(2 * sd**2 * (za + _z(power)) ** 2 / delta**2))


def power_mean(mean: float, sd: float, relative_mde: float, n_per_arm: float, alpha: float = 0.05, two_sided: bool = True) -> float:
    if n_per_arm <= 0 or sd <= 0:
        return 0.0
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    from scipy import stats

    return float(stats.norm.cdf(abs(relative_mde * mean) / (sd * math.sqrt(2 / n_per_arm)) - za))


def finite(x) -> bool:
    """x is a real, finite number (None, text, nan and inf are not)."""
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
