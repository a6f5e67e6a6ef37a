"""The deep-learning recommenders (Keras, imported inside `fit`; scoring is plain numpy).

- `deep_ae` — denoising autoencoder over the basket: history (multi-hot, half of it dropped at
  random) -> item-embedding layer -> sigmoid score per product. The deep model of the automatic
  comparison (offered while users x items stays under `NCF_MAX_PAIRS`).
- `ncf` — neural collaborative filtering: user and item embeddings into dense layers with a
  sigmoid output, trained on bought vs sampled not-bought products. On request only
  (`--model ncf`): slower and weaker than `deep_ae` on our benchmarks.
"""

from __future__ import annotations

import math

import numpy as np

from ecom_models.core.errors import InputError
from ecom_models.recommend.models import NCF_MAX_PAIRS, Recommender, as_binary



def _keras_for(model, X):
    """Keras, loaded on first use, for a deep model about to fit X (refused above NCF_MAX_PAIRS)."""
    if X.shape[0] * X.shape[1] > NCF_MAX_PAIRS:
        raise InputError("the deep model is not run on catalogs this large on one machine.",
                         fix="use the similarity or EASE models.")
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model._set_tiebreak(X)
    return keras

class NCF(Recommender):
    """Neural collaborative filtering (Keras): user and item embeddings -> dense layers ->
    sigmoid probability of purchase. Trained on bought pairs vs `negatives` random
    not-bought products per bought pair. Unknown customers fall back to popularity."""

    name = "ncf"

    def __init__(self, factors: int = 32, hidden: int = 64, epochs: int = 4, negatives: int = 4,
                 batch_size: int = 2048, max_samples: int = 1_000_000, seed: int = 0):
        self.factors, self.hidden, self.epochs, self.negatives = factors, hidden, epochs, negatives
        self.batch_size, self.max_samples, self.seed = batch_size, max_samples, seed
        self.params = {"factors": factors, "hidden": hidden, "epochs": epochs, "negatives": negatives}

    def fit(self, X):
        keras = _keras_for(self, X)
        rng = np.random.default_rng(self.seed)
        keras.utils.set_random_seed(self.seed)
        B = as_binary(X).tocoo()
        n_users, n_items = X.shape
        pos_u, pos_i = B.row.astype(np.int32), B.col.astype(np.int32)
        if len(pos_u) * (1 + self.negatives) > self.max_samples:
            take = rng.choice(len(pos_u), self.max_samples // (1 + self.negatives), replace=False)
            pos_u, pos_i = pos_u[take], pos_i[take]
        neg_u = np.repeat(pos_u, self.negatives)
        neg_i = rng.integers(0, n_items, len(neg_u)).astype(np.int32)
        users = np.concatenate([pos_u, neg_u])
        items = np.concatenate([pos_i, neg_i])
        labels = np.concatenate([np.ones(len(pos_u), np.float32), np.zeros(len(neg_u), np.float32)])
        u_in = keras.Input(shape=(), dtype="int32", name="user")
        i_in = keras.Input(shape=(), dtype="int32", name="item")
        u_emb = keras.layers.Embedding(n_users, self.factors, name="user_emb",
                                       embeddings_regularizer=keras.regularizers.l2(1e-6))(u_in)
        i_emb = keras.layers.Embedding(n_items, self.factors, name="item_emb",
                                       embeddings_regularizer=keras.regularizers.l2(1e-6))(i_in)
        h = keras.layers.Concatenate()([u_emb, i_emb])
        h = keras.layers.Dense(self.hidden, activation="relu", name="dense1")(h)
        h = keras.layers.Dense(self.hidden // 2, activation="relu", name="dense2")(h)
        out = keras.layers.Dense(1, activation="sigmoid", name="out")(h)
        model = keras.Model([u_in, i_in], out)
        model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
        model.fit({"user": users, "item": items}, labels, epochs=self.epochs, batch_size=self.batch_size,
                  shuffle=True, verbose=0)
        # Keep the weights as numpy: scoring all products is a few matrix products, no TF needed.
        get = lambda name: model.get_layer(name).get_weights()  # noqa: E731
        U, V = get("user_emb")[0], get("item_emb")[0]
        W1, b1 = get("dense1")
        self.W2_, self.b2_ = get("dense2")
        self.W3_, self.b3_ = get("out")
        self.user_part_ = (U @ W1[: self.factors]).astype(np.float32)
        self.item_part_ = (V @ W1[self.factors:] + b1).astype(np.float32)
        self.n_users_ = n_users
        self.cold_ = (self.popularity_ / max(self.popularity_.max(), 1.0)).astype(np.float32)
        return self

    def score(self, X_rows, rows=None):
        n = X_rows.shape[0]
        out = np.empty((n, self.item_part_.shape[0]), dtype=np.float32)
        rows = np.full(n, -1) if rows is None else np.asarray(rows)
        step = max(1, 2_000_000 // max(self.item_part_.shape[0] * self.hidden, 1))
        for s in range(0, n, step):
            r = rows[s:s + step]
            known = (r >= 0) & (r < self.n_users_)
            h = np.maximum(self.user_part_[np.where(known, r, 0)][:, None, :] + self.item_part_[None, :, :], 0)
            h = np.maximum(h @ self.W2_ + self.b2_, 0)
            logit = (h @ self.W3_)[..., 0] + self.b3_[0]
            block = 1.0 / (1.0 + np.exp(-logit))
            block[~known] = self.cold_
            out[s:s + step] = block
        return out


class DeepAutoencoder(Recommender):
    """Keras denoising autoencoder over a customer's basket (Mult-DAE family): the history
    (multi-hot, some products randomly dropped) goes through an item-embedding layer and a
    dense layer to a sigmoid score for every product. A customer is represented by their
    products, so new and one-purchase customers get personal scores too."""

    name = "deep_ae"

    def __init__(self, hidden: int = 400, steps: int = 300, dropout: float = 0.5, batch_size: int = 128,
                 learning_rate: float = 3e-3, max_users: int = 100_000, seed: int = 0):
        self.hidden, self.steps, self.dropout, self.batch_size = hidden, steps, dropout, batch_size
        self.learning_rate, self.max_users, self.seed = learning_rate, max_users, seed
        self.params = {"hidden": hidden, "steps": steps, "dropout": dropout}

    def fit(self, X):
        keras = _keras_for(self, X)
        keras.utils.set_random_seed(self.seed)
        B = as_binary(X)
        active = np.flatnonzero(np.diff(B.indptr) > 0)
        cap = int(min(self.max_users, max(1000, 5e7 // X.shape[1])))  # the dense batch matrix stays under 200 MB
        if len(active) > cap:
            active = np.sort(np.random.default_rng(self.seed).choice(active, cap, replace=False))
        dense = B[active].toarray()
        n_items = X.shape[1]
        inp = keras.Input(shape=(n_items,), name="basket")
        h = keras.layers.Dropout(self.dropout)(inp)
        h = keras.layers.Dense(self.hidden, activation="tanh", name="item_emb",
                               kernel_regularizer=keras.regularizers.l2(1e-5))(h)
        out = keras.layers.Dense(n_items, activation="sigmoid", name="out")(h)
        model = keras.Model(inp, out)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="binary_crossentropy")
        # about `steps` gradient steps whatever the number of customers (3 to 40 passes over the data)
        per_epoch = max(1, math.ceil(len(active) / self.batch_size))
        self.epochs_ = int(np.clip(math.ceil(self.steps / per_epoch), 3, 40))
        model.fit(dense, dense, epochs=self.epochs_, batch_size=self.batch_size, shuffle=True, verbose=0)
        self.W1_, self.b1_ = model.get_layer("item_emb").get_weights()
        self.W2_, self.b2_ = model.get_layer("out").get_weights()
        return self

    def score(self, X_rows, rows=None):
        h = np.tanh(np.asarray(as_binary(X_rows) @ self.W1_) + self.b1_)
        return h @ self.W2_ + self.b2_  # logits: same order as the sigmoid
