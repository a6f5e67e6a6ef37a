"""Business value: what each model is worth per month, with an interval and its evidence.

Every capability returns a `ValueEstimate`. The Business value page (and its report) adds
them up; measured A/B results outrank offline estimates for the same lever.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Assumption:
    """A number the estimate rests on, shown to the merchant and editable by them."""

    key: str
    label: str  # plain words, e.g. "Share of visitors who see the widget"
    value: float
    unit: str = ""  # "%", "USD", "orders/day", …
    help: str = ""  # one line: where the default comes from
    low: float | None = None  # plausible range, for the sensitivity chart
    high: float | None = None


@dataclass(frozen=True)
class ValueEstimate:
    """Monthly revenue effect (or loss avoided) of one model, in the store's currency."""

    model: str  # "recommendations", "forecasting", "risk", "reviews", "images", "abtest"
    lever: str  # what changes for the store, e.g. "conversion lift from recommendations"
    monthly_value: float
    monthly_low: float
    monthly_high: float
    evidence: str  # e.g. "offline hit rate 0.21 vs 0.12 for popularity (held-out customers)"
    evidence_kind: str  # "measured A/B test" | "backtest" | "offline metric" | "assumption"
    assumptions: list[Assumption] = field(default_factory=list)
    currency: str = "USD"
    note: str = ""

    @property
    def yearly_value(self) -> float:
        return 12 * self.monthly_value
