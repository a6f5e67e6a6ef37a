"""Column mapping: which column of a merchant's export holds each canonical field, and what
kind of data the file holds.

Header names decide first (schemas.SYNONYMS, earlier synonyms stronger, words that rule a field
out), the values then confirm (a date column must parse as dates, a price column as numbers).
A remembered or hand-made mapping (`override`) always wins. `detect_kind` tries every kind and
keeps the best-supported one; `guess_kind` is the same with a fallback, for a page's first guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake import review_columns
from ecom_models.intake.parse import parse_dates, parse_number
from ecom_models.intake.schemas import REQUIRED, REQUIRED_ANY, SYNONYM_INDEX, normalise_header


@dataclass
class ColumnMapping:
    kind: str
    mapping: dict[str, str]  # canonical -> source column
    confidence: dict[str, float]  # canonical -> 0..1

    @property
    def score(self) -> float:
        return float(sum(self.confidence.values()))


def header_signature(columns, kind: str) -> str:
    import hashlib

    return hashlib.sha1((kind + "|" + "|".join(sorted(normalise_header(c) for c in columns))).encode()).hexdigest()[:16]


def _name_score(header: str, synonyms: list[str]) -> float:
    norm = normalise_header(header)
    squashed = norm.replace(" ", "")
    for rank, syn in enumerate(synonyms):
        if norm == syn or squashed == syn.replace(" ", ""):
            return 1.0 - min(rank, 30) * 0.004
    # The header contains a synonym as whole words ("Lineitem price" ⊃ "price").
    words = f" {norm} "
    best = 0.0
    for rank, syn in enumerate(synonyms):
        if len(syn) >= 3 and f" {syn} " in words:
            best = max(best, 0.7 - min(rank, 30) * 0.004 - 0.02 * (len(norm) - len(syn)) / max(len(norm), 1))
    return best


# A header with one of these words is never that field, whatever else it says:
# "shipping-price" is not a unit price, "Customer Note" is not a customer, "Ship Date" is not
# the order date.
_EXCLUDED_WORDS = {
    "unit_price": {"shipping", "tax", "wrap", "compare", "total", "discount", "refund", "refunded", "cost of goods"},
    "revenue": {"shipping", "tax", "wrap", "discount", "profit", "refund", "refunded", "cost", "margin"},
    "order_date": {"ship", "shipped", "shipping", "updated", "delivery", "delivered", "fulfilled", "cancelled", "refunded"},
    "customer_id": {"note", "notes", "name", "marketing", "phone", "address", "city"},
    "discount": {"code", "rate code", "percent code"},
    "quantity": {"shipped", "returned", "refunded item"},
    "order_id": {"merchant", "line", "item"},
    "product_name": {"vendor", "option"},
    "country": {"state", "city"},
}
# Order-level amounts ("Order Total Amount", Shopify's "Total", "Cart Discount Amount") repeat an
# order's total on its first line: used as line totals they would count shipping and tax, and
# miss the other lines. With a line price available they are left out.
_ORDER_LEVEL_RE = re.compile(r"\b(order|cart)\b|^(sub ?total|total|grand total)$")


def _excluded(field_name: str, header: str) -> bool:
    words = f" {normalise_header(header)} "
    return any(f" {w} " in words for w in _EXCLUDED_WORDS.get(field_name, ()))


def map_columns(df: pd.DataFrame, kind: str, override: dict[str, str] | None = None) -> ColumnMapping:
    """Map the file's columns onto the canonical fields of `kind`, with a confidence for each.

    Names decide first; the values then confirm (a date column must parse as dates, a
    price column must be numeric). `override` (canonical -> column, "" to unmap) wins.
    """
    synonyms = SYNONYM_INDEX[kind]
    candidates: list[tuple[float, str, str]] = []
    sample = df.head(500)
    for field_name, names in synonyms.items():
        for col in df.columns:
            score = _name_score(col, names)
            if score <= 0 or _excluded(field_name, col):
                continue
            score *= _content_fit(field_name, sample[col])
            if score > 0.2:
                candidates.append((score, field_name, col))
    candidates.sort(key=lambda t: -t[0])
    mapping: dict[str, str] = {}
    confidence: dict[str, float] = {}
    used: set[str] = set()
    for score, field_name, col in candidates:
        if field_name in mapping or col in used:
            continue
        mapping[field_name] = col
        confidence[field_name] = round(min(score, 1.0), 2)
        used.add(col)
    if kind == "reviews" and "text" not in mapping and not (override and "text" in override):
        # No header names the text (评论内容 in a file we have no word for, "verified_reviews"):
        # the longest, most varied free-text column is it.
        col = review_columns.text_column_by_content(df, exclude=used)
        if col is not None:
            mapping["text"], confidence["text"] = col, 0.6
            used.add(col)
    if kind == "orders" and "unit_price" in mapping:
        for field_name in ("revenue", "discount"):
            if field_name in mapping and _ORDER_LEVEL_RE.search(normalise_header(mapping[field_name])):
                del mapping[field_name]
                confidence.pop(field_name, None)
    if override:
        for field_name, col in override.items():
            for k, v in list(mapping.items()):
                if v == col and k != field_name:
                    del mapping[k]
                    confidence.pop(k, None)
            if col and col in df.columns:
                mapping[field_name] = col
                confidence[field_name] = 1.0
            else:
                mapping.pop(field_name, None)
                confidence.pop(field_name, None)
    return ColumnMapping(kind=kind, mapping=mapping, confidence=confidence)


_NUMERIC_FIELDS = {"quantity", "unit_price", "revenue", "discount", "rating", "sessions", "ad_spend",
                   "resolution_minutes", "satisfaction"}
_DATE_FIELDS = {"order_date", "date", "created_at"}


def _content_fit(field_name: str, values: pd.Series) -> float:
    """How well sample values fit the field: 1 fits, a fraction penalises, 0 rules it out."""
    s = values.dropna()
    if s.empty:
        return 0.6
    if field_name in _NUMERIC_FIELDS:
        if pd.api.types.is_numeric_dtype(s):
            return 1.0
        share = parse_number(s.astype("str"))[0].notna().mean()
        return 1.0 if share > 0.9 else (0.5 if share > 0.5 else 0.1)
    if field_name in _DATE_FIELDS:
        if pd.api.types.is_datetime64_any_dtype(s):
            return 1.0
        parsed = parse_dates(s.astype("str"))[0]
        share = parsed.notna().mean()
        return 1.0 if share > 0.9 else (0.5 if share > 0.5 else 0.05)
    if field_name == "text":
        # An id or a colour is never the review text, whatever its header says ("评论ID").
        return 0.1 + 0.9 * min(review_columns.text_score(s) / 0.6, 1.0)
    if field_name in ("product_name", "title"):
        return 1.0 if not pd.api.types.is_numeric_dtype(s) else 0.3
    return 1.0


# ---------------------------------------------------------------------------------------
# Kind detection
# ---------------------------------------------------------------------------------------
def detect_kind(df: pd.DataFrame) -> tuple[str, ColumnMapping]:
    best: tuple[float, str, ColumnMapping] | None = None
    for kind in ("orders", "reviews", "traffic", "experiment", "support"):
        m = map_columns(df, kind)
        if missing_fields(m, kind):
            continue
        if kind == "support" and not _support_evidence(m.mapping):
            continue  # free text alone is a review file; tickets name a ticket, conversation or handling time
        # A variant-like column ("variation": a product's colour) is an experiment only with
        # per-unit outcomes to compare (review_columns.has_experiment_outcomes).
        if kind == "experiment" and not review_columns.has_experiment_outcomes(df, m.mapping):
            continue
        score = m.score / len(SYNONYM_INDEX[kind]) + 0.1 * len(m.mapping)
        if kind == "experiment":
            score *= 0.8
        if kind == "support":
            score += 0.5  # a ticket, conversation or handling-time column outweighs a review's text and stars
        if kind == "reviews" and not (best is not None and best[1] == "orders"):
            # Free text with 1-5 stars is a review file, unless it also holds order lines (product
            # names are free text too, quantities are small whole numbers).
            score += review_columns.review_evidence(df)
        if best is None or score > best[0]:
            best = (score, kind, m)
    if best is None:
        raise InputError(
            "could not tell what this file holds: no column looks like an order date and price, a review text or "
            "rating, a traffic date and sessions, or an experiment variant. Columns seen: "
            + ", ".join(map(str, df.columns[:15])) + ".",
            fix="rename the columns (for orders: order id, order date, product, quantity, price), or choose the kind and "
                "map the columns by hand on the Data page.")
    return best[1], best[2]


def _support_evidence(mapping: dict) -> bool:
    ticket = normalise_header(mapping.get("ticket_id", ""))
    return (any(w in ticket for w in ("ticket", "case", "request", "工单"))
            or any(f in mapping for f in ("conversation_id", "resolution_minutes", "sender")))


def missing_fields(mapping: ColumnMapping, kind: str) -> list[str]:
    """The required fields of `kind` no column is mapped to ("a/b" for a group where one will do)."""
    missing = [f for f in REQUIRED[kind] if f not in mapping.mapping]
    return missing + ["/".join(g) for g in REQUIRED_ANY[kind] if not any(f in mapping.mapping for f in g)]


def guess_kind(df: pd.DataFrame, fallback: str = "orders") -> str:
    """`detect_kind`'s answer, or `fallback` when no kind fits: a first guess the merchant can change."""
    try:
        return detect_kind(df)[0]
    except InputError:
        return fallback


def kind_and_mapping(sample: pd.DataFrame, name: str, kind: str | None, mapping_override: dict | None):
    """The kind (detected when None) and the column mapping of a file (a whole file, or the first
    file's sample of a big import); a file missing a required field is refused with its columns."""
    if kind is None:
        try:
            kind, mapping = detect_kind(sample)
        except InputError as exc:
            raise InputError(exc.problem, file=name, fix=exc.fix) from None
        if mapping_override:
            mapping = map_columns(sample, kind, mapping_override)
    else:
        mapping = map_columns(sample, kind, mapping_override)
    missing = missing_fields(mapping, kind)
    if missing:
        raise InputError(
            f"this {kind} file has no column for: {', '.join(missing)}. Columns seen: {', '.join(map(str, sample.columns[:15]))}.",
            file=name, fix="rename the column in the file, or map it by hand on the Data page.")
    return kind, mapping
