"""What the page and the CLI show from a scored reviews frame: per product (with a 90% Wilson interval of
the share of negative reviews), per aspect, over time, the negative reviews to answer first, reviews whose
stars and words disagree, products whose sentiment fell before their sales did, and the CLI's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core.stats import wilson
from ecom_models.reviews.aspects import ASPECTS

def product_summary(scored: pd.DataFrame, aspects: pd.DataFrame, min_reviews: int = 1) -> pd.DataFrame:
    """Per product: reviews, mean_rating, mean_score, share_negative (+ 90% interval), top_complaint, example.

    Sorted from the worst (lowest mean rating, then most negative text) to the best.
    """
    s = scored[scored["label"].notna() & scored["product_id"].notna()]
    if s.empty:
        return pd.DataFrame(columns=["product_id", "reviews", "mean_rating", "mean_score", "share_negative",
                                     "share_negative_low", "share_negative_high", "top_complaint", "complaint_example"])
    g = s.groupby("product_id")
    out = pd.DataFrame({
        "reviews": g.size(),
        "mean_rating": g["rating"].mean(),
        "mean_score": g["score"].mean(),
        "negatives": g["label"].apply(lambda x: int((x == "negative").sum())),
    })
    out["share_negative"] = out["negatives"] / out["reviews"]
    ci = [wilson(k, n, z=1.645) for k, n in zip(out["negatives"], out["reviews"])]
    out["share_negative_low"] = [c[0] for c in ci]
    out["share_negative_high"] = [c[1] for c in ci]
    neg = aspects[(aspects["label"] == "negative") & aspects["product_id"].notna()] if len(aspects) else aspects
    top, example = {}, {}
    if len(neg):
        for pid, grp in neg.groupby("product_id"):
            counts = grp["aspect"].value_counts()
            top[pid] = f"{counts.index[0]} ({counts.iloc[0]})"
            example[pid] = grp[grp["aspect"] == counts.index[0]].sort_values("score")["sentence"].iloc[0]
    out["top_complaint"] = [top.get(p, "") for p in out.index]
    out["complaint_example"] = [example.get(p, "") for p in out.index]
    out = out[out["reviews"] >= min_reviews].reset_index()
    sort_rating = out["mean_rating"].fillna(out["mean_score"] * 2 + 3)
    return out.assign(_k=sort_rating).sort_values(["_k", "mean_score"]).drop(columns=["_k", "negatives"]).reset_index(drop=True)


def aspect_summary(scored: pd.DataFrame, aspects: pd.DataFrame) -> pd.DataFrame:
    """Per aspect: mentions, negative_mentions, share_of_negative_reviews, mean_score, example (most negative)."""
    neg_reviews = int((scored["label"] == "negative").sum())
    rows = []
    for aspect in ASPECTS:
        a = aspects[aspects["aspect"] == aspect] if len(aspects) else aspects
        negs = a[a["label"] == "negative"] if len(a) else a
        neg_in_negative_reviews = 0
        if len(negs):
            neg_rows = set(negs["row"])
            neg_in_negative_reviews = int(scored.iloc[sorted(neg_rows)]["label"].eq("negative").sum())
        rows.append({
            "aspect": aspect,
            "mentions": int(len(a)),
            "negative_mentions": int(len(negs)),
            "share_of_negative_reviews": (neg_in_negative_reviews / neg_reviews) if neg_reviews else float("nan"),
            "mean_score": float(a["score"].mean()) if len(a) else float("nan"),
            "example": str(negs.sort_values("score")["sentence"].iloc[0]) if len(negs) else "",
        })
    return pd.DataFrame(rows).sort_values("negative_mentions", ascending=False).reset_index(drop=True)


def sentiment_over_time(scored: pd.DataFrame, freq: str = "MS", by_aspect: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per period (month by default): reviews, mean_score, share_negative, mean_rating."""
    s = scored[scored["label"].notna() & scored["date"].notna()]
    if s.empty:
        return pd.DataFrame(columns=["period", "reviews", "mean_score", "share_negative", "mean_rating"])
    g = s.groupby(pd.Grouper(key="date", freq=freq))
    out = pd.DataFrame({
        "reviews": g.size(), "mean_score": g["score"].mean(),
        "share_negative": g["label"].apply(lambda x: float((x == "negative").mean()) if len(x) else np.nan),
        "mean_rating": g["rating"].mean(),
    }).reset_index().rename(columns={"date": "period"})
    return out[out["reviews"] > 0].reset_index(drop=True)


