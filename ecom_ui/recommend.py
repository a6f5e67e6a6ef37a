"""Cached work and the drawing of the Recommendations page: the report kept in the results store
(with the background run's progress while models train), the leaderboard, and the assumptions and
estimate the Business value page reads."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.core.safe_export import csv_bytes
from ecom_models.recommend import pipeline as P
from ecom_models.recommend.documents import report_from_document
from ecom_models.recommend.evaluation import METRIC_HELP
from ecom_models.recommend.models import MODEL_LABELS, MODEL_SHORT
from ecom_models.recommend.serve import recommend_for_users
from ecom_models.value.valuation import RECOMMEND_ASSUMPTIONS

VALUE_NAMESPACE = "recommend.value"  # persisted: read by the Business value page


# -- kept results ----------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=4)
def _decoded(key: str, stage: str, _doc: dict):
    """The stored report as objects, once per stored stage (a new stage has a new cache key)."""
    return report_from_document(_doc)


def kept_report(source_key: str, source_df, source_kind: str, k: int, split: str, half_life: float | None,
                deep: bool):
    """(report, results key) for these settings. While models still train, the page shows the
    stages scored so far and follows the run; with nothing stored yet it shows progress and stops.
    `source_df` may be a function that loads the data (only called if a model must be fitted)."""
    from ecom_models.workspace import runs
    from ecom_ui import jobs
    from ecom_ui.common import results

    store = results()
    key = P.recommend_key(source_key, k, split, half_life, deep)
    doc = P.recommendations_document(store, key)
    report = _decoded(key, doc["stage"], doc) if doc is not None else None
    run = None
    if report is None or report.stage != "full":
        # in a worker process (the frame is loaded here only when no run for it is going yet)
        run = runs.get(key)
        if run is None or not run.active:
            work = P.recommendations_task(store.ws, key, source_df() if callable(source_df) else source_df,
                                          source_kind, k, split, half_life, deep)
            run = jobs.ensure(key, "Recommendations", work, group=source_key,
                              ready=lambda: P.recommendations_complete(store, key))
        doc = P.recommendations_document(store, key)  # inline runs (page tests) have finished by now
        report = _decoded(key, doc["stage"], doc) if doc is not None else None
        if report is None:
            if run.status != runs.FAILED:
                st.info("Comparing models on purchases they have not seen. The fast models are scored first (seconds), "
                        "then EASE and the deep model are added; the results are kept in your workspace.",
                        icon=":material/hourglass_top:")
            jobs.follow(run)
            st.stop()
    for note in report.notes:
        st.caption("ℹ️ " + note)
    if report.pending:
        still = ", ".join(MODEL_LABELS[m] for m in report.pending)
        st.info(f"Showing the models scored so far. Still training: {still}. The leaderboard and the chosen model "
                "update by themselves when they finish.", icon=":material/hourglass_top:")
        jobs.follow(run, report.stage)
    return report, key


@st.cache_data(show_spinner=False, max_entries=8)
def hit_gain(key: str, stage: str, chosen: str, _chosen_eval, _base_eval) -> dict:
    """The chosen model's hit-rate gain over best sellers with its bootstrap interval, once per
    stored stage (1,000 resamples of every test customer: too slow to redo on every rerun)."""
    from ecom_models.recommend.evaluation import paired_gain

    return paired_gain(_chosen_eval, _base_eval, "hit")


@st.cache_data(show_spinner=False, max_entries=4)
def export_csv(key: str, k: int, _report_obj, ids: str = "") -> bytes:
    """Top k for every customer from the chosen model, as a spreadsheet-safe CSV, with the
    merchant's own customer ids unless hidden (`ids`: ecom_ui.identities.token, in the cache key)."""
    from ecom_ui.identities import show_ids

    recs = recommend_for_users(_report_obj, None, k=k, exclude_seen=True)
    return csv_bytes(show_ids(recs[["user_id", "rank", "item_id", "product_name", "score"]], "user_id"))


# -- drawing ---------------------------------------------------------------------------------------
def precision_chart(board: pd.DataFrame, k: int) -> go.Figure:
    """Precision@k per model with its 95% interval: chosen green, baseline grey."""
    ordered = board.iloc[::-1]
    colors = ["#2e7d32" if c else ("#9e9e9e" if m == "popularity" else "#64b5f6")
              for m, c in zip(ordered["model"], ordered["chosen"])]
    chart = go.Figure()
    chart.add_bar(
        y=[MODEL_SHORT[m] for m in ordered["model"]], x=ordered["precision"], orientation="h", marker_color=colors,
        error_x=dict(type="data", symmetric=False, array=ordered["precision_high"] - ordered["precision"],
                     arrayminus=ordered["precision"] - ordered["precision_low"], color="black"),
        hovertemplate="%{y}<br>precision@k %{x:.3f}<extra></extra>",
    )
    chart.update_layout(xaxis_title=f"precision@{k}: share of the products shown that were bought later",
                        height=90 + 45 * len(board), margin=dict(t=10, b=10, l=10, r=10))
    return chart


