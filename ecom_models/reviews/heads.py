"""The sentiment heads that turn sentence embeddings into a score in [-1, 1]: the bundled logistic
regression on MiniLM + VADER (BundledHead, trained by scripts/train_sentiment_head.py), its multilingual
twin on multilingual-e5 vectors, the Keras head fine-tuned on a merchant's ratings (KerasHead: trained
with TensorFlow, predicts in numpy), the VADER lexicon baseline, and the accuracy the bundled heads
reached when they were trained (model_report, from each model folder's head_report.json)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np

from ecom_models.core.errors import InputError
from ecom_models.text import encoders as te
from ecom_models.text.minilm import MODEL_DIR, Encoder, get_encoder

HEAD_FILE = "head.npz"
NEUTRAL_BAND = 0.05  # bundled head, whole reviews: |score| below this is "neutral" (the model is undecided)
VADER_NEUTRAL = 0.05  # VADER's own convention
LABELS = ("negative", "neutral", "positive")


def label_from_score(score: np.ndarray, band: float) -> np.ndarray:
    return np.where(score >= band, "positive", np.where(score <= -band, "negative", "neutral"))


class BundledHead:
    """Logistic regression on [embedding, VADER compound]: P(positive) = sigmoid(x . coef + intercept).

    The lexicon score as a 385th input helps across domains (trained on restaurant + movie sentences,
    tested on shop sentences: 0.853 vs 0.819 without it; yelp -> imdb 0.862 vs 0.844).
    Build inputs with `BundledHead.features(emb, vader)`.
    """

    name = "bundled"

    def __init__(self, coef: np.ndarray | None = None, intercept: float = 0.0, neutral_band: float = NEUTRAL_BAND):
        self.coef_ = None if coef is None else np.asarray(coef, dtype=np.float64)
        self.intercept_ = float(intercept)
        self.neutral_band = neutral_band

    @classmethod
    def load(cls, path: str | Path = MODEL_DIR / HEAD_FILE) -> "BundledHead":
        path = Path(path)
        if not path.exists():
            raise InputError(f"the bundled sentiment head is missing ({path}).",
                             fix="run scripts/train_sentiment_head.py or reinstall the project.")
        with np.load(path, allow_pickle=False) as data:
            return cls(data["coef"], float(data["intercept"]))

    def save(self, path: str | Path) -> None:
        np.savez(path, coef=self.coef_, intercept=np.array(self.intercept_))

    @staticmethod
    def features(emb: np.ndarray, vader: np.ndarray) -> np.ndarray:
        return np.hstack([np.asarray(emb, dtype=np.float64), np.asarray(vader, dtype=np.float64).reshape(-1, 1)])

    def fit(self, X: np.ndarray, y: np.ndarray, C: float = 1.0) -> "BundledHead":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=C, max_iter=2000)
        lr.fit(X, y)
        self.coef_ = lr.coef_[0].astype(np.float64)
        self.intercept_ = float(lr.intercept_[0])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = np.asarray(X, dtype=np.float64) @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        return 2.0 * self.predict_proba(X) - 1.0

    def predict_label(self, X: np.ndarray) -> np.ndarray:
        return label_from_score(self.predict_score(X), self.neutral_band)


@lru_cache(maxsize=1)
def get_bundled_head() -> BundledHead:
    return BundledHead.load()


def score_texts(texts: list[str], encoder: Encoder | None = None) -> np.ndarray:
    """The bundled model's score in [-1, 1] for each text, read as one piece (for sentences)."""
    emb, _ = (encoder or get_encoder()).encode(list(texts))
    return get_bundled_head().predict_score(BundledHead.features(emb, vader_scores(texts)))


def _import_tensorflow():
    """Import TensorFlow without its start-up chatter on stderr (it ignores TF_CPP_MIN_LOG_LEVEL for some)."""
    import sys

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        import keras
        import tensorflow as tf

        return tf, keras
    saved = None
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        saved = None
    try:
        import keras
        import tensorflow as tf
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    return tf, keras


