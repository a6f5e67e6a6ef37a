"""Reviews analyses kept in the workspace's results store (kind `sentiment.analysis`, keyed by the
reviews' content hash and MODEL_VERSION), so a restart or another session reads them back instead of
reading the reviews again; an analysis saved by another model version is not used."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.reviews.analysis import ReviewAnalysis, text_series
from ecom_models.reviews.finetune import FineTuneResult
from ecom_models.reviews.heads import KerasHead

MODEL_VERSION = "minilm-int8-v5+me5-v1"


def save_analysis(ws, key: str, analysis: ReviewAnalysis) -> bool:
    """Keep the results in the workspace's results store (kind `sentiment.analysis`, keyed by the
    reviews' content hash and the model version) so a restart or another session re-uses them.
    False when the analysis is over the store's size cap (not stored)."""
    from ecom_models.workspace.results import ResultsStore, result_key

    scored = analysis.scored.copy()
    scored["text"] = scored["text"].astype("str")
    scored["title"] = scored["title"].astype("str")
    meta = {"comparison": analysis.comparison.to_dict(), "text_column": analysis.text_column, "notes": analysis.notes,
            "model_version": MODEL_VERSION, "space": analysis.space,
            "head": analysis.comparison.head.to_dict() if analysis.comparison.head is not None else None}
    doc = {"meta": meta, "scored": scored, "aspects": analysis.aspects,
           "embeddings": np.asarray(analysis.embeddings, dtype=np.float32),
           "sentences": analysis.sentences if analysis.sentence_embeddings is not None else None,
           "sentence_embeddings": (None if analysis.sentences is None or analysis.sentence_embeddings is None
                                   else np.asarray(analysis.sentence_embeddings, dtype=np.float32))}
    return ResultsStore(ws).put("sentiment.analysis", result_key("sentiment.analysis", [key], MODEL_VERSION), doc)


def load_analysis(ws, key: str, original: pd.DataFrame | None = None) -> ReviewAnalysis | None:
    from ecom_models.workspace.results import ResultsStore, result_key

    doc = ResultsStore(ws).get("sentiment.analysis", result_key("sentiment.analysis", [key], MODEL_VERSION))
    if not doc or doc["meta"].get("model_version") != MODEL_VERSION:
        return None
    meta = doc["meta"]
    scored, aspects, emb = doc["scored"].copy(), doc["aspects"], doc["embeddings"]
    if original is not None and len(original) == len(scored):  # keep the original text values (NA stays NA)
        texts, _ = text_series(original, meta.get("text_column") if meta.get("text_column") in original else None)
        scored["text"] = texts.to_numpy()
        if "title" in original:
            scored["title"] = original["title"].to_numpy()
    c = meta["comparison"]
    comp = FineTuneResult(c["trained"], c["reason"], c["n_train"], c["n_test"], c["balanced_accuracy"],
                          {k: tuple(v) for k, v in c["interval_90"].items()}, c["binary_balanced_accuracy"],
                          c["winner"], c["confident"], KerasHead.from_dict(meta["head"]) if meta.get("head") else None)
    s_emb = doc.get("sentence_embeddings")
    return ReviewAnalysis(scored, aspects, np.asarray(emb, dtype=np.float32), comp, meta["text_column"], meta["notes"],
                          doc.get("sentences"), None if s_emb is None else np.asarray(s_emb, dtype=np.float32),
                          meta.get("space", "minilm"))
