"""Text in any of the shop languages: language detection and sentence embeddings, offline.

Two bundled encoders (ONNX, run with onnxruntime + tokenizers; no torch, no network):

| name            | model                                   | reads                                 | files |
|-----------------|-----------------------------------------|---------------------------------------|-------|
| `"minilm"`      | all-MiniLM-L6-v2, int8                  | English only                          | data/models/minilm |
| `"multilingual"`| multilingual-e5-small (XLM-R vocabulary), int8 matrices + 4-bit token table | ~100 languages in one shared space (zh, ja, ko, de, es, fr, it, pt, nl, ru, ar, …, en) | data/models/multilingual_e5 |

Both return unit-length 384-d vectors, so cosine similarity is a dot product. The two spaces are
different: never compare a MiniLM vector with a multilingual one. For search across languages
(an English query finding Chinese texts and the reverse) encode everything with
`"multilingual"`, which maps a sentence and its translation close together.

API (all functions take and return plain Python / numpy):

- `detect_language(text) -> str`: ISO 639-1 code ("en", "zh", "ja", "ko", "de", "es", "fr", "it",
  "pt", "nl", "ru", "ar", …) or "und" (no letters, or a script it does not know). Script first (Han
  without kana is Chinese, kana is Japanese, Hangul Korean, Cyrillic Russian …), then a stop-word
  and accent vote for Latin script (Latin text with no stop word is taken as English; when English
  has a vote, another language needs 1.5 votes more, so "A bit predictable." stays English). Small
  and bundled; no model file.
- `detect_languages(texts) -> list[str]`: the same for many texts.
- `readable(language) -> bool`: whether the multilingual encoder was trained on that language
  (the XLM-R / CC100 list). "und" counts as readable (digits, brand names, mixed text).
- `best_model(language) -> str`: which encoder to use for a text set all in that language:
  "minilm" for English (0.910 on unseen English sentences, twice as fast), "multilingual" for every
  other readable language, None when neither reads it. For a set mixing languages use
  "multilingual" for all (one space; on English it scores 0.959, see head_report.json).
- `encode(texts, model="multilingual", batch_size=None, progress=None) -> np.ndarray`
  (n, 384) float32, unit length. Distinct texts are encoded once; texts are cut at 256 tokens.
- `get_model(name) -> encoder object` with `.encode(texts)` and `.truncated(texts)`; cached.
- `language_means() -> {language: mean vector}`: for cross-lingual search, subtract each text's
  language mean (and the query's) before the dot product: e5 otherwise ranks any text in the
  query's language above texts in other languages on the query's topic.

The multilingual model is used the way e5 was trained for symmetric tasks: every text gets the
"query: " prefix (classification, clustering and search of short texts alike).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from ecom_models.core.errors import InputError
from ecom_models.core import paths
from ecom_models.text.batching import embed_sorted

MODELS_DIR = paths.MODELS_DIR
E5_DIR = MODELS_DIR / "multilingual_e5"
E5_FILE = "model_q.onnx"
E5_PREFIX = "query: "
MAX_TOKENS = 256
EMBED_DIM = 384
Progress = Callable[[float, str], None] | None

# ---------------------------------------------------------------------------------------
# Language detection
# ---------------------------------------------------------------------------------------
# The 100 languages of CC100, on which XLM-R (and so multilingual-e5) was trained.
E5_LANGUAGES = frozenset(
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr hu hy "
    "id is it ja jv ka kk km kn ko ku ky la lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt ro ru "
    "sa sd si sk sl so sq sr su sv sw ta te th tl tr ug uk ur uz vi xh yi zh".split())

LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "de": "German", "es": "Spanish",
    "fr": "French", "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "uk": "Ukrainian",
    "pl": "Polish", "tr": "Turkish", "ar": "Arabic", "he": "Hebrew", "el": "Greek", "th": "Thai",
    "hi": "Hindi", "vi": "Vietnamese", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
    "cs": "Czech", "hu": "Hungarian", "ro": "Romanian", "id": "Indonesian", "und": "undetermined",
}

_SCRIPTS = [  # (language, regex of its script); checked by share of letters
    ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")),  # kana: Japanese even when mixed with kanji
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
]
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_STOPWORDS = {
    # English also has its short function words (a, as, what, all ...): without them "A bit
    # predictable." had one Portuguese vote ("a") and none for English.
    "en": "the and is it was this to of for not but very with my i you they have are be that on in no so too "
          "would did does don't it's i'm great good bad love a an as at by from all what he she we his her "
          "their our your its there just only much more some any out up about after when how who which "
          "really if or than will can could should has had were been being highly recommend recommended "
          "avoid hate overall instead",
    "de": "der die das und ist nicht sehr mit ich ein eine es war zu für auf aber auch sich wie gut schlecht "
          "leider kein keine nach dem den des wurde hat habe nur noch super",
    "es": "el la los las y es no muy con un una que de por para pero lo se al del fue está mi bien malo "
          "muy producto calidad llegó todo más",
    "fr": "le la les et est pas très avec un une que de pour mais je il elle ce des du au été bien mauvais "
          "produit qualité trop c'est n'est j'ai",
    "it": "il lo la gli le e è non molto con un una che di per ma sono del della questo prodotto bene",
    "pt": "o a os as e é não muito com um uma que de para mas do da em foi produto bom ótimo",
    "nl": "de het een en is niet erg met ik dat van voor maar zijn goed heel dit",
    "sv": "och är inte mycket med jag en ett det att för men som bra",
    "pl": "i jest nie bardzo z się na to że w do ale produkt dobry",
    "tr": "ve bir bu çok değil için ile ama ürün güzel",
    "id": "dan yang tidak sangat ini itu dengan untuk tapi barang bagus",
    "vi": "và là không rất với của cho nhưng sản phẩm tốt",
}
_MARGIN = 1.5  # votes another Latin-script language needs over English (see detect_language)
_STOP_INDEX = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
_ACCENT_HINTS = {"de": "äöüß", "es": "ñ¿¡", "fr": "çœèêàùû", "pt": "ãõç", "pl": "łąęśźżń", "tr": "ğış",
                 "vi": "ơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"}


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und". See the module docstring."""
    if not isinstance(text, str):
        return "und"
    letters = _LETTER_RE.findall(text)
    if not letters:
        return "und"
    joined = "".join(letters)
    counts = [(lang, len(rx.findall(joined))) for lang, rx in _SCRIPTS]
    kana = counts[0][1]
    if kana and kana >= 0.1 * len(joined):
        return "ja"
    lang, n = max(counts[1:], key=lambda c: c[1])
    if n >= 0.3 * len(joined):
        if lang == "ru" and re.search(r"[іїєґ]", joined.lower()):
            return "uk"
        return lang
    words = [w.lower() for w in _WORD_RE.findall(text)]
    votes = {lang: sum(w in stop for w in words) for lang, stop in _STOP_INDEX.items()}
    lowered = text.lower()
    for lang, chars in _ACCENT_HINTS.items():
        votes[lang] += 0.5 * sum(lowered.count(c) for c in chars)
    best = max(votes, key=votes.get)
    if votes[best] == 0:
        latin = sum(1 for c in joined if c.isascii() or "LATIN" in unicodedata.name(c, ""))
        return "en" if latin >= 0.5 * len(joined) else "und"  # brand names, "10/10 A+++": English, as before
    if votes["en"] >= votes[best]:
        return "en"
    # When English has a vote too, another Latin-script language needs a margin over it: one
    # shared short word ("a", "as", "de", "is") in a short English sentence made it Portuguese or
    # Dutch (18 of 2,000 English review sentences, docs/reviews.md). _MARGIN is one and a half
    # votes: two more words, or a word and an accent (ü, ñ, ç, ã ...). With no English word at
    # all, one word of another language still decides ("Muy bueno", "Sehr gut").
    if votes["en"] > 0 and votes[best] - votes["en"] < _MARGIN:
        return "en"
    return best


