"""Cached work and small drawing helpers for the Risk & anomalies page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.risk import scoring as A

SIGNAL_WORDS = {
    "size": "Unusually large order",
    "quantity": "Bulk quantity",
    "price": "Price far below usual",
    "discount": "Deep discount",
    "velocity": "Many orders in a short time",
    "newness": "New customer",
    "country": "Rare country",
    "channel": "Rare channel",
    "hour": "Unusual hour",
    "weekday": "Unusual weekday",
}


# Order scores live in the results store (computed once per dataset, in the background when
# the Data page saved the orders) and are decoded once per process with cache_resource: a
# result is about 40 MB for 80k orders and cache_data would unpickle a copy on every rerun.
# Nothing here mutates a result (reflag works on a copy), so sharing one object is safe.
@st.cache_resource(show_spinner=False, max_entries=4)
def _decoded(key: str, _doc) -> A.RiskResult:
    from ecom_models.risk.pipeline import risk_from_store

    return risk_from_store(_doc)


def scored(key: str, orders: pd.DataFrame) -> A.RiskResult:
    """Every order scored; while the scoring runs, the page shows its progress and stops."""
    from ecom_models.risk import pipeline as P
    from ecom_models.workspace import runs
    from ecom_ui import jobs
    from ecom_ui.common import results

    store = results()
    doc = store.get("risk.scores", P.risk_key(key))
    if doc is not None:
        return _decoded(key, doc)

    def work(run):
        P.risk_scores(store, key, orders, run=run)

    run = jobs.ensure(P.risk_key(key), "Risk scores", work, group=key,
                      ready=lambda: store.has("risk.scores", P.risk_key(key)))
    doc = store.get("risk.scores", P.risk_key(key))
    if doc is not None:  # finished already (inline runs in page tests)
        return _decoded(key, doc)
    if run.status != runs.FAILED:
        st.info("Scoring every order with three detectors (first time for this data only; the scores are kept "
                "in your workspace).", icon=":material/hourglass_top:")
    jobs.follow(run)
    st.stop()


@st.cache_resource(show_spinner=False, max_entries=12)
def _reflagged(key: str, contamination: float, _scored: A.RiskResult) -> A.RiskResult:
    return A.reflag(_scored, contamination)


def order_risk(key: str, orders: pd.DataFrame, contamination: float) -> A.RiskResult:
    """Scores are computed once per dataset (keyed on its content hash); a new flag share only
    redoes flags and reasons."""
    return _reflagged(key, contamination, scored(key, orders))


@st.cache_data(show_spinner="Checking every day…", max_entries=6)
def day_alerts(key: str, _orders: pd.DataFrame, traffic_key: str, _traffic: pd.DataFrame | None,
               segment: str | None, threshold: float) -> pd.DataFrame:
    return A.daily_anomalies(_orders, _traffic, segment=segment, threshold=threshold)


@st.cache_data(show_spinner="Testing the daily alerts on your history…", max_entries=4)
def daily_method_check(key: str, _orders: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return A.compare_daily_methods(_orders, threshold=threshold)


@st.cache_resource(show_spinner="Training on your review decisions…", max_entries=4)
def label_model(key: str, contamination: float, labels_key: tuple, _result: A.RiskResult, _labels: dict):
    return A.compare_with_labels(_result, _labels)


@st.cache_data(show_spinner=False, max_entries=4)
def _usual(key: str, _orders: pd.DataFrame) -> pd.DataFrame:
    lines = A.sale_lines(_orders)
    return lines.groupby("product_id").agg(usual_price=("unit_price", "median"), usual_quantity=("quantity", "median"))


def order_lines(orders: pd.DataFrame, order_id: str, key: str = "") -> pd.DataFrame:
    """The order's lines (all line types) with each product's usual price and quantity."""
    lines = orders[orders["order_id"].astype("str") == str(order_id)]
    usual = _usual(key or str(len(orders)), orders)
    out = pd.DataFrame({
        "Product": lines["product_name"].fillna(lines["product_id"]),
        "Line": lines["line_type"],
        "Quantity": lines["quantity"],
        "Usual quantity": lines["product_id"].map(usual["usual_quantity"]),
        "Unit price": lines["unit_price"],
        "Usual price": lines["product_id"].map(usual["usual_price"]).round(2),
        "Line total": lines["revenue"],
    })
    return out.reset_index(drop=True)


def reason_counts(flagged: pd.DataFrame) -> pd.DataFrame:
    """How often each kind of signal appears among the flagged orders' reasons."""
    signals = [s for row in flagged["reason_signals"] for s in dict.fromkeys(row)]
    counts = pd.Series(signals, dtype="str").value_counts()
    return pd.DataFrame({"signal": [SIGNAL_WORDS.get(s, s) for s in counts.index], "orders": counts.to_numpy()})


