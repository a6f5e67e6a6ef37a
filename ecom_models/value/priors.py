"""THE table of priors: every number the money rests on that is not the store's own, and the
plausibility bound of each lever.

A `Prior` is a value (the median / default), its 90% range, a unit and the published source
(docs/value.md, "Priors", lists each with its references). `PRIORS` is keyed "lever.key";
`prior`, `prior_value` and `as_assumption` read it; `priors_table` shows it as a DataFrame. `BOUNDS`
is the largest believable share of the store's monthly net revenue per lever (a row above it is
flagged), `ASSUMED_TOTAL_BOUND` the same for the "if the assumptions hold" total. Pricing
(`valuation.py`) and the adding-up (`summary.py`) both read this table; it imports only core.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from ecom_models.core.evidence import Assumption


@dataclass(frozen=True)
class Prior:
    """One number the money rests on that is not the store's own."""

    key: str
    lever: str
    label: str
    value: float  # the median / default
    low: float  # 90% range
    high: float
    unit: str
    source: str  # where the figure comes from (docs/value.md has the full references)


# =========================================================================================
# THE table of priors (docs/value.md: "Priors" lists each with its sources)
# =========================================================================================
_P = [
    # -- risk -----------------------------------------------------------------------------
    Prior("base_rate", "risk", "Share of orders that are fraud (before any review)", 0.001, 0.0, 0.05, "%",
          "CyberSource online fraud surveys: 1.1-2.5% of online revenue lost to all fraud (chargebacks "
          "included), about 1.3% of accepted orders; most stores see far less criminal fraud than that. "
          "Median 0.1%; 10% chance of none; 95th percentile 5%."),
    Prior("fraud_order_value", "risk", "Value of a fraud order against your average order", 1.5, 0.5, 4.0, "x",
          "CyberSource 2004: median fraud order $150 against $100 for a legitimate one; card testing is small, "
          "account take-overs and bulk resale reach several times the average order. "
          "Measured from the orders you mark as fraud once there are 3 or more."),
    Prior("loss_share", "risk", "Share of a fraud order's value that would be lost", 1.0, 0.7, 1.0, "%",
          "goods shipped (and chargeback fees) are lost; part is sometimes recovered"),
    # -- recommendations ---------------------------------------------------------------------
    Prior("store_conversion", "recommendations", "Share of visits that end in an order", 0.02, 0.01, 0.04, "%",
          "typical online stores convert 1-3% of visits; use your analytics figure"),
    Prior("widget_share", "recommendations", "Share of visits that see the recommendation widget", 0.5, 0.2, 0.8, "%",
          "product and cart pages; depends on where you place it"),
    Prior("widget_ctr", "recommendations", "Click-through on a best-seller widget", 0.04, 0.02, 0.06, "%",
          "typical 2-6% for product-page widgets"),
    Prior("click_to_order", "recommendations", "Orders per widget click", 0.08, 0.04, 0.15, "%",
          "a visitor who clicks a recommendation buys it or something else"),
    Prior("online_share", "recommendations", "Share of the offline gain that shows up in the live store", 0.2, 0.0, 0.6, "%",
          "published online tests of recommenders: offline accuracy gains often vanish online (Garcin et al. "
          "2014, Beel et al. 2013, Jannach & Jugovac 2019); median 20%, 10% chance of none, 95th percentile 60%"),
    # -- forecasting -----------------------------------------------------------------------
    Prior("lead_time_days", "forecasting", "Days between reordering and stock arriving", 14.0, 7.0, 28.0, "days",
          "also the reorder cycle; typical supplier lead times are one to four weeks"),
    Prior("service_level", "forecasting", "Share of reorder cycles without a stock-out", 0.95, 0.90, 0.98, "%",
          "a common retail target"),
    Prior("holding_rate", "forecasting", "Yearly cost of holding stock, per unit of its value", 0.25, 0.15, 0.35, "%",
          "inventory carrying cost is usually quoted at 20-30% a year (capital, storage, shrinkage, obsolescence)"),
    Prior("gross_margin", "forecasting", "Gross margin on lost sales", 0.40, 0.20, 0.60, "%",
          "share of a lost sale's revenue that would have been profit; stock is held at cost (1 - margin)"),
    Prior("plan_share", "forecasting", "Share of stock decisions that follow the forecast", 1.0, 0.5, 1.0, "%",
          "lower it if buyers override the forecast"),
    # -- reviews ---------------------------------------------------------------------------
    Prior("fix_share", "reviews", "Share of the top complaints you manage to fix", 0.5, 0.25, 0.75, "%",
          "half of the complaints about the top aspects stop after a fix"),
    Prior("revenue_per_star", "reviews", "Revenue change per extra star of average rating", 0.05, 0.02, 0.09, "%",
          "studies of online ratings find +5% to +9% revenue per star (Luca 2016, Yelp)"),
    Prior("fixable_return_share", "reviews", "Share of returns caused by the complained-about problems", 0.3, 0.15, 0.5, "%",
          "size/fit and quality cause most returns in apparel and goods"),
    # -- images ----------------------------------------------------------------------------
    Prior("conversion_gain", "images", "Extra sales on a listing once its photos are fixed", 0.05, 0.01, 0.10, "%",
          "published photo-quality studies report a few percent up to low double digits"),
    # -- support (customer service deflection) -------------------------------------------------
    Prior("cost_per_hour", "support", "Agent cost per hour", 25.0, 15.0, 45.0, "money/hour",
          "wage plus overheads of a support agent hour; use your own figure"),
    # -- win-back campaign -----------------------------------------------------------------------
    Prior("response_rate", "winback", "Share of the targeted lapsing customers a win-back campaign brings back", 0.03,
          0.01, 0.10, "%",
          "incremental: over those who would have come back anyway. Vendors' blogs claim 10-30% of lapsed customers "
          "reactivated, without a control group; Return Path (2014, 33 retailers, via Econsultancy) found 12% of "
          "win-back e-mails read at all. Median 3%, 90% range 1-10%; the A/B tests page plans the test that measures it."),
    Prior("minutes_per_ticket", "support", "Agent minutes per ticket", 8.0, 4.0, 15.0, "minutes",
          "typical e-mail ticket handling time; the median handling time of your file when it has one"),
]
PRIORS: dict[str, Prior] = {f"{p.lever}.{p.key}": p for p in _P}

