"""Recommendations: which model wins on the store's own held-out purchases, what it would
show each customer, and what that could be worth."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import streamlit as st

from ecom_models.core.errors import InputError
from ecom_models.intake import read_table
from ecom_models.recommend import (
    MODEL_EXPLAIN,
    MODEL_LABELS,
    MODEL_SHORT,
    cold_start,
    frequently_bought_together,
    looks_like_interactions,
    recommend_for_users,
)
from ecom_models.intake import store_figures
from ecom_models.value import recommendations_value
from ecom_models.workspace import content_hash
from ecom_ui import recommend as UR
from ecom_ui.identities import id_formatter, to_pseudonym
from ecom_ui.identities import token as ids_token
from ecom_ui.common import (active_data, data_source_note, empty_state, guarded, money, number, page_header, pct,
                            show_input_error, workspace)

page_header("Recommendations", "What a 'you may also like' widget would show each customer, which model does it best "
            "on your own purchase history, and what it could be worth.")


# -- data -------------------------------------------------------------------------------------
data = active_data("orders")
with st.expander("Use a customer-product file instead of orders (optional)"):
    st.caption("A table with columns user_id, item_id and optionally rating, quantity, timestamp "
               "(CSV, Excel, Parquet or JSON Lines). Ratings of any scale are accepted. The file is used while it is "
               "in the box below and is not saved: a reload goes back to the orders.")
    upload = st.file_uploader("Interactions file", type=["csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "json"],
                              key="rec_upload")
table = None
if upload is not None:
    raw = guarded(read_table, upload, name=upload.name)
    if raw is not None:
        if not looks_like_interactions(raw):
            show_input_error(InputError("it has no customer and product columns (user_id and item_id), or it "
                                        "holds order lines.", file=upload.name,
                                        fix="upload order exports on the Data page instead, or name the "
                                            "columns user_id and item_id."))
        else:
            table = raw
            source_key, source_kind, source_df = "table-" + content_hash(raw), "table", raw
            st.caption(f"Using the uploaded file ({len(raw):,} rows) instead of the orders.")

if table is None:
    if data is None:
        empty_state("orders", "(order lines with a customer id and a product id)")
        st.stop()
    data_source_note(data)
    # the orders are read only if a model has to be fitted (in the background run, straight from
    # the workspace): kept results are drawn without reading them
    source_key, source_kind = data.key, "orders"
    source_df = data.df if data.dataset_id is None else (lambda ws=workspace(), i=data.dataset_id: ws.load_dataset(i))

with st.sidebar:
    st.subheader("Recommendation settings")
    k = st.select_slider("Products shown per customer (k)", options=[3, 5, 10, 20], value=10,
                         help="How many products the widget shows. All figures on this page are 'at k'.")
    split_label = st.radio("How to hide purchases for testing", ["Random 25% per customer", "Latest 25% per customer"],
                           help="Random: hide a random quarter of each customer's products. Latest: hide their most "
                                "recent quarter, which is closer to predicting the next purchase.")
    split = "random" if split_label.startswith("Random") else "time"
    half_life_label = st.selectbox("Older purchases count less", ["No", "Half weight after 90 days",
                                                                  "Half weight after 180 days", "Half weight after 1 year"],
                                   help="Recency decay: recent purchases say more about what a customer wants now.")
    half_life = {"No": None, "Half weight after 90 days": 90.0, "Half weight after 180 days": 180.0,
                 "Half weight after 1 year": 365.0}[half_life_label]
    deep = st.checkbox("Include the deep-learning model", value=True, key="rec_deep",
                       help="Trains a small Keras neural network too (adds about 10-30 seconds). "
                            "It stays on the leaderboard with its real figures, win or lose.")

report, result_key = UR.kept_report(source_key, source_df, source_kind, k, split, half_life, deep)
inter = report.inter
board = report.leaderboard
chosen_eval = report.chosen_test
base_eval = report.test_evals.get("popularity")

# -- 1. which model wins ------------------------------------------------------------------------
st.header("Which model wins")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Customers", number(inter.n_users), help="Customers with a known id and at least one purchase.")
c2.metric("Products", number(inter.n_items), help="Products bought at least once.")
c3.metric("Chosen model", MODEL_SHORT[report.chosen],
          help=f"{MODEL_LABELS[report.chosen]}. Picked automatically: best nDCG on a validation split carved out of "
               "the training data.")
if chosen_eval is not None and base_eval is not None:
    gain = UR.hit_gain(result_key, report.stage, report.chosen, chosen_eval, base_eval)
    c4.metric(f"Hit rate@{report.k}", pct(chosen_eval.metrics["hit_rate"]),
              delta=f"{(chosen_eval.metrics['hit_rate'] - base_eval.metrics['hit_rate']) * 100:+.1f} pts vs best sellers",
              help=f"Share of test customers who later bought at least one of the {report.k} products shown, versus "
                   "showing everyone the best sellers. Measured on purchases the models never saw.")
else:
    gain = None
st.markdown(report.reason)

if not board.empty:
    st.subheader(f"Precision@{report.k} on held-out purchases")
    st.caption("Green = chosen model, grey = best-seller baseline. The black lines are 95% intervals: where two "
               "intervals overlap, the difference may be luck.")
    st.plotly_chart(UR.precision_chart(board, report.k), width="stretch")
    UR.show_leaderboard(board, report.k)
    test_users = chosen_eval.n_users if chosen_eval else 0
    st.caption(f"Scored on {test_users:,} customers: a {'random' if report.split == 'random' else 'most recent'} 25% of each "
               "customer's products was hidden, the models learnt from the rest, and we checked how many hidden products "
               "each model put in its top list (products already bought are never shown). Customers with a single "
               "product cannot be tested and only count for training.")
    if not report.validation.empty:
        with st.expander("How the model was chosen (validation split)"):
            UR.show_validation(report.validation, report.k)
    with st.expander("What each model does"):
        for name in board["model"]:
            st.markdown(f"**{MODEL_LABELS[name]}** — {MODEL_EXPLAIN[name]}")

# -- 2. a customer's recommendations -------------------------------------------------------------
st.header("What a customer would see")
top_customers = inter.most_active(300)
col_a, col_b = st.columns([2, 1])
picked = col_a.selectbox("Customer (most active first)", top_customers, key="rec_customer", format_func=id_formatter(),
                         help="The 300 customers with the most products; type another id on the right.")
typed = col_b.text_input("…or type a customer id", key="rec_customer_typed",
                         help="Any id. An id we have never seen gets the new-customer list.")
customer = to_pseudonym(typed) or picked
if customer:
    recs = recommend_for_users(report, [customer], k=report.k, exclude_seen=True, with_reasons=True)
    known = bool(recs["known_customer"].iloc[0]) if len(recs) else False
    left, right = st.columns(2)
    with left:
        st.subheader("Already bought")
        if known:
            hist = inter.history(customer).rename(columns={"item_id": "Product id", "product_name": "Product"})
            if (hist["Product"] == hist["Product id"]).all():  # no product names in the file
                hist = hist[["Product id"]]
            st.dataframe(hist, hide_index=True, width="stretch")
        else:
            st.text("A new customer: no purchases yet, so best sellers are shown.")
    with right:
        st.subheader(f"Recommended ({MODEL_SHORT[report.chosen]})")
        shown = ["#", "Product", "Why", "Product id"] if (recs["product_name"] != recs["item_id"]).any() else ["#", "Product id", "Why"]
        st.dataframe(recs.rename(columns={"rank": "#", "item_id": "Product id", "product_name": "Product",
                                          "reason": "Why"})[shown],
                     hide_index=True, width="stretch")

# -- 3. frequently bought together ----------------------------------------------------------------
st.header("Frequently bought together")
product_labels = {f"{inter.item_name(i)} ({i})": i for i in inter.best_sellers(500)}
product_label = st.selectbox("Product", list(product_labels), key="rec_product", help="Best sellers first (top 500).")
product = product_labels.get(product_label)
if product:
    fbt = guarded(frequently_bought_together, inter, product, 5)
    if fbt is not None:
        UR.show_bought_together(fbt)
    st.caption("Only real pairings are listed: products that go together more often than their popularity "
               "alone would explain (lift above 1).")

# -- 4. new customers --------------------------------------------------------------------------
st.header("New customers (cold start)")
st.caption("A visitor we know nothing about gets the best sellers of the last 90 days until their first purchase.")
st.dataframe(cold_start(inter, k=report.k).rename(columns={"rank": "#", "item_id": "Product id", "product_name": "Product",
                                                           "customers": "Customers (last 90 days)"}),
             hide_index=True, width="stretch")

# -- 5. business value -----------------------------------------------------------------------
st.header("What it could be worth")
st.caption("**An estimate to confirm with an A/B test.** It turns the offline gain in hit rate over best sellers into "
           "extra orders through the widget. Edit the assumptions to match your store.")
ws = workspace()
values = UR.assumption_inputs(ws, store_figures(data.df if (table is None and data is not None) else None))
monthly_orders, order_value = values["monthly_orders"], values["order_value"]
estimate = recommendations_value(gain, monthly_orders=monthly_orders, order_value=order_value,
                                 currency=store_figures(data.df)["currency"] if data is not None else "USD", report=report,
                            store_conversion=values["store_conversion"], widget_share=values["widget_share"],
                            widget_ctr=values["widget_ctr"], click_to_order=values["click_to_order"],
                            online_share=values["online_share"])
v1, v2, v3 = st.columns([1, 1.6, 1])
v1.metric("Extra revenue / month", money(estimate.monthly_value),
          help="Estimate: extra widget orders x average order value. Confirm with an A/B test before counting on it.")
v2.metric("Plausible range / month", f"{money(estimate.monthly_low)} – {money(estimate.monthly_high)}",
          help="From the 95% interval of the hit-rate gain over best sellers, with your assumptions held fixed.")
v3.metric("Per year", money(estimate.yearly_value), help="Twelve times the monthly estimate.")
st.caption("Evidence: " + estimate.evidence + ". " + estimate.note)
if report.chosen == "popularity":
    st.info("The chosen model is the best-seller list itself, so there is no gain to estimate yet.")
UR.save_estimate(ws, estimate)

# -- 6. export ---------------------------------------------------------------------------------
st.header("Export")
st.caption(f"Top {report.k} products for each of the {inter.n_users:,} customers, from the chosen model, already-bought "
           "products left out.")
if st.button("Prepare the CSV", key="rec_prepare"):
    st.session_state["rec_export_ready"] = True
if st.session_state.get("rec_export_ready"):
    csv = UR.export_csv(result_key + report.stage, k, report, ids_token())
    st.download_button("Download recommendations (CSV)", csv, file_name="recommendations.csv", mime="text/csv")
