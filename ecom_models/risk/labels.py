"""The review queue's decisions and the model trained on them.

Labels live in the workspace namespace `risk.labels` (order_id -> "fraud" | "fine"; the
namespace string is persisted data and never changes). `compare_with_labels()` trains a
gradient-boosting classifier on the labelled orders and compares it with the unsupervised
score by precision at k on held-out labels (stratified cross-validation: every order is scored
by a model that never saw its label). scikit-learn is imported inside functions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.stats import wilson
from ecom_models.risk.evaluation import precision_at_k, roc_auc
from ecom_models.risk.features import FEATURES
from ecom_models.risk.scoring import DETECTOR_NAMES, RiskResult

LABEL_NAMESPACE = "risk.labels"
LABELS = ("fraud", "fine")


def load_labels(ws) -> dict[str, str]:
    """order_id -> "fraud" | "fine" from the workspace."""
    return {k: v for k, v in ws.items(LABEL_NAMESPACE).items() if v in LABELS}


def save_label(ws, order_id: str, label: str | None) -> None:
    """Store a reviewer's decision; label None removes it."""
    if label is None:
        ws.delete(LABEL_NAMESPACE, str(order_id))
        return
    if label not in LABELS:
        raise InputError(f"'{label}' is not a review decision.", fix="use 'fraud' or 'fine'.")
    ws.put(LABEL_NAMESPACE, str(order_id), label)


def labels_key(labels: dict[str, str]) -> str:
    """A short hash of the decisions, stable across restarts: part of the cache and results keys
    of everything computed from them."""
    return hashlib.sha256(json.dumps(sorted(labels.items())).encode()).hexdigest()[:16]


def save_decisions(ws, labels: dict[str, str], decisions) -> int:
    """Store the decisions of a review table (`decisions`: (order_id, decision) pairs; anything
    but "fraud" or "fine" means not reviewed); only changed ones are written. Returns how many."""
    changed = 0
    for order_id, decision in decisions:
        decision = decision if decision in LABELS else None
        if labels.get(order_id) != decision:
            save_label(ws, order_id, decision)
            changed += 1
    return changed


def clear_labels(ws, labels: dict[str, str]) -> None:
    """Remove every decision."""
    for order_id in list(labels):
        save_label(ws, order_id, None)


def label_known_answers(ws, order_ids, fraud_ids) -> None:
    """A simulated reviewer (the demo store): each order marked from known answers."""
    fraud_ids = set(fraud_ids)
    for order_id in order_ids:
        save_label(ws, order_id, "fraud" if order_id in fraud_ids else "fine")


def review_queue(result: RiskResult, labels: dict[str, str], limit: int = 300) -> pd.DataFrame:
    """The orders to review, riskiest first: the flagged ones and any already decided."""
    orders = result.orders
    return orders[orders["flag"] | orders["order_id"].isin(labels.keys())].head(limit)


def labels_in(result: RiskResult, labels: dict[str, str]) -> dict[str, str]:
    """The decisions about orders in this result (decisions on other data do not count)."""
    ids = set(result.orders["order_id"])
    return {o: v for o, v in labels.items() if o in ids}


MIN_LABELS = 30
MIN_PER_CLASS = 8


@dataclass
class LabelComparison:
    """Supervised model vs unsupervised score on held-out labels (out-of-fold predictions).

    `table`: detector, name, precision_at_k, precision_low, precision_high, roc_auc, k.
    `winner`: "supervised" or "ensemble": the higher precision at k, then the higher ROC-AUC.
    """

    table: pd.DataFrame
    n_labels: int
    n_fraud: int
    k: int
    winner: str
    folds: int
    model: object = None  # fitted on all labels, to score unlabelled orders

    @property
    def tie(self) -> bool:
        """The two scores have the same precision at k (the winner was decided by ROC-AUC)."""
        return bool(self.table.iloc[0]["precision_at_k"] == self.table.iloc[1]["precision_at_k"])


def label_readiness(labels: dict[str, str]) -> tuple[bool, str]:
    n_fraud = sum(v == "fraud" for v in labels.values())
    n_fine = sum(v == "fine" for v in labels.values())
    ok = len(labels) >= MIN_LABELS and n_fraud >= MIN_PER_CLASS and n_fine >= MIN_PER_CLASS
    need = (f"{len(labels)} labelled orders ({n_fraud} fraud, {n_fine} fine); the comparison needs at least "
            f"{MIN_LABELS}, with {MIN_PER_CLASS} of each kind.")
    return ok, need


def _model_matrix(df: pd.DataFrame) -> np.ndarray:
    X = df[list(FEATURES)].to_numpy(float).copy()
    X[:, 0] = np.log1p(np.clip(X[:, 0], 0, None))
    return np.column_stack([X, df["score"].to_numpy(float), np.log1p(df["n_lines"].to_numpy(float))])


def compare_with_labels(result: RiskResult, labels: dict[str, str], k: int | None = None,
                        random_state: int = 0) -> LabelComparison:
    """Gradient boosting trained on labels vs the unsupervised ensemble, by precision at k on
    held-out labels (stratified k-fold: each order is scored by a model not trained on it)."""
    ok, need = label_readiness(labels)
    if not ok:
        raise InputError(f"not enough review decisions yet: {need}", fix="mark more flagged orders as fraud or fine.")
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    df = result.orders[result.orders["order_id"].isin(labels.keys())].reset_index(drop=True)
    if len(df) < MIN_LABELS:
        raise InputError(f"only {len(df)} of the labelled orders are in the current data.",
                         fix="label orders from the data currently loaded.")
    y = df["order_id"].map(labels).eq("fraud").to_numpy()
    X = _model_matrix(df)
    folds = int(min(5, y.sum(), (~y).sum()))
    oof = np.zeros(len(df))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)

    def make():
        return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                              min_samples_leaf=5, random_state=random_state)

    from threadpoolctl import threadpool_limits

    # one thread: OpenMP spinning on a busy 2-core machine is 20x slower than a single thread
    with threadpool_limits(1):
        for train, test in splitter.split(X, y):
            oof[test] = make().fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        model = make().fit(X, y)
    k = int(k or max(5, min(50, round(len(df) * 0.2))))
    rows = []
    for det, score in (("supervised", oof), ("ensemble", df["score"].to_numpy()),
                       ("baseline", df["score_baseline"].to_numpy())):
        prec = precision_at_k(y, score, k)
        lo, hi = wilson(prec * k, k)
        rows.append({"detector": det, "name": DETECTOR_NAMES[det], "precision_at_k": prec, "precision_low": lo,
                     "precision_high": hi, "roc_auc": roc_auc(y, score), "k": k})
    table = pd.DataFrame(rows)
    sup, ens = table.iloc[0], table.iloc[1]
    # higher precision at k wins; on a tie, the higher ROC-AUC; on a full tie the simpler score
    better = (sup["precision_at_k"], sup["roc_auc"]) > (ens["precision_at_k"], ens["roc_auc"])
    winner = "supervised" if better else "ensemble"
    return LabelComparison(table=table, n_labels=len(df), n_fraud=int(y.sum()), k=k, winner=winner,
                           folds=folds, model=model)


def supervised_scores(result: RiskResult, comparison: LabelComparison) -> np.ndarray:
    """Fraud probability for every order from the model trained on all labels."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return comparison.model.predict_proba(_model_matrix(result.orders))[:, 1]
