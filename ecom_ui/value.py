"""Cached work for the Business value page: each model's lever once per dataset, the summary
once per set of edits, the report files once per summary.

Levers go through the workspace's results store (`ecom_models.value.pipeline`: kind `value.lever`,
keyed by the datasets' content hashes, the settings and the app version): a restart or another
session reads the stored evidence and estimate and prices it again (no model is fitted).
st.cache_resource keeps them in memory on top; summaries and report bytes go through st.cache_data.
"""

from __future__ import annotations

import json

import streamlit as st

from ecom_models.value import (TITLES, WHAT_IT_MEASURES, CostInputs, Lever, ValueSummary, report_csv, report_html, report_pdf,
                               store_figures, summarise)
from ecom_models.value import pipeline


@st.cache_resource(show_spinner=False, max_entries=24)
def lever(model: str, key: str, _orders, _other=None, _third=None, _labels=None) -> Lever:
    """One model's lever. `key` must identify every input (content hashes, labels): it keys the
    results store, so a stored lever is only ever read back for the same data and settings."""
    from ecom_ui.common import active_data, results

    try:
        store = results()
    except Exception:  # a store that cannot be opened only costs a recomputation
        store = None
    return pipeline.lever(store, model, key, _orders, _other, _third, _labels,
                          forecast_traffic=lambda: active_data("traffic"))


@st.cache_resource(show_spinner=False, max_entries=2)
def demo_photo_folder() -> str | None:
    """The demo store's photos (written once to the cache folder)."""
    try:
        from ecom_models.demo.images import ensure_demo_photos

        return str(ensure_demo_photos(42))
    except Exception:
        return None


def lever_inputs(ws, orders, *, reviews=None, experiment=None, traffic=None) -> tuple[list, str]:
    """Each lever's inputs and key (ecom_models.value.pipeline.lever_inputs), with the demo store's
    photos and products next to the demo orders; and the key of them all (`ready_key`)."""
    products = None
    if orders.is_demo:
        from ecom_ui.common import demo_store

        products = demo_store().products
    jobs = pipeline.lever_inputs(orders, reviews=reviews, experiment=experiment, traffic=traffic,
                                 labels=pipeline.decided_labels(ws),
                                 photo_folder=demo_photo_folder() if orders.is_demo else None, products=products,
                                 review_analysis=lambda: pipeline.saved_review_analysis(ws, reviews))
    return jobs, pipeline.ready_key(jobs)


def all_levers(jobs, ready_key: str) -> dict[str, Lever]:
    """Each job's lever (cached). The first time this set of inputs is seen in the session, a status
    box shows each model as it is valued."""
    if st.session_state.get("value_ready") == ready_key:
        return {model: lever(model, key, *args, **kw) for model, key, args, kw in jobs}
    levers = {}
    with st.status("Putting a money value on each model (first visit only: one to two minutes)…",
                   expanded=True) as status:
        for model, key, args, kw in jobs:
            line = st.empty()
            line.markdown(f"⏳ {TITLES[model]}: {WHAT_IT_MEASURES[model]}…")
            levers[model] = done = lever(model, key, *args, **kw)
            line.markdown(f"{'✅' if done.estimate is not None else '➖'} {TITLES[model]}"
                          + (f" ({done.seconds:.0f} s)" if done.seconds >= 1 else ""))
        # No count here: the page's "Models counted" is the one count of models (ValueSummary.models_counted);
        # this box only saw the models valued on this page, not the estimates saved by their own pages.
        status.update(label="Models valued on this data (✅ valued, ➖ needs more data); the results are kept, so the "
                            "next visit is instant.", state="complete", expanded=False)
    st.session_state["value_ready"] = ready_key
    return levers


def summary_for(ready_key: str, levers: dict[str, Lever], effective: dict, ab_replaces: str | None, costs: CostInputs,
                monthly_net_revenue: float) -> tuple[str, ValueSummary]:
    """(its key, the summary) for these levers and edits, computed once per key."""
    key = pipeline.summary_key(ready_key, effective, costs, ab_replaces, levers)
    return key, summary(key, levers, json.dumps(effective), ab_replaces,
                        (costs.monthly_cost, costs.setup_cost, costs.gross_margin), monthly_net_revenue)


@st.cache_data(show_spinner=False, max_entries=16)
def summary(key: str, _levers: dict, overrides_json: str, ab_replaces: str | None, costs: tuple,
            monthly_net_revenue: float = float("nan")) -> ValueSummary:
    return summarise(_levers, json.loads(overrides_json), ab_replaces, CostInputs(*costs),
                     monthly_net_revenue=monthly_net_revenue)


@st.cache_data(show_spinner=False, max_entries=8)
def net_revenue(key: str, _orders) -> float:
    """The store's monthly net revenue (every share of revenue on the page is of this)."""
    return float(store_figures(_orders)["monthly_net_revenue"])


@st.cache_data(show_spinner=False, max_entries=8)
def report_file(key: str, _summary: ValueSummary, store_name: str, kind: str) -> bytes:
    """One report file (html | pdf | csv) for this summary, kept per summary key."""
    return make_report(_summary, store_name, kind)


def make_report(_summary: ValueSummary, store_name: str, kind: str) -> bytes:
    """One report file (html | pdf | csv), uncached: safe to call from a download's own thread."""
    if kind == "html":
        return report_html(_summary, store_name).encode("utf-8")
    if kind == "pdf":
        return report_pdf(_summary, store_name)
    return report_csv(_summary)


def styled_rows(table, colours):
    """The rows table with each row's evidence colour on its 'Based on' cell."""
    return table.style.apply(lambda col: [f"border-left: 6px solid {c}; color: {c}; font-weight: 600" for c in colours]
                             if col.name == "Based on" else [""] * len(col))
