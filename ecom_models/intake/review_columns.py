"""Content evidence for review exports: which column is the review text, is this a review file.

Header words alone mislead on real exports: Amazon's review export
(`rating, date, variation, verified_reviews, feedback`) has a "variation" column (the product's
colour) that reads like an A/B-test arm, and Chinese exports name the text `评论内容`, which no
English synonym matches. So intake also looks at the values:

- **review text**: a column of free text: mostly non-numeric, long (median ≥ 12 characters, or
  ≥ 6 for Chinese/Japanese text, which packs more per character), varied (most values distinct),
  and written (spaces between words, or CJK characters). IDs, SKUs, colours and dates fail.
- **stars**: whole numbers within 1–5 (0–5 allowed), at least two distinct values.
- **experiment outcomes**: a variant column makes an experiment only together with per-unit
  outcomes: a unit id, or a numeric column named like converted, revenue, orders, clicks,
  visitors. A product variation (colour, size, model) with ratings is not an A/B test.

Pure functions on DataFrames; `intake.detect_kind` and `intake.map_columns` call them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_CJK_RE = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
_OUTCOME_RE = re.compile(
    r"(?i)(convert|conversion|revenue|purchas|bought|order|click|visitor|session|signup|sign up|"
    r"outcome|metric|retained|retention|spend|value|amount|sales|转化|收入|购买|点击|订单|销售额)")


def text_score(values: pd.Series, sample: int = 500) -> float:
    """0..1: how much a column looks like written free text (reviews, comments, tickets)."""
    s = values.dropna()
    if s.empty or pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return 0.0
    s = s.astype("str").str.strip().head(sample)
    s = s[s != ""]
    if s.empty:
        return 0.0
    numeric_share = pd.to_numeric(s.str.replace(",", "", regex=False), errors="coerce").notna().mean()
    if numeric_share > 0.5:
        return 0.0
    cjk = s.str.contains(_CJK_RE, regex=True)
    lengths = s.str.len()
    # CJK packs a word into one or two characters: 6 characters is already a short sentence.
    long_enough = np.where(cjk, lengths >= 6, lengths >= 12)
    written = s.str.contains(r"\w\s+\w", regex=True) | cjk
    distinct = s.nunique() / len(s)
    score = 0.4 * float(np.mean(long_enough)) + 0.35 * float(written.mean()) + 0.25 * min(distinct / 0.8, 1.0)
    return round(score * (1.0 - numeric_share), 3)


def text_column_by_content(df: pd.DataFrame, exclude=(), min_score: float = 0.6) -> str | None:
    """The longest, most varied free-text column, or None when no column reads as text."""
    best, best_key = None, None
    sample = df.head(500)
    for col in df.columns:
        if col in exclude:
            continue
        score = text_score(sample[col])
        if score < min_score:
            continue
        s = sample[col].dropna().astype("str")
        key = (round(score, 1), float(s.str.len().median()) * s.nunique() / max(len(s), 1))
        if best_key is None or key > best_key:
            best, best_key = col, key
    return best


def stars_column(df: pd.DataFrame, exclude=()) -> str | None:
    """A column of whole-number ratings within 0–5 with at least two distinct values, or None."""
    for col in df.columns:
        if col in exclude:
            continue
        s = pd.to_numeric(df[col].head(500), errors="coerce")
        if s.notna().mean() < 0.8:
            continue
        s = s.dropna()
        if len(s) and s.between(0, 5).all() and (s == s.round()).all() and s.nunique() >= 2 and s.max() >= 3:
            return col
    return None


def review_evidence(df: pd.DataFrame) -> float:
    """0..1 evidence from the values that the file holds reviews (free text, plus stars)."""
    text = text_column_by_content(df)
    if text is None:
        return 0.0
    return 1.0 if stars_column(df, exclude=(text,)) is not None else 0.6


def has_experiment_outcomes(df: pd.DataFrame, mapping: dict) -> bool:
    """True when there is something per unit to compare between arms (see module docstring)."""
    if "unit_id" in mapping:
        return True
    variant = mapping.get("variant")
    for col in df.columns:
        if col == variant or not _OUTCOME_RE.search(str(col)):
            continue
        if pd.to_numeric(df[col].head(500), errors="coerce").notna().mean() > 0.8 or \
                df[col].head(500).astype("str").str.lower().isin(["true", "false", "yes", "no"]).mean() > 0.8:
            return True
    return False
