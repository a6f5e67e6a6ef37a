"""Text features for tickets: the bundled sentence encoder plus character n-grams.

Two views of a ticket, combined everywhere in the support models:

- **meaning**: the sentence encoder the Reviews page uses (`ecom_models.text_encoder` when it is
  installed, a multilingual model; else the bundled English MiniLM in `ecom_models.sentiment`).
  It knows that "where is my parcel" and "my package never came" ask the same thing.
- **spelling**: TF-IDF over character 2–4-grams within words. It survives typos ("cancell",
  "refnud"), order numbers and, because it needs no word boundaries, Chinese text.

Both are computed on a *normalised* ticket: lower case, greetings and sign-offs cut, e-mail
addresses and order numbers replaced by a placeholder, so that "hi, where is order #55412?
thanks" and "where is my order" look alike. Neither view needs labels, so fitting the n-gram
vocabulary on all of a merchant's tickets is not peeking at any answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_CHARS = 2000  # a ticket is read up to here: the request is at the start, the rest is history
ENCODER_WEIGHT = 0.8  # meaning vs spelling in combined similarities (measured in docs/support.md)

_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|dear [\w ]{0,30}?|greetings|excuse me|"
    r"hello team|hi there|hey guys|你好|您好|在吗|亲|客服你好)[\s,!.:;？?，！。]*)+", re.IGNORECASE)
_SIGNOFF = re.compile(
    r"(?:[\s,.!]*(?:thanks?(?: you)?(?: in advance)?|thx|ty|cheers|regards(?:,? [\w .]{0,20})?|best(?:,? [\w .]{0,10})?|"
    r"kind regards|appreciate it|谢谢|谢谢您|辛苦了|麻烦了|麻烦尽快处理|尽快处理|急)[\s,!.！。]*)+$", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_NUMBERISH = re.compile(r"[#]?\b[a-z]{0,4}-?\d[\w-]*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
CJK_MINILM_WEIGHT = 0.2


def normalise(text: str) -> str:
    """The request without greeting, sign-off, e-mail addresses and numbers; lower case."""
    text = str(text)[:MAX_CHARS]
    text = _EMAIL.sub(" email ", text)
    text = _NUMBERISH.sub(" 0 ", text)
    stripped = _SIGNOFF.sub("", _GREETING.sub("", text))
    if len(stripped.strip()) >= 3:  # "thanks!" alone stays "thanks!"
        text = stripped
    return _SPACES.sub(" ", text).strip().lower()


_ENCODER_CACHE: dict = {}


def encoder_name() -> str:
    """Which bundled encoder is used: the multilingual one when installed, else English MiniLM."""
    return _encoder()[0]


def _encoder():
    if "enc" in _ENCODER_CACHE:
        return _ENCODER_CACHE["enc"]
    try:  # the multilingual encoder shared with the Reviews page, when the project ships it
        from ecom_models import text_encoder as TE  # type: ignore

        found = ("multilingual", TE)
    except ImportError:
        found = ("minilm", None)
    _ENCODER_CACHE["enc"] = found
    return found


def embed(texts: list[str], progress=None) -> np.ndarray:
    """Unit-length sentence embeddings, each distinct text encoded once."""
    name, module = _encoder()
    if len(texts) == 0:
        return np.zeros((0, 384), dtype=np.float32)
    if module is not None:
        emb = np.asarray(module.encode_unique(list(texts), progress=progress)[0], dtype=np.float32)
    else:
        from ecom_models.sentiment import encode_unique

        emb = encode_unique(list(texts), progress=progress)[0]
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.maximum(norms, 1e-9)


@dataclass
class TicketFeatures:
    """Both views of a set of texts. `emb` (n, d) unit rows; `chars` (n, v) sparse unit rows."""

    emb: np.ndarray
    chars: object  # scipy.sparse.csr_matrix

    def combined(self, weight: float = ENCODER_WEIGHT):
        """One sparse matrix whose dot products are weight·cos(meaning) + (1−weight)·cos(spelling)."""
        from scipy import sparse

        return sparse.hstack([sparse.csr_matrix(self.emb * np.sqrt(weight)), self.chars * np.sqrt(1 - weight)]).tocsr()

    def subset(self, idx) -> "TicketFeatures":
        return TicketFeatures(self.emb[idx], self.chars[idx])


class Featurizer:
    """Fit the character n-gram vocabulary on a corpus; transform any text into TicketFeatures."""

    def __init__(self, ngram_range: tuple[int, int] = (2, 4), min_df: int = 2):
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts: list[str]) -> "Featurizer":
        from sklearn.feature_extraction.text import TfidfVectorizer

        norm = [normalise(t) for t in texts]
        self.cjk_share_ = float(np.mean([bool(_CJK.search(t)) for t in norm])) if norm else 0.0
        min_df = self.min_df if len(norm) >= 50 else 1
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, sublinear_tf=True,
                                      min_df=min_df, max_features=200_000, dtype=np.float32)
        try:
            self.chars_.fit(norm)
        except ValueError:  # every text empty, or too few n-grams
            self.chars_ = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), dtype=np.float32).fit(norm + ["x"])
        return self

    def meaning_weight(self, default: float) -> float:
        """How much the sentence encoder counts against the n-grams. The English MiniLM reads
        Chinese as a bag of unknown characters (every Chinese ticket looks alike to it), so on
        mostly-Chinese tickets the n-grams lead until the multilingual encoder is installed."""
        if encoder_name() == "minilm" and getattr(self, "cjk_share_", 0.0) > 0.5:
            return CJK_MINILM_WEIGHT
        return default

    def transform(self, texts: list[str], progress=None) -> TicketFeatures:
        norm = [normalise(t) for t in texts]
        return TicketFeatures(embed(norm, progress=progress), self.chars_.transform(norm))

    def fit_transform(self, texts: list[str], progress=None) -> TicketFeatures:
        return self.fit(texts).transform(texts, progress=progress)
