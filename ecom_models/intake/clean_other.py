"""Cleaning the other kinds of export: reviews, daily traffic and experiments (support tickets
are in clean_support.py, order lines in clean_orders.py). Each cleaner takes the raw frame, the
mapping (canonical -> column), the quality report to add its quirks to and the default currency,
and returns the canonical frame of docs/CONTRACTS.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core.dates import implausible_dates
from ecom_models.core.whole_store import whole_column
from ecom_models.intake.parse import parse_dates, parse_number
from ecom_models.intake.report import IMPLAUSIBLE_ADVICE, IMPLAUSIBLE_LABEL


def clean_reviews(raw, mapping, report, default_currency) -> pd.DataFrame:
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for f in ("review_id", "product_id", "title", "text", "customer_id"):
        if f in mapping:
            s = raw[mapping[f]].astype("str").str.strip()
            out[f] = s.where(~s.isin(["", "nan", "None", "<NA>"]))
        else:
            out[f] = pd.Series(pd.NA, index=raw.index, dtype="str")
    if "review_id" not in mapping:
        out["review_id"] = pd.Series([f"row-{i}" for i in rows], index=raw.index, dtype="str")
    out["date"] = parse_dates(raw[mapping["date"]])[0] if "date" in mapping else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    odd_date = implausible_dates(out["date"])
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, "The review is kept without its date.", raw, rows)
    out["date"] = out["date"].where(~odd_date)
    if "rating" in mapping:
        rating, _ = parse_number(raw[mapping["rating"]].astype("str").str.extract(r"([\d.,]+)", expand=False))
        top = whole_column("rating_top", rating.max())
        if top is not None and top > 5 and top <= 10:
            rating = (rating / 2).round()
            report.notes.append("Ratings are on a 0-10 scale; halved to 1-5 stars.")
        elif top is not None and top > 10:
            rating = (rating / top * 5).round()
            report.notes.append(f"Ratings go up to {top:g}; rescaled to 1-5 stars.")
        bad_rating = rating.notna() & ~rating.between(0, 5)
        report.add("ratings_out_of_range", "Ratings outside 1-5", bad_rating, "Ignored; the review text is still used.", raw, rows)
        out["rating"] = rating.where(~bad_rating).clip(lower=1)
    else:
        out["rating"] = np.nan
    empty = out["text"].isna() & out["title"].isna() & out["rating"].isna()
    report.add("empty_reviews", "Reviews with neither text nor rating", empty, "Left out.", raw, rows)
    no_text = out["text"].isna() & ~empty
    report.add("rating_only", "Reviews with a rating but no text", no_text, "Kept for rating figures only.", raw, rows)
    report.add("duplicate_reviews", "Exact duplicate reviews", raw.duplicated() & ~empty,
               "Counted once.", raw, rows)
    keep = ~empty & ~raw.duplicated()
    out = out.loc[keep, ["review_id", "product_id", "date", "rating", "title", "text", "customer_id"]]
    return out.reset_index(drop=True)


def clean_traffic(raw, mapping, report, default_currency) -> pd.DataFrame:
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    out["date"], _ = parse_dates(raw[mapping["date"]])
    out["date"] = out["date"].dt.normalize()
    out["sessions"], _ = parse_number(raw[mapping["sessions"]])
    if "channel" in mapping:
        out["channel"] = raw[mapping["channel"]].astype("str")
    if "ad_spend" in mapping:
        out["ad_spend"], _ = parse_number(raw[mapping["ad_spend"]])
    odd_date = implausible_dates(out["date"])
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, IMPLAUSIBLE_ADVICE, raw, rows)
    bad = out["date"].isna() | odd_date | out["sessions"].isna() | (out["sessions"] < 0)
    report.add("unreadable_rows", "Rows with an unreadable date or session count", bad,
               "Left out. Dates like 2024-03-31 and whole numbers of sessions.", raw, rows)
    return out.loc[~bad].reset_index(drop=True)


def clean_experiment(raw, mapping, report, default_currency) -> pd.DataFrame:
    # The metric columns are the merchant's own: keep every column, name the two we know.
    out = raw.copy()
    rename = {mapping["variant"]: "variant"}
    if "unit_id" in mapping:
        rename[mapping["unit_id"]] = "unit_id"
    out = out.rename(columns=rename)
    missing_variant = out["variant"].isna() | (out["variant"].astype("str").str.strip() == "")
    report.add("missing_variant", "Rows without a variant", missing_variant, "Left out.", raw)
    return out.loc[~missing_variant].reset_index(drop=True)

