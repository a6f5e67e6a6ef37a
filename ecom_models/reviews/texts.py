"""Review texts prepared for the models: HTML removed (shown as plain text, never rendered), empty and
emoji-only reviews told apart, each text's language detected (text.encoders.detect_language) and
whether a bundled encoder reads it, and sentences split (including CJK full stops)."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable

import numpy as np
import pandas as pd

from ecom_models.text import encoders as te

_SCRIPT_RE = re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")
# CJK sentences end in full-width 。！？； with no space after them.
_SENT_RE = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？；])(?![。！？；」』”）])\s*|[\r\n]+")


def strip_html(text: str) -> tuple[str, bool]:
    """Remove HTML tags and decode entities for the model. Returns (clean text, had_html)."""
    had = bool(_TAG_RE.search(text)) or bool(re.search(r"&(#\d+|[a-z]+);", text))
    if not had:
        return text, False
    clean = _SCRIPT_RE.sub(" ", text)
    clean = _TAG_RE.sub(" ", clean)
    clean = html.unescape(clean)
    clean = re.sub(r"\s+", " ", clean)
    return re.sub(r"\s+([,.;:!?])", r"\1", clean).strip(), True


def _is_emoji_only(text: str) -> bool:
    return not any(c.isalnum() for c in text) and any(unicodedata.category(c) in ("So", "Sk") for c in text)


MISSING_STRINGS = {"<NA>", "nan", "NaN", "None", "null", "NULL", "N/A", "n/a"}


def prepare_texts(texts: Iterable) -> pd.DataFrame:
    """One row per input text: `clean` (what the model reads), `status`, `language`, `had_html`.

    status: ok | empty | emoji_only | other_language
    """
    rows = []
    for raw in texts:
        if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw is pd.NA:
            rows.append(("", "empty", "", False))
            continue
        text = str(raw)
        if text.strip() in MISSING_STRINGS:  # a missing value written out as text by an export
            rows.append(("", "empty", "", False))
            continue
        clean, had_html = strip_html(text)
        clean = clean.strip()
        if not clean:
            rows.append(("", "empty", "", had_html))
        elif _is_emoji_only(clean):
            rows.append((clean, "emoji_only", "", had_html))
        elif not any(c.isalnum() for c in clean):
            rows.append(("", "empty", "", had_html))  # punctuation only
        else:
            # text_encoder's detector: ISO 639-1 codes; "other_language" only for a language no bundled
            # encoder reads (the multilingual one reads the ~100 CC100 languages)
            lang = te.detect_language(clean)
            rows.append((clean, "ok" if te.best_model(lang) else "other_language", lang, had_html))
    return pd.DataFrame(rows, columns=["clean", "status", "language", "had_html"])


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENT_RE.split(text or "")]
    return [p for p in parts if p and any(c.isalnum() for c in p)]
