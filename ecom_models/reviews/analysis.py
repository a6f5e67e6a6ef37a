"""The analysis of a reviews file, one call: analyse_reviews splits each review into sentences, encodes
them (MiniLM for English-only files, multilingual-e5 as soon as another language is present), scores
them with the bundled head, fine-tunes on star ratings when there are enough, and finds the aspects;
ReviewAnalysis holds the result, and language_breakdown / subset_by_languages restrict it to some
languages with every view staying consistent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.reviews.aspects import ASPECT_NEUTRAL_BAND, find_aspects
from ecom_models.reviews.finetune import FineTuneResult, fine_tune
from ecom_models.reviews.heads import (NEUTRAL_BAND, BundledHead, KerasHead, get_bundled_head,
                                       get_multilingual_head, label_from_score, vader_labels, vader_scores)
from ecom_models.reviews.texts import MISSING_STRINGS, prepare_texts, split_sentences
from ecom_models.text import encoders as te
from ecom_models.text.minilm import EMBED_DIM, MAX_TOKENS, Encoder, get_encoder

MAX_SENTENCES = 60  # per review: longer reviews are read up to here (flagged `truncated`)
ENCODER_NAMES = {"minilm": "minilm", "multilingual": "multilingual-e5"}  # the `encoder` column's values

Progress = Callable[[float, str], None] | None


@dataclass
class ReviewAnalysis:
    """Everything the page and the CLI show.

    scored (one row per review, input order): review_id, product_id, date, rating, title, text (original,
      never rendered as HTML), status (ok | empty | emoji_only | other_language), language, had_html,
      truncated, score ([-1, 1], NaN when not scored), label (positive | negative | neutral | None),
      model (fine_tuned | bundled | vader), bundled_score, vader_score, vader_label, aspects
      (comma-separated), negative_aspects (comma-separated).
    aspects (one row per review x aspect): review_id, product_id, date, rating, aspect, sentence, score, label.
    embeddings: (n, 384) float32, a review's normalised mean sentence embedding; zeros when not scored.
    sentences: one row per sentence read: row (review), sentence_id (row of sentence_embeddings).
    sentence_embeddings: (distinct sentences, 384) float32. Search ranks a review by its best sentence.
    """

    scored: pd.DataFrame
    aspects: pd.DataFrame
    embeddings: np.ndarray
    comparison: FineTuneResult
    text_column: str
    notes: list[str] = field(default_factory=list)
    sentences: pd.DataFrame | None = None
    sentence_embeddings: np.ndarray | None = None
    space: str = "minilm"  # encoder of `embeddings`/`sentence_embeddings`: "minilm" or "multilingual"

    @property
    def model_used(self) -> str:
        return self.comparison.winner if self.comparison.trained else "bundled"

    def headline(self) -> dict:
        """The page's three headline figures: reviews_read (reviews a model scored), share_negative
        (of those, NaN when none), mean_rating (NaN when no review has stars)."""
        scored = self.scored
        n = int(scored["label"].notna().sum())
        share = float((scored["label"] == "negative").sum() / n) if n else float("nan")
        mean_rating = float(scored["rating"].mean()) if scored["rating"].notna().any() else float("nan")
        return {"reviews_read": n, "share_negative": share, "mean_rating": mean_rating}


def text_series(reviews: pd.DataFrame, text_col: str | None) -> tuple[pd.Series, str]:
    if text_col:
        if text_col not in reviews.columns:
            raise InputError(f"there is no column named '{text_col}'.", column=text_col,
                             fix=f"pick one of: {', '.join(map(str, reviews.columns[:15]))}.")
        return reviews[text_col], text_col
    if "text" in reviews.columns:
        text = reviews["text"]
        if "title" in reviews.columns:  # a review with only a title is scored on its title
            text = text.where(text.notna() & (text.astype("str").str.strip() != ""), reviews["title"])
        return text, "text"
    candidates = [c for c in reviews.columns if reviews[c].dtype == object or str(reviews[c].dtype) in ("str", "string")]
    if not candidates:
        raise InputError("no column with review text was found.", fix="name the text column with --text-col, or call it 'text'.")
    best = max(candidates, key=lambda c: reviews[c].astype("str").str.len().median())
    return reviews[best], str(best)


def analyse_reviews(reviews: pd.DataFrame, text_col: str | None = None, *, fine_tune_on_ratings: bool = True,
                    progress: Progress = None, encoder: Encoder | None = None, seed: int = 0,
                    epochs: int = 40) -> ReviewAnalysis:
    """Score every review, find aspects, and (with ratings) fine-tune and compare on held-out reviews."""
    if reviews is None or len(reviews) == 0:
        raise InputError("the reviews file has no rows.", fix="export the reviews again, including their text.")
    texts, used_col = text_series(reviews, text_col)
    n = len(reviews)
    prep = prepare_texts(texts.tolist())
    if (prep["status"] == "empty").all():
        raise InputError("every review text is empty.", column=used_col,
                         fix="check that the column with the review body is mapped as 'text'.")
    base = pd.DataFrame({
        "review_id": reviews["review_id"].astype("str").to_numpy() if "review_id" in reviews else [f"row-{i + 2}" for i in range(n)],
        "product_id": (reviews["product_id"].astype("str").where(reviews["product_id"].notna()
                                                                 & ~reviews["product_id"].astype("str").isin(MISSING_STRINGS))
                       .to_numpy() if "product_id" in reviews else pd.array([pd.NA] * n, dtype="str")),
        "date": pd.to_datetime(reviews["date"], errors="coerce").to_numpy() if "date" in reviews else pd.NaT,
        "rating": pd.to_numeric(reviews["rating"], errors="coerce").to_numpy(dtype=float) if "rating" in reviews else np.nan,
        "title": reviews["title"].to_numpy() if "title" in reviews else pd.array([pd.NA] * n, dtype="str"),
        "text": texts.to_numpy(),
    })
    for col in ("status", "language", "had_html"):
        base[col] = prep[col].to_numpy()
    ok = (prep["status"] == "ok").to_numpy()
    emoji = (prep["status"] == "emoji_only").to_numpy()
    clean = prep["clean"].tolist()

    # 1. sentence by sentence: the head was trained on sentences, and a review's verdict is the mean of its
    #    sentences' (on the demo reviews: 0.86 vs 0.75 balanced accuracy for one embedding of the whole text)
    emb = np.zeros((n, EMBED_DIM), dtype=np.float32)
    truncated = np.zeros(n, dtype=bool)
    idx_ok = np.flatnonzero(ok)

    def stage(lo, hi):
        if progress is None:
            return None
        return lambda f, msg: progress(lo + (hi - lo) * f, msg)

    # "und" with no letter at all ("10/10") must not switch an English file to the multilingual model
    route = np.array([None if not ok[i] else ("minilm" if lang == "und" and not any(c.isalpha() for c in clean[i])
                                               else te.best_model(lang))
                      for i, lang in enumerate(base["language"])], dtype=object)
    sent_row, sent_text = [], []
    for i in idx_ok:
        sents = split_sentences(clean[i]) or [clean[i]]
        if len(sents) > MAX_SENTENCES:
            sents = sents[:MAX_SENTENCES]
            truncated[i] = True
        sent_row.extend([i] * len(sents))
        sent_text.extend(sents)
    sent_row = np.array(sent_row, dtype=np.int64)
    s_route = route[sent_row] if len(sent_row) else np.zeros(0, dtype=object)
    u_emb, s_trunc, s_inverse, s_score, space = _encode_and_score(sent_text, s_route, encoder, stage(0.0, 0.75))
    s_emb = u_emb[s_inverse]
    bundled = np.full(n, np.nan)
    if len(sent_row):
        counts = np.bincount(sent_row, minlength=n).astype(float)
        sums = np.bincount(sent_row, weights=s_score, minlength=n)
        bundled[idx_ok] = sums[idx_ok] / counts[idx_ok]
        if space == "multilingual":
            # Chinese clauses lose their context when read alone ("就是早餐一般"): the multilingual score of a
            # review of several sentences is the mean of its sentence mean and the whole text's score
            # (ChnSentiCorp hotel, measure only: balanced accuracy 0.851 whole / 0.836 sentences / 0.850 both)
            multi = idx_ok[counts[idx_ok] > 1]
            if len(multi):
                whole = get_multilingual_head().predict_score(te.get_model("multilingual").encode([clean[i] for i in multi]))
                bundled[multi] = (bundled[multi] + whole) / 2
        np.add.at(emb, sent_row, s_emb)
        norms = np.linalg.norm(emb[idx_ok], axis=1, keepdims=True)
        emb[idx_ok] = emb[idx_ok] / np.maximum(norms, 1e-9)
        truncated |= np.bincount(sent_row, weights=s_trunc.astype(float), minlength=n) > 0
    vader = np.full(n, np.nan)
    vidx = np.flatnonzero(ok | emoji)
    vader[vidx] = vader_scores([clean[i] for i in vidx])

    # 2. fine-tune on rated reviews (held-out comparison), then pick the better model
    if fine_tune_on_ratings and "rating" in reviews and base["rating"].notna().any():
        rated = idx_ok[~np.isnan(base["rating"].to_numpy()[idx_ok])]
        if progress:
            progress(0.78, "Learning from your star ratings…")
        comp = fine_tune(emb[rated], bundled[rated], vader[rated], base["rating"].to_numpy()[rated], seed=seed, epochs=epochs)
    else:
        comp = FineTuneResult(False, "no star ratings, so the bundled model is used.")
    score = bundled.copy()
    label = np.full(n, None, dtype=object)
    model = np.full(n, None, dtype=object)
    if comp.trained and comp.winner == "fine_tuned":
        X = KerasHead.features(emb[idx_ok], bundled[idx_ok])
        score[idx_ok] = comp.head.predict_score(X)
        label[idx_ok] = comp.head.predict_label(X)
        model[idx_ok] = "fine_tuned"
    else:
        label[idx_ok] = label_from_score(bundled[idx_ok], NEUTRAL_BAND)
        model[idx_ok] = "bundled"
    eidx = np.flatnonzero(emoji)
    score[eidx] = vader[eidx]
    label[eidx] = vader_labels(vader[eidx])
    model[eidx] = "vader"
    base["truncated"] = truncated
    enc_col = np.full(n, None, dtype=object)
    enc_col[idx_ok] = ENCODER_NAMES[space]
    enc_col[eidx] = "vader"
    base["encoder"] = enc_col
    base["score"] = score
    base["label"] = label
    base["model"] = model
    base["bundled_score"] = bundled
    base["vader_score"] = vader
    vl = np.full(n, None, dtype=object)
    vl[vidx] = vader_labels(vader[vidx])
    base["vader_label"] = vl

    # 3. aspects: the sentences that name one, with their sentiment
    if progress:
        progress(0.9, "Finding what customers talk about…")
    rows = []
    langs = base["language"].to_numpy()
    for j, (i, sent) in enumerate(zip(sent_row, sent_text)):
        for aspect in find_aspects(sent, langs[i]):
            rows.append((int(i), aspect, sent, float(s_score[j])))
    if rows:
        aspects = pd.DataFrame(rows, columns=["row", "aspect", "sentence", "score"])
        aspects["label"] = label_from_score(aspects["score"].to_numpy(), ASPECT_NEUTRAL_BAND)
        # one row per review x aspect: keep the most negative sentence about it
        aspects = aspects.sort_values("score").drop_duplicates(["row", "aspect"]).sort_values(["row", "aspect"])
        for col in ("review_id", "product_id", "date", "rating"):
            aspects[col] = base[col].to_numpy()[aspects["row"].to_numpy()]
        aspects = aspects[["row", "review_id", "product_id", "date", "rating", "aspect", "sentence", "score", "label"]]
        aspects = aspects.reset_index(drop=True)
    else:
        aspects = pd.DataFrame(columns=["row", "review_id", "product_id", "date", "rating", "aspect", "sentence", "score", "label"])
    by_row = aspects.groupby("row")["aspect"].agg(lambda s: ", ".join(sorted(s))) if len(aspects) else pd.Series(dtype=str)
    neg = aspects[aspects["label"] == "negative"]
    neg_by_row = neg.groupby("row")["aspect"].agg(lambda s: ", ".join(sorted(s))) if len(neg) else pd.Series(dtype=str)
    base["aspects"] = [by_row.get(i, "") for i in range(n)]
    base["negative_aspects"] = [neg_by_row.get(i, "") for i in range(n)]

    notes = []
    counts = base["status"].value_counts()

    def reviews_word(k: int) -> str:
        return f"{k:,} review" + ("" if k == 1 else "s")

    if truncated.any():
        notes.append(f"{reviews_word(int(truncated.sum()))} too long for the model (over {MAX_SENTENCES} sentences, "
                     f"or a sentence over {MAX_TOKENS} tokens): the model read the beginning only.")
    if counts.get("empty", 0):
        notes.append(f"{reviews_word(int(counts['empty']))} without text: not scored.")
    if counts.get("emoji_only", 0):
        notes.append(f"{reviews_word(int(counts['emoji_only']))} with only emoji: scored by the VADER lexicon, which reads emoji.")
    if counts.get("other_language", 0):
        langs = (base.loc[base["status"] == "other_language", "language"]
                 .map(lambda c: te.LANGUAGE_NAMES.get(c, c)).value_counts())
        notes.append(f"{reviews_word(int(counts['other_language']))} in another language ("
                     + ", ".join(f"{k}: {v}" for k, v in langs.items()) + "): labelled as such, not guessed.")
    if base["had_html"].any():
        notes.append(f"{reviews_word(int(base['had_html'].sum()))} with HTML: tags were removed for the model and are shown as plain text.")
    if progress:
        progress(1.0, "Done")
    sentences = pd.DataFrame({"row": sent_row, "sentence_id": np.asarray(s_inverse, dtype=np.int64)})
    return ReviewAnalysis(base, aspects, emb, comp, used_col, notes, sentences, u_emb, space)


def _encode_and_score(sent_text: list[str], s_route: np.ndarray, encoder: Encoder | None, progress: Progress):
    """Encode each distinct sentence once and score it with the bundled head of its encoder.

    All English: MiniLM + its head on [embedding, VADER] (0.910 on unseen English sentences, the fastest).
    Any other language present: multilingual-e5 + the multilingual head (trained on English sentences only)
    for EVERY sentence, English included: one space for fine-tuning and cross-lingual search, and on
    English it is the more accurate of the two (0.959 vs 0.910 on the same held-out sentences,
    data/models/multilingual_e5/head_report.json); it is about half as fast, which is why English-only
    files keep MiniLM.

    Returns (unique embeddings, truncated per sentence, inverse, score per sentence, space).
    """
    if not len(sent_text):
        return (np.zeros((0, EMBED_DIM), dtype=np.float32), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64),
                np.zeros(0), "minilm")
    uniq, inverse = np.unique(np.array(sent_text, dtype=object), return_inverse=True)
    uniq = [str(u) for u in uniq]
    u_route = np.empty(len(uniq), dtype=object)
    u_route[inverse] = s_route
    space = "multilingual" if (u_route == "multilingual").any() else "minilm"
    en = np.flatnonzero(u_route == "minilm") if space == "minilm" else np.zeros(0, dtype=np.int64)
    u_emb = np.zeros((len(uniq), EMBED_DIM), dtype=np.float32)
    u_score = np.zeros(len(uniq))
    u_trunc = np.zeros(len(uniq), dtype=bool)
    share_en = len(en) / len(uniq)

    def part(lo, hi):
        return None if progress is None else (lambda f, msg: progress(lo + (hi - lo) * f, msg))

    if len(en):
        texts = [uniq[i] for i in en]
        e, t = (encoder or get_encoder()).encode(texts, progress=part(0.0, share_en if space == "minilm" else share_en / 2))
        u_score[en] = get_bundled_head().predict_score(BundledHead.features(e, vader_scores(texts)))
        u_trunc[en] = t
        if space == "minilm":
            u_emb[en] = e
    if space == "multilingual":
        e, t = te.get_model("multilingual").encode(uniq, progress=part(0.0, 1.0), return_truncated=True)
        u_emb[:] = e
        u_score[:] = get_multilingual_head().predict_score(e)
        u_trunc[:] = t
    return u_emb, u_trunc[inverse], inverse, u_score[inverse], space


def language_breakdown(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per language with text, most reviews first: language (ISO 639-1), name, reviews, scored,
    encoder (which bundled encoder read them; None when none reads the language), share."""
    has_text = scored["status"].isin(["ok", "other_language"])
    sub = scored[has_text]
    if sub.empty:
        return pd.DataFrame(columns=["language", "name", "reviews", "scored", "encoder", "share"])
    g = sub.groupby("language", sort=False)
    out = pd.DataFrame({"reviews": g.size(), "scored": g["label"].apply(lambda s: int(s.notna().sum()))})
    if "encoder" in sub:
        out["encoder"] = g["encoder"].agg(lambda s: s.dropna().mode().iat[0] if s.notna().any() else None)
    else:
        out["encoder"] = [ENCODER_NAMES.get(te.best_model(lang)) for lang in out.index]
    out["share"] = out["reviews"] / out["reviews"].sum()
    out["name"] = [te.LANGUAGE_NAMES.get(lang, lang) for lang in out.index]
    out = out.rename_axis("language").reset_index().sort_values(["reviews", "language"], ascending=[False, True])
    return out[["language", "name", "reviews", "scored", "encoder", "share"]].reset_index(drop=True)


