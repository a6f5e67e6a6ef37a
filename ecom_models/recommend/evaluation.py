"""Offline evaluation of a recommender on held-out purchases: precision, recall, nDCG and hit
rate at k per customer (with 95% intervals over customers), catalog coverage and novelty, and
the paired bootstrap gain of a model over the best-seller baseline on the same customers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecom_models.core.errors import InputError
from ecom_models.recommend.models import Recommender

METRIC_HELP = {
    "precision": "Of the k products shown, the share the customer actually bought later (held-out purchases).",
    "recall": "Of the products the customer bought later, the share that appeared in the k shown.",
    "ndcg": "Like precision, but a hit at the top of the list counts more than one at the bottom (0 to 1).",
    "hit_rate": "Share of customers for whom at least one of the k products shown was bought later.",
    "coverage": "Share of the catalog that appears in at least one customer's list.",
    "novelty": "How unusual the recommended products are (higher = less obvious than best sellers).",
}


@dataclass
class Evaluation:
    model: str
    k: int
    n_users: int
    metrics: dict[str, float]  # precision, recall, ndcg, hit_rate, coverage, novelty
    per_user: pd.DataFrame  # columns: row, hits, precision, recall, ndcg, hit
    fit_seconds: float = 0.0
    params: dict = field(default_factory=dict)

    def interval(self, metric: str) -> tuple[float, float]:
        """95% normal-approximation interval over customers (per-customer metrics only)."""
        if metric not in self.per_user or len(self.per_user) < 2:
            v = self.metrics.get(metric, float("nan"))
            return (v, v)
        x = self.per_user[metric].to_numpy(dtype=float)
        half = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
        return (float(x.mean() - half), float(x.mean() + half))


def evaluate(model: Recommender, train: sp.csr_matrix, test: sp.csr_matrix, k: int = 10,
             max_users: int | None = None, seed: int = 0) -> Evaluation:
    """Score a fitted model on held-out purchases: for every customer with hidden products,
    rank the catalog from their training history (seen products excluded) and compare."""
    test = test.tocsr()
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if max_users and len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    n_items = train.shape[1]
    k = int(min(k, n_items))
    if len(users) == 0:
        raise InputError("no customer has a held-out purchase to check the recommendations against.",
                         fix="use data where customers bought at least two different products.")
    rec, _ = model.recommend(train[users], k=k, exclude_seen=True, rows=users)
    T = test[users]
    T.sort_indices()
    # hit lookup: (row, item) pairs as sorted integer keys, one binary search per recommendation
    n_rel = np.diff(T.indptr)
    test_keys = np.repeat(np.arange(len(users), dtype=np.int64), n_rel) * n_items + T.indices
    rec_keys = np.arange(len(users), dtype=np.int64)[:, None] * n_items + rec
    pos = np.minimum(np.searchsorted(test_keys, rec_keys), len(test_keys) - 1)
    hits = test_keys[pos] == rec_keys
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts[None, :]).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_rel, k) - 1]
    h = hits.sum(axis=1)
    per_user = pd.DataFrame({
        "row": users, "hits": h, "precision": h / k, "recall": h / n_rel, "ndcg": dcg / ideal,
        "hit": (h > 0).astype(float),
    })
    pop = np.asarray((train > 0).sum(axis=0)).ravel()
    n_train_users = max(int((np.diff(train.indptr) > 0).sum()), 1)
    novelty = float(np.mean(-np.log2(np.maximum(pop[rec], 1) / n_train_users)))
    metrics = {
        "precision": float(per_user["precision"].mean()),
        "recall": float(per_user["recall"].mean()),
        "ndcg": float(per_user["ndcg"].mean()),
        "hit_rate": float(per_user["hit"].mean()),
        "coverage": float(len(np.unique(rec)) / n_items),
        "novelty": novelty,
    }
    return Evaluation(model=model.name, k=k, n_users=len(users), metrics=metrics, per_user=per_user,
                      params=dict(model.params))


def paired_gain(model_eval: Evaluation, base_eval: Evaluation, metric: str = "hit", n_boot: int = 1000,
                seed: int = 0) -> dict[str, float]:
    """Relative gain of a model over the baseline on the same customers, with a bootstrap
    95% interval: {gain, low, high, model, baseline}."""
    a = model_eval.per_user.set_index("row")[metric]
    b = base_eval.per_user.set_index("row")[metric]
    common = a.index.intersection(b.index)
    a, b = a.loc[common].to_numpy(float), b.loc[common].to_numpy(float)
    if len(a) == 0 or b.mean() == 0:
        return {"gain": float("nan"), "low": float("nan"), "high": float("nan"), "model": float(a.mean()) if len(a) else float("nan"),
                "baseline": float(b.mean()) if len(b) else float("nan")}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), (n_boot, len(a))) if len(a) * n_boot <= 5e7 else rng.integers(0, len(a), (200, len(a)))
    ma, mb = a[idx].mean(axis=1), b[idx].mean(axis=1)
    ratios = ma / np.where(mb > 0, mb, np.nan) - 1
    lo, hi = np.nanpercentile(ratios, [2.5, 97.5])
    return {"gain": float(a.mean() / b.mean() - 1), "low": float(lo), "high": float(hi),
            "model": float(a.mean()), "baseline": float(b.mean())}
