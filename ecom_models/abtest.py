"""A/B test statistics (placeholder header; full engine follows)."""

from __future__ import annotations

import math

from scipy import stats

from ecom_models.errors import InputError


def _z(q: float) -> float:
    return float(stats.norm.ppf(q))


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
    if not 0 < p1 < 1:
        raise InputError(f"The baseline conversion rate must be between 0% and 100% (got {p1:.4g}).", fix="enter it as a share, e.g. 0.03 for 3%.")
    if relative_mde == 0 or not math.isfinite(relative_mde):
        raise InputError("The smallest lift worth detecting cannot be zero.", fix="enter e.g. 0.05 for a 5% relative lift.")
    p2 = p1 * (1 + relative_mde)
    if not 0 < p2 < 1:
        raise InputError(f"A {relative_mde:.0%} lift on a {p1:.2%} rate gives an impossible rate ({p2:.2%}).", fix="choose a smaller lift.")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InputError("Significance level and power must be between 0 and 1.", fix="use e.g. alpha 0.05 and power 0.8.")
    za = _z(1 - alpha / 2) if two_sided else _z(1 - alpha)
    zb = _z(power)
    pbar = (p1 + p2) / 2
    num = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return int(math.ceil(num / (p2 - p1) ** 2))
