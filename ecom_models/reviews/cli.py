"""`python -m ecom_models sentiment FILE [--text-col COL] [--no-fine-tune] --json`

Scores every review of a CSV / Excel / Parquet / JSON Lines file. JSON keys (see docs/reviews.md):
file, text_column, rows, model, counts, reviews (one per input row, in input order: row, review_id,
product_id, label, score, status, language, truncated, model, vader_score, vader_label, aspects,
negative_aspects), products, aspects, comparison, notes, seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="reviews export (CSV, Excel, Parquet or JSON Lines)")
    parser.add_argument("--text-col", default=None, help="the column with the review text (default: detected)")
    parser.add_argument("--no-fine-tune", action="store_true",
                        help="do not train on the file's star ratings; use the bundled model only")
    from ecom_models.core.cluster import add_argument

    add_argument(parser)  # --dask-scheduler: sentence embeddings computed on a Dask cluster


def reviews_frame(raw: pd.DataFrame, text_col: str | None = None, file: str | None = None) -> pd.DataFrame:
    """Canonical-ish reviews with one row per input row (empty reviews are kept, and reported)."""
    from ecom_models.intake import map_columns, parse_dates

    if raw.empty:
        raise InputError("the file has no rows.", file=file, fix="export the reviews again, including their text.")
    if text_col is not None and text_col not in raw.columns:
        raise InputError(f"there is no column named '{text_col}'.", file=file, column=text_col,
                         fix=f"pick one of: {', '.join(map(str, raw.columns[:20]))}.")
    mapping = map_columns(raw, "reviews", override={"text": text_col} if text_col else None).mapping
    n = len(raw)
    out = pd.DataFrame(index=range(n))
    for f in ("review_id", "product_id", "title", "customer_id"):
        if f in mapping:
            s = raw[mapping[f]].astype("str").str.strip().reset_index(drop=True)
            out[f] = s.where(~s.isin(["", "nan", "None", "<NA>"]))
        else:
            out[f] = pd.Series([pd.NA] * n, dtype="str")
    if "review_id" not in mapping:
        out["review_id"] = [None] * n
    if "text" in mapping:
        out["text"] = raw[mapping["text"]].reset_index(drop=True).astype("str").where(raw[mapping["text"]].notna().to_numpy())
    else:
        strings = [c for c in raw.columns if str(raw[c].dtype) in ("object", "str", "string")]
        if not strings:
            raise InputError("no column with review text was found.", file=file,
                             fix="name the text column with --text-col, or call it 'text' or 'review'.")
        best = max(strings, key=lambda c: raw[c].astype("str").str.len().median())
        out["text"] = raw[best].reset_index(drop=True).astype("str").where(raw[best].notna().to_numpy())
        mapping["text"] = str(best)
    out["date"] = parse_dates(raw[mapping["date"]])[0].reset_index(drop=True) if "date" in mapping else pd.NaT
    if "rating" in mapping:
        r = pd.to_numeric(raw[mapping["rating"]].astype("str").str.extract(r"(\d+(?:[.,]\d+)?)", expand=False)
                          .str.replace(",", "."), errors="coerce").reset_index(drop=True)
        top = r.max()
        if pd.notna(top) and 5 < top <= 10:
            r = (r / 2).round()
        out["rating"] = r.where(r.between(1, 5))
    else:
        out["rating"] = np.nan
    out.attrs["text_column"] = mapping["text"]
    return out


def _read_one_column(path: str) -> pd.DataFrame | None:
    """A plain list of reviews (a header line, then one review per line) is a valid reviews file here."""
    import csv
    import io
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() not in (".csv", ".txt", ".tsv", "") or not p.is_file():
        return None
    data = p.read_bytes()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    rows = [",".join(r) for r in csv.reader(io.StringIO(text, newline=""))]
    if len(rows) < 2:
        return None
    return pd.DataFrame({rows[0].strip() or "text": [r if r.strip() else None for r in rows[1:]]})


def run(args: argparse.Namespace) -> dict:
    from ecom_models.reviews.analysis import analyse_reviews, language_breakdown
    from ecom_models.reviews.views import aspect_summary, product_summary, to_json_rows
    from ecom_models.intake import read_table

    started = time.perf_counter()
    try:
        raw = read_table(args.file)
    except InputError as exc:
        raw = _read_one_column(args.file) if "one field" in exc.message else None
        if raw is None:
            raise
    frame = reviews_frame(raw, args.text_col, file=str(args.file))
    from ecom_models.core import cluster as distributed
    from ecom_models.text.cluster import ClusterEncoder

    address = distributed.scheduler_address(getattr(args, "dask_scheduler", None))
    if address:
        with distributed.connect(address) as client:
            analysis = analyse_reviews(frame, "text", fine_tune_on_ratings=not args.no_fine_tune,
                                         encoder=ClusterEncoder(client))
    else:
        analysis = analyse_reviews(frame, "text", fine_tune_on_ratings=not args.no_fine_tune)
    scored = analysis.scored
    rows = to_json_rows(scored)
    has_id = frame["review_id"].notna().any()
    for i, row in enumerate(rows):
        row["row"] = i + 1
        if not has_id:
            row["review_id"] = None
        row["vader_label"] = scored["vader_label"].iat[i]
    products = product_summary(scored, analysis.aspects)
    aspects = aspect_summary(scored, analysis.aspects)
    labels = scored["label"].value_counts()
    return {
        "file": str(args.file),
        "text_column": frame.attrs.get("text_column"),
        "rows": len(scored),
        "model": analysis.model_used,
        "counts": {"positive": int(labels.get("positive", 0)), "negative": int(labels.get("negative", 0)),
                   "neutral": int(labels.get("neutral", 0)), "not_scored": int(scored["label"].isna().sum())},
        "reviews": rows,
        "products": products.drop(columns=["complaint_example"]).to_dict("records"),
        "aspects": aspects.to_dict("records"),
        "comparison": analysis.comparison.to_dict(),
        "languages": language_breakdown(scored).drop(columns=["name"]).round({"share": 4}).to_dict("records"),
        "notes": analysis.notes,
        "seconds": round(time.perf_counter() - started, 2),
    }
