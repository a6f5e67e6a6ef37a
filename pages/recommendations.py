"""Recommendations: which model wins on the store's own held-out purchases, what it would
show each customer, and what that could be worth."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import json
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models import pipelines as P
from ecom_models import recommend as R
from ecom_models import runs
from ecom_models import valuation as VAL
from ecom_models.errors import InputError
from ecom_models.jsonio import dumps
from ecom_models.safe_export import csv_bytes
from ecom_ui import jobs
from ecom_ui.common import (active_data, data_source_note, empty_state, guarded, money, number, page_header, pct,
                            results, show_input_error, workspace)

page_header("Recommendations", "What a 'you may also like' widget would show each customer, which model does it best "
            "on your own purchase history, and what it could be worth.")


# -- kept results ----------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def _decoded(key: str, stage: str, _doc: dict):
    """The stored report as objects, once per stored stage (a new stage has a new cache key)."""
    return R.report_from_document(_doc)


@st.cache_data(show_spinner=False, max_entries=4)
def _export_csv(key: str, k: int, _report_obj) -> bytes:
    recs = R.recommend_for_users(_report_obj, None, k=k, exclude_seen=True)
    return csv_bytes(recs[["user_id", "rank", "item_id", "product_name", "score"]])


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
    from ecom_models.intake import read_table
    from ecom_models.workspace import content_hash

    raw = guarded(read_table, upload, name=upload.name)
    if raw is not None:
        if not R.looks_like_interactions(raw):
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

store = results()
result_key = P.recommend_key(source_key, k, split, half_life, deep)
doc = store.get("recommend.report", result_key)
report = _decoded(result_key, doc["stage"], doc) if doc is not None else None
if report is None or report.stage != "full":
    _work = P.recommendations_work(store, result_key, source_df, source_kind, k, split, half_life, deep)

    def _full() -> bool:
        stored = store.get("recommend.report", result_key)
        return stored is not None and stored["stage"] == "full"

    run = jobs.ensure(result_key, "Recommendations", _work, group=source_key, ready=_full)
    doc = store.get("recommend.report", result_key)  # inline runs (page tests) have finished by now
    report = _decoded(result_key, doc["stage"], doc) if doc is not None else None
    if report is None:
        if run.status != runs.FAILED:
            st.info("Comparing models on purchases they have not seen. The fast models are scored first (seconds), "
                    "then EASE and the deep model are added; the results are kept in your workspace.",
                    icon=":material/hourglass_top:")
        jobs.follow(run)
        st.stop()

inter = report.inter
board = report.leaderboard
chosen_eval = report.chosen_test
base_eval = report.test_evals.get("popularity")
for note in report.notes:
    st.caption("ℹ️ " + note)
if report.pending:
    still = ", ".join(R.MODEL_LABELS[m] for m in report.pending)
    st.info(f"Showing the models scored so far. Still training: {still}. The leaderboard and the chosen model "
            "update by themselves when they finish.", icon=":material/hourglass_top:")
    jobs.follow(run, report.stage)

# -- 1. which model wins ------------------------------------------------------------------------
st.header("Which model wins")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Customers", number(inter.n_users), help="Customers with a known id and at least one purchase.")
c2.metric("Products", number(inter.n_items), help="Products bought at least once.")
c3.metric("Chosen model", R.MODEL_SHORT[report.chosen],
          help=f"{R.MODEL_LABELS[report.chosen]}. Picked automatically: best nDCG on a validation split carved out of "
               "the training data.")
if chosen_eval is not None and base_eval is not None:
    gain = R.paired_gain(chosen_eval, base_eval, "hit")
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
    ordered = board.iloc[::-1]
    colors = ["#2e7d32" if c else ("#9e9e9e" if m == "popularity" else "#64b5f6")
              for m, c in zip(ordered["model"], ordered["chosen"])]
    chart = go.Figure()
    chart.add_bar(
        y=[R.MODEL_SHORT[m] for m in ordered["model"]], x=ordered["precision"], orientation="h", marker_color=colors,
        error_x=dict(type="data", symmetric=False, array=ordered["precision_high"] - ordered["precision"],
                     arrayminus=ordered["precision"] - ordered["precision_low"], color="black"),
        hovertemplate="%{y}<br>precision@k %{x:.3f}<extra></extra>",
    )
    chart.update_layout(xaxis_title=f"precision@{report.k}: share of the products shown that were bought later",
                        height=90 + 45 * len(board), margin=dict(t=10, b=10, l=10, r=10))
    st.plotly_chart(chart, width="stretch")
    table_view = pd.DataFrame({
        "Model": board["label"] + board["chosen"].map({True: "  (chosen)", False: ""}),
        f"Precision@{report.k}": board["precision"],
        "95% interval": [f"{lo:.3f} – {hi:.3f}" for lo, hi in zip(board["precision_low"], board["precision_high"])],
        f"Recall@{report.k}": board["recall"],
        f"nDCG@{report.k}": board["ndcg"],
        f"Hit rate@{report.k}": board["hit_rate"],
        "Catalog coverage": board["coverage"],
        "Novelty": board["novelty"],
        "Training time (s)": board["fit_seconds"],
    })
    st.dataframe(table_view, hide_index=True, width="stretch", column_config={
        f"Precision@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["precision"]),
        f"Recall@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["recall"]),
        f"nDCG@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["ndcg"]),
        f"Hit rate@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["hit_rate"]),
        "Catalog coverage": st.column_config.NumberColumn(format="%.2f", help=R.METRIC_HELP["coverage"]),
        "Novelty": st.column_config.NumberColumn(format="%.2f", help=R.METRIC_HELP["novelty"]),
        "95% interval": st.column_config.TextColumn(help="Range the precision would likely fall in with other customers."),
        "Training time (s)": st.column_config.NumberColumn(format="%.2f", help="Seconds to train on this machine."),
    })
    test_users = chosen_eval.n_users if chosen_eval else 0
    st.caption(f"Scored on {test_users:,} customers: a {'random' if report.split == 'random' else 'most recent'} 25% of each "
               "customer's products was hidden, the models learnt from the rest, and we checked how many hidden products "
               "each model put in its top list (products already bought are never shown). Customers with a single "
               "product cannot be tested and only count for training.")
    if not report.validation.empty:
        with st.expander("How the model was chosen (validation split)"):
            st.caption("Each model and setting was trained on part of the training data and scored on the rest of it "
                       f"(a random sample of up to {P.VALIDATION_SAMPLE:,} customers, to keep it quick). The highest "
                       "nDCG wins; the test figures above were computed afterwards, once, on all test customers.")
            val = report.validation.sort_values("ndcg", ascending=False, kind="stable")
            st.dataframe(pd.DataFrame({
                "Model": val["label"], "Setting": [", ".join(f"{a}={b}" for a, b in p.items()) or "–" for p in val["params"]],
                f"nDCG@{report.k}": val["ndcg"], f"Precision@{report.k}": val["precision"],
                "Training time (s)": val["fit_seconds"],
            }), hide_index=True, width="stretch", column_config={
                f"nDCG@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["ndcg"]),
                f"Precision@{report.k}": st.column_config.NumberColumn(format="%.3f", help=R.METRIC_HELP["precision"]),
                "Training time (s)": st.column_config.NumberColumn(format="%.2f", help="Seconds to train on this machine."),
            })
    with st.expander("What each model does"):
        for name in board["model"]:
            st.markdown(f"**{R.MODEL_LABELS[name]}** — {R.MODEL_EXPLAIN[name]}")

# -- 2. a customer's recommendations -------------------------------------------------------------
st.header("What a customer would see")
counts = pd.Series((inter.matrix > 0).sum(axis=1).A1, index=inter.users).sort_values(ascending=False, kind="stable")
top_customers = list(counts.index[:300])
col_a, col_b = st.columns([2, 1])
picked = col_a.selectbox("Customer (most active first)", top_customers, key="rec_customer",
                         help="The 300 customers with the most products; type another id on the right.")
typed = col_b.text_input("…or type a customer id", key="rec_customer_typed",
                         help="Any id. An id we have never seen gets the new-customer list.")
customer = typed.strip() or picked
if customer:
    recs = R.recommend_for_users(report, [customer], k=report.k, exclude_seen=True, with_reasons=True)
    known = bool(recs["known_customer"].iloc[0]) if len(recs) else False
    left, right = st.columns(2)
    with left:
        st.subheader("Already bought")
        if known:
            row = inter.users.get_loc(customer)
            hist_idx = inter.matrix.indices[inter.matrix.indptr[row]:inter.matrix.indptr[row + 1]]
            hist = pd.DataFrame({"Product id": inter.items[hist_idx],
                                 "Product": [inter.item_name(i) for i in inter.items[hist_idx]]})
            if (hist["Product"] == hist["Product id"]).all():  # no product names in the file
                hist = hist[["Product id"]]
            st.dataframe(hist, hide_index=True, width="stretch")
        else:
            st.text("A new customer: no purchases yet, so best sellers are shown.")
    with right:
        st.subheader(f"Recommended ({R.MODEL_SHORT[report.chosen]})")
        shown = ["#", "Product", "Why", "Product id"] if (recs["product_name"] != recs["item_id"]).any() else ["#", "Product id", "Why"]
        st.dataframe(recs.rename(columns={"rank": "#", "item_id": "Product id", "product_name": "Product",
                                          "reason": "Why"})[shown],
                     hide_index=True, width="stretch")

# -- 3. frequently bought together ----------------------------------------------------------------
st.header("Frequently bought together")
pop = pd.Series(inter.matrix.getnnz(axis=0), index=inter.items).sort_values(ascending=False, kind="stable")
product_labels = {f"{inter.item_name(i)} ({i})": i for i in pop.index[:500]}
product_label = st.selectbox("Product", list(product_labels), key="rec_product", help="Best sellers first (top 500).")
product = product_labels.get(product_label)
if product:
    fbt = guarded(R.frequently_bought_together, inter, product, 5)
    if fbt is not None and not fbt.empty:
        unit = fbt["unit"].iloc[0]
        st.dataframe(pd.DataFrame({
            "Product": fbt["product_name"], "Product id": fbt["item_id"],
            f"Together ({unit})": fbt["together"], "Also bought": fbt["confidence"], "Lift": fbt["lift"],
        }), hide_index=True, width="stretch", column_config={
            f"Together ({unit})": st.column_config.NumberColumn(help=f"Number of {unit} with both products."),
            "Also bought": st.column_config.NumberColumn(format="percent",
                                                         help=f"Share of {unit} with the chosen product that also have this one."),
            "Lift": st.column_config.NumberColumn(format="%.1f", help="How many times more often they go together than "
                                                                       "chance would give (above 1 = a real pairing)."),
        })
        if unit == "customers":
            st.caption("This file has no order numbers, so 'together' means bought by the same customer.")
    elif fbt is not None:
        st.text("No product is bought together with this one more often than chance would give.")
    st.caption("Only real pairings are listed: products that go together more often than their popularity "
               "alone would explain (lift above 1).")

# -- 4. new customers --------------------------------------------------------------------------
st.header("New customers (cold start)")
st.caption("A visitor we know nothing about gets the best sellers of the last 90 days until their first purchase.")
st.dataframe(R.cold_start(inter, k=report.k).rename(columns={"rank": "#", "item_id": "Product id", "product_name": "Product",
                                                             "customers": "Customers (last 90 days)"}),
             hide_index=True, width="stretch")

# -- 5. business value -----------------------------------------------------------------------
st.header("What it could be worth")
st.caption("**An estimate to confirm with an A/B test.** It turns the offline gain in hit rate over best sellers into "
           "extra orders through the widget. Edit the assumptions to match your store.")
ws = workspace()
saved = ws.get("recommend.assumptions", "default", {}) or {}
figs = R.store_figures(data.df if (table is None and data is not None) else None)
a1, a2, a3 = st.columns(3)
monthly_orders = a1.number_input("Orders per month", min_value=0.0, step=100.0,
                                 value=float(round(saved.get("monthly_orders") or (figs["monthly_orders"] if math.isfinite(figs["monthly_orders"]) else 1000.0))),
                                 help="From your order history; change it if the coming months will differ.")
order_value = a2.number_input("Average order value", min_value=0.0, step=5.0,
                              value=float(round(saved.get("order_value") or (figs["order_value"] if math.isfinite(figs["order_value"]) else 50.0), 2)),
                              help="Revenue per order, from your order history.")
conv = a3.number_input("Visits that end in an order (%)", min_value=0.1, max_value=50.0, step=0.1,
                       value=float(saved.get("store_conversion", VAL.RECOMMEND_ASSUMPTIONS["store_conversion"])) * 100,
                       help="Your store conversion rate from your analytics; used to estimate visits.")
b1, b2, b3, b4 = st.columns(4)
share = b1.slider("Visits that see the widget (%)", 5, 100, int(round(float(saved.get("widget_share", VAL.RECOMMEND_ASSUMPTIONS["widget_share"])) * 100)),
                  help="Depends on where you place it: product pages, cart, e-mails.")
ctr = b2.number_input("Click-through on a best-seller widget (%)", min_value=0.1, max_value=50.0, step=0.5,
                      value=float(saved.get("widget_ctr", VAL.RECOMMEND_ASSUMPTIONS["widget_ctr"])) * 100,
                      help="Share of visitors who click a recommendation today; 2-6% is typical.")
c2o = b3.number_input("Orders per widget click (%)", min_value=0.1, max_value=100.0, step=1.0,
                      value=float(saved.get("click_to_order", VAL.RECOMMEND_ASSUMPTIONS["click_to_order"])) * 100,
                      help="Share of recommendation clicks that end in an order.")
online = b4.slider("Offline gain that shows up live (%)", 0, 100, int(round(float(saved.get("online_share", VAL.RECOMMEND_ASSUMPTIONS["online_share"])) * 100)),
                   help="Offline tests flatter models: published online tests find 0-60% of an offline gain live; 20% is the median we use.")
values = {"monthly_orders": monthly_orders, "order_value": order_value, "store_conversion": conv / 100,
          "widget_share": share / 100, "widget_ctr": ctr / 100, "click_to_order": c2o / 100, "online_share": online / 100}
if values != {key: saved.get(key) for key in values}:
    ws.put("recommend.assumptions", "default", values)
estimate = VAL.recommendations_value(gain, monthly_orders=monthly_orders, order_value=order_value,
                            currency=R.store_figures(data.df)["currency"] if data is not None else "USD", report=report,
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
details = VAL.value_details(estimate)
if ws.get("recommend.value", "latest") != json.loads(dumps(details)):
    ws.put("recommend.value", "latest", details)

# -- 6. export ---------------------------------------------------------------------------------
st.header("Export")
st.caption(f"Top {report.k} products for each of the {inter.n_users:,} customers, from the chosen model, already-bought "
           "products left out.")
if st.button("Prepare the CSV", key="rec_prepare"):
    st.session_state["rec_export_ready"] = True
if st.session_state.get("rec_export_ready"):
    csv = _export_csv(result_key + report.stage, k, report)
    st.download_button("Download recommendations (CSV)", csv, file_name="recommendations.csv", mime="text/csv")
