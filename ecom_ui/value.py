"""Cached work for the Business value page: each model's lever once per dataset, the summary
once per set of edits, the report files once per summary.

Levers go through the workspace's results store (ecom_models.workspace.results), keyed by the datasets'
content hashes, the settings and the app version: a restart or another session reads the
stored evidence and estimate and prices it again (no model is fitted). st.cache_resource keeps
them in memory on top; summaries and report bytes go through st.cache_data.
"""

from __future__ import annotations

import json

import streamlit as st

from ecom_models.core.stats import finite
from ecom_models.value import settings
from ecom_models.value import summary as V

NAMESPACE = "value.assumptions"


VALUE_VERSION = 2  # bump when a valuation or the shape of its evidence changes
RESULT_KIND = "value.lever"


@st.cache_resource(show_spinner=False, max_entries=24)
def lever(model: str, key: str, _orders, _other=None, _third=None, _labels=None) -> V.Lever:
    """One model's lever. `key` must identify every input (content hashes, labels): it keys the
    results store, so a stored lever is only ever read back for the same data and settings."""
    store = rkey = None
    try:
        from ecom_ui.common import results

        store = results()
        rkey = store.key(RESULT_KIND, [model, key], version=VALUE_VERSION)
        doc = store.get(RESULT_KIND, rkey)
        if doc is not None:
            return V.lever_from_store(doc)
    except Exception:  # a store that cannot be read only costs a recomputation
        store = None
    found = _compute(model, key, _orders, _other, _third, _labels)
    if store is not None and found.estimate is not None:  # failures are retried, not kept
        try:
            store.put(RESULT_KIND, rkey, V.lever_to_store(found))
        except Exception:
            pass
    return found


def _compute(model: str, key: str, _orders, _other=None, _third=None, _labels=None) -> V.Lever:
    if model == "recommendations":  # the Recommendations page's kept report (results store)
        return V.lever_recommendations(_orders, report=_kept("recommendations", key.split("|")[0], _orders))
    if model == "forecasting":  # the Forecast page's kept default forecast (results store)
        return V.lever_forecasting(_orders, result=_kept("forecasting", key.split("|")[0], _orders))
    if model == "risk":
        result = None
        if _labels:  # decisions are placed in or out of the review queue with the store's own scores
            try:  # the Risk page's kept scores (results store), computed once for both pages
                from ecom_models.risk.pipeline import risk_scores
                from ecom_ui.common import results

                result = risk_scores(results(), key.split("|")[0], _orders)
            except Exception:
                result = None
        catch = None
        try:  # one test of the detector per dataset, shared with the Risk page
            from ecom_ui.risk import catch_evidence

            catch = catch_evidence(key.split("|")[0], _orders)
        except Exception:
            catch = None
        return V.lever_risk(_orders, labels=_labels, result=result, catch=catch)
    if model == "abtest":
        return V.lever_abtest(_other, _orders, _third)
    if model == "reviews":
        analysis = _third() if callable(_third) else _third  # loaded lazily: only when not cached
        return V.lever_reviews(_other, _orders, analysis=analysis)
    if model == "images":
        return V.lever_images(_other, _third, _orders)
    return V.Lever(model, problem="Unknown model.", source="missing")


def _kept(model: str, data_key: str, orders):
    """The model page's result for the same data from the results store (computed and kept
    there if missing, or waited for if a background run is making it); None if that fails,
    and the lever then computes its own."""
    try:
        from ecom_models.forecast import pipeline as forecast_pipeline
        from ecom_models.recommend import pipeline as recommend_pipeline
        from ecom_ui.common import results

        if model == "recommendations":
            return recommend_pipeline.recommendations_for_value(results(), data_key, orders)
        from ecom_ui.common import active_data

        # the traffic the Forecast page uses, so that its kept forecast is the one found
        return forecast_pipeline.default_forecast(results(), data_key, orders, traffic=active_data("traffic"))
    except Exception:
        return None


@st.cache_resource(show_spinner=False, max_entries=2)
def demo_photo_folder() -> str | None:
    """The demo store's photos (written once to the cache folder)."""
    try:
        from ecom_models.demo.images import default_folder, demo_images

        demo_images()
        return str(default_folder(42))
    except Exception:
        return None


@st.cache_data(show_spinner=False, max_entries=16)
def summary(key: str, _levers: dict, overrides_json: str, ab_replaces: str | None, costs: tuple,
            monthly_net_revenue: float = float("nan")) -> V.ValueSummary:
    return V.summarise(_levers, json.loads(overrides_json), ab_replaces, V.CostInputs(*costs),
                       monthly_net_revenue=monthly_net_revenue)


@st.cache_data(show_spinner=False, max_entries=8)
def net_revenue(key: str, _orders) -> float:
    """The store's monthly net revenue (every share of revenue on the page is of this)."""
    return float(V.store_figures(_orders)["monthly_net_revenue"])


@st.cache_data(show_spinner=False, max_entries=8)
def report_file(key: str, _summary: V.ValueSummary, store_name: str, kind: str) -> bytes:
    """One report file (html | pdf | csv) for this summary, kept per summary key."""
    return make_report(_summary, store_name, kind)


def make_report(_summary: V.ValueSummary, store_name: str, kind: str) -> bytes:
    """One report file (html | pdf | csv), uncached: safe to call from a download's own thread."""
    from ecom_models.value import report as RP

    if kind == "html":
        return RP.report_html(_summary, store_name).encode("utf-8")
    if kind == "pdf":
        return RP.report_pdf(_summary, store_name)
    return RP.report_csv(_summary)


def saved_review_analysis(ws, reviews):
    """The Reviews page's stored analysis of these reviews, if any (saved under the data key)."""
    if reviews is None:
        return None
    try:  # the Reviews page's in-memory result first (same data key), then its saved one
        from ecom_ui.reviews import _memory

        found = _memory().get(reviews.key)
        if found is not None:
            return found
    except Exception:
        pass
    try:
        from ecom_models.reviews.store import load_analysis

        return load_analysis(ws, reviews.key, reviews.df)
    except Exception:
        return None


def page_assumptions(ws) -> dict[str, dict[str, float]]:
    """The assumptions the models' own pages saved: this page starts from them, so a number the
    merchant set on the Recommendations page is the same here. Our own edits win."""
    return settings.all_page_assumptions(ws)


def effective_overrides(ws, own: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The models' own pages' assumptions, updated with the edits made on this page."""
    merged = page_assumptions(ws)
    for model, values in own.items():
        merged[model] = {**merged.get(model, {}), **values}
    return merged


def load_settings(ws) -> tuple[dict, V.CostInputs, str]:
    """(overrides per model, costs, A/B link) from the workspace; bad saved values are ignored."""
    overrides = ws.get(NAMESPACE, "overrides", {}) or {}
    if not isinstance(overrides, dict):
        overrides = {}
    overrides = {m: {k: float(v) for k, v in d.items() if finite(v)} for m, d in overrides.items() if isinstance(d, dict)}
    c = ws.get(NAMESPACE, "costs", {}) or {}
    try:
        costs = V.CostInputs(float(c.get("monthly_cost", 0.0)), float(c.get("setup_cost", 0.0)),
                             float(c.get("gross_margin", 0.4)))
    except (TypeError, ValueError, AttributeError):
        costs = V.CostInputs()
    ab = ws.get(NAMESPACE, "ab_replaces", "auto") or "auto"
    return overrides, costs, str(ab)
