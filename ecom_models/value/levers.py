"""The rows of the business case: one `LeverSpec` per lever (title, what it measures, what it needs,
revenue or cost avoided, the words that tie an A/B test to it, where its own page saves its estimate).

`LEVERS` is the one registry; `MODELS`, `TITLES`, `WHAT_IT_MEASURES`, `NEEDS`, `REVENUE_MODELS`,
`AB_KEYWORDS` and `SAVED_NAMESPACES` are derived from it once, at import (constants: nothing rebinds
them, so `from ecom_models.value.levers import MODELS` is safe). Adding a row is one `LeverSpec` in
`LEVERS` (the A/B test stays last) and one pricing function in `valuation.py`: see docs/value.md,
"Adding a row". This module imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class LeverSpec:
    """One row of the business case: what it is, what it needs, how it is counted."""

    model: str
    title: str
    measures: str  # what changes for the store, in a merchant's words
    needs: str  # what to upload when it cannot be computed
    revenue: bool = True  # extra revenue (only the margin is profit) vs a cost avoided (counts in full)
    ab_keywords: tuple[str, ...] = ()  # words that tie an A/B test to this lever
    saved: tuple[str, ...] = ()  # workspace namespaces where the lever's own page saves its estimate


LEVERS: dict[str, LeverSpec] = {s.model: s for s in (
    LeverSpec("recommendations", "Recommendations", "conversion and basket lift from a better 'you may also like' widget",
              "orders with customer ids (upload them on the Data page)", True,
              ("recommend", "reco", "recs", "widget", "also like", "crosssell", "cross sell", "upsell", "similar product",
               "personali"), ("recommend.value", "recommendations.value")),
    LeverSpec("forecasting", "Forecasting", "smaller safety stock and fewer stock-outs than the naive plan",
              "at least a few months of orders (upload them on the Data page)", False,
              ("forecast", "inventory", "replenish"), ("forecast.value",)),
    LeverSpec("risk", "Risk & fraud", "fraud losses prevented by reviewing the riskiest orders",
              "orders (upload them on the Data page)", False, ("fraud", "risk"), ("risk.value", "anomaly.value")),
    LeverSpec("reviews", "Reviews", "rating and return-rate gains from fixing the top complaints",
              "product reviews (upload them on the Data page)", True, ("review", "rating", "complaint"),
              ("sentiment.value", "reviews.value")),
    LeverSpec("images", "Product images", "conversion from fixing listing photo problems",
              "product photos analysed on the Product images page", True,
              ("photo", "image", "picture", "gallery", "thumbnail"), ("images.value", "vision.value")),
    LeverSpec("support", "Customer service", "agent hours saved by answering repetitive tickets with the FAQ",
              "support tickets and an FAQ (Customer service page)", False, ("chatbot", "faq", "support", "deflect"),
              ("support.value",)),
    LeverSpec("winback", "Win-back campaign", "repeat purchases from valuable customers who are slipping away",
              "orders with customer ids (upload them on the Data page)", True,
              ("winback", "win back", "reactivat", "lapsed", "lapsing", "comeback", "come back"), ("winback.value",)),
    LeverSpec("abtest", "A/B test", "measured lift of the change you tested",
              "an A/B test file (upload it on the Data page or the A/B tests page)", True, (), ("abtest.value",)),
)}

MODELS: tuple[str, ...] = tuple(LEVERS)
TITLES: dict[str, str] = {m: s.title for m, s in LEVERS.items()}
WHAT_IT_MEASURES: dict[str, str] = {m: s.measures for m, s in LEVERS.items()}
NEEDS: dict[str, str] = {m: s.needs for m, s in LEVERS.items()}
# Rows whose value is extra *revenue*: only the gross margin of it is profit. The others
# (forecasting, risk, support) are already costs or losses avoided.
REVENUE_MODELS: frozenset = frozenset(m for m, s in LEVERS.items() if s.revenue)
# Words that tie an A/B test to an offline lever (file name, variant names, metric, lever).
# A word matches when it starts with the keyword ("photos" matches "photo"); "reco" and "recs"
# must be whole words (so "record" does not count); keywords with a space match as phrases.
AB_KEYWORDS: dict[str, tuple[str, ...]] = {m: s.ab_keywords for m, s in LEVERS.items() if s.ab_keywords}
SAVED_NAMESPACES: dict[str, tuple[str, ...]] = {m: s.saved for m, s in LEVERS.items() if s.saved}
WHOLE_WORDS = frozenset({"reco", "recs"})
