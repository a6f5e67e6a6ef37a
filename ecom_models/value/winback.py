"""Pricing the win-back campaign row (re-exported by `valuation`, which is at its size limit).

winback   value per month = customers targeted x response rate x expected spend of a returning
          customer over the horizon / months in the horizon. Customers targeted: the Customers
          win-back list (high past value, P(active) at most half what it was after their last
          purchase, gone under a year); expected spend of a returning customer: the Gamma-Gamma
          spend per purchase x the purchases they would make at their usual pace over the horizon
          (the list's value at stake per customer, when larger). The response rate is a prior
          (evidence kind `assumption`) until an A/B test of a win-back campaign replaces the row
          with its measured lift (the A/B keywords in `levers`). Low/high: the prior's 90% range.
"""

from __future__ import annotations

from ecom_models.core.evidence import Assumption, ValueEstimate
from ecom_models.value.priors import prior

DAYS_PER_MONTH = 30.44


def winback_value(evidence: dict, response_rate: float | None = None, customers_targeted: float | None = None,
                  spend_if_back: float | None = None, currency: str = "USD") -> ValueEstimate:
    """`evidence`: targeted (customers on the win-back list), spend_if_back (expected spend of one
    returning customer over the horizon), horizon_days, at_stake (the list's value at stake)."""
    p = prior("winback", "response_rate")
    rate = float(p.value if response_rate is None else response_rate)
    targeted = float(evidence.get("targeted") or 0.0) if customers_targeted is None else float(customers_targeted)
    spend = float(evidence.get("spend_if_back") or 0.0) if spend_if_back is None else float(spend_if_back)
    horizon = float(evidence.get("horizon_days") or 90.0)
    per_month = DAYS_PER_MONTH / horizon
    per_rate = targeted * spend * per_month
    return ValueEstimate(
        model="winback",
        lever="bring lapsing customers back with a campaign",
        monthly_value=rate * per_rate, monthly_low=p.low * per_rate, monthly_high=p.high * per_rate,
        evidence=(f"{targeted:,.0f} valuable customers slipping away (Customers page); a returning one spends "
                  f"about {spend:,.2f} in {horizon:.0f} days"),
        evidence_kind="assumption",
        assumptions=[
            Assumption("response_rate", p.label, rate, p.unit, p.source, p.low, p.high),
            Assumption("customers_targeted", "Customers on the win-back list", targeted, "customers",
                       "the Customers page's win-back list", None, None),
            Assumption("spend_if_back", "Spend of a returning customer over the horizon", spend, currency,
                       "their usual pace x their spend per purchase (BG/NBD + Gamma-Gamma)", None, None),
        ],
        currency=currency,
        note=(f"one campaign every {horizon:.0f} days; the response rate is an assumption until an A/B test of "
              "the campaign measures it (planned on the A/B tests page)."),
    )