def aspect_over_time(aspects: pd.DataFrame, freq: str = "MS") -> pd.DataFrame:
    """Per period and aspect: negative mentions."""
    a = aspects[(aspects["label"] == "negative") & aspects["date"].notna()] if len(aspects) else aspects
    if len(a) == 0:
        return pd.DataFrame(columns=["period", "aspect", "negative_mentions"])
    out = a.groupby([pd.Grouper(key="date", freq=freq), "aspect"]).size().rename("negative_mentions").reset_index()
    return out.rename(columns={"date": "period"})


def aspect_examples(aspects: pd.DataFrame, aspect: str, limit: int = 50) -> pd.DataFrame:
    """The negative sentences about one aspect, newest first: date, product_id, rating, sentence, score."""
    ex = aspects[(aspects["aspect"] == aspect) & (aspects["label"] == "negative")].sort_values("date", ascending=False)
    return ex[["date", "product_id", "rating", "sentence", "score"]].head(limit)


def answer_queue(scored: pd.DataFrame, limit: int = 50, now: pd.Timestamp | None = None) -> pd.DataFrame:
    """Negative reviews to answer first: the most negative and most recent first.

    priority = negativity (0..1) x recency weight (halves every 30 days), plus 0.2 for 1-star reviews.
    """
    neg = scored[(scored["label"] == "negative") | (scored["rating"] <= 2)].copy()
    if neg.empty:
        return neg.assign(priority=pd.Series(dtype=float))
    now = now if now is not None else (scored["date"].max() if scored["date"].notna().any() else pd.Timestamp.now())
    age = (now - neg["date"]).dt.days.fillna(365).clip(lower=0)
    negativity = (-neg["score"].fillna(0)).clip(0, 1)
    neg["priority"] = negativity * 0.5 ** (age / 30) + 0.2 * (neg["rating"] <= 1)
    neg["age_days"] = age
    cols = ["priority", "review_id", "product_id", "date", "age_days", "rating", "score", "negative_aspects", "title", "text"]
    return neg.sort_values("priority", ascending=False)[cols].head(limit).reset_index(drop=True)


def recent_count(queue: pd.DataFrame, days: int = 30) -> int:
    """Reviews of an answer_queue written in the last `days` days before the newest review."""
    return int((queue["age_days"] <= days).sum()) if len(queue) else 0


def disagreements(scored: pd.DataFrame) -> pd.DataFrame:
    """Reviews whose words and stars disagree, judged by the bundled model (it never saw the stars).

    kind: 'happy stars, unhappy words' (4-5 stars, negative text) or 'low stars, happy words' (1-2 stars,
    positive text). Strongest disagreement first.
    """
    s = scored[scored["rating"].notna() & scored["bundled_score"].notna()].copy()
    hi = (s["rating"] >= 4) & (s["bundled_score"] <= -0.5)
    lo = (s["rating"] <= 2) & (s["bundled_score"] >= 0.5)
    s = s[hi | lo].copy()
    s["kind"] = np.where(s["rating"] >= 4, "high stars, unhappy words", "low stars, happy words")
    s["gap"] = (s["rating"] - 3) / 2 - s["bundled_score"]
    s = s.reindex(s["gap"].abs().sort_values(ascending=False).index)
    return s[["kind", "review_id", "product_id", "date", "rating", "bundled_score", "title", "text"]].reset_index(drop=True)