def subset_analysis(analysis: ReviewAnalysis, keep) -> ReviewAnalysis:
    """The analysis restricted to some reviews (e.g. one language), every view consistent with it."""
    from dataclasses import replace

    keep = np.asarray(keep, dtype=bool)
    if keep.all():
        return analysis
    new_row = np.full(len(keep), -1, dtype=np.int64)
    new_row[keep] = np.arange(int(keep.sum()))
    aspects = analysis.aspects
    aspects = aspects[keep[aspects["row"].to_numpy(dtype=np.int64)]].copy() if len(aspects) else aspects.copy()
    if len(aspects):
        aspects["row"] = new_row[aspects["row"].to_numpy(dtype=np.int64)]
    sentences = analysis.sentences
    if sentences is not None and len(sentences):
        sentences = sentences[keep[sentences["row"].to_numpy()]].copy()
        sentences["row"] = new_row[sentences["row"].to_numpy()]
    return replace(analysis, scored=analysis.scored.loc[keep].reset_index(drop=True),
                   aspects=aspects.reset_index(drop=True), embeddings=analysis.embeddings[keep],
                   sentences=None if sentences is None else sentences.reset_index(drop=True))



def subset_by_languages(analysis: ReviewAnalysis, languages) -> ReviewAnalysis:
    """The analysis restricted to reviews in these languages (ISO 639-1 codes, as in
    language_breakdown); reviews without text to read (empty, emoji only) are kept."""
    scored = analysis.scored
    keep = (scored["language"].isin(list(languages)).to_numpy()
            | ~scored["status"].isin(["ok", "other_language"]).to_numpy())
    return subset_analysis(analysis, keep)
