"""Risk & anomalies: which orders look like fraud or abuse (with reasons), which days something
broke, a review queue whose decisions train a model, and the money at stake."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import pandas as pd
import streamlit as st

from ecom_models.risk import (
    DAYS_PER_MONTH,
    METRICS,
    clear_labels,
    daily_scores,
    label_known_answers,
    label_readiness,
    labels_in,
    load_labels,
    money_view,
    reason_counts,
    review_queue,
    revenue_missing,
    save_decisions,
)
from ecom_models.value import risk_split
from ecom_ui import risk as R
from ecom_ui.common import (
    active_data,
    demo_store,
    guarded,
    money,
    money_range,
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
labels = load_labels(workspace())
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
    R.show_score_check(data.key, result, labels, truth=demo_store().truth["fraud_order_ids"] if data.is_demo else None)

    st.subheader("Flagged orders, riskiest first")
    R.show_flagged(flagged, labels, currency)
    st.download_button("Download all scores (CSV)", R.scores_csv(data.key, flag_share, result), file_name="order_risk_scores.csv",
                       mime="text/csv")

    counts = reason_counts(flagged)
    if not counts.empty:
        st.subheader("What made orders stand out")
        st.plotly_chart(R.reasons_chart(counts), width="stretch")

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
        days = daily_scores(alerts)
        flagged_alerts = alerts[alerts["flag"]]
        d1, d2, d3 = st.columns(3)
        d1.metric("Days checked", number(len(days)), help="Every calendar day in the data, days without orders included.")
        d2.metric("Days with an alert", number(int(days["flag"].sum())),
                  help="Days on which at least one figure was outside its expected range.")
        d3.metric("Revenue missing on drop days", money(revenue_missing(alerts), currency),
                  help="Expected revenue minus actual revenue, added up over the days whose revenue dropped below range.")
        if traffic is None:
            st.caption("No traffic file loaded: conversion is not checked. Upload daily sessions on the Data page.")
        segments = list(dict.fromkeys(alerts["segment"]))
        col_a, col_b = st.columns(2)
        metric = col_a.selectbox("Figure", [m for m in METRICS if m in set(alerts["metric"])],
                                 format_func=lambda m: METRICS[m])
        seg = col_b.selectbox("Segment", segments, format_func=lambda s: "Whole store" if s == "all" else s)
        st.plotly_chart(R.day_chart(alerts, metric, seg), width="stretch")
        if flagged_alerts.empty:
            st.success("No day was outside its expected range.")
        else:
            R.show_alert_days(days, flagged_alerts, currency)
        with st.expander("Does the seasonal baseline beat a simple one? (tested on your history)"):
            st.caption("We remove 40% of the orders on 20 random days of your history and count how many of "
                       "those days each method spots. Takes a few seconds.")
            run_check = st.toggle("Run the test", key="risk_day_check")
            check = guarded(R.daily_method_check, data.key, data.df, threshold) if run_check else None
            if check is not None:
                R.show_method_check(check)

# ------------------------------------------------------------------------------------------------
with tab_review:
    st.header("Review queue")
    st.markdown("Mark flagged orders as **fraud** or **fine**. Decisions are saved in your workspace. With enough of "
                "them, a model learns from your decisions and is compared with the unsupervised score.")
    queue = review_queue(result, labels)
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
        changed = save_decisions(workspace(), labels, zip(edited["Order"], edited["Decision"]))
        st.toast(f"Saved {changed} decision(s).")
        st.rerun()
    if data.is_demo and b2.button("Simulate a reviewer (demo only)", key="risk_simulate",
                                  help="Marks the 150 riskiest demo orders using the demo's planted answers, "
                                       "to show what happens once you have labels."):
        label_known_answers(workspace(), orders_df["order_id"].head(150), demo_store().truth["fraud_order_ids"])
        st.rerun()
    if labels and b3.button("Clear all decisions", key="risk_clear"):
        clear_labels(workspace(), labels)
        st.rerun()

    with st.expander("Look inside an order"):
        pick = st.selectbox("Order", queue["order_id"].tolist(), key="risk_inspect",
                            help="The lines of a flagged order, with each product's usual price and quantity.")
        if pick is not None:
            st.dataframe(R.order_lines(data.df, pick, data.key), hide_index=True, width="stretch")
            row = orders_df.loc[orders_df["order_id"] == pick].iloc[0]
            st.text("\n".join(f"• {r}" for r in row["reasons"]) or "No reason listed (not flagged).")

    st.subheader("Model trained on your decisions")
    ready, need = label_readiness(labels_in(result, labels))
    r1, r2 = st.columns(2)
    r1.metric("Orders reviewed", number(len(labels)), help="Decisions saved in this workspace.")
    r2.metric("Marked as fraud", number(sum(v == "fraud" for v in labels.values())),
              help="Orders you confirmed as fraudulent.")
    if not ready:
        st.info(f"Not enough decisions yet: {need}", icon="ℹ️")
    else:
        comp = guarded(R.label_model, data.key, flag_share, tuple(sorted(labels.items())), result, labels)
        if comp is not None:
            R.show_label_comparison(comp)

# ------------------------------------------------------------------------------------------------
with tab_money:
    st.header("Money at stake")
    saved = R.saved_assumptions(workspace())
    m1, m2 = st.columns(2)
    capacity = m1.slider("Orders your team can review per day", 1, 50,
                         int(min(50, max(1, saved.get("capacity_per_day", 5)))),
                         help="How many of the riskiest orders someone checks before shipping each day.")
    loss_share = m2.slider("Share of a fraud order's value you would lose", 50, 150,
                           int(min(150, max(50, round(100 * saved.get("loss_share", 1.0)) // 5 * 5))), 5,
                           format="%d%%",
                           help="Goods shipped plus chargeback fees. 100% = the whole order value.") / 100
    R.save_assumptions(workspace(), {"capacity_per_day": capacity, "loss_share": loss_share})  # for Business value
    mv = money_view(result, capacity, loss_share=loss_share, labels=labels)
    # the same figure as the Business value page's risk row (ecom_models.value.valuation.risk_value)
    money_case = R.loss_prevented(data.key, data.df, result, capacity, loss_share, labels)
    if money_case is not None:  # else the test on synthetic fraud is still running (its progress is shown)
        est, curve = money_case
        k1, k2, k3 = st.columns(3)
        k1.metric("Value of flagged orders", money(mv.value_at_risk, currency),
                  help="Total value of the orders flagged in the Risky orders tab. Not a loss: most flagged orders "
                       "turn out fine; the loss a review would prevent is the figure on the right.")
        k2.metric("Orders reviewed per month", number(capacity * DAYS_PER_MONTH),
                  help="Your review capacity over an average month, riskiest orders first.")
        k3.metric("Loss prevented per month (estimate)", money(est.monthly_value, currency),
                  help=f"90% range {money_range(est.monthly_low, est.monthly_high, currency)}. A published "
                       "base rate of fraud (updated by your decisions) × the share of synthetic fraud that your review "
                       "queue catches on your own orders × order value × the share of value lost; with 30+ decisions, the "
                       "fraud you marked in the queue plus a chance of fraud by rank fitted on them for the rest. The same "
                       "figure as the Business value page.")
        if risk_split(est):
            st.text(risk_split(est))  # confirmed (measured) vs extrapolated, in one line
        st.caption(f"Evidence: {est.evidence}. {est.note} {mv.labelled_orders:,} of the {mv.reviewed_orders:,} orders "
                   f"reviewed over {mv.days:.0f} days carry a decision.")
        st.plotly_chart(R.loss_curve_chart(curve, capacity, currency), width="stretch")
        st.caption("Each extra review catches less: the curve reads the share of synthetic fraud caught at each "
                   "capacity off the same test of the detector on your orders. Without decisions the range is wide "
                   "(the base rate of fraud is a published prior); mark reviewed orders to narrow it.")
