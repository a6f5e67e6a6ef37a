"""Cached work and charts for the Reviews page.

The analysis of a reviews dataset is computed once, saved in the workspace's results store (kind
`sentiment.analysis`, keyed on the dataset's content hash: ecom_models.reviews.store) and kept in
memory per key, so a page reload or a server restart does not read the reviews again. The sections
drawn here (languages, model accuracy, search results) are the Reviews page's larger blocks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.reviews import (
    ASPECTS,
    FineTuneResult,
    ReviewAnalysis,
    aspect_summary,
    early_warnings,
    model_report,
    product_summary,
    semantic_search,
)
from ecom_models.text import LANGUAGE_NAMES
from ecom_ui.common import number

LABEL_COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
SHORT_NAMES = {"fine_tuned": "Fine-tuned", "bundled": "Bundled", "vader": "VADER"}
MODEL_NAMES = {"fine_tuned": "Fine-tuned on your stars", "bundled": "Bundled text model", "vader": "VADER word list (baseline)"}
ENCODER_NAMES = {"minilm": "English model (MiniLM)", "multilingual-e5": "Multilingual model (multilingual-e5)", None: "—"}


def analysis(key: str, df: pd.DataFrame, ws, data=None) -> ReviewAnalysis:
    """The analysis for this dataset: stored, else made by a background run in a worker process
    (one for every session; the page shows its progress and stops until it is done)."""
    from ecom_ui.background import reviews_analysis
    from ecom_ui.common import ActiveData

    return reviews_analysis(ws, data if data is not None else ActiveData(df=df, key=key))


@st.cache_data(show_spinner=False, max_entries=8)
def product_table(key: str, _a: ReviewAnalysis) -> pd.DataFrame:
    return product_summary(_a.scored, _a.aspects)


@st.cache_data(show_spinner=False, max_entries=8)
def aspect_table(key: str, _a: ReviewAnalysis) -> pd.DataFrame:
    return aspect_summary(_a.scored, _a.aspects)


@st.cache_data(show_spinner=False, max_entries=8)
def warnings_table(key: str, orders_key: str, _a: ReviewAnalysis, _orders: pd.DataFrame | None) -> pd.DataFrame:
    return early_warnings(_a.scored, _orders)


@st.cache_data(show_spinner=False, max_entries=32)
def search(key: str, query: str, _a: ReviewAnalysis, top: int) -> pd.DataFrame:
    return semantic_search(query, _a, top=top)


@st.cache_data(show_spinner=False)
def model_reports() -> dict:
    return model_report()


def comparison_table(comp: FineTuneResult) -> pd.DataFrame:
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
    for aspect in ASPECTS:
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
    # the order is the table's (lowest average stars first); the stars stand in each bar's label so that a
    # product ranked above one with a longer bar reads as expected: fewer stars, not more negative text
    stars = [f"{r:.1f} ★" if r == r else "no stars" for r in d["mean_rating"]]
    labels = [f"{p}  ·  {s}" for p, s in zip(d["product_id"].astype(str), stars)]
    fig = go.Figure(go.Bar(
        x=d["share_negative"], y=labels, orientation="h", marker_color="#c62828",
        error_x=dict(type="data", array=err_plus, arrayminus=err_minus, color="#555"),
        hovertemplate="%{y}: %{x:.0%} negative<extra></extra>"))
    fig.update_layout(height=max(260, 24 * len(d) + 60), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(tickformat=".0%", title="Share of negative reviews (with 90% interval)", range=[0, 1]))
    return fig


def languages_expander(langs) -> None:
    """The Languages expander: reviews per language, which model read them, the ones no model reads."""
    with st.expander("Languages: " + ", ".join(f"{r.name} {r.reviews:,}" for r in langs.head(6).itertuples())
                     + (" …" if len(langs) > 6 else ""), expanded=False):
        st.dataframe(langs.assign(share=langs["share"] * 100, encoder=langs["encoder"].map(ENCODER_NAMES)).rename(columns={
            "language": "Code", "name": "Language", "reviews": "Reviews", "scored": "Scored", "encoder": "Read by",
            "share": "Share"}), hide_index=True, width="stretch",
            column_config={"Share": st.column_config.NumberColumn(format="%.0f%%")})
        unread = langs[langs["encoder"].isna()]
        if len(unread):
            st.warning("Not scored — no bundled model reads these languages: "
                       + ", ".join(f"{r.name} ({r.reviews:,})" for r in unread.itertuples()), icon=":material/translate:")
        st.caption("The language of each review is detected on this machine. A file only in English is read by the "
                   "English model (the fastest); as soon as another language is present, the multilingual model reads "
                   "every review, English included, so that all reviews share one scale and search works across "
                   "languages. Its sentiment layer learnt from English examples only and carries over to the other "
                   "languages.")


def language_name(code: str) -> str:
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def model_expander(analysis: ReviewAnalysis) -> None:
    """Which model scores the reviews, its held-out comparison with the others, and what the bundled models scored."""
    comp, used = analysis.comparison, analysis.model_used
    with st.expander(f"Model used: {MODEL_NAMES.get(used, used).lower()} — how accurate is it on your reviews?",
                     expanded=comp.trained):
        if comp.trained:
            st.markdown(
                f"Your reviews with stars were split: **{comp.n_train:,}** to learn from and **{comp.n_test:,}** kept aside. "
                "The models guessed the stars' verdict (1–2 ★ negative, 3 ★ neutral, 4–5 ★ positive) on the kept-aside "
                "reviews **without seeing the stars**. *Balanced accuracy* is the average hit rate over the three "
                "verdicts (0.33 is a coin toss, 1.0 is perfect).")
            st.dataframe(comparison_table(comp), hide_index=True, width="stretch",
                         column_config={
                             "Balanced accuracy (3 classes)": st.column_config.NumberColumn(format="%.2f"),
                             "Positive vs negative only": st.column_config.NumberColumn(
                                 format="%.2f", help="Balanced accuracy on 1–2 ★ versus 4–5 ★ reviews only."),
                         })
            winner = MODEL_NAMES[comp.winner]
            sure = ("the difference is clear (its 90% interval excludes zero)" if comp.confident
                    else "but the difference is within the noise of this sample")
            st.markdown(f"**{winner} wins** on held-out reviews, {sure}. It scores your reviews; "
                        "the VADER word list is the simple baseline.")
        else:
            st.markdown(f"No fine-tuning: {comp.reason}")
        reports = model_reports()
        rep = reports["bundled"].get("int8", {})
        ml = reports["multilingual"]
        if analysis.space == "multilingual" and ml:
            zh = ml.get("chinese_measure_only", {})
            own = ml.get("own_fixture_balanced_accuracy", {})
            st.caption(
                f"The bundled multilingual model (multilingual-e5 sentence encoder + a sentiment layer trained on "
                "2,177 English review sentences only) scored "
                f"{ml['english_held_out']['accuracy']:.0%} on English sentences it never saw"
                + (f", and, without ever seeing Chinese labels, {zh['ChnSentiCorp_htl_all.csv']['balanced_accuracy']:.0%} "
                   f"on Chinese hotel reviews and {zh['waimai_10k.csv']['balanced_accuracy']:.0%} on Chinese food-delivery "
                   "reviews (balanced accuracy)" if len(zh) == 2 else "")
                + (" and " + ", ".join(f"{own[k]['balanced_accuracy']:.0%} in {LANGUAGE_NAMES[k]}"
                                       for k in ("de", "es", "fr", "ja") if k in own)
                   + " on small sets of product reviews written for testing" if own else "")
                + ". VADER reads English only, so it is no baseline for reviews in other languages.")
        elif rep:
            st.caption(
                f"The bundled model (MiniLM sentence encoder + a sentiment layer trained on 2,177 labelled review "
                f"sentences) scored {rep['held_out_accuracy']:.0%} on {rep['held_out_n']} sentences it never saw, versus "
                f"{rep['vader_held_out_accuracy']:.0%} for VADER.")


def search_results(hits: pd.DataFrame, groups: pd.DataFrame) -> None:
    """Search hits: how many, grouped by their closest sentence, then the reviews themselves."""
    st.metric("Reviews about this", number(len(hits)) + ("+" if len(hits) >= 500 else ""),
              help="Reviews with at least one sentence close in meaning to your search (match 0.25 or more).")
    st.caption("What customers say, grouped by the closest sentence — how many reviews say it and their "
               "average stars. The search finds the topic, so opposites can match (\"arrived early\" for "
               "\"arrived late\"): the stars tell them apart. The reviews themselves are below.")
    st.dataframe(groups.rename(columns={
        "matched_sentence": "Closest sentence", "similarity": "Match", "reviews": "Reviews",
        "mean_rating": "Avg stars", "products": "Products"}), hide_index=True, width="stretch",
        column_config={"Match": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f"),
                       "Avg stars": st.column_config.NumberColumn(format="%.1f")})
    st.dataframe(hits.head(50).rename(columns={
        "similarity": "Match", "review_id": "Review id", "product_id": "Product", "date": "Date", "rating": "Stars",
        "label": "Sentiment", "score": "Score", "title": "Title", "text": "Review",
        "matched_sentence": "Closest sentence", "language": "Language"})[
            ["Match", "Review", "Closest sentence", "Language", "Review id", "Product", "Date", "Stars",
             "Sentiment", "Score", "Title"]],
        hide_index=True, width="stretch",
        column_config={"Match": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f"),
                       "Score": st.column_config.NumberColumn(format="%.2f"),
                       "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})