def detect_languages(texts: Iterable) -> list[str]:
    return [detect_language(t) for t in texts]


def readable(language: str) -> bool:
    return language == "und" or language in E5_LANGUAGES


def best_model(language: str) -> str | None:
    if language == "en":
        return "minilm"
    return "multilingual" if readable(language) else None


# ---------------------------------------------------------------------------------------
# The multilingual encoder
# ---------------------------------------------------------------------------------------
_SPACES_RE = re.compile(r" {2,}")
_WS_RE = re.compile(r"[\t\r\n\u00a0\u3000]+")


class E5Model:
    """multilingual-e5-small: normalise (e5.c's per-character map) -> Unigram tokens -> ONNX."""

    name = "multilingual"

    def __init__(self, model_dir: str | Path = E5_DIR, threads: int | None = None):
        from tokenizers import Tokenizer

        from ecom_models.core.onnx_runtime import cpu_session

        model_dir = Path(model_dir)
        path = model_dir / E5_FILE
        if not path.exists():
            raise InputError(f"the bundled multilingual text model is missing ({path}).",
                             fix="reinstall the project; the model file ships with it in data/models/multilingual_e5.")
        self.session = cpu_session(path, threads)
        # gzip: the 250k-piece vocabulary is 16.8 MB as JSON, 6 MB compressed (model files stay < 150 MB)
        with gzip.open(model_dir / "tokenizer.json.gz", "rt", encoding="utf-8") as fh:
            self.tokenizer = Tokenizer.from_str(fh.read())
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        table = json.loads((model_dir / "normalise.json").read_text(encoding="utf-8"))
        self._table = str.maketrans({k: v for k, v in table.items() if len(k) == 1})
        self._lock = threading.Lock()

    def _prepare(self, text: str) -> str:
        text = _WS_RE.sub(" ", str(text)).translate(self._table)
        return E5_PREFIX + _SPACES_RE.sub(" ", text).strip()

    def tokenize(self, texts: list[str]):
        return self.tokenizer.encode_batch([self._prepare(t) for t in texts])

    def truncated(self, texts: list[str]) -> np.ndarray:
        return np.array([bool(e.overflowing) for e in self.tokenize(list(texts))], dtype=bool)

    def encode(self, texts: list[str], batch_size: int = 32, progress: Progress = None,
               return_truncated: bool = False):
        # batch 32: 517-518 short Chinese reviews/s of CPU time vs 432-483 at 64 (bench/reviews.py, 2 runs)
        n = len(texts)
        out = np.zeros((n, EMBED_DIM), dtype=np.float32)
        trunc = np.zeros(n, dtype=bool)
        if n:
            # <pad> is 1 in XLM-R
            trunc = embed_sorted(self.session, self._lock, self.tokenize(list(texts)), out, batch_size, 1, progress, "texts")
        return (out, trunc) if return_truncated else out


