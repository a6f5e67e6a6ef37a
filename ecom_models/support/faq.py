"""FAQ answers that know when to keep quiet.

The FAQ is `faq_id, question, answer` rows; several rows with one `faq_id` are alternative
phrasings of one question. Each ticket is compared with every phrasing on both views of the text
(meaning and spelling, `features.ENCODER_WEIGHT`); an entry's score is its best phrasing's
similarity. The ticket's match is the best entry; its **confidence** is a calibrated chance that
this match is right, learnt from held-out matches by a logistic curve on two numbers: the best
score plus twice its margin over the second-best entry (a ticket equally close to two entries is
unclear however high both scores are).

Held-out matches
    - with labelled tickets (a ticket's label is a `faq_id`): those tickets, matched against the FAQ;
    - without: the FAQ's own phrasings against each other: each phrasing is matched against the
      FAQ with that phrasing left out; right when it lands on its own entry. Tickets are messier
      than FAQ phrasings, so this is optimistic about the scores; the page says which was used.

The precision/coverage trade-off is read off the held-out matches: for each confidence
threshold, the share answered (coverage) and the share of those answered right (precision).
The merchant picks a target precision; the threshold is the lowest confidence at which the
held-out precision of everything above it reaches the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.support.features import Featurizer, TicketFeatures

FAQ_ENCODER_WEIGHT = 0.9  # meaning vs spelling for FAQ similarity
MARGIN_WEIGHT = 2.0


def clean_faq(faq: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """faq_id, question, answer (str); rows without a question are dropped."""
    cols = {str(c).strip().lower().replace(" ", "_"): c for c in faq.columns}
    question = next((cols[c] for c in ("question", "questions", "q", "phrasing", "问题") if c in cols), None)
    if question is None:
        raise InputError("the FAQ has no 'question' column.", file=file,
                         fix="use the columns faq_id, question, answer (several rows per faq_id are alternative phrasings).")
    fid = next((cols[c] for c in ("faq_id", "id", "faq", "intent", "topic") if c in cols), None)
    answer = next((cols[c] for c in ("answer", "answers", "a", "reply", "答案", "回答") if c in cols), None)
    out = pd.DataFrame({"question": faq[question].astype("str").str.strip()})
    out["faq_id"] = faq[fid].astype("str").str.strip() if fid is not None else [f"faq-{i + 1}" for i in range(len(faq))]
    out["answer"] = faq[answer].astype("str").str.strip() if answer is not None else ""
    out = out[~out["question"].isin(["", "nan", "None", "<NA>"])].reset_index(drop=True)
    if out.empty:
        raise InputError("the FAQ has no questions.", file=file, fix="fill in the question column.")
    # One answer per entry: the first non-empty one.
    first = out[out["answer"].ne("") & out["answer"].ne("nan")].groupby("faq_id")["answer"].first()
    out["answer"] = out["faq_id"].map(first).fillna("")
    return out[["faq_id", "question", "answer"]]


def _entry_scores(sim: np.ndarray, entry_of_row: np.ndarray, n_entries: int) -> np.ndarray:
    """(n_tickets, n_entries): the best phrasing's similarity per entry."""
    out = np.full((sim.shape[0], n_entries), -1.0, dtype=np.float32)
    for e in range(n_entries):
        cols = entry_of_row == e
        if cols.any():
            out[:, e] = sim[:, cols].max(axis=1)
    return out


def _best_two(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(scores)), best]
    if scores.shape[1] > 1:
        second = np.partition(scores, -2, axis=1)[:, -2]
    else:
        second = np.zeros(len(scores))
    return best, top, top - second


@dataclass
class TradeOff:
    """Held-out precision and coverage per confidence threshold (sorted by threshold, descending)."""

    curve: pd.DataFrame  # threshold, coverage, precision, answered, right
    n: int
    source: str  # "labelled tickets" | "FAQ phrasings"

    def threshold_for(self, target_precision: float) -> float:
        ok = self.curve[self.curve["precision"] >= target_precision]
        return float(ok["threshold"].min()) if len(ok) else float("inf")

    def at(self, threshold: float) -> dict:
        rows = self.curve[self.curve["threshold"] >= threshold]
        if rows.empty:
            return {"coverage": 0.0, "precision": float("nan"), "answered": 0, "right": 0}
        last = rows.iloc[-1]
        return {"coverage": float(last["coverage"]), "precision": float(last["precision"]),
                "answered": int(last["answered"]), "right": int(last["right"])}


