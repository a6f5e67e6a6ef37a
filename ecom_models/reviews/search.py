"""Search reviews by meaning: a review is ranked by its sentence closest to the query (cosine of sentence
embeddings); multilingual files are searched across languages after each language's mean vector is
taken out; hits can be grouped by their closest sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.reviews.analysis import MAX_SENTENCES, ReviewAnalysis
from ecom_models.reviews.texts import prepare_texts, split_sentences, strip_html
from ecom_models.text import encoders as te
from ecom_models.text.minilm import Encoder, get_encoder

def semantic_search(query: str, analysis: ReviewAnalysis, top: int = 10, encoder: Encoder | None = None,
                    min_similarity: float = 0.25) -> pd.DataFrame:
    """Reviews closest in meaning to `query`: cosine similarity of MiniLM embeddings.

    A review's similarity is that of its closest sentence, so one sentence about a leaking bottle in a
    long review is found. Columns: similarity, review_id, product_id, date, rating, label, score,
    title, text, matched_sentence.
    """
    query = (query or "").strip()
    if not query:
        raise InputError("the search box is empty.", fix="type a few words, e.g. 'leaking bottle' or 'arrived late'.")
    scored = analysis.scored
    n = len(scored)
    best = np.full(n, -1.0)
    best_sentence = np.full(n, "", dtype=object)
    sents = analysis.sentences
    sent_emb = analysis.sentence_embeddings
    if analysis.space == "multilingual":  # one space for every language: cross-lingual search
        q = te.get_model("multilingual").encode([strip_html(query)[0][:1000]])
        if sents is not None and sent_emb is not None and len(sents):
            sent_emb, q = _centre_by_language(sent_emb, sents, scored["language"].to_numpy(), q, query)
            min_similarity = min(min_similarity, MULTILINGUAL_MIN_SIMILARITY)
    else:
        q, _ = (encoder or get_encoder()).encode([strip_html(query)[0][:1000]])
    if sents is not None and sent_emb is not None and len(sents):
        sims_u = sent_emb @ q[0]
        sims = sims_u[sents["sentence_id"].to_numpy()]
        rows = sents["row"].to_numpy()
        order = np.lexsort((sims, rows))  # per row, the last one is the best sentence
        last = np.r_[rows[order][1:] != rows[order][:-1], True]
        pick = order[last]
        best[rows[pick]] = sims[pick]
        texts = _sentence_texts(analysis)
        if texts is not None:
            best_sentence[rows[pick]] = [texts[i] for i in pick]
    else:
        best = analysis.embeddings @ q[0]
    out = scored.assign(similarity=best, matched_sentence=best_sentence)
    out = out[(out["status"] == "ok") & (out["similarity"] >= min_similarity)]
    out = out.sort_values("similarity", ascending=False).head(top)
    return out[["similarity", "review_id", "product_id", "date", "rating", "label", "score", "title", "text",
                "matched_sentence", "language"]].reset_index(drop=True)


MULTILINGUAL_MIN_SIMILARITY = 0.2  # on language-centred multilingual-e5 vectors (MiniLM: 0.25 on raw vectors)


def _centre_by_language(sent_emb: np.ndarray, sents: pd.DataFrame, languages: np.ndarray, q: np.ndarray,
                        query: str) -> tuple[np.ndarray, np.ndarray]:
    """Subtract each language's mean vector (and the query's language's from the query), then re-normalise.

    multilingual-e5 puts every text of one language a little closer to the others of that language, so
    raw cosines rank a Chinese review about anything above a German review about the query's topic.
    Centring per language (Libovický et al., 2020, 'On the language neutrality of pre-trained
    multilingual representations') removes that shared part: on the multilingual fixture, 拉链坏了
    ("the zip broke") then finds the German, Spanish, French and Japanese zip complaints first.
    """
    rows = sents["row"].to_numpy()
    ids = sents["sentence_id"].to_numpy()
    lang_u = np.empty(len(sent_emb), dtype=object)
    lang_u[ids] = languages[rows]
    centred = sent_emb.astype(np.float32, copy=True)
    means = {}
    for lang in pd.unique(lang_u):
        m = lang_u == lang
        means[lang] = sent_emb[m].mean(axis=0)
        centred[m] -= means[lang]
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
    q_lang = te.detect_language(query)
    q_mean = means.get(q_lang)
    if q_mean is None:  # no review in the query's language: the bundled mean of that language
        q_mean = te.language_means().get(q_lang, np.zeros(q.shape[1], dtype=np.float32))
    qc = q[0] - q_mean
    qc /= max(float(np.linalg.norm(qc)), 1e-9)
    return centred, qc[None, :]


def _sentence_texts(analysis: ReviewAnalysis) -> list[str] | None:
    """The text of each sentence read, in the order of `analysis.sentences` (rebuilt from the reviews)."""
    sents = analysis.sentences
    prep = prepare_texts(analysis.scored["text"].tolist())
    out = []
    for i in pd.unique(sents["row"]):
        parts = split_sentences(prep["clean"].iat[int(i)]) or [prep["clean"].iat[int(i)]]
        out.extend(parts[:MAX_SENTENCES])
    return out if len(out) == len(sents) else None


def group_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Search hits grouped by their closest sentence: matched_sentence, similarity, reviews, mean_rating, products."""
    key = hits["matched_sentence"].where(hits["matched_sentence"].astype(str).str.len() > 0, hits["text"].astype(str))
    g = hits.assign(_k=key).groupby("_k", sort=False)
    out = pd.DataFrame({
        "similarity": g["similarity"].max(), "reviews": g.size(), "mean_rating": g["rating"].mean(),
        "products": g["product_id"].nunique(),
    }).reset_index().rename(columns={"_k": "matched_sentence"})
    return out.sort_values(["similarity", "reviews"], ascending=False).reset_index(drop=True)
