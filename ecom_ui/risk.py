"""Cached work and the drawing of the Risk & anomalies page: scores from the results store (with
the background run's progress while they are made), daily alerts, the review decisions, charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.risk import pipeline as P
from ecom_models.risk.daily import METRICS, compare_daily_methods, daily_anomalies
from ecom_models.risk.features import sale_lines
from ecom_models.risk.labels import compare_with_labels
from ecom_models.risk.scoring import RiskResult, reflag


# Order scores live in the results store (computed once per dataset, in the background when
# the Data page saved the orders) and are decoded once per process with cache_resource: a
# result is about 40 MB for 80k orders and cache_data would unpickle a copy on every rerun.
# Nothing here mutates a result (reflag works on a copy), so sharing one object is safe.
@st.cache_resource(show_spinner=False, max_entries=4)
def _decoded(key: str, _doc) -> RiskResult:
    return P.risk_from_store(_doc)


def scored(key: str, orders: pd.DataFrame) -> RiskResult:
    """Every order scored; while the scoring runs, the page shows its progress and stops."""
    from ecom_models.workspace import runs
    from ecom_ui import jobs
    from ecom_ui.common import results

    store = results()
    doc = P.risk_document(store, key)
    if doc is not None:
        return _decoded(key, doc)

    # in a worker process: scoring is Python-heavy and would slow every session's pages
    work = P.risk_task(store.ws, key, orders)
    run = jobs.ensure(P.risk_key(key), "Risk scores", work, group=key,
                      ready=lambda: P.risk_is_stored(store, key))
    doc = P.risk_document(store, key)
    if doc is not None:  # finished already (inline runs in page tests)
        return _decoded(key, doc)
    if run.status != runs.FAILED:
        st.info("Scoring every order with three detectors (first time for this data only; the scores are kept "
                "in your workspace).", icon=":material/hourglass_top:")
    jobs.follow(run)
    st.stop()


@st.cache_resource(show_spinner=False, max_entries=12)
def _reflagged(key: str, contamination: float, _scored: RiskResult) -> RiskResult:
    return reflag(_scored, contamination)


def order_risk(key: str, orders: pd.DataFrame, contamination: float) -> RiskResult:
    """Scores are computed once per dataset (keyed on its content hash); a new flag share only
    redoes flags and reasons."""
    return _reflagged(key, contamination, scored(key, orders))


@st.cache_resource(show_spinner=False, max_entries=4)
def _scores_csv(key: str, contamination: float, ws_path: str, hidden: bool, _result: RiskResult) -> bytes:
    from ecom_models.core.safe_export import csv_bytes
    from ecom_models.risk import export_frame
    from ecom_ui.identities import show_ids

    return csv_bytes(show_ids(export_frame(_result)))


def scores_csv(key: str, contamination: float, result: RiskResult) -> bytes:
    """Every order's scores as CSV, with the merchant's own ids unless hidden: made once per data,
    flag share and switch position (80k lines took a second of the server on every rerun). Not
    made on click: the page reruns every 2 s while its checks run, and a deferred download was lost."""
    from ecom_models.workspace import get_hide_identities
    from ecom_ui.common import workspace

    ws = workspace()
    hidden = bool(get_hide_identities(ws))
    return _scores_csv(key, contamination, str(ws.path), hidden, result)


@st.cache_data(show_spinner="Checking every day…", max_entries=6)
def day_alerts(key: str, _orders: pd.DataFrame, traffic_key: str, _traffic: pd.DataFrame | None,
               segment: str | None, threshold: float) -> pd.DataFrame:
    return daily_anomalies(_orders, _traffic, segment=segment, threshold=threshold)


@st.cache_data(show_spinner="Testing the daily alerts on your history…", max_entries=4)
def daily_method_check(key: str, _orders: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return compare_daily_methods(_orders, threshold=threshold)


@st.cache_resource(show_spinner="Training on your review decisions…", max_entries=4)
def label_model(key: str, contamination: float, labels_key: tuple, _result: RiskResult, _labels: dict):
    return compare_with_labels(_result, _labels)


@st.cache_data(show_spinner=False, max_entries=4)
def _usual(key: str, _orders: pd.DataFrame) -> pd.DataFrame:
    lines = sale_lines(_orders)
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
                      yaxis_title=METRICS[metric])
    if metric == "conversion":
        fig.update_yaxes(tickformat=".1%")
    return fig


def catch_evidence(key: str, orders: pd.DataFrame):
    """How much synthetic fraud the review queue catches on these orders (shared with the
    Business value page; any review capacity is read off the same scored copy), kept in the
    results store. Measured in a worker process by the risk run, after the scores; None while it
    is being measured (the run's progress is shown)."""
    from ecom_models.workspace import runs
    from ecom_ui import jobs
    from ecom_ui.common import results

    store = results()
    found = P.stored_catch(store, key)
    if found is not None:
        return found
    run = jobs.ensure(P.risk_key(key), "Risk scores", P.risk_task(store.ws, key, orders), group=key,
                      ready=lambda: P.risk_is_stored(store, key) and P.catch_is_stored(store, key))
    found = P.stored_catch(store, key)  # inline runs (page tests) have finished by now
    if found is None:
        if run.status != runs.FAILED:
            st.info("Testing the detector on synthetic fraud in a copy of your orders (once for this data; the "
                    "result is kept in your workspace).", icon=":material/hourglass_top:")
        jobs.follow(run, run.stage)
    return found


def loss_prevented(key: str, orders: pd.DataFrame, result: RiskResult, capacity: float, loss_share: float,
                   labels: dict | None, capacities=(1, 2, 3, 5, 8, 10, 15, 20, 30, 40, 50)):
    """The Business value page's risk row at this capacity, and the same by capacity (curve), or
    None while the test on synthetic fraud is still running: a published base rate of fraud (updated by the decisions) x the share of synthetic fraud the
    queue catches on these orders (ecom_models.value.valuation.risk_value)."""
    from ecom_models.risk.inject import at_capacity, risk_evidence
    from ecom_models.value.valuation import risk_value

    found = catch_evidence(key, orders)
    if found is None:
        return None
    catch = at_capacity(found, capacity)
    ev = risk_evidence(orders, capacity, labels=labels or None, result=result, catch=catch)
    est = risk_value(ev, loss_share=loss_share, capacity_per_day=capacity)
    rows = []
    for c in capacities:
        e = risk_value(ev, loss_share=loss_share, capacity_per_day=c)
        rows.append({"capacity": c, "monthly": e.monthly_value, "low": e.monthly_low, "high": e.monthly_high})
    return est, pd.DataFrame(rows)


# -- drawing --------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=8)
def _evaluation(key: str, decisions: tuple, truth: tuple | None, _result: RiskResult):
    from ecom_models.risk.evaluation import evaluate_for

    return evaluate_for(_result, dict(decisions), truth=list(truth) if truth is not None else None)


def show_score_check(key: str, result: RiskResult, labels: dict, truth=None) -> None:
    """How good the score is: against the demo store's planted fraud (`truth`) or the merchant's
    decisions, with ROC-AUC and precision in the top k; a hint when there is nothing to check.
    Once per data and set of decisions: ranking 80k orders' scores for four detectors on every run
    took the server about 4 s of CPU over a five-session walk."""
    from ecom_models.risk.evaluation import evaluation_summary

    evaluation, source, decided = _evaluation(
        key, tuple(sorted(labels.items())), tuple(sorted(map(str, truth))) if truth is not None else None, result)
    if evaluation is None:
        st.info("No known answers yet, so the score cannot be checked on your store. Mark flagged orders as fraud "
                "or fine in **Review & labels**: the check appears here once 5 of each are marked.", icon="ℹ️")
        return
    if source == "truth":
        note = (f"Checked against the demo store's {len(truth)} planted fraudulent orders, which the detectors "
                "never saw. Precision in the top 50: of the 50 riskiest orders, the share that really is fraud.")
    else:
        note = (f"Checked against your {decided} review decisions (the detectors never see "
                "them). Decisions mostly cover flagged orders, so treat this as a rough check.")
    s = evaluation_summary(evaluation)
    st.dataframe(pd.DataFrame({
        "Detector": evaluation["name"],
        "ROC-AUC": [f"{v:.3f} ({lo:.3f}–{hi:.3f})" for v, lo, hi in
                    zip(evaluation["roc_auc"], evaluation["roc_auc_low"], evaluation["roc_auc_high"])],
        f"Precision in top {s['k']}": [
            f"{p:.0%} ({lo:.0%}–{hi:.0%})" for p, lo, hi in
            zip(evaluation["precision_at_k"], evaluation["precision_low"], evaluation["precision_high"])],
    }), hide_index=True, width="stretch")
    st.markdown(
        f"**{'The ensemble wins against the baseline' if s['ensemble_wins'] else 'The simple baseline wins'}**: ROC-AUC "
        f"{s['ensemble_auc']:.3f} against {s['baseline_auc']:.3f} for checking the "
        "biggest orders first. ROC-AUC is the chance that a fraudulent order is ranked above a normal one "
        f"(0.5 = coin toss, 1 = perfect). Highest precision in the top {s['k']}: "
        f"{s['top_precision']:.0%}, reached by {', '.join(s['leaders'])}. The ensemble is used for the flags because no "
        "single detector wins on every store.")
    st.caption(note + " Intervals: 95%.")


def show_flagged(flagged: pd.DataFrame, labels: dict, currency: str) -> None:
    """The three riskiest orders with their reasons, then every flagged order in a table."""
    from ecom_ui.common import money
    from ecom_ui.identities import show_ids

    flagged = show_ids(flagged)  # the merchant's own customer ids, unless hidden
    for row in flagged.head(3).itertuples(index=False):
        with st.container(border=True):
            who = "guest checkout" if pd.isna(row.customer_id) else f"customer {row.customer_id}"
            st.text(f"Order {row.order_id} · {pd.Timestamp(row.order_date):%Y-%m-%d %H:%M} · {who} · "
                    f"{money(row.order_value, currency)} · risk score {row.score:.4f}")
            st.text("\n".join(f"• {r}" for r in row.reasons))
    table = pd.DataFrame({
        "Order": flagged["order_id"],
        "Why": ["; ".join(r) for r in flagged["reasons"]],
        "Value": flagged["order_value"].round(2),
        "Risk score": flagged["score"],
        "Placed": flagged["order_date"],
        "Customer": flagged["customer_id"].fillna("guest"),
        "Country": flagged["country"],
        "Review": flagged["order_id"].map(lambda o: labels.get(o, "—")),
    })
    st.dataframe(table, hide_index=True, width="stretch", height=380,
                 column_config={"Why": st.column_config.TextColumn(width="large"),
                                "Value": st.column_config.NumberColumn(format="%.2f", help=f"Order value in {currency}"),
                                "Risk score": st.column_config.NumberColumn(format="%.4f"),
                                "Placed": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def reasons_chart(counts: pd.DataFrame) -> go.Figure:
    """Bars: how many flagged orders carry each kind of reason (scoring.reason_counts)."""
    fig = go.Figure(go.Bar(x=counts["orders"], y=counts["signal"], orientation="h", marker_color="indianred"))
    fig.update_layout(height=60 + 32 * len(counts), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis_title="Flagged orders with this reason", yaxis=dict(autorange="reversed"))
    return fig


def show_alert_days(days: pd.DataFrame, flagged_alerts: pd.DataFrame, currency: str) -> None:
    """The days with an alert, newest first, and the alerts as a CSV download."""
    from ecom_models.core.safe_export import csv_bytes

    st.subheader("Days with an alert")
    show = days[days["flag"]].sort_values("date", ascending=False)
    st.dataframe(pd.DataFrame({
        "Day": show["date"].dt.strftime("%a %Y-%m-%d"),
        "What happened": ["; ".join(r) for r in show["reasons"]],
        "Revenue against expected": show["deviation_money"].round(0),
    }), hide_index=True, width="stretch", height=300,
        column_config={"What happened": st.column_config.TextColumn(width="large"),
                       "Revenue against expected": st.column_config.NumberColumn(
                           format="%.0f", help=f"In {currency}: the day's revenue minus its expected revenue "
                                               "(whole store); negative = sales lost")})
    st.download_button("Download all alerts (CSV)", csv_bytes(flagged_alerts),
                       file_name="daily_alerts.csv", mime="text/csv")


def show_method_check(check: pd.DataFrame) -> None:
    """The seasonal-vs-flat baseline test on the store's history (compare_daily_methods)."""
    from ecom_models.risk.daily import better_daily_method

    c = check.set_index("method")
    st.dataframe(pd.DataFrame({
        "Method": check["name"],
        "Planted drops found": [f"{f} of {p}" for f, p in zip(check["found"], check["planted"])],
        "Other days alerted": check["other_alerts"],
    }), hide_index=True, width="stretch")
    win = better_daily_method(check)
    st.markdown(f"**{'The seasonal baseline' if win == 'seasonal' else 'The simple overall median'} "
                f"finds more breakages.** We removed 40% of the orders on {int(c.loc['seasonal', 'planted'])} "
                "random days of your history and checked which method spots those days.")


def show_label_comparison(comp) -> None:
    """The model trained on the decisions against the unsupervised score (a LabelComparison)."""
    from ecom_models.risk.scoring import DETECTOR_NAMES

    t = comp.table
    st.dataframe(pd.DataFrame({
        "Score": t["name"],
        f"Precision in top {comp.k}": [f"{p:.0%} ({lo:.0%}–{hi:.0%})" for p, lo, hi in
                                       zip(t["precision_at_k"], t["precision_low"], t["precision_high"])],
        "ROC-AUC": [f"{v:.3f}" for v in t["roc_auc"]],
    }), hide_index=True, width="stretch")
    winner = DETECTOR_NAMES[comp.winner]
    st.markdown(f"**{winner} wins** on held-out decisions"
                f"{' (same precision; decided by ROC-AUC)' if comp.tie else ''}: each order is scored by a model trained on the "
                f"other {comp.folds - 1} of {comp.folds} parts of your decisions ({comp.n_labels} orders, "
                f"{comp.n_fraud} fraud). Precision in top {comp.k}: of the {comp.k} orders each score ranks "
                "riskiest, the share you marked as fraud. Intervals: 95%.")


def loss_curve_chart(curve: pd.DataFrame, capacity: float, currency: str) -> go.Figure:
    """Loss prevented per month (estimate and plausible range) by review capacity."""
    fig = go.Figure([
        go.Scatter(x=curve["capacity"], y=curve["high"], mode="lines", line=dict(width=0), showlegend=False,
                   hoverinfo="skip"),
        go.Scatter(x=curve["capacity"], y=curve["low"], mode="lines", fill="tonexty",
                   fillcolor="rgba(46,139,87,0.15)", line=dict(width=0), name="Plausible range"),
        go.Scatter(x=curve["capacity"], y=curve["monthly"], mode="lines+markers", line=dict(color="seagreen"),
                   name="Estimate"),
    ])
    fig.add_vline(x=capacity, line_dash="dot", line_color="grey")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="Orders reviewed per day",
                      yaxis_title=f"Loss prevented per month ({currency})", legend=dict(orientation="h", y=1.1))
    return fig


# -- the review assumptions, shared with the Business value page ----------------------------------
def saved_assumptions(ws) -> dict[str, float]:
    from ecom_models.value.settings import load_page_assumptions

    return load_page_assumptions(ws, "risk")


def save_assumptions(ws, values: dict) -> bool:
    """Kept (only when changed) for the Business value page."""
    from ecom_models.value.settings import save_page_assumptions

    return save_page_assumptions(ws, "risk", values)