class FaqMatcher:
    """Best FAQ entry per ticket with a calibrated confidence; abstains below a threshold."""

    def __init__(self, weight: float = FAQ_ENCODER_WEIGHT):
        self.weight = weight

    def fit(self, faq: pd.DataFrame, featurizer: Featurizer) -> "FaqMatcher":
        self.faq_ = clean_faq(faq)
        self.entries_ = np.array(sorted(self.faq_["faq_id"].unique()), dtype=object)
        index = {e: i for i, e in enumerate(self.entries_)}
        self.entry_of_row_ = self.faq_["faq_id"].map(index).to_numpy()
        self.featurizer_ = featurizer
        self.weight_ = featurizer.meaning_weight(self.weight)
        self.feats_ = featurizer.transform(list(self.faq_["question"]))
        self.calibrator_ = None
        return self

    def _similarity(self, feats: TicketFeatures, rows: np.ndarray | None = None) -> np.ndarray:
        mine = self.feats_ if rows is None else self.feats_.subset(rows)
        w = self.weight_
        sim = w * (feats.emb @ mine.emb.T) + (1 - w) * (feats.chars @ mine.chars.T).toarray()
        return sim.astype(np.float32)

    def raw_match(self, feats: TicketFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(entry index, best score, margin) per ticket."""
        scores = _entry_scores(self._similarity(feats), self.entry_of_row_, len(self.entries_))
        return _best_two(scores)

    def _held_out_from_phrasings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(self.faq_)
        sim = self._similarity(self.feats_)
        np.fill_diagonal(sim, -1.0)  # each phrasing is matched without itself
        # Fair fight: with one phrasing left out, its entry has one fewer to match; give every other
        # entry the same handicap by hiding one of its phrasings at random.
        rng = np.random.default_rng(0)
        rows_of = {e: np.flatnonzero(self.entry_of_row_ == e) for e in range(len(self.entries_))}
        for i in range(n):
            own = self.entry_of_row_[i]
            for e, rows in rows_of.items():
                if e != own and len(rows) > 1:
                    sim[i, rows[int(rng.integers(len(rows)))]] = -1.0
        scores = _entry_scores(sim, self.entry_of_row_, len(self.entries_))
        best, top, margin = _best_two(scores)
        right = best == self.entry_of_row_[:n]
        return top, margin, right

    def calibrate(self, feats: TicketFeatures | None = None, labels=None) -> TradeOff:
        """Fit the confidence curve on held-out matches: labelled tickets (`feats`, `labels` = faq_id) if
        given, else the FAQ's own phrasings. Returns the precision/coverage trade-off."""
        source = "FAQ phrasings"
        if feats is not None and labels is not None and len(labels):
            labels = np.asarray(labels, dtype=object)
            known = np.isin(labels, self.entries_)
            if known.sum() >= 10:
                best, top, margin = self.raw_match(feats.subset(np.flatnonzero(known)))
                right = self.entries_[best] == labels[known]
                source = "labelled tickets"
        if source == "FAQ phrasings":
            top, margin, right = self._held_out_from_phrasings()
        from sklearn.linear_model import LogisticRegression

        X = self._stat(top, margin)[:, None]
        if right.all() or not right.any():
            self.calibrator_ = None
            self.constant_ = float(right.mean()) if len(right) else 0.5
        else:
            self.calibrator_ = LogisticRegression(C=10.0).fit(X, right.astype(int))
        conf = self._confidence(top, margin)
        order = np.argsort(-conf, kind="stable")
        answered = np.arange(1, len(order) + 1)
        right_cum = np.cumsum(right[order])
        curve = pd.DataFrame({"threshold": conf[order], "coverage": answered / len(order),
                              "precision": right_cum / answered, "answered": answered, "right": right_cum})
        # one row per distinct threshold (ties answer together)
        curve = curve.groupby("threshold", sort=False).last().reset_index().sort_values("threshold", ascending=False)
        self.tradeoff_ = TradeOff(curve.reset_index(drop=True), n=len(order), source=source)
        return self.tradeoff_

    @staticmethod
    def _stat(top: np.ndarray, margin: np.ndarray) -> np.ndarray:
        # One number ranks the matches: the best score plus twice its lead over the runner-up
        # (measured: ranks right matches first better than either alone, docs/support.md).
        return np.asarray(top, dtype=float) + MARGIN_WEIGHT * np.asarray(margin, dtype=float)

    def _confidence(self, top: np.ndarray, margin: np.ndarray) -> np.ndarray:
        stat = self._stat(top, margin)
        if self.calibrator_ is None:
            return np.full(len(top), getattr(self, "constant_", 0.5)) * np.clip(stat, 0, 1)
        return self.calibrator_.predict_proba(stat[:, None])[:, 1]

    def match(self, feats: TicketFeatures, threshold: float = 0.0) -> pd.DataFrame:
        """Per ticket: faq_id (None below threshold), faq_confidence, best_faq_id, score."""
        if not hasattr(self, "tradeoff_"):
            self.calibrate()
        best, top, margin = self.raw_match(feats)
        conf = self._confidence(top, margin)
        best_id = self.entries_[best] if len(best) else np.array([], dtype=object)
        answered = conf >= threshold
        return pd.DataFrame({"faq_id": np.where(answered, best_id, None), "faq_confidence": conf,
                             "best_faq_id": best_id, "score": top})