def show_leaderboard(board: pd.DataFrame, k: int) -> None:
    """Every model's test figures in a table, with what each metric means."""
    table_view = pd.DataFrame({
        "Model": board["label"] + board["chosen"].map({True: "  (chosen)", False: ""}),
        f"Precision@{k}": board["precision"],
        "95% interval": [f"{lo:.3f} – {hi:.3f}" for lo, hi in zip(board["precision_low"], board["precision_high"])],
        f"Recall@{k}": board["recall"],
        f"nDCG@{k}": board["ndcg"],
        f"Hit rate@{k}": board["hit_rate"],
        "Catalog coverage": board["coverage"],
        "Novelty": board["novelty"],
        "Training time (s)": board["fit_seconds"],
    })
    st.dataframe(table_view, hide_index=True, width="stretch", column_config={
        f"Precision@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["precision"]),
        f"Recall@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["recall"]),
        f"nDCG@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["ndcg"]),
        f"Hit rate@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["hit_rate"]),
        "Catalog coverage": st.column_config.NumberColumn(format="%.2f", help=METRIC_HELP["coverage"]),
        "Novelty": st.column_config.NumberColumn(format="%.2f", help=METRIC_HELP["novelty"]),
        "95% interval": st.column_config.TextColumn(help="Range the precision would likely fall in with other customers."),
        "Training time (s)": st.column_config.NumberColumn(format="%.2f", help="Seconds to train on this machine."),
    })


def show_validation(validation: pd.DataFrame, k: int) -> None:
    """How the model was chosen: every model and setting on the validation split."""
    st.caption("Each model and setting was trained on part of the training data and scored on the rest of it "
               f"(a random sample of up to {P.VALIDATION_SAMPLE:,} customers, to keep it quick). The highest "
               "nDCG wins; the test figures above were computed afterwards, once, on all test customers.")
    val = validation.sort_values("ndcg", ascending=False, kind="stable")
    st.dataframe(pd.DataFrame({
        "Model": val["label"], "Setting": [", ".join(f"{a}={b}" for a, b in p.items()) or "–" for p in val["params"]],
        f"nDCG@{k}": val["ndcg"], f"Precision@{k}": val["precision"],
        "Training time (s)": val["fit_seconds"],
    }), hide_index=True, width="stretch", column_config={
        f"nDCG@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["ndcg"]),
        f"Precision@{k}": st.column_config.NumberColumn(format="%.3f", help=METRIC_HELP["precision"]),
        "Training time (s)": st.column_config.NumberColumn(format="%.2f", help="Seconds to train on this machine."),
    })


def show_bought_together(fbt: pd.DataFrame) -> None:
    """A product's real pairings (frequently_bought_together), or a sentence when there are none."""
    if fbt.empty:
        st.text("No product is bought together with this one more often than chance would give.")
        return
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


# -- the value assumptions and estimate, shared with the Business value page ------------------------
def assumption_inputs(ws, figs: dict) -> dict[str, float]:
    """The widget assumptions, starting from the saved ones (else the store's figures, else the
    defaults); kept (only when changed) for the Business value page. Returns them as shares."""
    from ecom_models.value.settings import load_page_assumptions, save_page_assumptions

    saved = load_page_assumptions(ws, "recommendations")
    d = RECOMMEND_ASSUMPTIONS
    a1, a2, a3 = st.columns(3)
    monthly_orders = a1.number_input("Orders per month", min_value=0.0, step=100.0,
                                     value=float(round(saved.get("monthly_orders") or (figs["monthly_orders"] if math.isfinite(figs["monthly_orders"]) else 1000.0))),
                                     help="From your order history; change it if the coming months will differ.")
    order_value = a2.number_input("Average order value", min_value=0.0, step=5.0,
                                  value=float(round(saved.get("order_value") or (figs["order_value"] if math.isfinite(figs["order_value"]) else 50.0), 2)),
                                  help="Revenue per order, from your order history.")
    conv = a3.number_input("Visits that end in an order (%)", min_value=0.1, max_value=50.0, step=0.1,
                           value=float(saved.get("store_conversion", d["store_conversion"])) * 100,
                           help="Your store conversion rate from your analytics; used to estimate visits.")
    b1, b2, b3, b4 = st.columns(4)
    share = b1.slider("Visits that see the widget (%)", 5, 100, int(round(float(saved.get("widget_share", d["widget_share"])) * 100)),
                      help="Depends on where you place it: product pages, cart, e-mails.")
    ctr = b2.number_input("Click-through on a best-seller widget (%)", min_value=0.1, max_value=50.0, step=0.5,
                          value=float(saved.get("widget_ctr", d["widget_ctr"])) * 100,
                          help="Share of visitors who click a recommendation today; 2-6% is typical.")
    c2o = b3.number_input("Orders per widget click (%)", min_value=0.1, max_value=100.0, step=1.0,
                          value=float(saved.get("click_to_order", d["click_to_order"])) * 100,
                          help="Share of recommendation clicks that end in an order.")
    online = b4.slider("Offline gain that shows up live (%)", 0, 100, int(round(float(saved.get("online_share", d["online_share"])) * 100)),
                       help="Offline tests flatter models: published online tests find 0-60% of an offline gain live; 20% is the median we use.")
    values = {"monthly_orders": monthly_orders, "order_value": order_value, "store_conversion": conv / 100,
              "widget_share": share / 100, "widget_ctr": ctr / 100, "click_to_order": c2o / 100, "online_share": online / 100}
    save_page_assumptions(ws, "recommendations", values)
    return values


def save_estimate(ws, estimate) -> bool:
    """The page's estimate for the Business value page (written only when it changed)."""
    from ecom_models.value.settings import save_page_estimate
    from ecom_models.value.valuation import value_details

    return save_page_estimate(ws, VALUE_NAMESPACE, value_details(estimate))