class _MiniLM:
    """The English MiniLM encoder behind the same small interface."""

    name = "minilm"

    def __init__(self):
        from ecom_models.text.minilm import get_encoder

        self._enc = get_encoder()

    def truncated(self, texts: list[str]) -> np.ndarray:
        return self._enc.token_counts(list(texts)) > MAX_TOKENS

    def encode(self, texts: list[str], batch_size: int = 64, progress: Progress = None,
               return_truncated: bool = False):
        emb, trunc = self._enc.encode(list(texts), batch_size=batch_size, progress=progress)
        return (emb, trunc) if return_truncated else emb




@lru_cache(maxsize=2)
def get_model(name: str = "multilingual"):
    if name == "multilingual":
        return E5Model()
    if name == "minilm":
        return _MiniLM()
    raise ValueError(f"unknown encoder {name!r}: use 'multilingual' or 'minilm'")


@lru_cache(maxsize=1)
def language_means() -> dict[str, np.ndarray]:
    """Bundled mean multilingual vector per language (en, zh, de, es, fr, ja); {} when the file is absent.

    Subtracting a language's mean removes what all texts of that language share, so similarity then
    follows the topic across languages (see reviews.search._centre_by_language)."""
    path = E5_DIR / "language_means.npz"
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def encode(texts: Iterable[str], model: str = "multilingual", batch_size: int | None = None,
           progress: Progress = None) -> np.ndarray:
    """Unit-length embeddings (n, 384) float32; each distinct text is encoded once."""
    texts = ["" if t is None else str(t) for t in texts]
    if not texts:
        return np.zeros((0, EMBED_DIM), dtype=np.float32)
    uniq, inverse = np.unique(np.array(texts, dtype=object), return_inverse=True)
    m = get_model(model)
    emb = m.encode([str(u) for u in uniq], progress=progress, **({"batch_size": batch_size} if batch_size else {}))
    return emb[inverse]


__all__ = ["E5_LANGUAGES", "E5Model", "LANGUAGE_NAMES", "best_model", "detect_language", "detect_languages", "encode",
           "get_model", "readable"]
