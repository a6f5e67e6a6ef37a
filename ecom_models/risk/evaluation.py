"""How good a risk score is against known answers (the demo store's planted fraud, or the
merchant's review decisions): ROC-AUC with its Hanley-McNeil interval and precision in the
top k with a Wilson interval, for the ensemble, each detector and the biggest-orders baseline.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ecom_models.core.stats import wilson
from ecom_models.risk.scoring import DETECTOR_NAMES, RiskResult


def precision_at_k(y_true: np.ndarray, score: np.ndarray, k: int) -> float:
    y = np.asarray(y_true, bool)
    k = int(min(k, len(y)))
    if k <= 0:
        return float("nan")
    top = np.argsort(-np.asarray(score, float), kind="stable")[:k]
    return float(y[top].mean())


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    y = np.asarray(y_true, bool)
    if y.all() or not y.any():
        return float("nan")
    r = pd.Series(np.asarray(score, float)).rank(method="average").to_numpy()
    n_pos, n_neg = y.sum(), (~y).sum()
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_interval(auc: float, n_pos: int, n_neg: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval for a ROC-AUC (Hanley & McNeil 1982 standard error)."""
    if not np.isfinite(auc) or n_pos < 1 or n_neg < 1:
        return float("nan"), float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    se = math.sqrt(max(var, 0.0))
    return max(0.0, auc - z * se), min(1.0, auc + z * se)


def evaluate(result: RiskResult, fraud_ids, k: int = 50, only_ids=None) -> pd.DataFrame:
    """Each detector and the baseline against known fraud: ROC-AUC and precision@k with a
    95% interval. `only_ids` restricts to labelled orders (the rest are unknown).

    Columns: detector, name, roc_auc, roc_auc_low, roc_auc_high, precision_at_k, precision_low,
    precision_high, k, n, n_fraud (intervals: 95%, Hanley-McNeil for ROC-AUC, Wilson for precision).
    """
    df = result.orders
    if only_ids is not None:
        df = df[df["order_id"].isin(set(map(str, only_ids)))]
    y = df["order_id"].isin(set(map(str, fraud_ids))).to_numpy()
    rows = []
    k = int(min(k, len(df)))
    for det in ("ensemble", *result.detectors, "baseline"):
        col = "score" if det == "ensemble" else f"score_{det}"
        prec = precision_at_k(y, df[col].to_numpy(), k)
        lo, hi = wilson(prec * k, k) if k else (float("nan"), float("nan"))
        auc = roc_auc(y, df[col].to_numpy())
        auc_lo, auc_hi = auc_interval(auc, int(y.sum()), int((~y).sum()))
        rows.append({"detector": det, "name": DETECTOR_NAMES[det], "roc_auc": auc, "roc_auc_low": auc_lo,
                     "roc_auc_high": auc_hi, "precision_at_k": prec, "precision_low": lo, "precision_high": hi,
                     "k": k, "n": len(df), "n_fraud": int(y.sum())})
    return pd.DataFrame(rows)


def evaluate_for(result: RiskResult, labels: dict[str, str], truth=None, k: int = 50, min_each: int = 5
                 ) -> tuple[pd.DataFrame | None, str, int]:
    """The check a store can have: against known answers (`truth`, the demo store's planted
    fraud) at `k`; else against the review decisions once there are `min_each` of each kind
    among the scored orders, at k = a third of them (5 to 50); else none.

    Returns (evaluate's table or None, source "truth" | "decisions" | "", orders decided here)."""
    orders = result.orders
    fraud = {o for o, v in labels.items() if v == "fraud"}
    decided_here = int(orders["order_id"].isin(labels.keys()).sum())
    n_fraud_here = int(orders["order_id"].isin(fraud).sum())
    if truth is not None:
        return evaluate(result, truth, k=k), "truth", decided_here
    if n_fraud_here >= min_each and decided_here - n_fraud_here >= min_each:
        k = int(min(50, max(5, decided_here // 3)))
        return evaluate(result, fraud, k=k, only_ids=list(labels)), "decisions", decided_here
    return None, "", decided_here


def evaluation_summary(evaluation: pd.DataFrame) -> dict:
    """What a page says about an evaluation: does the ensemble beat the biggest-orders baseline
    on ROC-AUC, the ROC-AUC of both, the highest precision at k and the scores reaching it."""
    ev = evaluation.set_index("detector")
    top = evaluation["precision_at_k"].max()
    return {"ensemble_wins": bool(ev.loc["ensemble", "roc_auc"] > ev.loc["baseline", "roc_auc"]),
            "ensemble_auc": float(ev.loc["ensemble", "roc_auc"]), "baseline_auc": float(ev.loc["baseline", "roc_auc"]),
            "top_precision": float(top), "leaders": evaluation.loc[evaluation["precision_at_k"] == top, "name"].tolist(),
            "k": int(evaluation["k"].iloc[0])}