def early_warnings(scored: pd.DataFrame, orders: pd.DataFrame | None, min_reviews: int = 5,
                   drop: float = 0.3, sales_drop: float = 0.2) -> pd.DataFrame:
    """Products whose review sentiment fell before their sales fell.

    Monthly per product: sentiment month = first month whose mean score is `drop` below the average of
    the 3 months before (with at least `min_reviews` reviews in those 4 months); sales month = first
    later month (within 4) whose share of the store's units is `sales_drop` below its average share in the
    3 months before the sentiment drop (shares, so seasonal dips of the whole store do not count).
    Columns: product_id, sentiment_drop_month, score_before, score_after, sales_drop_month,
    share_before, share_after (share of store units), lead_months.
    """
    cols = ["product_id", "sentiment_drop_month", "score_before", "score_after", "sales_drop_month",
            "share_before", "share_after", "lead_months"]
    if orders is None or len(orders) == 0:
        return pd.DataFrame(columns=cols)
    o = orders
    if "line_type" in o:
        o = o[(o["line_type"] == "sale") & ~o.get("is_duplicate", pd.Series(False, index=o.index)).astype(bool)]
    o = o.assign(month=o["order_date"].dt.to_period("M"))
    store_units = o.groupby("month")["quantity"].sum()
    # each product's share of the store's units: a store-wide dip (after the holidays) is not a warning
    units = o.groupby(["product_id", "month"])["quantity"].sum() / store_units.reindex(
        o.groupby(["product_id", "month"])["quantity"].sum().index.get_level_values(1)).to_numpy()
    s = scored[scored["label"].notna() & scored["date"].notna() & scored["product_id"].notna()]
    s = s.assign(month=s["date"].dt.to_period("M"))
    rows = []
    for pid, grp in s.groupby("product_id"):
        monthly = grp.groupby("month")["score"].agg(["mean", "size"])
        if pid not in units.index.get_level_values(0):
            continue
        u = units.loc[pid]
        months = pd.period_range(monthly.index.min(), monthly.index.max(), freq="M")
        monthly = monthly.reindex(months)
        for i in range(3, len(months)):
            prev = monthly.iloc[i - 3:i]
            cur = monthly.iloc[i]
            if pd.isna(cur["mean"]) or cur["size"] < 3 or prev["size"].sum() + cur["size"] < min_reviews or prev["size"].sum() == 0:
                continue
            before = float(np.average(prev["mean"].dropna(), weights=prev["size"].dropna()))
            if cur["mean"] > before - drop:
                continue
            m0 = months[i]
            base_units = float(np.mean([u.get(m0 - k, 0.0) for k in (1, 2, 3)]))
            if base_units <= 0:
                continue
            for lag in range(1, 5):
                m = m0 + lag
                after = float(u.get(m, 0.0))
                if m > u.index.max():
                    break
                if after < base_units * (1 - sales_drop):
                    rows.append((pid, str(m0), before, float(cur["mean"]), str(m), base_units, after, lag))
                    break
            else:
                continue
            break
    return pd.DataFrame(rows, columns=cols).sort_values("lead_months", ascending=False).reset_index(drop=True)


def to_json_rows(scored: pd.DataFrame) -> list[dict]:
    """The CLI's per-review rows."""
    rows = []
    for r in scored.itertuples(index=False):
        rows.append({
            "review_id": r.review_id, "product_id": None if pd.isna(r.product_id) else r.product_id,
            "label": r.label, "score": None if pd.isna(r.score) else round(float(r.score), 4),
            "status": r.status, "language": r.language or None, "truncated": bool(r.truncated),
            "model": r.model, "encoder": getattr(r, "encoder", None), "vader_score": None if pd.isna(r.vader_score) else round(float(r.vader_score), 4),
            "aspects": [a for a in r.aspects.split(", ") if a], "negative_aspects": [a for a in r.negative_aspects.split(", ") if a],
        })
    return rows