def day_chart(alerts: pd.DataFrame, metric: str, segment: str) -> go.Figure:
    d = alerts[(alerts["metric"] == metric) & (alerts["segment"] == segment)].sort_values("date")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d["date"], y=d["upper"], mode="lines", line=dict(width=0), showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=d["date"], y=d["lower"], mode="lines", fill="tonexty",
                             fillcolor="rgba(100,149,237,0.2)", line=dict(width=0), name="Expected range"))
    fig.add_trace(go.Scatter(x=d["date"], y=d["expected"], line=dict(color="cornflowerblue", dash="dot", width=1),
                             name="Expected"))
    fig.add_trace(go.Scatter(x=d["date"], y=d["actual"], line=dict(color="#444", width=1.2), name="Actual"))
    f = d[d["flag"]]
    fig.add_trace(go.Scatter(x=f["date"], y=f["actual"], mode="markers", name="Alert",
                             marker=dict(color=np.where(f["direction"] == "drop", "crimson", "darkorange"), size=9),
                             text=f["explanation"], hovertemplate="%{x|%a %d %b %Y}<br>%{text}<extra></extra>"))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.1),
                      yaxis_title=A.METRICS[metric])
    if metric == "conversion":
        fig.update_yaxes(tickformat=".1%")
    return fig


@st.cache_resource(show_spinner="Testing the detector on synthetic fraud in a copy of your orders…", max_entries=4)
def catch_evidence(key: str, _orders: pd.DataFrame):
    """How much synthetic fraud the review queue catches on these orders (shared with the
    Business value page; any review capacity is read off the same scored copy). Kept in the
    results store: a restart does not score the injected copy again."""
    from dataclasses import asdict

    from ecom_models.risk.inject import measure_catch
    from ecom_models.core.evidence import CatchEvidence

    def back(doc):
        return CatchEvidence(**doc)

    try:
        from ecom_ui.common import results

        return results().get_or_compute("risk.catch", [key, 5.0, 60], lambda: measure_catch(_orders, 5.0),
                                        to_store=asdict, from_store=back, version=1)
    except Exception:  # a store that cannot be used only costs the measurement
        return measure_catch(_orders, 5.0)


def loss_prevented(key: str, orders: pd.DataFrame, result: A.RiskResult, capacity: float, loss_share: float,
                   labels: dict | None, capacities=(1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50)):
    """The Business value page's risk row at this capacity, and the same by capacity (curve):
    a published base rate of fraud (updated by the decisions) x the share of synthetic fraud the
    queue catches on these orders (ecom_models.value.valuation.risk_value)."""
    from ecom_models.risk.inject import at_capacity, risk_evidence
    from ecom_models.value.valuation import risk_value

    catch = at_capacity(catch_evidence(key, orders), capacity)
    ev = risk_evidence(orders, capacity, labels=labels or None, result=result, catch=catch)
    est = risk_value(ev, loss_share=loss_share, capacity_per_day=capacity)
    rows = []
    for c in capacities:
        e = risk_value(ev, loss_share=loss_share, capacity_per_day=c)
        rows.append({"capacity": c, "monthly": e.monthly_value, "low": e.monthly_low, "high": e.monthly_high})
    return est, pd.DataFrame(rows)


def capacity_curve(result: A.RiskResult, loss_share: float, labels: dict | None = None,
                   capacities=(1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50)) -> pd.DataFrame:
    """Loss prevented per month (with its range) by review capacity."""
    rows = []
    for c in capacities:
        mv = A.money_view(result, c, loss_share=loss_share, labels=labels)
        rows.append({"capacity": c, "monthly": mv.monthly_loss_prevented, "low": mv.monthly_low,
                     "high": mv.monthly_high})
    return pd.DataFrame(rows)
