"""What the capabilities hand to the valuation: evidence, never money.

Dependencies point one way. A capability (recommend, forecast, anomaly, abtest, vision,
sentiment) measures something on the store's data and returns it as plain figures: metrics
with intervals, counts, stock figures. `ecom_models.value.valuation` turns those figures into money
through one documented table of priors; `ecom_models.value.summary` adds the rows up. This module
holds the shapes both sides share, so neither has to import the other: it imports nothing
from ecom_models.

Evidence kinds (every money row carries one; the Business value page orders rows by it):

    measured    an A/B test on this store
    backtest    held-out days of this store's own history
    labels      the merchant's own decisions (orders marked fraud / fine)
    offline     an offline metric on this store mapped to money through a published prior
    assumption  mostly a prior: the store's data only scales it

"Shown by your data" adds up measured + backtest + labels; "if the assumptions hold" adds up
offline + assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

EVIDENCE_KINDS: tuple[str, ...] = ("measured", "backtest", "labels", "offline", "assumption")
DATA_KINDS = frozenset({"measured", "backtest", "labels"})  # "shown by your data"
KIND_LABELS: dict[str, str] = {
    "measured": "measured (A/B test on your store)",
    "backtest": "backtest (held-out days of your history)",
    "labels": "your decisions (orders you marked)",
    "offline": "offline metric + published prior",
    "assumption": "assumption (a prior your data only scales)",
}
# Earlier versions wrote these words; saved estimates still carry them.
_OLD_KINDS = {
    "measured a/b test": "measured", "a/b test": "measured", "measured": "measured",
    "backtest": "backtest", "labels": "labels", "your labels": "labels",
    "offline metric": "offline", "offline": "offline", "assumption": "assumption",
}


def normalise_kind(kind: str | None) -> str:
    """One of EVIDENCE_KINDS for any spelling an estimate may carry (unknown: assumption)."""
    return _OLD_KINDS.get(str(kind or "").strip().lower(), "assumption")


def is_data_kind(kind: str | None) -> bool:
    return normalise_kind(kind) in DATA_KINDS


@dataclass(frozen=True)
class Assumption:
    """A number an estimate rests on, shown to the merchant and editable by them."""

    key: str
    label: str  # plain words, e.g. "Share of visitors who see the widget"
    value: float
    unit: str = ""  # "%", "USD", "orders/day", …
    help: str = ""  # one line: where the default comes from
    low: float | None = None  # plausible range, for the sensitivity chart
    high: float | None = None


@dataclass(frozen=True)
class ValueEstimate:
    """Monthly revenue effect (or loss avoided) of one lever, in the store's currency.

    Made only by `ecom_models.value.valuation`. `share_of_revenue` (monthly value / the store's
    monthly net revenue) is filled in when the rows are added up."""

    model: str  # "recommendations", "forecasting", "risk", "reviews", "images", "abtest", …
    lever: str  # what changes for the store
    monthly_value: float
    monthly_low: float
    monthly_high: float
    evidence: str  # the figures it rests on, in words
    evidence_kind: str  # one of EVIDENCE_KINDS (older spellings are normalised)
    assumptions: list[Assumption] = field(default_factory=list)
    currency: str = "USD"
    note: str = ""
    share_of_revenue: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "evidence_kind", normalise_kind(self.evidence_kind))

    @property
    def yearly_value(self) -> float:
        return 12 * self.monthly_value


# ------------------------------------------------------------------------------------------
# Evidence shapes
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatchEvidence:
    """How much of a known fraud pattern the review queue catches, measured on the store's orders.

    Synthetic fraud orders of the kinds the detector is meant to catch are injected into a copy
    of the store's recent orders; the copy is scored; `caught` of the `injected` orders land
    among the `reviewed` riskiest orders (review capacity x days of the window)."""

    injected: int
    caught: int
    reviewed: int  # orders reviewed in the window (capacity x days)
    orders_in_window: int  # real orders in the scored window
    window_days: float
    capacity_per_day: float
    by_pattern: dict = field(default_factory=dict)  # pattern -> (injected, caught)
    seconds: float = 0.0

    @property
    def catch_share(self) -> float:
        return self.caught / self.injected if self.injected else float("nan")

    @property
    def reviewed_share(self) -> float:
        return self.reviewed / self.orders_in_window if self.orders_in_window else float("nan")

    @property
    def lift(self) -> float:
        """How much denser fraud is among reviewed orders than among all orders."""
        r = self.reviewed_share
        return self.catch_share / r if r and math.isfinite(r) and r > 0 else float("nan")


@dataclass(frozen=True)
class RiskEvidence:
    """Everything the risk row rests on: the store's scale, the measured catch share, decisions."""

    catch: CatchEvidence | None
    monthly_orders: float
    order_value: float  # average order value (sale lines)
    capacity_per_day: float
    orders_per_day: float
    decided: int = 0  # orders with a decision (fraud / fine)
    decided_fraud: int = 0
    decided_in_queue: int = 0  # decisions on orders inside the review queue
    decided_fraud_in_queue: int = 0
    currency: str = "USD"
    fraud_value_ratio: float = float("nan")  # mean value of the orders marked fraud / average order value
    fraud_value_n: int = 0  # how many orders marked fraud that ratio rests on
    fraud_value_log_sd: float = float("nan")  # spread of log(order value) among them
    # rank-aware pricing (ecom_models.value.risk_decisions): the store's own scores over its whole period
    period_days: float = float("nan")  # days the scored orders cover
    n_ranked: int = 0  # orders scored
    ranked_values: tuple = ()  # values of the riskiest orders, riskiest first (enough for 50 reviews a day)
    decisions: tuple = ()  # (rank, 1 fraud / 0 fine, order value) per decided order


@dataclass(frozen=True)
class StockEvidence:
    """Safety-stock figures of two plans from the same held-out days (forecast backtest).

    Daily forecast error spread (root mean square) of the chosen model and of seasonal naive;
    the lead-time spread is sd x sqrt(lead time days). Bootstrap interval on the difference."""

    model: str
    naive_model: str
    sd_model: float  # per day, in the forecast's unit (revenue)
    sd_naive: float
    sd_diff_low: float  # 5% / 95% bootstrap points of sd_naive - sd_model
    sd_diff_high: float
    mae_model: float
    mae_naive: float
    held_out_days: int
    daily_mean: float  # average daily value of the series (for bounds)
    metric: str = "revenue"
    periods_per_month: float = 30.4  # open days (or weeks) per month
