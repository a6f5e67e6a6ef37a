"""Reviews: sentiment per product and aspect, over time, the reviews to answer, stars that disagree with
words, early warnings before sales fall, and semantic search. Scored offline by a bundled text model."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import math

import streamlit as st

from ecom_models.reviews import (ASPECTS, answer_queue, aspect_examples, aspect_label, aspect_over_time, disagreements,
                                  group_hits, language_breakdown, recent_count, sentiment_over_time, subset_by_languages)
from ecom_models.value import (REVIEW_ASSUMPTIONS, load_page_assumptions, reviews_value, save_page_assumptions,
                                save_page_estimate)
from ecom_ui import reviews as R
from ecom_ui.common import (active_data, guarded, money, number, page_header, pct, require_data, store_currency,
                            workspace)

page_header("Reviews", "What your customers praise and complain about, per product and per topic (shipping, quality, "
            "size and fit, price, service). Read offline, in the review's own language (Chinese, Japanese, German, "
            "Spanish, French and about 100 more), by text models shipped with the app, checked against your own star "
            "ratings.")

data = require_data("reviews", "(review text, ideally with stars, product and date)")
ws = workspace()

analysis = guarded(R.analysis, data.key, None, ws, data)
if analysis is None:
    st.stop()
for note in analysis.notes:
    st.info(note, icon="ℹ️")

# -- languages ------------------------------------------------------------------------------------
view_key = data.key
langs = language_breakdown(analysis.scored)
if len(langs) > 1 or (len(langs) == 1 and langs["language"].iat[0] != "en"):
    R.languages_expander(langs)
    codes = langs["language"].tolist()
    shown = st.multiselect("Languages shown", codes, default=codes, key="reviews_languages", format_func=R.language_name,
                           help="Every view below uses only the reviews in these languages.")
    if shown and set(shown) != set(codes):
        analysis = subset_by_languages(analysis, shown)
        view_key = data.key + "|" + ",".join(sorted(shown))
main_language = langs["language"].iat[0] if len(langs) else "en"
scored, aspects = analysis.scored, analysis.aspects

# -- headline --------------------------------------------------------------------------------------
headline = analysis.headline()
c1, c2, c3 = st.columns(3)
c1.metric("Reviews read", number(headline["reviews_read"]),
          help="Reviews with text a bundled model could read. Empty reviews (and reviews in a language no bundled "
               "model reads, listed under Languages) are not scored.")
c2.metric("Negative reviews", pct(headline["share_negative"]),
          help="Share of the read reviews whose text is negative, whatever their stars.")
c3.metric("Average stars", "–" if math.isnan(headline["mean_rating"]) else f"{headline['mean_rating']:.2f} ★",
          help="Average star rating of all reviews that have one.")
R.model_expander(analysis)

tabs = st.tabs(["Products", "Complaints by topic", "Over time", "Answer these", "Stars vs words",
                "Early warnings", "Search", "Money"])

# -- products -------------------------------------------------------------------------------------
with tabs[0]:
    st.header("Products with the lowest ratings")
    products = R.product_table(view_key, analysis)
    if products.empty:
        st.info("No product ids in these reviews, so there is no per-product view.")
    else:
        st.caption("Lowest average stars first (text sentiment where a review has no stars), written beside each "
                   "product. The bar is the share of negative reviews; the whisker is its 90% interval — "
                   "wide whiskers mean few reviews, so judge with care.")
        st.plotly_chart(R.product_chart(products), width="stretch")
        st.dataframe(
            products.assign(share_negative=products["share_negative"] * 100).rename(columns={
                "product_id": "Product", "reviews": "Reviews", "mean_rating": "Avg stars", "mean_score": "Text sentiment",
                "share_negative": "Negative", "top_complaint": "Top complaint (mentions)", "complaint_example": "Example"}
            ).drop(columns=["share_negative_low", "share_negative_high"]),
            hide_index=True, width="stretch",
            column_config={
                "Avg stars": st.column_config.NumberColumn(format="%.2f"),
                "Text sentiment": st.column_config.NumberColumn(format="%.2f", help="−1 very negative, +1 very positive"),
                "Negative": st.column_config.NumberColumn(format="%.0f%%", help="Share of this product's reviews with negative text"),
            })

# -- aspects --------------------------------------------------------------------------------------
with tabs[1]:
    st.header("What the complaints are about")
    asp = R.aspect_table(view_key, analysis)
    if asp["mentions"].sum() == 0:
        st.info("No review mentions shipping, quality, size and fit, price or service.")
    else:
        top = asp.iloc[0]
        m1, m2 = st.columns(2)
        m1.metric("Top complaint", aspect_label(str(top["aspect"]), main_language),
                  help="The topic with the most negative sentences about it.")
        m2.metric(f"Negative reviews mentioning {aspect_label(str(top['aspect']), main_language)}",
                  pct(top["share_of_negative_reviews"]),
                  help="Of all negative reviews, the share with a negative sentence about this topic.")
        st.plotly_chart(R.aspect_bar(asp.assign(aspect=asp["aspect"].map(lambda a: aspect_label(a, main_language)))),
                        width="stretch")
        st.dataframe(asp.assign(share_of_negative_reviews=asp["share_of_negative_reviews"] * 100,
                                aspect=asp["aspect"].map(lambda a: aspect_label(a, main_language))).rename(columns={
            "aspect": "Topic", "mentions": "Mentions", "negative_mentions": "Negative mentions",
            "share_of_negative_reviews": "Share of negative reviews", "mean_score": "Average sentiment",
            "example": "Worst example"}), hide_index=True, width="stretch",
            column_config={"Share of negative reviews": st.column_config.NumberColumn(format="%.0f%%"),
                           "Average sentiment": st.column_config.NumberColumn(format="%.2f")})
        pick = st.selectbox("Show complaints about", list(ASPECTS), key="reviews_aspect",
                            format_func=lambda a: aspect_label(a, main_language))
        st.dataframe(aspect_examples(aspects, pick).rename(columns={
            "date": "Date", "product_id": "Product", "rating": "Stars", "sentence": "What they said", "score": "Sentiment"}),
            hide_index=True, width="stretch",
            column_config={"Sentiment": st.column_config.NumberColumn(format="%.2f"),
                           "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})
        st.caption("Topics are found with keyword rules per sentence; the sentence's sentiment comes from the bundled model.")

# -- over time ------------------------------------------------------------------------------------
with tabs[2]:
    st.header("Sentiment over time")
    monthly = sentiment_over_time(scored)
    if monthly.empty:
        st.info("The reviews have no dates, so there is no timeline.")
    else:
        st.plotly_chart(R.over_time_chart(monthly), width="stretch")
        st.caption("Monthly average of the text sentiment (−1 to +1) next to the average stars; grey bars are the "
                   "number of reviews. Months with few reviews move a lot.")
        st.plotly_chart(R.aspect_time_chart(aspect_over_time(aspects)), width="stretch")
        st.caption("Negative mentions per topic and month: a growing colour is a problem getting worse.")

# -- answer queue ---------------------------------------------------------------------------------
with tabs[3]:
    st.header("Negative reviews to answer first")
    queue = answer_queue(scored, limit=100)
    st.metric("Negative reviews in the last 30 days",
              number(recent_count(queue, 30)),
              help="Negative reviews written in the 30 days before the newest review (at most 100 are listed).")
    st.caption("Most negative and most recent first; 1-star reviews get a push. Answering quickly and publicly "
               "shows future buyers that you care.")
    st.dataframe(queue.rename(columns={
        "priority": "Priority", "review_id": "Review id", "product_id": "Product", "date": "Date", "age_days": "Days ago",
        "rating": "Stars", "score": "Sentiment", "negative_aspects": "Complaints", "title": "Title", "text": "Review"}),
        hide_index=True, width="stretch",
        column_config={"Priority": st.column_config.ProgressColumn(min_value=0, max_value=1.2, format="%.2f"),
                       "Sentiment": st.column_config.NumberColumn(format="%.2f"),
                       "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})

# -- disagreements --------------------------------------------------------------------------------
with tabs[4]:
    st.header("Stars and words that disagree")
    dis = disagreements(scored)
    st.metric("Reviews where stars and words disagree", number(len(dis)),
              help="4–5 stars with clearly negative words, or 1–2 stars with clearly positive words, judged by the "
                   "bundled model, which never saw the stars.")
    st.caption("High stars with unhappy words often hide a real problem (\"love it, but it arrived broken\"); "
               "low stars with happy words are often a mis-click or a complaint about something else.")
    st.dataframe(dis.head(200).rename(columns={
        "kind": "Kind", "review_id": "Review id", "product_id": "Product", "date": "Date", "rating": "Stars",
        "bundled_score": "Text sentiment", "title": "Title", "text": "Review"}), hide_index=True, width="stretch",
        column_config={"Text sentiment": st.column_config.NumberColumn(format="%.2f"),
                       "Date": st.column_config.DateColumn(format="YYYY-MM-DD")})

# -- early warnings -------------------------------------------------------------------------------
with tabs[5]:
    st.header("Sentiment fell before sales fell")
    orders = active_data("orders")
    if orders is None:
        st.info("Upload your orders on the Data page to compare review sentiment with sales.")
    else:
        warn = R.warnings_table(view_key, orders.key, analysis, orders.df)
        st.metric("Products where sentiment dropped before sales", number(len(warn)),
                  help="A month whose review sentiment was 0.3 below the 3 months before, followed within 4 months "
                       "by a 20% drop in the product's share of your units sold.")
        st.caption("Past cases where reviews warned before sales did: watch the sentiment of these products "
                   "— next time, you can act when reviews turn, before the sales drop.")
        st.dataframe(warn.assign(share_before=warn["share_before"] * 100, share_after=warn["share_after"] * 100).rename(columns={
            "product_id": "Product", "sentiment_drop_month": "Sentiment fell in", "score_before": "Sentiment before",
            "score_after": "Sentiment after", "sales_drop_month": "Sales fell in", "share_before": "Share of units before",
            "share_after": "Share of units after", "lead_months": "Months of warning"}), hide_index=True, width="stretch",
            column_config={"Sentiment before": st.column_config.NumberColumn(format="%.2f"),
                           "Sentiment after": st.column_config.NumberColumn(format="%.2f"),
                           "Share of units before": st.column_config.NumberColumn(format="%.1f%%"),
                           "Share of units after": st.column_config.NumberColumn(format="%.1f%%")})

# -- search ---------------------------------------------------------------------------------------
with tabs[6]:
    st.header("Search reviews by meaning")
    st.caption("Finds reviews that mean the same thing even with other words: \"arrived late\" also finds "
               "\"took three weeks to get here\". A review is ranked by its closest sentence.")
    if analysis.space == "multilingual":
        st.caption("**Across languages:** search in English and find reviews written in Chinese, German, Japanese … "
                   "(\"arrived late\" finds 物流太慢了), or search in any of those languages and find English reviews.")
    else:
        st.caption("Your reviews are in English, so search in English. Reviews in other languages are searched "
                   "across languages: an English query finds Chinese or German reviews and the reverse.")
    query = st.text_input("What are you looking for?", value="", placeholder="e.g. leaking bottle, arrived late, too small",
                          key="reviews_query", max_chars=200)
    if query.strip():
        hits = guarded(R.search, view_key, query.strip(), analysis, 500)
        if hits is not None:
            if hits.empty:
                st.info("No review is close in meaning to this search. Try other words.")
            else:
                R.search_results(hits, group_hits(hits).head(10))

# -- money ----------------------------------------------------------------------------------------
with tabs[7]:
    st.header("What fixing the top complaints is worth")
    orders = active_data("orders")
    currency = store_currency()
    saved = load_page_assumptions(ws, "reviews")
    with st.form("reviews_value_form"):
        cols = st.columns(3)
        values = {}
        for col, a in zip(cols, REVIEW_ASSUMPTIONS.values()):
            values[a.key] = col.number_input(
                a.label + " (%)", min_value=0.0, max_value=100.0, step=1.0,
                value=float(saved.get(a.key, a.value)) * 100, help=a.help, key=f"reviews_assume_{a.key}") / 100
        if st.form_submit_button("Save assumptions"):
            save_page_assumptions(ws, "reviews", values)
    est = guarded(reviews_value, analysis, orders.df if orders is not None else None, values, currency=currency)
    if orders is None:
        st.info("Upload your orders on the Data page: the estimate needs your monthly sales and returns.")
    elif est is not None:
        v1, v2 = st.columns(2)
        v1.metric("Extra revenue per month (estimate)", money(est.monthly_value, currency),
                  help="From a higher average rating and fewer returns if the top complaints are fixed.")
        v2.metric("Plausible range per month", f"{money(est.monthly_low, currency)} – {money(est.monthly_high, currency)}",
                  help="Low and high ends of the assumptions above.")
        st.caption(est.evidence)
        st.caption(est.note)
        save_page_estimate(ws, "sentiment.value", est, is_demo=data.is_demo or orders.is_demo)
