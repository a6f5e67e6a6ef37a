"""The merchant's own categories learnt from the photos (transfer learning: a small Keras head on the image
embeddings), tested with grouped cross-validation (no product in training and test at once) against
always guessing the most common category and the bundled ImageNet-taxonomy mapping; photos that
confidently disagree with their listed category are flagged, and products without one get a suggestion."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.stats import wilson
from ecom_models.images.taxonomy import taxonomy_of

# -- the merchant's own categories ------------------------------------------------------------------
def _quiet_tensorflow() -> None:
    """One thread is plenty for a one-layer head; more only fight over a small machine's cores."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process: keep its settings
        pass


class CategoryHead:
    """A small Keras classifier on image embeddings (transfer learning): fit / predict / score."""

    def __init__(self, epochs: int = 40, learning_rate: float = 0.005, l2: float = 1e-4, batch_size: int = 32,
                 min_steps: int = 200, seed: int = 0):
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.l2 = l2
        self.seed = seed

    def fit(self, X: np.ndarray, y) -> "CategoryHead":
        import keras

        _quiet_tensorflow()
        y = np.asarray([str(v) for v in y])
        if len(X) != len(y) or len(X) == 0:
            raise InputError("there are no labelled photos to learn the categories from.",
                             fix="give each product a category in the products file.")
        self.classes_ = np.array(sorted(set(y)))
        if len(self.classes_) < 2:
            raise InputError("all labelled photos share one category, so there is nothing to tell apart.",
                             fix="add products from at least two categories.")
        index = {c: i for i, c in enumerate(self.classes_)}
        target = np.array([index[v] for v in y])
        keras.utils.set_random_seed(self.seed)
        model = keras.Sequential([
            keras.Input(shape=(X.shape[1],)),
            keras.layers.Dropout(0.2, seed=self.seed),
            keras.layers.Dense(len(self.classes_), activation="softmax",
                               kernel_regularizer=keras.regularizers.l2(self.l2)),
        ])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="sparse_categorical_crossentropy",
                      steps_per_execution=50)
        # One pass over a repeated, shuffled dataset: per-epoch overhead in Keras dominates on
        # small catalogs, so all epochs run as a single Keras epoch.
        import tensorflow as tf

        data = (tf.data.Dataset.from_tensor_slices((X.astype(np.float32), target))
                .shuffle(len(X), seed=self.seed, reshuffle_each_iteration=True)
                .batch(self.batch_size).repeat(self.epochs_for(len(X))))
        model.fit(data, epochs=1, verbose=0, shuffle=False)
        self.model_ = model
        return self

    def epochs_for(self, n: int) -> int:
        """At least `min_steps` optimiser steps, so small catalogs are not under-trained."""
        steps_per_epoch = max(1, math.ceil(n / self.batch_size))
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_(X.astype(np.float32), training=False))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X: np.ndarray, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray([str(v) for v in y])))


@dataclass
class CategoryEvaluation:
    """Held-out accuracy of the category head against simple baselines."""

    n_images: int
    n_products: int
    n_categories: int
    folds: int
    accuracy: float  # out-of-fold: each photo predicted by a model that never saw its product
    accuracy_low: float
    accuracy_high: float
    majority_accuracy: float  # always guess the most common category: its share of the photos
    taxonomy_accuracy: float | None  # the bundled ImageNet-taxonomy mapping, where categories line up
    winner: str
    predictions: pd.DataFrame  # file, product_id, listed, predicted, confidence, mismatch
    per_category: pd.DataFrame = field(default_factory=pd.DataFrame)


def evaluate_categories(embeddings: np.ndarray, listed, groups, files: list[str], taxonomy_pred=None,
                        folds: int = 5, mismatch_confidence: float = 0.6, epochs: int = 40,
                        seed: int = 0) -> CategoryEvaluation:
    """Grouped k-fold: photos of one product are always in the same fold, so no product is
    seen in training and test at once. Photos whose held-out prediction disagrees with the
    listed category with confidence >= mismatch_confidence are flagged."""
    from sklearn.model_selection import GroupKFold

    listed = np.asarray([str(v) for v in listed])
    groups = np.asarray([str(g) for g in groups])
    n_products = len(set(groups))
    counts = pd.Series(listed).value_counts()
    if len(counts) < 2:
        raise InputError("the photos need at least two categories to learn from.",
                         fix="give the products their categories in the products file.")
    if n_products < 4:
        raise InputError(f"only {n_products} products have a category; at least 4 are needed for a fair test.",
                         fix="add more products with photos and categories.")
    k = int(max(2, min(folds, n_products)))
    predicted = np.empty(len(listed), dtype=object)
    confidence = np.zeros(len(listed))
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, test in splitter.split(embeddings, listed, groups):
        if len(set(listed[train])) < 2:
            predicted[test] = listed[train][0]
            confidence[test] = 1.0
            continue
        head = CategoryHead(epochs=epochs, seed=seed).fit(embeddings[train], listed[train])
        proba = head.predict_proba(embeddings[test])
        predicted[test] = head.classes_[proba.argmax(axis=1)]
        confidence[test] = proba.max(axis=1)
    hits = int((predicted == listed).sum())
    n = len(listed)
    acc = hits / n
    low, high = wilson(hits, n)
    # Always guessing the most common category is right for its share of photos. (Taking the
    # majority of each training fold instead is biased low with balanced categories: the fold's
    # majority is then the category most under-represented in its test part.)
    majority_acc = float(counts.iloc[0] / n)
    tax_acc = None
    if taxonomy_pred is not None:
        mapped = np.array([taxonomy_of(c) for c in listed], dtype=object)
        usable = np.array([m is not None for m in mapped])
        if usable.mean() >= 0.8:
            tax_acc = float(np.mean(np.asarray(taxonomy_pred)[usable] == mapped[usable]))
    best_baseline = max(majority_acc, tax_acc or 0.0)
    winner = "category model" if acc > best_baseline else (
        "built-in model (ImageNet mapping)" if tax_acc is not None and tax_acc >= majority_acc
        else "guess the most common category")
    mismatch = (predicted != listed) & (confidence >= mismatch_confidence)
    predictions = pd.DataFrame({"file": files, "product_id": groups, "listed": listed,
                                "predicted": predicted.astype(str), "confidence": confidence.round(3),
                                "mismatch": mismatch})
    per_category = (predictions.assign(correct=predictions["listed"] == predictions["predicted"])
                    .groupby("listed").agg(photos=("file", "size"), accuracy=("correct", "mean")).reset_index()
                    .rename(columns={"listed": "category"}))
    return CategoryEvaluation(n_images=n, n_products=n_products, n_categories=len(counts), folds=k, accuracy=acc,
                              accuracy_low=low, accuracy_high=high, majority_accuracy=majority_acc,
                              taxonomy_accuracy=tax_acc, winner=winner, predictions=predictions,
                              per_category=per_category)


def suggest_categories(labelled: np.ndarray, labels, unlabelled: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Categories for photos whose product has none: a head trained on every labelled photo.

    Returns (suggested category, confidence) per unlabelled photo."""
    if len(unlabelled) == 0:
        return np.array([], dtype=object), np.array([])
    head = CategoryHead(seed=seed).fit(labelled, labels)
    proba = head.predict_proba(unlabelled)
    return head.classes_[proba.argmax(axis=1)], proba.max(axis=1)
