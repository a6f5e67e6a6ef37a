"""Tests worth running that the other pages propose: a win-back campaign's holdout test.

The Customers page lists valuable customers slipping away; Business value prices a campaign to
them with an assumed response rate. The test that replaces the assumption with a measurement:
split the list at random, send the campaign to one half only, and compare the share of each half
that buys within the horizon. The control half's rate is the customers' own P(active) (what they
would do anyway); the campaign adds the assumed response rate on top.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecom_models.core.stats import sample_size_per_arm


@dataclass
class WinbackPlan:
    targeted: int
    base_rate: float  # share of the list buying within the horizon without a campaign
    treated_rate: float  # with it (base + assumed response)
    relative_lift: float
    per_arm: int | None
    feasible: bool
    message: str


def winback_test_plan(targeted: int, base_rate: float, response_rate: float, horizon_days: int = 90,
                      alpha: float = 0.05, power: float = 0.8) -> WinbackPlan:
    """People per group to detect the assumed response (two-proportion test, two-sided)."""
    base = min(max(float(base_rate), 1e-4), 0.95)
    treated = min(base + float(response_rate), 0.99)
    lift = treated / base - 1
    n = None
    try:
        n = int(sample_size_per_arm(base, lift, alpha, power, True))
    except Exception:  # noqa: BLE001 - an impossible plan is said in words below
        n = None
    feasible = n is not None and 2 * n <= targeted
    if n is None:
        message = "No test can be planned for these figures."
    elif feasible:
        message = (f"Split your win-back list at random: {n:,} customers get the campaign, {n:,} do not. After "
                   f"{horizon_days} days compare the share who bought: {base:.1%} expected without the campaign, "
                   f"{treated:.1%} if it brings back {response_rate:.1%} more.")
    else:
        message = (f"The test needs {n:,} customers per group, and your win-back list has {targeted:,}: run the "
                   f"campaign on a wider list (or several rounds) and add the rounds up, or test a larger effect.")
    return WinbackPlan(int(targeted), base, treated, lift, n, feasible, message)