# Largest believable share of monthly net revenue per lever, and why.
BOUNDS: dict[str, tuple[float, str]] = {
    "recommendations": (0.05, "published online tests of recommendation widgets report revenue lifts of a few percent"),
    "forecasting": (0.02, "the safety-stock cost a better forecast can remove is a small part of revenue"),
    "risk": (0.01, "merchants lose about 1-2% of online revenue to all fraud; a review queue prevents part of it"),
    "reviews": (0.03, "a fraction of a star of rating, at 5-9% revenue per star"),
    "images": (0.03, "photo fixes lift the sales of the affected listings only"),
    "abtest": (0.25, "a single tested change rarely moves a store's revenue by more than a quarter"),
    "winback": (0.03, "a campaign to lapsing customers brings back a few percent of them: a small share of revenue"),
    "support": (0.02, "customer service costs online retailers about 1-3% of revenue; a FAQ bot saves part of it"),
}
DEFAULT_BOUND = (0.05, "no published range for this lever yet")
ASSUMED_TOTAL_BOUND = 0.15  # an "if the assumptions hold" total above this share of revenue is flagged


def zero_lognormal(median: float, high: float, p_zero: float) -> tuple[float, float]:
    """(mu, sigma) of the log-normal part of a prior that is zero with chance `p_zero` and
    log-normal otherwise, such that the whole mixture has this median and this 95th percentile
    (the share of orders that are fraud; the offline-to-online transfer)."""
    from scipy.stats import norm

    z_mid = norm.ppf((0.5 - p_zero) / (1 - p_zero))
    z_hi = norm.ppf((0.95 - p_zero) / (1 - p_zero))
    median, high = max(median, 1e-7), max(high, median * 1.01)
    sigma = (math.log(high) - math.log(median)) / (z_hi - z_mid)
    return math.log(median) - z_mid * sigma, sigma


def prior(lever: str, key: str) -> Prior:
    return PRIORS[f"{lever}.{key}"]


def prior_value(lever: str, key: str) -> float:
    return PRIORS[f"{lever}.{key}"].value


def as_assumption(lever: str, key: str, value: float | None = None, help_: str | None = None) -> Assumption:
    p = prior(lever, key)
    return Assumption(key, p.label, float(p.value if value is None else value), p.unit, help_ or p.source, p.low, p.high)


def priors_table():
    """The priors as a DataFrame (lever, key, label, value, low, high, unit, source)."""
    import pandas as pd

    return pd.DataFrame([asdict(p) for p in _P])
