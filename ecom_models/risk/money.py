"""The money at stake in the review queue: the value of the flagged orders and the loss a
review capacity prevents, with the chance of fraud among reviewed orders taken from the
merchant's setting, learnt from their decisions (`fraud_probability`), or a typical figure.
scikit-learn is imported inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_models.core.stats import wilson
from ecom_models.risk.labels import LABELS
from ecom_models.risk.scoring import RiskResult

DAYS_PER_MONTH = 30.44  # an average month


@dataclass
class MoneyView:
    """Value at risk among flagged orders and the loss prevented at a review capacity.

    Loss prevented over the period = loss_share × (value of the reviewed orders you marked
    as fraud + expected fraud value among the reviewed orders not yet marked), where the
    reviewed orders are the `capacity_per_day × days` riskiest. Orders marked "fine" count 0.
    `precision`: the average chance of fraud assumed or estimated for the unmarked ones.
    """

    flagged_orders: int
    value_at_risk: float  # total value of the flagged orders
    days: float  # days covered by the data
    capacity_per_day: float
    reviewed_orders: int  # capacity * days, at most the number of orders
    reviewed_value: float
    labelled_orders: int  # reviewed orders that carry a decision
    labelled_fraud_value: float
    precision: float  # average chance of fraud among reviewed orders without a decision
    precision_source: str
    loss_prevented: float  # over the whole period
    loss_low: float
    loss_high: float

    @property
    def monthly_loss_prevented(self) -> float:
        return self.loss_prevented / self.days * DAYS_PER_MONTH

    @property
    def monthly_low(self) -> float:
        return self.loss_low / self.days * DAYS_PER_MONTH

    @property
    def monthly_high(self) -> float:
        return self.loss_high / self.days * DAYS_PER_MONTH


DEFAULT_PRECISION = (0.3, 0.1, 0.6)  # assumed share of fraud among reviewed orders: value, low, high


def _period_days(result: RiskResult) -> float:
    dates = pd.to_datetime(result.orders["order_date"])
    return max(1.0, (dates.max() - dates.min()).total_seconds() / 86400.0 + 1)


def fraud_probability(result: RiskResult, labels: dict[str, str] | None, min_decisions: int = 20
                      ) -> np.ndarray | None:
    """Per order (result row order), the chance of fraud given its score, learnt from the
    decisions: a one-variable logistic regression on the tail-stretched score
    -log(1 - score). It lets the fraud share fall further down the list instead of
    copying the share seen among the reviewed orders. None without at least
    `min_decisions` decisions, 2 of each kind."""
    if not labels:
        return None
    df = result.orders
    decided = df["order_id"].map(labels)
    known = decided.isin(LABELS).to_numpy()
    y = decided[known].eq("fraud").to_numpy()
    if known.sum() < min_decisions or y.sum() < 2 or (~y).sum() < 2:
        return None
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    n = len(df)
    x = -np.log(1.0 - df["score"].to_numpy(float) + 0.5 / n).reshape(-1, 1)
    with threadpool_limits(1):
        model = LogisticRegression(C=1.0).fit(x[known], y)
        return model.predict_proba(x)[:, 1]


def money_view(result: RiskResult, capacity_per_day: float = 5.0, precision: float | None = None,
               precision_source: str | None = None, loss_share: float = 1.0,
               labels: dict[str, str] | None = None, edge: int = 20) -> MoneyView:
    """See MoneyView. The share of fraud among reviewed orders without a decision:
    - `precision` when given (the merchant's own figure), with the typical range around it;
    - else, with 20+ decisions: the estimate from `fraud_probability` (falls with the rank);
      range from 0 (only confirmed fraud counts) to the fraud share among the `edge`
      lowest-ranked decided orders applied to all of them (generous: the share keeps falling);
    - else the typical figure DEFAULT_PRECISION (30%, 10% to 60%).
    """
    df = result.orders
    days = _period_days(result)
    n_review = int(min(len(df), round(capacity_per_day * days)))
    reviewed = df.iloc[:n_review]  # riskiest first
    value = reviewed["order_value"].clip(lower=0).to_numpy(float)
    decision = reviewed["order_id"].map(labels or {}).to_numpy(object)
    is_fraud = np.array([d == "fraud" for d in decision], dtype=bool)
    undecided = np.array([d not in LABELS for d in decision], dtype=bool)
    fraud_value = float(value[is_fraud].sum())
    open_value = float(value[undecided].sum())
    prob = None if precision is not None else fraud_probability(result, labels)
    if precision is not None:
        _, lo, hi = DEFAULT_PRECISION
        lo, hi = min(lo, precision), max(hi, precision)
        source = precision_source or "your setting"
        expected, low, high = open_value * precision, open_value * lo, open_value * hi
    elif prob is not None:
        p_open = prob[:n_review][undecided]
        precision = float(p_open.mean()) if len(p_open) else 0.0
        decided = df[df["order_id"].isin((labels or {}).keys())]
        tail = decided.iloc[-edge:]["order_id"].map(labels).eq("fraud")
        hi = wilson(float(tail.sum()), len(tail))[1]
        source = "your decisions (chance of fraud by risk score, learnt from the orders you reviewed)"
        expected = float((value[undecided] * p_open).sum())
        low, high = 0.0, max(open_value * hi, expected)
    else:
        precision, lo, hi = DEFAULT_PRECISION
        source = "assumption (a typical share; mark orders to measure it)"
        expected, low, high = open_value * precision, open_value * lo, open_value * hi
    return MoneyView(
        flagged_orders=int(df["flag"].sum()), value_at_risk=float(df.loc[df["flag"], "order_value"].clip(lower=0).sum()),
        days=days, capacity_per_day=capacity_per_day, reviewed_orders=n_review, reviewed_value=float(value.sum()),
        labelled_orders=int((~undecided).sum()), labelled_fraud_value=fraud_value, precision=float(precision),
        precision_source=source,
        loss_prevented=loss_share * (fraud_value + expected),
        loss_low=min(loss_share, 0.7) * (fraud_value + low),
        loss_high=max(loss_share, 1.0) * (fraud_value + high),
    )
