"""Recommender reports as plain data for the results store, and back: figures, frames, the
interactions and the chosen model's top-k for every customer (`StoredRanking`), never a fitted
model object.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ecom_models.recommend.evaluation import Evaluation
from ecom_models.recommend.interactions import Interactions
from ecom_models.recommend.leaderboard import RecommenderReport
from ecom_models.recommend.models import Recommender


class StoredRanking(Recommender):
    """The chosen model's top-k for every known customer, as stored in the results store: a
    fitted model is an object we never store, its output is plain arrays. Serves
    `recommend(..., rows=)` for known customers with seen products excluded, which is what
    the page and the export ask for."""

    def __init__(self, name: str, params: dict, idx: np.ndarray, scores: np.ndarray, popularity: np.ndarray):
        self.name, self.params = name, dict(params)
        self.idx_, self.scores_ = idx, scores
        self.popularity_ = popularity
        self._tiebreak = (1e-12 * popularity / max(float(popularity.max()) if len(popularity) else 1.0, 1.0)).astype(np.float32)

    def fit(self, X):
        return self

    def recommend(self, X_rows, k=10, exclude_seen=True, rows=None):
        if rows is None or not exclude_seen or k > self.idx_.shape[1]:
            raise ValueError("a stored ranking answers only for known customers, seen products excluded, up to its k")
        safe = np.where(np.asarray(rows) >= 0, rows, 0)
        return self.idx_[safe, :k].copy(), self.scores_[safe, :k].copy()


def _evaluation_document(ev: Evaluation) -> dict:
    return {"model": ev.model, "k": ev.k, "n_users": ev.n_users, "metrics": ev.metrics, "per_user": ev.per_user,
            "fit_seconds": ev.fit_seconds, "params": ev.params}


def _params_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`params` (dicts) as JSON text, so the frame is plain columns."""
    out = df.copy()
    if "params" in out:
        out["params"] = [json.dumps(p, sort_keys=True) for p in out["params"]]
    return out


def _params_back(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "params" in out:
        out["params"] = [json.loads(p) if isinstance(p, str) else p for p in out["params"]]
    return out


def interactions_document(inter: Interactions) -> dict:
    return {"df": inter.df, "users": inter.users, "items": inter.items, "matrix": inter.matrix,
            "item_info": inter.item_info, "baskets": inter.baskets, "source_kind": inter.source_kind,
            "notes": list(inter.notes)}


def interactions_from_document(doc: dict) -> Interactions:
    info = doc["item_info"]
    return Interactions(df=doc["df"], users=pd.Index(doc["users"], name="user_id"),
                        items=pd.Index(doc["items"], name="item_id"), matrix=doc["matrix"].tocsr(),
                        item_info=info, baskets=doc["baskets"], source_kind=doc["source_kind"], notes=list(doc["notes"]))


def report_document(report: "RecommenderReport", stage: str = "full", pending: list | None = None) -> dict:
    """A report as plain data for the results store: figures, frames, the interactions and
    the chosen model's top-k for every customer (not the fitted model)."""
    inter = report.inter
    if isinstance(report.model, StoredRanking):
        idx, scores = report.model.idx_, report.model.scores_
    else:
        rows = np.arange(inter.n_users)
        idx, scores = report.model.recommend(inter.matrix, k=report.k, exclude_seen=True, rows=rows)
    popularity = np.asarray((inter.matrix > 0).sum(axis=0)).ravel().astype(np.float64)
    return {
        "inter": interactions_document(inter), "chosen": report.chosen, "chosen_params": report.chosen_params,
        "validation": _params_frame(report.validation), "leaderboard": _params_frame(report.leaderboard),
        "test_evals": {name: _evaluation_document(ev) for name, ev in report.test_evals.items()},
        "split": report.split, "k": report.k, "reason": report.reason, "notes": list(report.notes),
        "baseline": report.baseline, "top_idx": idx.astype(np.int32), "top_scores": scores.astype(np.float32),
        "popularity": popularity, "stage": stage, "pending": list(pending or []),
    }


def report_from_document(doc: dict) -> "RecommenderReport":
    inter = interactions_from_document(doc["inter"])
    model = StoredRanking(doc["chosen"], doc["chosen_params"], doc["top_idx"].astype(np.int64), doc["top_scores"],
                          doc["popularity"])
    evals = {name: Evaluation(model=e["model"], k=int(e["k"]), n_users=int(e["n_users"]), metrics=e["metrics"],
                              per_user=e["per_user"], fit_seconds=float(e["fit_seconds"]), params=e["params"])
             for name, e in doc["test_evals"].items()}
    report = RecommenderReport(inter=inter, chosen=doc["chosen"], chosen_params=doc["chosen_params"], model=model,
                               validation=_params_back(doc["validation"]), leaderboard=_params_back(doc["leaderboard"]),
                               test_evals=evals, split=doc["split"], k=int(doc["k"]), reason=doc["reason"],
                               notes=list(doc["notes"]), baseline=doc["baseline"], stage=doc.get("stage", "full"),
                               pending=list(doc.get("pending") or []))
    return report
