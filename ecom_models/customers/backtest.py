"""The honest check: fit up to a cut-off, predict the held-out period, compare with two baselines.

Models compared on the customers seen before the cut-off (their held-out purchases and spend are
the truth; it never reaches the fit):
- `model`   BG/NBD + Gamma-Gamma (`predict.predict_customers`), with the store's seasonality;
- `past rate` each customer keeps their own past rate: purchases / days since their first
  purchase x holdout days, at their own average spend;
- `recency` the last period repeats: each customer buys in the held-out period what they bought in
  the same number of days before the cut-off; ranked for churn by days since the last purchase.

Measures: totals predicted vs actual (purchases, spend), mean absolute error of purchases per
customer, Spearman rank correlation of predicted vs actual spend, top-decile capture (share of the
held-out spend made by the 10% predicted to spend most), churn AUC (how well 1 - P(active) ranks
the customers who did not come back; 0.5 = chance). The winner is the model best on most measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ecom_models.core.errors import InputError
from ecom_models.customers.summary import customer_summary, holdout_activity

MEASURES = ("total_purchases", "total_spend", "mae_purchases", "spearman_spend", "top_decile_capture", "churn_auc")
MEASURE_WORDS = {
    "total_purchases": "total purchases", "total_spend": "total spend", "mae_purchases": "error per customer",
    "spearman_spend": "spend ranking", "top_decile_capture": "top-10% capture", "churn_auc": "spotting who lapses",
}
MODEL_NAMES = ("model", "past rate", "recency")
MIN_HOLDOUT_DAYS = 14


@dataclass
class Backtest:
    cutoff: str
    holdout_days: int
    customers: int
    models: list[dict] = field(default_factory=list)
    winner: str = ""
    verdict: str = ""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.models)


def default_cutoff(days: pd.DataFrame, holdout_days: int | None = None) -> pd.Timestamp:
    """The last quarter (or `holdout_days`) held out."""
    last = days["day"].max()
    return last - pd.Timedelta(days=holdout_days or 91)


def roc_auc(score: np.ndarray, label: np.ndarray) -> float:
    """ROC-AUC via ranks (Mann-Whitney); nan when only one class is present."""
    label = np.asarray(label, dtype=bool)
    n1, n0 = int(label.sum()), int((~label).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(score)
    return float((ranks[label].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def top_decile_capture(predicted: np.ndarray, actual: np.ndarray) -> float:
    total = float(np.sum(actual))
    if total <= 0:
        return float("nan")
    k = max(1, round(len(predicted) * 0.1))
    top = np.argsort(-np.asarray(predicted), kind="stable")[:k]
    return float(np.sum(np.asarray(actual)[top]) / total)


def measures(name, purchases, spend, churn_score, truth) -> dict:
    actual_p, actual_s = truth["purchases"].to_numpy(), truth["spend"].to_numpy()
    rho = stats.spearmanr(spend, actual_s).statistic if np.std(spend) > 0 and np.std(actual_s) > 0 else float("nan")
    return {
        "name": name,
        "total_purchases_predicted": round(float(np.sum(purchases)), 1),
        "total_purchases_actual": round(float(np.sum(actual_p)), 1),
        "total_spend_predicted": round(float(np.sum(spend)), 2),
        "total_spend_actual": round(float(np.sum(actual_s)), 2),
        "mae_purchases": round(float(np.mean(np.abs(purchases - actual_p))), 4),
        "spearman_spend": round(float(rho), 4),
        "top_decile_capture": round(top_decile_capture(spend, actual_s), 4),
        "churn_auc": round(roc_auc(churn_score, actual_p == 0), 4),
    }


def baselines(days: pd.DataFrame, summary: pd.DataFrame, cutoff, holdout_days: int) -> dict[str, tuple]:
    """(purchases, spend, churn score) per customer (summary order) for the two baselines."""
    age = np.maximum(summary["T"].to_numpy(), 1.0)
    rate = summary["purchases"].to_numpy() / age
    aov = summary["total_spend"].to_numpy() / np.maximum(summary["purchases"].to_numpy(), 1.0)
    past_p = rate * holdout_days
    past_churn = np.exp(-past_p)  # Poisson: P(no purchase)
    recent = holdout_activity(days, pd.Timestamp(cutoff) - pd.Timedelta(days=holdout_days), cutoff)
    recent = summary[["customer_id"]].merge(recent, on="customer_id", how="left").fillna(0.0)
    # ties broken by the customer's own rate, so that "recency alone" is a full ranking
    recency_churn = summary["days_since"].to_numpy() - 1e-6 * rate
    return {"past rate": (past_p, past_p * aov, past_churn),
            "recency": (recent["purchases"].to_numpy(), recent["spend"].to_numpy(), recency_churn)}


def pick_winner(models: list[dict]) -> tuple[str, str]:
    """The model best on most measures (totals by absolute relative error, MAE lowest, the rest
    highest); ties go to the first listed (the model)."""
    wins = {m["name"]: 0 for m in models}
    for measure in MEASURES:
        def err(m, measure=measure):
            if measure.startswith("total_"):
                actual = m[f"{measure}_actual"]
                return abs(m[f"{measure}_predicted"] - actual) / actual if actual else np.inf
            value = m[measure]
            if value is None or not np.isfinite(value):
                return np.inf
            return value if measure == "mae_purchases" else -value
        best = min(models, key=err)
        wins[best["name"]] += 1
    winner = max(wins, key=lambda k: (wins[k], -list(wins).index(k)))
    verdict = (f"The {winner} wins on {wins[winner]} of {len(MEASURES)} measures"
               + (" (the customer model: use its predictions)." if winner == "model" else
                  f": on this store's history, the simple '{winner}' rule predicts as well as the model."))
    return winner, verdict


def run_backtest(days: pd.DataFrame, predict, cutoff=None, holdout_days: int | None = None) -> Backtest:
    """`predict(summary, horizon_days, days_before_cutoff) -> (purchases, spend, p_active)` is the
    model under test, refitted on the data up to the cut-off only."""
    last = days["day"].max()
    cutoff = pd.Timestamp(cutoff).normalize() if cutoff is not None else default_cutoff(days, holdout_days)
    holdout = int((last - cutoff).days)
    if holdout < MIN_HOLDOUT_DAYS:
        raise InputError(f"the cut-off {cutoff.date()} leaves only {holdout} days to check the predictions on.",
                         fix=f"choose a cut-off at least {MIN_HOLDOUT_DAYS} days before the last order "
                             f"({last.date()}).")
    before = days[days["day"] <= cutoff]
    summary = customer_summary(before, cutoff)
    if len(summary) == 0:
        raise InputError(f"no customer bought before the cut-off {cutoff.date()}.", fix="choose a later cut-off.")
    truth = summary[["customer_id"]].merge(holdout_activity(days, cutoff, last), on="customer_id", how="left").fillna(0.0)
    purchases, spend, p_active = predict(summary, holdout, before)
    models = [measures("model", purchases, spend, 1.0 - p_active, truth)]
    for name, (bp, bs, bc) in baselines(days, summary, cutoff, holdout).items():
        models.append(measures(name, bp, bs, bc, truth))
    winner, verdict = pick_winner(models)
    return Backtest(cutoff=cutoff.date().isoformat(), holdout_days=holdout, customers=len(summary),
                    models=models, winner=winner, verdict=verdict)
