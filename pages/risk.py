"""Risk & anomalies: which orders look like fraud or abuse (with reasons), which days something
broke, a review queue whose decisions train a model, and the money at stake."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.risk import scoring as A
from ecom_models.core.safe_export import csv_bytes
from ecom_ui import risk as R
from ecom_ui.common import (
    active_data,
    demo_store,
    guarded,
    money,
    number,
    page_header,
    require_data,
    workspace,
)

page_header("Risk & anomalies", "Orders that look like fraud or abuse, each with its reasons in words; days when "
            "sales broke down; and what reviewing the riskiest orders is worth. Computed on your own orders, offline.")

data = require_data("orders", "(order lines with order id, date, quantity and price)")
traffic = active_data("traffic")

with st.sidebar:
    st.subheader("Risk settings")
    flag_share = st.select_slider(
        "Share of orders to flag", options=[0.001, 0.002, 0.005, 0.01, 0.02, 0.05], value=0.01,
        format_func=lambda v: f"{v:.1%}",
        help="The riskiest share of orders is flagged for review. Raise it to catch more, lower it to review fewer.")
    threshold = st.slider("Daily alert sensitivity (lower = more alerts)", 3.0, 6.0, 4.0, 0.5,
                          help="How far a day must be from its expected value, in robust standard deviations, "
                               "before it raises an alert. 4 raises about one false alert per year per metric.")

result = guarded(R.order_risk, data.key, data.df, flag_share)
if result is None:
    st.stop()
currency = result.currency
orders_df = result.orders
flagged = result.flagged
labels = A.load_labels(workspace())
for w in result.warnings:
    st.warning(w, icon="⚠️")

tab_orders, tab_days, tab_review, tab_money = st.tabs(
    ["Risky orders", "Daily alerts", "Review & labels", "Money at stake"])

# ------------------------------------------------------------------------------------------------
with tab_orders:
    st.header("Risky orders")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Orders scored", number(len(orders_df)),
              help="Every order with at least one sale line, guest checkouts included. Cancellations, returns "
                   "and fees are not orders to score.")
    c2.metric("Flagged for review", number(len(flagged)),
              help=f"The riskiest {flag_share:.1%} of orders (change it in the sidebar).")
    c3.metric("Value of flagged orders", money(flagged["order_value"].clip(lower=0).sum(), currency),
              help="What the flagged orders are worth: the money at risk if they are fraudulent.")
    guests = int(orders_df["customer_id"].isna().sum())
    c4.metric("Guest orders scored", number(guests),
              help="Orders without a customer id are scored on the order alone (no customer history).")

    st.markdown("Each order gets a **risk score from 0 to 1**: the share of your orders that look *less* unusual. "
                "Three detectors look at it (Isolation Forest, ECOD and a rare-signals count); their ranks are "
                "averaged. The reasons say what stands out, compared with your own store.")

    st.subheader("How good is the score?")
    fraud_labels = {o for o, v in labels.items() if v == "fraud"}
    labelled_here = orders_df["order_id"].isin(labels.keys())
    n_fraud_here = int(orders_df["order_id"].isin(fraud_labels).sum())
    n_fine_here = int(labelled_here.sum()) - n_fraud_here
    evaluation, eval_note = None, ""
    if data.is_demo:
        truth = demo_store().truth["fraud_order_ids"]
        evaluation = A.evaluate(result, truth, k=50)
        eval_note = (f"Checked against the demo store's {len(truth)} planted fraudulent orders, which the detectors "
                     "never saw. Precision in the top 50: of the 50 riskiest orders, the share that really is fraud.")
    elif n_fraud_here >= 5 and n_fine_here >= 5:
        k = int(min(50, max(5, labelled_here.sum() // 3)))
        evaluation = A.evaluate(result, fraud_labels, k=k, only_ids=list(labels))
        eval_note = (f"Checked against your {int(labelled_here.sum())} review decisions (the detectors never see "
                     "them). Decisions mostly cover flagged orders, so treat this as a rough check.")
    if evaluation is None:
        st.info("No known answers yet, so the score cannot be checked on your store. Mark flagged orders as fraud "
                "or fine in **Review & labels**: the check appears here once 5 of each are marked.", icon="ℹ️")
    else:
        show = pd.DataFrame({
            "Detector": evaluation["name"],
            "ROC-AUC": [f"{v:.3f} ({lo:.3f}–{hi:.3f})" for v, lo, hi in
                        zip(evaluation["roc_auc"], evaluation["roc_auc_low"], evaluation["roc_auc_high"])],
            f"Precision in top {int(evaluation['k'].iloc[0])}": [
                f"{p:.0%} ({lo:.0%}–{hi:.0%})" for p, lo, hi in
                zip(evaluation["precision_at_k"], evaluation["precision_low"], evaluation["precision_high"])],
        })
        st.dataframe(show, hide_index=True, width="stretch")
        ev = evaluation.set_index("detector")
        better = ev.loc["ensemble", "roc_auc"] > ev.loc["baseline", "roc_auc"]
        top_precision = evaluation["precision_at_k"].max()
        leaders = evaluation.loc[evaluation["precision_at_k"] == top_precision, "name"].tolist()
        st.markdown(
            f"**{'The ensemble wins against the baseline' if better else 'The simple baseline wins'}**: ROC-AUC "
            f"{ev.loc['ensemble', 'roc_auc']:.3f} against {ev.loc['baseline', 'roc_auc']:.3f} for checking the "
            "biggest orders first. ROC-AUC is the chance that a fraudulent order is ranked above a normal one "
            f"(0.5 = coin toss, 1 = perfect). Highest precision in the top {int(evaluation['k'].iloc[0])}: "
            f"{top_precision:.0%}, reached by {', '.join(leaders)}. The ensemble is used for the flags because no "
            "single detector wins on every store.")
        st.caption(eval_note + " Intervals: 95%.")

    st.subheader("Flagged orders, riskiest first")
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
    st.download_button("Download all scores (CSV)",
                       csv_bytes(orders_df[["order_id", "order_date", "customer_id", "country", "order_value", "score", "flag"]]
                                 .assign(reasons=["; ".join(r) for r in orders_df["reasons"]])),
                       file_name="order_risk_scores.csv", mime="text/csv")

    counts = R.reason_counts(flagged)
    if not counts.empty:
        st.subheader("What made orders stand out")
        fig = go.Figure(go.Bar(x=counts["orders"], y=counts["signal"], orientation="h", marker_color="indianred"))
        fig.update_layout(height=60 + 32 * len(counts), margin=dict(l=10, r=10, t=10, b=10),
                          xaxis_title="Flagged orders with this reason", yaxis=dict(autorange="reversed"))
        st.plotly_chart(fig, width="stretch")

# ------------------------------------------------------------------------------------------------
with tab_days:
    st.header("Daily alerts")
    st.markdown("Each day's revenue, orders, average order value and conversion are compared with what was "
                "expected: the typical level of the two weeks before and after, adjusted for the day of the week. "
                "A day far outside that range raises an alert, with the money involved.")
    seg_choice = st.radio("Also check", ["Whole store only", "Largest countries", "Largest channels"],
                          horizontal=True,
                          help="Segments with at least 25 orders a day on average are checked too; smaller ones "
                               "are too noisy.")
    segment = {"Whole store only": None, "Largest countries": "country", "Largest channels": "channel"}[seg_choice]
    traffic_df = traffic.df if traffic is not None else None
    alerts = guarded(R.day_alerts, data.key, data.df, traffic.key if traffic is not None else "",
                     traffic_df, segment, threshold)
    if alerts is not None:
        for note in alerts.attrs.get("notes", []):  # dates left out of the daily index
            st.caption("ℹ️ " + note)
        days = A.daily_scores(alerts)
        flagged_alerts = alerts[alerts["flag"]]
        drop_money = flagged_alerts[(flagged_alerts["metric"] == "revenue") & (flagged_alerts["segment"] == "all")
                                    & (flagged_alerts["deviation_money"] < 0)]["deviation_money"].sum()
        d1, d2, d3 = st.columns(3)
        d1.metric("Days checked", number(len(days)), help="Every calendar day in the data, days without orders included.")
        d2.metric("Days with an alert", number(int(days["flag"].sum())),
                  help="Days on which at least one figure was outside its expected range.")
        d3.metric("Revenue missing on drop days", money(-drop_money, currency),
                  help="Expected revenue minus actual revenue, added up over the days whose revenue dropped below range.")
        if traffic is None:
            st.caption("No traffic file loaded: conversion is not checked. Upload daily sessions on the Data page.")
        segments = list(dict.fromkeys(alerts["segment"]))
        col_a, col_b = st.columns(2)
        metric = col_a.selectbox("Figure", [m for m in A.METRICS if m in set(alerts["metric"])],
                                 format_func=lambda m: A.METRICS[m])
        seg = col_b.selectbox("Segment", segments, format_func=lambda s: "Whole store" if s == "all" else s)
        st.plotly_chart(R.day_chart(alerts, metric, seg), width="stretch")
        if flagged_alerts.empty:
            st.success("No day was outside its expected range.")
        else:
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
        with st.expander("Does the seasonal baseline beat a simple one? (tested on your history)"):
            st.caption("We remove 40% of the orders on 20 random days of your history and count how many of "
                       "those days each method spots. Takes a few seconds.")
            run_check = st.toggle("Run the test", key="risk_day_check")
            check = guarded(R.daily_method_check, data.key, data.df, threshold) if run_check else None
            if check is not None:
                c = check.set_index("method")
                st.dataframe(pd.DataFrame({
                    "Method": check["name"],
                    "Planted drops found": [f"{f} of {p}" for f, p in zip(check["found"], check["planted"])],
                    "Other days alerted": check["other_alerts"],
                }), hide_index=True, width="stretch")
                win = "seasonal" if c.loc["seasonal", "found"] >= c.loc["flat", "found"] else "flat"
                st.markdown(f"**{'The seasonal baseline' if win == 'seasonal' else 'The simple overall median'} "
                            f"finds more breakages.** We removed 40% of the orders on {int(c.loc['seasonal', 'planted'])} "
                            "random days of your history and checked which method spots those days.")

# ------------------------------------------------------------------------------------------------
with tab_review:
    st.header("Review queue")
    st.markdown("Mark flagged orders as **fraud** or **fine**. Decisions are saved in your workspace. With enough of "
                "them, a model learns from your decisions and is compared with the unsupervised score.")
    queue = orders_df[orders_df["flag"] | orders_df["order_id"].isin(labels.keys())].head(300)
    editor = pd.DataFrame({
        "Order": queue["order_id"],
        "Decision": queue["order_id"].map(lambda o: labels.get(o, "not reviewed")),
        "Value": queue["order_value"].round(2),
        "Risk score": queue["score"],
        "Why": ["; ".join(r) if r else "" for r in queue["reasons"]],
    })
    edited = st.data_editor(
        editor, hide_index=True, width="stretch", height=380, key="risk_editor",
        disabled=["Order", "Value", "Risk score", "Why"],
        column_config={"Decision": st.column_config.SelectboxColumn(
            options=["not reviewed", "fraud", "fine"], required=True, help="Your decision for this order"),
            "Value": st.column_config.NumberColumn(format="%.2f", help=f"Order value in {currency}"),
            "Risk score": st.column_config.NumberColumn(format="%.4f"),
            "Why": st.column_config.TextColumn(width="large")})
    b1, b2, b3 = st.columns(3)
    if b1.button("Save decisions", type="primary", key="risk_save"):
        ws = workspace()
        changed = 0
        for oid, decision in zip(edited["Order"], edited["Decision"]):
            decision = decision if decision in A.LABELS else None
            if labels.get(oid) != decision:
                A.save_label(ws, oid, decision)
                changed += 1
        st.toast(f"Saved {changed} decision(s).")
        st.rerun()
    if data.is_demo and b2.button("Simulate a reviewer (demo only)", key="risk_simulate",
                                  help="Marks the 150 riskiest demo orders using the demo's planted answers, "
                                       "to show what happens once you have labels."):
        ws = workspace()
        truth = set(demo_store().truth["fraud_order_ids"])
        for oid in orders_df["order_id"].head(150):
            A.save_label(ws, oid, "fraud" if oid in truth else "fine")
        st.rerun()
    if labels and b3.button("Clear all decisions", key="risk_clear"):
        ws = workspace()
        for oid in list(labels):
            A.save_label(ws, oid, None)
        st.rerun()

    with st.expander("Look inside an order"):
        pick = st.selectbox("Order", queue["order_id"].tolist(), key="risk_inspect",
                            help="The lines of a flagged order, with each product's usual price and quantity.")
        if pick is not None:
            st.dataframe(R.order_lines(data.df, pick, data.key), hide_index=True, width="stretch")
            row = orders_df.loc[orders_df["order_id"] == pick].iloc[0]
            st.text("\n".join(f"• {r}" for r in row["reasons"]) or "No reason listed (not flagged).")

    st.subheader("Model trained on your decisions")
    ready, need = A.label_readiness({o: v for o, v in labels.items() if o in set(orders_df["order_id"])})
    r1, r2 = st.columns(2)
    r1.metric("Orders reviewed", number(len(labels)), help="Decisions saved in this workspace.")
    r2.metric("Marked as fraud", number(sum(v == "fraud" for v in labels.values())),
              help="Orders you confirmed as fraudulent.")
    if not ready:
        st.info(f"Not enough decisions yet: {need}", icon="ℹ️")
    else:
        comp = guarded(R.label_model, data.key, flag_share, tuple(sorted(labels.items())), result, labels)
        if comp is not None:
            t = comp.table
            st.dataframe(pd.DataFrame({
                "Score": t["name"],
                f"Precision in top {comp.k}": [f"{p:.0%} ({lo:.0%}–{hi:.0%})" for p, lo, hi in
                                               zip(t["precision_at_k"], t["precision_low"], t["precision_high"])],
                "ROC-AUC": [f"{v:.3f}" for v in t["roc_auc"]],
            }), hide_index=True, width="stretch")
            winner = A.DETECTOR_NAMES[comp.winner]
            tie = t.iloc[0]["precision_at_k"] == t.iloc[1]["precision_at_k"]
            st.markdown(f"**{winner} wins** on held-out decisions"
                        f"{' (same precision; decided by ROC-AUC)' if tie else ''}: each order is scored by a model trained on the "
                        f"other {comp.folds - 1} of {comp.folds} parts of your decisions ({comp.n_labels} orders, "
                        f"{comp.n_fraud} fraud). Precision in top {comp.k}: of the {comp.k} orders each score ranks "
                        "riskiest, the share you marked as fraud. Intervals: 95%.")

# ------------------------------------------------------------------------------------------------
with tab_money:
    st.header("Money at stake")
    saved = workspace().get("risk.assumptions", "default", {}) or {}
    m1, m2 = st.columns(2)
    capacity = m1.slider("Orders your team can review per day", 1, 50,
                         int(min(50, max(1, saved.get("capacity_per_day", 5)))),
                         help="How many of the riskiest orders someone checks before shipping each day.")
    loss_share = m2.slider("Share of a fraud order's value you would lose", 50, 150,
                           int(min(150, max(50, round(100 * saved.get("loss_share", 1.0)) // 5 * 5))), 5,
                           format="%d%%",
                           help="Goods shipped plus chargeback fees. 100% = the whole order value.") / 100
    chosen = {"capacity_per_day": float(capacity), "loss_share": float(loss_share)}
    if {k: saved.get(k) for k in chosen} != chosen:  # remembered for the Business value page
        workspace().put("risk.assumptions", "default", chosen)
    mv = A.money_view(result, capacity, loss_share=loss_share, labels=labels)
    # the same figure as the Business value page's risk row (ecom_models.value.valuation.risk_value)
    est, curve = R.loss_prevented(data.key, data.df, result, capacity, loss_share, labels)
    k1, k2, k3 = st.columns(3)
    k1.metric("Value of flagged orders", money(mv.value_at_risk, currency),
              help="Total value of the orders flagged in the Risky orders tab. Not a loss: most flagged orders "
                   "turn out fine; the loss a review would prevent is the figure on the right.")
    k2.metric("Orders reviewed per month", number(capacity * 30.44),
              help="Your review capacity over an average month, riskiest orders first.")
    k3.metric("Loss prevented per month (estimate)", money(est.monthly_value, currency),
              help=f"90% range {money(est.monthly_low, currency)} to {money(est.monthly_high, currency)}. A published "
                   "base rate of fraud (updated by your decisions) × the share of synthetic fraud that your review "
                   "queue catches on your own orders × order value × the share of value lost. The same figure as the "
                   "Business value page.")
    st.caption(f"Evidence: {est.evidence}. {est.note} {mv.labelled_orders:,} of the {mv.reviewed_orders:,} orders "
               f"reviewed over {mv.days:.0f} days carry a decision.")
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
    st.plotly_chart(fig, width="stretch")
    st.caption("Each extra review catches less: the curve reads the share of synthetic fraud caught at each "
               "capacity off the same test of the detector on your orders. Without decisions the range is wide "
               "(the base rate of fraud is a published prior); mark reviewed orders to narrow it.")
