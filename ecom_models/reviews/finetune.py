"""Fine-tuning on the merchant's star ratings: 1-2 stars negative, 3 neutral, 4-5 positive; a stratified
held-out quarter on which the fine-tuned Keras head, the bundled head and VADER are compared by balanced
accuracy, with 90% bootstrap intervals of each and of the paired difference (FineTuneResult)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.reviews.heads import LABELS, NEUTRAL_BAND, KerasHead, label_from_score, vader_labels

def rating_to_class(rating) -> np.ndarray:
    """1-2 stars -> 0 (negative), 3 -> 1 (neutral), 4-5 -> 2 (positive); NaN stays -1."""
    r = pd.to_numeric(pd.Series(rating), errors="coerce").to_numpy(dtype=float)
    out = np.full(len(r), -1, dtype=np.int64)
    out[r <= 2.5] = 0
    out[(r > 2.5) & (r < 3.5)] = 1
    out[r >= 3.5] = 2
    out[np.isnan(r)] = -1
    return out


def _label_to_class(labels: np.ndarray) -> np.ndarray:
    return np.array([LABELS.index(str(x)) if x in LABELS else -1 for x in labels], dtype=np.int64)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of per-class recall over the classes present in y_true."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    recalls = [np.mean(y_pred[y_true == k] == k) for k in np.unique(y_true)]
    return float(np.mean(recalls)) if recalls else float("nan")


def _bootstrap_interval(y_true, preds: dict[str, np.ndarray], n: int = 300, seed: int = 0) -> dict:
    """90% bootstrap intervals of balanced accuracy per model and of the paired difference."""
    rng = np.random.default_rng(seed)
    m = len(y_true)
    names = list(preds)
    samples = {k: [] for k in names}
    diff = []
    for _ in range(n):
        idx = rng.integers(0, m, m)
        vals = {k: balanced_accuracy(y_true[idx], preds[k][idx]) for k in names}
        for k in names:
            samples[k].append(vals[k])
        if len(names) >= 2:
            diff.append(vals[names[0]] - vals[names[1]])
    out = {k: (float(np.nanpercentile(v, 5)), float(np.nanpercentile(v, 95))) for k, v in samples.items()}
    if diff:
        out["difference"] = (float(np.nanpercentile(diff, 5)), float(np.nanpercentile(diff, 95)))
    return out


# ---------------------------------------------------------------------------------------
# Fine-tuning on the merchant's ratings
# ---------------------------------------------------------------------------------------
MIN_RATED = 60


@dataclass
class FineTuneResult:
    """Held-out comparison on the merchant's rated reviews (stars hidden from the models)."""

    trained: bool
    reason: str  # why it was not trained, or a one-line summary
    n_train: int = 0
    n_test: int = 0
    balanced_accuracy: dict = field(default_factory=dict)  # model -> 3-class balanced accuracy on held-out
    interval: dict = field(default_factory=dict)  # model -> (low, high) 90% bootstrap
    binary_accuracy: dict = field(default_factory=dict)  # model -> balanced accuracy on 1-2 vs 4-5 stars
    winner: str = "bundled"
    confident: bool = False  # the 90% interval of the difference excludes 0
    head: KerasHead | None = None

    def to_dict(self) -> dict:
        return {
            "trained": self.trained, "reason": self.reason, "n_train": self.n_train, "n_test": self.n_test,
            "balanced_accuracy": self.balanced_accuracy, "interval_90": self.interval,
            "binary_balanced_accuracy": self.binary_accuracy, "winner": self.winner, "confident": self.confident,
        }


def fine_tune(emb: np.ndarray, bundled_score: np.ndarray, vader: np.ndarray, rating, seed: int = 0,
              test_share: float = 0.25, epochs: int = 40) -> FineTuneResult:
    """Train the Keras head on rated reviews; compare it with the bundled head and VADER on held-out reviews."""
    y = rating_to_class(rating)
    usable = np.flatnonzero(y >= 0)
    if len(usable) < MIN_RATED:
        return FineTuneResult(False, f"only {len(usable)} reviews with text and stars; fine-tuning needs {MIN_RATED}.")
    counts = np.bincount(y[usable], minlength=3)
    if (counts >= 5).sum() < 2:
        return FineTuneResult(False, "almost all rated reviews have the same stars; nothing to learn from.")
    rng = np.random.default_rng(seed)
    test = []
    for k in range(3):  # stratified split
        members = usable[y[usable] == k]
        rng.shuffle(members)
        test.extend(members[: int(round(len(members) * test_share))])
    test = np.array(sorted(test))
    train = np.setdiff1d(usable, test)
    X = KerasHead.features(emb, bundled_score)
    head = KerasHead(epochs=epochs, seed=seed).fit(X[train], y[train])
    y_test = y[test]
    preds = {
        "fine_tuned": head.predict_proba(X[test]).argmax(axis=1),
        "bundled": _label_to_class(label_from_score(bundled_score[test], NEUTRAL_BAND)),
        "vader": _label_to_class(vader_labels(vader[test])),
    }
    bal = {k: balanced_accuracy(y_test, p) for k, p in preds.items()}
    interval = _bootstrap_interval(y_test, preds, seed=seed)
    binary = {}
    pol = y_test != 1
    if pol.sum() and len(np.unique(y_test[pol])) == 2:
        scores = {"fine_tuned": head.predict_score(X[test]), "bundled": bundled_score[test], "vader": vader[test]}
        for k, s in scores.items():
            binary[k] = balanced_accuracy(y_test[pol], np.where(s[pol] >= 0, 2, 0))
    winner = "fine_tuned" if bal["fine_tuned"] > bal["bundled"] else "bundled"
    lo, hi = interval.get("difference", (0.0, 0.0))
    confident = lo > 0 if winner == "fine_tuned" else hi < 0
    reason = (f"fine-tuned {bal['fine_tuned']:.2f} vs bundled {bal['bundled']:.2f} vs VADER {bal['vader']:.2f} "
              f"balanced accuracy on {len(test)} held-out rated reviews")
    return FineTuneResult(True, reason, len(train), len(test), bal, interval, binary, winner, confident, head)
