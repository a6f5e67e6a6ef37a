"""What a customer sees: the top-k products per customer with a reason ("bought with X"),
"frequently bought together" per product, and the best sellers for customers the model has
never seen (cold start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecom_models.core.errors import InputError
from ecom_models.recommend.interactions import Interactions, normalise_ids
from ecom_models.recommend.leaderboard import RecommenderReport
from ecom_models.recommend.models import ItemKNN, Popularity, as_binary


def _similar_items(inter: Interactions) -> sp.csr_matrix:
    """Jaccard similarity between items (customers in common), for explanations."""
    if not hasattr(inter, "_sim_cache"):
        inter._sim_cache = ItemKNN("jaccard", neighbours=50).fit(inter.matrix).W_
    return inter._sim_cache


def recommend_for_users(report: RecommenderReport, user_ids=None, k: int = 10, exclude_seen: bool = True,
                        with_reasons: bool = False) -> pd.DataFrame:
    """Top-k per customer: columns user_id, rank, item_id, product_name, score[, reason].

    Customers not in the data get best sellers (cold start) with reason "best seller"."""
    inter = report.inter
    if user_ids is None:
        user_ids = list(inter.users)
    user_ids = [str(u) for u in normalise_ids(pd.Series(list(user_ids), dtype=object)).fillna("")]
    rows = inter.users.get_indexer(user_ids)
    known = rows >= 0
    X_rows = inter.matrix[np.where(known, rows, 0)]
    if (~known).any():
        X_rows = X_rows.multiply(known[:, None].astype(np.float32)).tocsr()
    idx, scores = report.model.recommend(X_rows, k=k, exclude_seen=exclude_seen, rows=rows)
    pop_model = Popularity().fit(inter.matrix)
    if (~known).any():
        cold_idx, cold_scores = pop_model.recommend(sp.csr_matrix((int((~known).sum()), inter.n_items), dtype=np.float32), k=k,
                                                    exclude_seen=False)
        idx[~known], scores[~known] = cold_idx, cold_scores
    kk = idx.shape[1]
    out = pd.DataFrame({
        "user_id": np.repeat(user_ids, kk),
        "rank": np.tile(np.arange(1, kk + 1), len(user_ids)),
        "item_id": inter.items.to_numpy()[idx.ravel()],
        "score": scores.ravel().astype(float),
    })
    out["product_name"] = [inter.item_name(i) for i in out["item_id"]] if "product_name" in inter.item_info else out["item_id"]
    if with_reasons:
        out["reason"] = _reasons(inter, rows, idx, known)
    out["known_customer"] = np.repeat(known, kk)
    # when a customer has bought almost everything, fewer than k products are left to show
    return out[np.isfinite(out["score"])].reset_index(drop=True)


def _reasons(inter: Interactions, rows: np.ndarray, idx: np.ndarray, known: np.ndarray) -> list[str]:
    S = _similar_items(inter).tocsc()
    X = inter.matrix
    reasons = []
    for r, rec, kn in zip(rows, idx, known):
        if not kn:
            reasons.extend(["best seller (new customer)"] * len(rec))
            continue
        hist = X.indices[X.indptr[r]:X.indptr[r + 1]]
        for item in rec:
            col = S[:, item]
            sims = np.asarray(col[hist].todense()).ravel() if len(hist) else np.array([])
            if len(sims) and sims.max() > 0:
                because = inter.items[hist[int(np.argmax(sims))]]
                reasons.append(f"bought with {inter.item_name(because)}")
            else:
                reasons.append("popular with customers like you" if len(hist) else "best seller")
    return reasons


def frequently_bought_together(inter: Interactions, item_id: str, k: int = 5, min_lift: float = 1.0) -> pd.DataFrame:
    """Products most often in the same order (or, for plain tables, bought by the same
    customer) as `item_id`, among those paired more often than chance (lift > min_lift).
    Columns: item_id, product_name, together (count), confidence (share of baskets with
    the product that also have this one), lift, unit ("orders" or "customers")."""
    item_id = str(normalise_ids(pd.Series([item_id], dtype=object)).iloc[0])
    if inter.baskets is not None and not inter.baskets.empty:
        b = inter.baskets
        baskets = pd.Index(b["basket_id"].unique())
        bi = baskets.get_indexer(b["basket_id"])
        ii = inter.items.get_indexer(b["item_id"])
        ok = ii >= 0
        M = sp.csr_matrix((np.ones(ok.sum(), np.float32), (bi[ok], ii[ok])), shape=(len(baskets), inter.n_items))
        unit = "orders"
    else:
        M, unit = as_binary(inter.matrix), "customers"
    M.data[:] = 1.0
    j = inter.items.get_indexer([item_id])[0]
    if j < 0:
        raise InputError(f"the product '{item_id}' does not appear in the sales data.", fix="pick a product that has been sold.")
    with_j = M[:, j].toarray().ravel() > 0
    n_j = int(with_j.sum())
    together = np.asarray(M[with_j].sum(axis=0)).ravel()
    together[j] = 0
    support = np.asarray(M.sum(axis=0)).ravel()
    n = M.shape[0]
    lift = (together / max(n_j, 1)) / np.maximum(support / n, 1e-12)
    # only real pairings (bought together more often than chance would give), most frequent first
    order = np.argsort(-together, kind="stable")
    order = order[(together[order] > 0) & (lift[order] > min_lift)][:k]
    return pd.DataFrame({
        "item_id": inter.items.to_numpy()[order],
        "product_name": [inter.item_name(inter.items[o]) for o in order],
        "together": together[order].astype(int),
        "confidence": together[order] / max(n_j, 1),
        "lift": lift[order],
        "unit": unit,
    })


def cold_start(inter: Interactions, k: int = 10, recent_days: int | None = 90) -> pd.DataFrame:
    """What a brand-new customer sees: best sellers of the last `recent_days` (all time if
    there are no dates). Columns: rank, item_id, product_name, customers."""
    df = inter.df
    if recent_days and inter.has_time:
        cutoff = df["last_time"].max() - pd.Timedelta(days=recent_days)
        recent = df[df["last_time"] >= cutoff]
        if recent["user_id"].nunique() >= 5:
            df = recent
    counts = df.groupby("item_id")["user_id"].nunique().sort_values(ascending=False, kind="stable").head(k)
    return pd.DataFrame({"rank": np.arange(1, len(counts) + 1), "item_id": counts.index.astype(str),
                         "product_name": [inter.item_name(i) for i in counts.index], "customers": counts.to_numpy()})
