"""Cached work and charts for the Reviews page.

The analysis of a reviews dataset is computed once, saved in the workspace (namespace
`sentiment.results`, keyed on the dataset's content hash) and kept in memory per key, so a page
reload or a server restart does not read the reviews again.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.reviews import sentiment as S

LABEL_COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
SHORT_NAMES = {"fine_tuned": "Fine-tuned", "bundled": "Bundled", "vader": "VADER"}
MODEL_NAMES = {"fine_tuned": "Fine-tuned on your stars", "bundled": "Bundled text model", "vader": "VADER word list (baseline)"}
ENCODER_NAMES = {"minilm": "English model (MiniLM)", "multilingual-e5": "Multilingual model (multilingual-e5)", None: "—"}


@st.cache_resource(show_spinner=False, max_entries=4)
def _memory() -> dict:
    return {}


def analysis(key: str, df: pd.DataFrame, ws) -> S.ReviewAnalysis:
    """The analysis for this dataset: from memory, else the workspace, else computed (with a progress bar)."""
    mem = _memory()
    if key in mem:
        return mem[key]
    result = S.load_analysis(ws, key, df)
    if result is None:
        bar = st.progress(0.0, text="Reading your reviews with the bundled text model…")
        result = S.analyse_reviews(df, progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        bar.empty()
        S.save_analysis(ws, key, result)
    while len(mem) >= 4:  # keep the last few datasets only
        mem.pop(next(iter(mem)))
    mem[key] = result
    return result


@st.cache_data(show_spinner=False, max_entries=8)
def product_table(key: str, _a: S.ReviewAnalysis) -> pd.DataFrame:
    return S.product_summary(_a.scored, _a.aspects)


@st.cache_data(show_spinner=False, max_entries=8)
def aspect_table(key: str, _a: S.ReviewAnalysis) -> pd.DataFrame:
    return S.aspect_summary(_a.scored, _a.aspects)


@st.cache_data(show_spinner=False, max_entries=8)
def warnings_table(key: str, orders_key: str, _a: S.ReviewAnalysis, _orders: pd.DataFrame | None) -> pd.DataFrame:
    return S.early_warnings(_a.scored, _orders)


@st.cache_data(show_spinner=False, max_entries=32)
def search(key: str, query: str, _a: S.ReviewAnalysis, top: int) -> pd.DataFrame:
    return S.semantic_search(query, _a, top=top)


def group_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Search hits grouped by their closest sentence: matched_sentence, similarity, reviews, mean_rating, products."""
    key = hits["matched_sentence"].where(hits["matched_sentence"].astype(str).str.len() > 0, hits["text"].astype(str))
    g = hits.assign(_k=key).groupby("_k", sort=False)
    out = pd.DataFrame({
        "similarity": g["similarity"].max(), "reviews": g.size(), "mean_rating": g["rating"].mean(),
        "products": g["product_id"].nunique(),
    }).reset_index().rename(columns={"_k": "matched_sentence"})
    return out.sort_values(["similarity", "reviews"], ascending=False).reset_index(drop=True)


@st.cache_data(show_spinner=False)
def bundled_report() -> dict:
    path = S.MODEL_DIR / "head_report.json"
    return json.loads(path.read_text()) if path.exists() else {}


@st.cache_data(show_spinner=False)
def multilingual_report() -> dict:
    path = S.te.E5_DIR / "head_report.json"
    return json.loads(path.read_text()) if path.exists() else {}


def comparison_table(comp: S.FineTuneResult) -> pd.DataFrame:
    rows = []
    for name in ("fine_tuned", "bundled", "vader"):
        if name not in comp.balanced_accuracy:
            continue
        lo, hi = comp.interval.get(name, (np.nan, np.nan))
        rows.append({
            "Model": MODEL_NAMES[name],
            "Balanced accuracy (3 classes)": comp.balanced_accuracy[name],
            "90% interval": f"{lo:.2f} – {hi:.2f}",
            "Positive vs negative only": comp.binary_accuracy.get(name, np.nan),
        })
    return pd.DataFrame(rows)


def over_time_chart(monthly: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=monthly["period"], y=monthly["mean_score"], name="Text sentiment (−1 to +1)",
                             mode="lines+markers", line=dict(color="#1565c0")))
    if monthly["mean_rating"].notna().any():
        fig.add_trace(go.Scatter(x=monthly["period"], y=monthly["mean_rating"], name="Average stars (1–5)",
                                 mode="lines", line=dict(color="#ef6c00", dash="dot"), yaxis="y2"))
    fig.add_trace(go.Bar(x=monthly["period"], y=monthly["reviews"], name="Reviews", marker_color="rgba(0,0,0,0.12)",
                         yaxis="y3"))
    fig.update_layout(
        height=360, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12),
        yaxis=dict(title="Sentiment", range=[-1, 1]),
        yaxis2=dict(title="Stars", overlaying="y", side="right", range=[1, 5], showgrid=False),
        yaxis3=dict(overlaying="y", side="right", showticklabels=False, showgrid=False),
    )
    return fig


def aspect_time_chart(by_aspect: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for aspect in S.ASPECTS:
        d = by_aspect[by_aspect["aspect"] == aspect]
        if len(d):
            fig.add_trace(go.Bar(x=d["period"], y=d["negative_mentions"], name=aspect))
    fig.update_layout(barmode="stack", height=320, margin=dict(l=10, r=10, t=30, b=10),
                      yaxis_title="Complaints per month", legend=dict(orientation="h", y=1.15))
    return fig


def aspect_bar(aspects: pd.DataFrame) -> go.Figure:
    d = aspects.sort_values("share_of_negative_reviews")
    fig = go.Figure(go.Bar(x=d["share_of_negative_reviews"], y=d["aspect"], orientation="h", marker_color="#c62828",
                           text=[f"{v:.0%}" for v in d["share_of_negative_reviews"].fillna(0)], textposition="outside",
                           hovertemplate="%{y}: %{x:.0%} of negative reviews<extra></extra>"))
    fig.update_layout(height=260, margin=dict(l=10, r=40, t=10, b=10), xaxis=dict(tickformat=".0%", title="Share of negative reviews"))
    return fig


def product_chart(products: pd.DataFrame, n: int = 15) -> go.Figure:
    d = products.head(n).iloc[::-1]
    err_plus = (d["share_negative_high"] - d["share_negative"]).clip(lower=0)
    err_minus = (d["share_negative"] - d["share_negative_low"]).clip(lower=0)
    fig = go.Figure(go.Bar(
        x=d["share_negative"], y=d["product_id"].astype(str), orientation="h", marker_color="#c62828",
        error_x=dict(type="data", array=err_plus, arrayminus=err_minus, color="#555"),
        hovertemplate="%{y}: %{x:.0%} negative<extra></extra>"))
    fig.update_layout(height=max(260, 24 * len(d) + 60), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(tickformat=".0%", title="Share of negative reviews (with 90% interval)", range=[0, 1]))
    return fig
