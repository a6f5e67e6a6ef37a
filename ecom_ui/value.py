"""Cached work for the Business value page: each model's lever once per dataset, the summary
once per set of edits, the report files once per summary.

Levers go through the workspace's results store (`ecom_models.value.pipeline`: kind `value.lever`,
keyed by the datasets' content hashes, the settings and the app version): a restart or another
session reads the stored evidence and estimate and prices it again (no model is fitted). Missing
ones are valued by one run in a worker process (`pipeline.levers_task`), whichever session asked
first; the last few sets stay in memory on top; summaries and report bytes go through st.cache_data.
"""

from __future__ import annotations

import json

import streamlit as st

from ecom_models.value import (TITLES, CostInputs, Lever, ValueSummary, report_csv, report_html, report_pdf,
                               store_figures, summarise)
from ecom_models.value import pipeline


@st.cache_resource(show_spinner=False)
def _levers_memory() -> dict:
    """Levers of the last few sets of inputs, shared by every session (objects, priced from evidence)."""
    return {}


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


def all_levers(ws, jobs, ready_key: str, reviews=None) -> dict[str, Lever]:
    """Each job's lever: kept in the results store, else valued by one run in a worker process for
    every session asking (the page shows its progress and stops until it ends). The first time this
    set of inputs is seen in the session, a status box lists each model as valued or not."""
    from ecom_models.value import compute
    from ecom_models.workspace import runs
    from ecom_ui import jobs as J
    from ecom_ui.common import active_data, results

    mem = _levers_memory()
    levers = mem.get((str(ws.folder), ws.name, ready_key))
    if levers is None:
        store = results()
        levers = {model: pipeline.stored_lever(store, model, key) for model, key, _, _ in jobs}
        if any(lv is None for lv in levers.values()):
            run_id = pipeline.levers_run_key(ws, ready_key)

            def ready() -> bool:
                current = runs.get(run_id)
                return current is not None and current.has_value

            traffic = active_data("traffic")  # the Forecast page's: its kept forecast is the one found
            task = pipeline.levers_task(
                ws, jobs, reviews=pipeline.Data(reviews.key, reviews.df) if reviews is not None else None,
                forecast_traffic=pipeline.Data(traffic.key, traffic.df) if traffic is not None else None)
            run = J.ensure(run_id, pipeline.LABEL, task, group=jobs[0][1], ready=ready)
            if not (run.status == runs.DONE and run.has_value):
                if run.status != runs.FAILED:
                    st.info("Putting a money value on each model (first visit only: one to two minutes; the results "
                            "are kept in your workspace).", icon=":material/hourglass_top:")
                J.follow(run)
                st.stop()
            levers = {model: compute.lever_from_store(doc) for model, doc in run.value.items()}
        while len(mem) >= 4:
            mem.pop(next(iter(mem)))
        mem[(str(ws.folder), ws.name, ready_key)] = levers
    if st.session_state.get("value_ready") != ready_key:
        # No count here: the page's "Models counted" is the one count of models (ValueSummary.models_counted);
        # this box only saw the models valued on this page, not the estimates saved by their own pages.
        with st.status("Models valued on this data (✅ valued, ➖ needs more data); the results are kept, so the "
                       "next visit is instant.", state="complete", expanded=False):
            for model, lv in levers.items():
                st.markdown(f"{'✅' if lv.estimate is not None else '➖'} {TITLES[model]}"
                            + (f" ({lv.seconds:.0f} s)" if lv.seconds >= 1 else ""))
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
