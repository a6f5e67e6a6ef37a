"""The bundled image model: EfficientNet-Lite0 with ImageNet weights (Apache-2.0), exported once to ONNX by
scripts/export_efficientnet.py and run with onnxruntime (no torch at run time). embed gives the 1,000
class probabilities and a 1,280-number L2-normalised embedding per photo; coarse_categories sums the
probabilities per shop category of images.taxonomy. MODEL_FILE, CLASSES_FILE and the cached _session /
class_names are module attributes on purpose: Dask workers point them at a shipped copy of the model."""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ecom_models.core import paths
from ecom_models.images import taxonomy as _taxonomy
from ecom_models.images.taxonomy import TAXONOMY, TAXONOMY_CLASSES, TOO_SMALL

MODEL_DIR = paths.MODELS_DIR / "efficientnet_lite0"
MODEL_FILE = MODEL_DIR / "efficientnet_lite0.onnx"
CLASSES_FILE = MODEL_DIR / "imagenet_classes.txt"
INPUT_SIZE = 224


# -- the model -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def class_names() -> list[str]:
    names = [line for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines() if line]
    if len(names) != 1000:
        raise RuntimeError(f"{CLASSES_FILE} should hold 1,000 class names, found {len(names)}")
    return names


@lru_cache(maxsize=1)
def taxonomy_matrix() -> np.ndarray:
    """(1000, len(TAXONOMY)) 0/1 matrix: which ImageNet classes count towards which category."""
    names = class_names()
    index: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        index.setdefault(n, []).append(i)
    matrix = np.zeros((len(names), len(TAXONOMY)), dtype=np.float32)
    for j, cat in enumerate(TAXONOMY):
        for cname in TAXONOMY_CLASSES.get(cat, []):
            for i in index.get(cname.strip(), []):
                matrix[i, j] = 1.0
    unmapped = matrix.sum(axis=1) == 0
    matrix[unmapped, TAXONOMY.index("other")] = 1.0
    return matrix


@lru_cache(maxsize=1)
def _session():
    from ecom_models.core.onnx_runtime import cpu_session

    if not MODEL_FILE.exists():
        raise RuntimeError(f"the bundled image model is missing: {MODEL_FILE}")
    return cpu_session(MODEL_FILE, int(os.environ.get("ECOM_VISION_THREADS", "2")))


def model_input(img) -> np.ndarray:
    """A PIL RGB image -> (3, 224, 224) float32: padded to a square with white, resized, (v - 127) / 128.

    Padding instead of cropping keeps the whole product in view.
    """
    from PIL import Image

    w, h = img.size
    side = max(w, h)
    if w != h:
        canvas = Image.new("RGB", (side, side), (255, 255, 255))
        canvas.paste(img, ((side - w) // 2, (side - h) // 2))
        img = canvas
    # A thumbnail is blown up to the model's size: bicubic keeps its edges (bilinear blurs a 60 x 80
    # photo's product into what the model reads as other things: 0.63 -> 0.65 coarse categories right
    # on real thumbnails). Shrinking a larger photo stays bilinear, as the grocery references were made.
    resample = Image.Resampling.BICUBIC if side < INPUT_SIZE else Image.Resampling.BILINEAR
    img = img.resize((INPUT_SIZE, INPUT_SIZE), resample)
    arr = (np.asarray(img, dtype=np.float32) - 127.0) / 128.0
    return arr.transpose(2, 0, 1)


def embed(images: list, batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Run the model on PIL images. Returns (probabilities (N, 1000), embeddings (N, 1280), L2-normalised)."""
    if not images:
        return np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32)
    session = _session()
    probs, embs = [], []
    for start in range(0, len(images), batch_size):
        batch = np.stack([model_input(im) for im in images[start:start + batch_size]]).astype(np.float32)
        logits, emb = session.run(["logits", "embedding"], {"image": batch})
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        probs.append(p / p.sum(axis=1, keepdims=True))
        embs.append(emb)
    emb = np.concatenate(embs).astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return np.concatenate(probs).astype(np.float32), emb


def coarse_categories(probs: np.ndarray, min_mass: float = 0.05, embeddings: np.ndarray | None = None,
                      longest_side=None) -> tuple[list[str], np.ndarray]:
    """Coarse category per image: the product group with the most ImageNet probability mass.

    With `embeddings`, a photo close to the bundled grocery reference photos counts as groceries
    (ImageNet reads yoghurt tubs as sunscreen); with `longest_side`, photos below
    MIN_SIDE_FOR_CATEGORY pixels are TOO_SMALL rather than a guess.
    Returns (category names, confidence: mass of the chosen group, or the grocery similarity).
    'other' when no product group reaches min_mass (0.05: a thumbnail's probability is spread thin;
    at 0.10, 2% more of the real 60 x 80 catalog thumbnails tuned on were 'other' though their group led).
    """
    mass = probs @ taxonomy_matrix()
    product_groups = mass[:, :-1]
    # A category made of many ImageNet classes collects the thin spread of an unsure prediction
    # (home & kitchen has over 100 classes, eyewear 3): compare masses per sqrt(number of classes).
    best = (product_groups / np.sqrt(np.maximum(taxonomy_matrix().sum(axis=0)[:-1], 1.0))).argmax(axis=1)
    best_mass = product_groups[np.arange(len(best)), best]
    names = [TAXONOMY[b] if m >= min_mass else "other" for b, m in zip(best, best_mass)]
    if embeddings is not None and len(embeddings):
        near = _taxonomy.grocery_similarity(embeddings)
        if near is not None:
            grocery = near >= _taxonomy.GROCERY_MIN_SIMILARITY
            names = [_taxonomy.GROCERIES if g else n for n, g in zip(names, grocery)]
            best_mass = np.where(grocery, np.maximum(best_mass, mass[:, TAXONOMY.index(_taxonomy.GROCERIES)]),
                                 best_mass)
    if longest_side is not None:
        small = np.asarray(longest_side) < _taxonomy.MIN_SIDE_FOR_CATEGORY
        names = [TOO_SMALL if s else n for n, s in zip(names, small)]
        best_mass = np.where(small, 0.0, best_mass)
    return names, best_mass


def top_labels(probs: np.ndarray, k: int = 3) -> list[list[dict]]:
    names = class_names()
    order = np.argsort(-probs, axis=1)[:, :k]
    return [[{"label": names[i], "probability": round(float(p[i]), 4)} for i in row] for row, p in zip(order, probs)]
