"""Similar photos: the nearest neighbours of a photo by cosine similarity of the model's embeddings (one
photo, or every photo block by block). Duplicate photos are decided elsewhere (images.duplicates), on
pixel evidence, not on the embedding alone."""

from __future__ import annotations

import numpy as np

def nearest(embeddings: np.ndarray, index: int, k: int = 5, exclude: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The k most similar other images to image `index`: [(position, cosine similarity)]."""
    sim = embeddings @ embeddings[index]
    sim[index] = -np.inf
    if exclude is not None:
        sim[exclude] = -np.inf
    order = np.argsort(-sim)[:k]
    return [(int(j), float(sim[j])) for j in order if np.isfinite(sim[j])]


def nearest_all(embeddings: np.ndarray, k: int = 5, block: int = 512) -> list[list[tuple[int, float]]]:
    """`nearest` for every image at once, block by block (one matrix product per block, not one
    per image): [[(position, cosine similarity)] per image]."""
    n = len(embeddings)
    k = max(0, min(k, n - 1))
    out: list[list[tuple[int, float]]] = []
    for start in range(0, n, block):
        sim = embeddings[start:start + block] @ embeddings.T
        rows = np.arange(len(sim))
        sim[rows, rows + start] = -np.inf
        if k == 0:
            out += [[] for _ in rows]
            continue
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]  # k <= n - 1 here
        for r, cols in enumerate(top):
            cols = cols[np.argsort(-sim[r, cols], kind="stable")]
            out.append([(int(j), float(sim[r, j])) for j in cols if np.isfinite(sim[r, j])])
    return out
