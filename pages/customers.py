"""Customers: what each one is worth, who is slipping away, whom to win back; checked on the
store's own held-out quarter."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import streamlit as st

from ecom_models.core.safe_export import csv_bytes
from ecom_ui import customers as C
from ecom_ui.common import guarded, money, number, page_header, pct, require_data

page_header("Customers", "What each customer is likely to buy next, who is slipping away, and whom to win back. "
            "Fitted on your own orders (BG/NBD for purchases, Gamma-Gamma for spend) and checked on your last quarter.")

data = require_data("orders", "(order lines with a customer id, a date and an amount)")

with st.sidebar:
    st.subheader("Customer settings")
    horizon = st.radio("Predict the next", [90, 180, 365], format_func=lambda d: f"{d} days", horizontal=True,
                       key="customers_horizon")

result = guarded(C.analysis, data.key, data.df, 90)
if result is None:
    st.stop()
h = 90
cur = data.df["currency"].dropna().iloc[0] if "currency" in data.df and data.df["currency"].notna().any() else None


def fmt(v):
    return money(v, cur)


c = result.customers
for note in result.notes:
    st.caption(note)

st.header("Your customers")
k = st.columns(4)
k[0].metric("Customers with an id", number(len(c)), help="Guest checkouts have no id and cannot be followed.")
k[1].metric(f"Expected spend, next {horizon} days", fmt(c[f"expected_spend_{horizon}"].sum()),
            help="Sum over customers of the spend the models expect; new customers are not included.")
k[2].metric(f"Likely to buy in {h} days", pct(float((c["p_active"] >= 0.5).mean())),
            help=f"Share of customers with at least a 50% chance of buying in the next {h} days.")
k[3].metric("Typical days between purchases",
            number(result.median_days_between) if result.median_days_between is not None else "–",
            help="Median days between one purchase and the next, over customers who came back.")
if result.guest_orders:
    st.caption(f"{result.guest_orders:,} guest orders without a customer id are left out.")

st.header("Segments")
seg = result.segments
st.dataframe(seg.rename(columns={"segment": "Segment", "rule": "Rule", "customers": "Customers", "share": "Share",
                                 "total_spend": "Spend so far", "expected_spend": f"Expected spend ({h} d)"}),
             hide_index=True, column_config={"Share": st.column_config.NumberColumn(format="percent")})

st.header("Every customer")
st.dataframe(C.customer_table(result, fmt), hide_index=True, height=320,
             column_config={f"Chance of buying in {h} days": st.column_config.NumberColumn(format="percent")})

st.header("Does the model beat simple rules?")
bt = result.backtest
if bt is None:
    st.info("Not enough history to hold out a quarter and check the predictions.", icon=":material/info:")
else:
    st.markdown(f"Fitted on the orders up to **{bt['cutoff']}**, then compared with what customers really did in "
                f"the {bt['holdout_days']} days after. **{bt['verdict']}**")
    st.dataframe(C.backtest_table(bt), hide_index=True, column_config={
        "Purchases: predicted vs actual": st.column_config.NumberColumn(format="percent"),
        "Spend: predicted vs actual": st.column_config.NumberColumn(format="percent")})
    st.caption("Past rate: each customer keeps their own past pace. Recency: the last period repeats, and the "
               "longest-gone are the likeliest to lapse. Top-10% capture: share of the held-out spend made by the "
               "10% predicted to spend most. AUC: 0.5 is chance, 1 is perfect.")

st.header("Retention")
left, right = st.columns([3, 2])
with left:
    st.markdown("**Share of each first-purchase month still buying, by months since**")
    if len(result.cohorts):
        st.plotly_chart(C.cohort_heatmap(result.cohorts), use_container_width=True)
with right:
    st.markdown("**Customers with a 2nd, 3rd, … purchase**")
    st.plotly_chart(C.repeat_chart(result.repeat), use_container_width=True)

st.header("Win-back list")
st.markdown("Customers who spent a lot and whose chance of buying has at least halved since their last purchase, "
            "ranked by the spend at stake over the next 90 days.")
w = C.winback_frame(result, data.key)
if w.empty:
    st.success("No valuable customer is slipping away right now.", icon=":material/check_circle:")
else:
    st.metric("Spend at stake", fmt(w["value_at_stake"].sum()), help="What these customers would spend at "
              "their usual pace over the next 90 days, minus what the models now expect them to spend.")
    st.dataframe(w, hide_index=True, column_config={
        "p_active": st.column_config.NumberColumn("Chance of buying", format="percent"),
        "chance_lost": st.column_config.NumberColumn("Chance lost", format="percent")})
    if "recommended_products" not in w:
        st.caption("Open the Recommendations page once to add three products to suggest to each customer.")
    st.download_button("Download the win-back list (CSV)", csv_bytes(w), file_name="winback.csv", mime="text/csv",
                       key="winback_download")
