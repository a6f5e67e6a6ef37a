"""Sentence embeddings on a Dask cluster: ClusterEncoder stands in for the local encoders
(reviews and support pass it as `encoder=`); the heads, the fine-tuning on star ratings and the
comparison with VADER run in the client as without a cluster."""

from __future__ import annotations

import numpy as np

from ecom_models.core.cluster import (
    ensure_code,
    ensure_model,
    model_key,
    n_workers,
    portable,
    single_threaded,
    worker_cache,
    worker_model_dir,
)

MODEL_FOLDERS = {"minilm": "minilm", "multilingual": "multilingual_e5"}


def _driver_model(model: str):
    """The client's own encoder object for `model`: only its tokenizer is used here, so the
    partitions are cut on exactly the batches one process would run."""
    if model == "minilm":
        from ecom_models.text.minilm import get_encoder

        return get_encoder()
    from ecom_models.text import encoders as text_encoder

    return text_encoder.get_model(model)


def _encode_partition(texts: list[str], wanted: dict[str, str], batch_size: int, model: str = "minilm"):
    single_threaded()
    key = ("encoder", model, model_key(wanted))
    encoder = worker_cache().get(key)
    if encoder is None:
        folder = worker_model_dir(MODEL_FOLDERS[model], wanted)
        if folder is None:
            raise RuntimeError("the text model is not on this worker")
        if model == "minilm":
            from ecom_models.text.minilm import Encoder

            encoder = Encoder(model_dir=folder, threads=1)
        else:
            from ecom_models.text.encoders import E5Model

            encoder = E5Model(model_dir=folder, threads=1)
        worker_cache()[key] = encoder
    if model == "minilm":
        return encoder.encode(texts, batch_size=batch_size)
    return encoder.encode(texts, batch_size=batch_size, return_truncated=True)


class ClusterEncoder:
    """Stands in for text.minilm.Encoder (model "minilm") or text.encoders' multilingual model
    ("multilingual"): `encode` runs on the cluster's workers, in partitions.

    Pass it as `encoder=` to reviews.analyse_reviews (or encode_unique); support uses it
    through `support_on(client)`."""

    def __init__(self, client, partitions: int | None = None, min_partition: int = 256, model: str = "minilm"):
        if model not in MODEL_FOLDERS:
            raise ValueError(f"unknown text model {model!r}")
        self.client = client
        self.partitions = partitions
        self.min_partition = min_partition
        self.model = model
        self._wanted = None

    def encode(self, texts: list[str], batch_size: int = 64, progress=None) -> tuple[np.ndarray, np.ndarray]:
        """The local encoder's encode, with the same batches. The bundled models are quantised
        dynamically (int8 scales computed per batch), so an embedding depends on the texts it is
        batched with: partitions are cut from one process's batches (texts sorted by token
        count, `batch_size` at a time), never across them."""
        texts = [str(t) for t in texts]
        n = len(texts)
        if n == 0:
            from ecom_models.text.encoders import EMBED_DIM  # both models' width

            return np.zeros((0, EMBED_DIM), dtype=np.float32), np.zeros(0, dtype=bool)
        if self._wanted is None:
            ensure_code(self.client)
            self._wanted = ensure_model(self.client, MODEL_FOLDERS[self.model])
        tokenizer = _driver_model(self.model)
        lengths = np.array([len(e.ids) for e in tokenizer.tokenize(texts)])
        order = np.argsort(lengths, kind="stable")
        n_batches = -(-n // batch_size)
        parts = self.partitions or 4 * n_workers(self.client)
        parts = max(1, min(parts, n_batches, max(1, n // self.min_partition)))
        cuts = [b * batch_size for b in np.linspace(0, n_batches, parts + 1).astype(int)]
        bounds = [(a, min(b, n)) for a, b in zip(cuts[:-1], cuts[1:]) if min(b, n) > a]
        futures = [self.client.submit(portable(_encode_partition), [texts[i] for i in order[a:b]], self._wanted, batch_size,
                                      self.model, pure=False) for a, b in bounds]
        emb = None
        truncated = np.zeros(n, dtype=bool)
        done = 0
        # in order (as_completed would need a default client, and the command's is private)
        for fut, (a, b) in zip(futures, bounds):
            part_emb, part_cut = fut.result()
            if emb is None:
                emb = np.zeros((n, part_emb.shape[1]), dtype=np.float32)
            emb[order[a:b]], truncated[order[a:b]] = part_emb, part_cut
            done += b - a
            if progress:
                progress(done / n, f"Reading texts on the cluster: {done:,} of {n:,}")
        return emb, truncated