class KerasHead:
    """A small Keras network fine-tuned on the merchant's rated reviews (3 classes).

    Input: the embedding plus the bundled head's score. Output: P(negative), P(neutral), P(positive).
    Trained with TensorFlow; the fitted weights are kept as numpy arrays (`weights_`), so predicting,
    saving and loading never need TensorFlow.
    """

    name = "fine_tuned"

    def __init__(self, hidden: int = 64, epochs: int = 40, seed: int = 0, dropout: float = 0.2):
        self.hidden = hidden
        self.epochs = epochs
        self.seed = seed
        self.dropout = dropout
        self.weights_: list[np.ndarray] | None = None

    @staticmethod
    def features(emb: np.ndarray, bundled_score: np.ndarray) -> np.ndarray:
        return np.hstack([emb.astype(np.float32), bundled_score.reshape(-1, 1).astype(np.float32)])

    def fit(self, X: np.ndarray, y: np.ndarray) -> "KerasHead":
        """y: 0 negative, 1 neutral, 2 positive."""
        tf, keras = _import_tensorflow()

        try:
            tf.config.threading.set_intra_op_parallelism_threads(2)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # already initialised in this process
        keras.utils.set_random_seed(self.seed)
        y = np.asarray(y, dtype=np.int64)
        counts = np.bincount(y, minlength=3).astype(float)
        weights = {k: (len(y) / (3 * counts[k]) if counts[k] else 0.0) for k in range(3)}
        model = keras.Sequential([
            keras.Input(shape=(X.shape[1],)),
            keras.layers.Dense(self.hidden, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4)),
            keras.layers.Dropout(self.dropout),
            keras.layers.Dense(3, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy")
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
        model.fit(X.astype(np.float32), y, epochs=self.epochs, batch_size=32, validation_split=0.15, verbose=0,
                  class_weight=weights, callbacks=[stop], shuffle=True)
        self.weights_ = [np.asarray(w, dtype=np.float32) for w in model.get_weights()]
        keras.backend.clear_session()
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        w1, b1, w2, b2 = self.weights_
        h = np.maximum(np.asarray(X, dtype=np.float32) @ w1 + b1, 0.0)
        z = h @ w2 + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        p = self.predict_proba(X)
        return p[:, 2] - p[:, 0]

    def predict_label(self, X: np.ndarray) -> np.ndarray:
        return np.array(LABELS)[self.predict_proba(X).argmax(axis=1)]

    def to_dict(self) -> dict:
        return {"hidden": self.hidden, "weights": [w.tolist() for w in self.weights_]}

    @classmethod
    def from_dict(cls, data: dict) -> "KerasHead":
        head = cls(hidden=int(data["hidden"]))
        head.weights_ = [np.asarray(w, dtype=np.float32) for w in data["weights"]]
        return head


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: Iterable[str]) -> np.ndarray:
    """VADER compound score in [-1, 1] (the lexicon baseline)."""
    analyzer = _vader()
    return np.array([analyzer.polarity_scores(t)["compound"] if t else 0.0 for t in texts], dtype=np.float64)


def vader_labels(scores: np.ndarray) -> np.ndarray:
    return label_from_score(np.asarray(scores), VADER_NEUTRAL)


@lru_cache(maxsize=1)
def get_multilingual_head() -> "BundledHead":
    """Logistic regression on multilingual-e5 embeddings (no VADER input: VADER reads English only)."""
    return BundledHead.load(te.E5_DIR / HEAD_FILE)


def model_report() -> dict:
    """What the bundled heads scored when they were trained: {"bundled": MiniLM head report,
    "multilingual": multilingual-e5 head report}; a report whose file is absent is {}."""
    out = {}
    for name, folder in (("bundled", MODEL_DIR), ("multilingual", te.E5_DIR)):
        path = folder / "head_report.json"
        out[name] = json.loads(path.read_text()) if path.exists() else {}
    return out
