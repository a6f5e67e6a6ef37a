"""The bundled English sentence encoder: an int8 ONNX MiniLM (384 numbers per sentence, unit
length), shared by reviews (sentiment heads) and support (ticket features).

Loaded once per process (get_encoder); onnxruntime and tokenizers load on first use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from ecom_models.core import paths
from ecom_models.core.errors import InputError
from ecom_models.text.batching import embed_sorted

MODEL_DIR = paths.MODELS_DIR / "minilm"
MODEL_FILE = "model_int8.onnx"
MAX_TOKENS = 256  # per sentence
EMBED_DIM = 384
Progress = Callable[[float, str], None] | None


class Encoder:
    """Sentence embeddings (384 numbers, unit length) from the bundled int8 ONNX MiniLM."""

    def __init__(self, model_dir: str | Path = MODEL_DIR, model_file: str = MODEL_FILE, threads: int | None = None):
        from tokenizers import Tokenizer

        from ecom_models.core.onnx_runtime import cpu_session

        model_dir = Path(model_dir)
        path = model_dir / model_file
        if not path.exists():
            raise InputError(f"the bundled text model is missing ({path}).",
                             fix="reinstall the project; the model file ships with it in data/models/minilm.")
        self.session = cpu_session(path, threads)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._lock = threading.Lock()

    def tokenize(self, texts: list[str]):
        return self.tokenizer.encode_batch([t if t else " " for t in texts])

    def token_counts(self, texts: list[str]) -> np.ndarray:
        """Tokens per text before truncation (at least MAX_TOKENS+1 means it was cut)."""
        enc = self.tokenize(texts)
        return np.array([len(e.ids) + (1 if e.overflowing else 0) for e in enc])

    def encode(self, texts: list[str], batch_size: int = 64, progress: Progress = None) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings (n, 384) float32 and a boolean array: True where the text was cut at 256 tokens.

        Texts are sorted by length so each batch pads little (about 2x faster on short reviews).
        """
        n = len(texts)
        out = np.zeros((n, EMBED_DIM), dtype=np.float32)
        truncated = np.zeros(n, dtype=bool)
        if n == 0:
            return out, truncated
        truncated = embed_sorted(self.session, self._lock, self.tokenize(list(texts)), out, batch_size, 0, progress,
                                 "reviews")
        return out, truncated


@lru_cache(maxsize=2)
def get_encoder(model_file: str = MODEL_FILE) -> Encoder:
    return Encoder(model_file=model_file)


def encode_unique(texts: list[str], encoder: Encoder | None = None, progress: Progress = None,
                  batch_size: int = 64, return_unique: bool = False):
    """Encode each distinct text once (reviews repeat sentences a lot).

    Returns (embeddings, truncated) per input text; with return_unique, (unique embeddings, truncated per
    input, inverse) where unique_embeddings[inverse] are the per-input embeddings.
    """
    encoder = encoder or get_encoder()
    uniq, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)
    emb, trunc = encoder.encode([str(u) for u in uniq], batch_size=batch_size, progress=progress)
    if return_unique:
        return emb, trunc[inverse], inverse
    return emb[inverse], trunc[inverse]
