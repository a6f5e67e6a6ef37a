"""Customers: what each one is worth, who is slipping away, whom to win back; checked on the
store's own held-out quarter."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import streamlit as st

from ecom_models.core.safe_export import csv_bytes
from ecom_ui import customers as C
from ecom_ui.common import guarded, money, money_column, number, page_header, pct, require_data

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


MONEY = money_column(cur)


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
k[2].metric(f"Expected to buy in {h} days", pct(float(c["p_active"].mean())),
            help=f"The share of your customers expected to buy at least once in the next {h} days (the average of "
                 "each customer's chance).")
k[3].metric("Typical days between purchases",
            number(result.median_days_between) if result.median_days_between is not None else "–",
            help="Median days between one purchase and the next, over customers who came back.")

st.header("Segments")
seg = result.segments
st.dataframe(seg.drop(columns=["rule"]).rename(columns={
                 "segment": "Segment", "customers": "Customers", "share": "Share", "total_spend": "Spend so far",
                 "expected_spend": f"Expected spend ({h} d)"}),
             hide_index=True, column_config={"Share": st.column_config.NumberColumn(format="percent"),
                                             "Customers": st.column_config.NumberColumn(format="localized"),
                                             "Spend so far": MONEY, f"Expected spend ({h} d)": MONEY})
# the rules in full, below the table: in a table column they were cut off mid-sentence
st.markdown("\n".join(f"- **{r.segment}**: {r.rule}" for r in seg.itertuples()))

st.header("Every customer")
table = C.customer_table(result, fmt)
f1, f2 = st.columns([1, 2])
segment = f1.selectbox("Segment", ["All segments", *seg["segment"]], key="customers_segment")
query = f2.text_input("Find a customer", key="customers_find", placeholder="Part of a customer id")
found = C.find_customers(table, None if segment == "All segments" else segment, query)
if found.empty:
    st.info("No customer matches: check the id, or choose All segments.", icon=":material/search:")
st.dataframe(found.head(C.SHOWN), hide_index=True, height=320,
             column_config={f"Chance of buying in {h} days": st.column_config.NumberColumn(format="percent"),
                            f"Expected purchases ({h} d)": st.column_config.NumberColumn(format="%.2f"),
                            f"Expected spend ({h} d)": MONEY, "Total spend": MONEY,
                            "80% range": st.column_config.TextColumn(help=(
                                "8 times in 10 the spend falls in this range. It starts at 0 for most customers (a purchase is not "
                                "certain); 'unlikely to buy' means 8 in 10 spend nothing, while the expected spend, an "
                                "average, is above 0."))})

more = f"the {C.SHOWN:,} with the highest expected spend of {len(found):,}" if len(found) > C.SHOWN else \
    f"{len(found):,} customer{'s' if len(found) != 1 else ''}"
st.caption(f"Showing {more}, highest expected spend first. Pick a segment or type part of an id to find others; "
           "the download has every customer.")
export = C.customers_export(result)
st.download_button("Download every customer (CSV)", lambda: csv_bytes(export), file_name="customers.csv",
                   mime="text/csv", key="customers_download", icon=":material/download:")

st.header("Does the model beat simple rules?")
bt = result.backtest
if bt is None:
    st.info("Not enough history to hold out a quarter and check the predictions.", icon=":material/info:")
else:
    st.markdown(f"Fitted on the orders up to **{bt['cutoff']}**, then compared with what customers really did in "
                f"the {bt['holdout_days']} days after. **{bt['verdict']}**")
    st.dataframe(C.backtest_table(bt), hide_index=True, column_config={
        "Purchases: predicted vs actual": st.column_config.NumberColumn(format="%+.1f%%"),
        "Spend: predicted vs actual": st.column_config.NumberColumn(format="%+.1f%%"),
        "Error per customer (purchases)": st.column_config.NumberColumn(format="%.3f"),
        "Spend rank correlation": st.column_config.NumberColumn(format="%.3f"),
        "Top-10% capture": st.column_config.NumberColumn(format="percent"),
        "Spotting who lapses (AUC)": st.column_config.NumberColumn(format="%.3f")})
    st.caption("Predicted vs actual: how far the total predicted for the held-out days was from what customers "
               "really bought (+ too high, − too low). Past rate: each customer keeps their own past pace. Recency: the last period repeats, and the "
               "longest-gone are the likeliest to lapse. Top-10% capture: share of the held-out spend made by the "
               "10% predicted to spend most. AUC: 0.5 is chance, 1 is perfect.")

st.header("Retention")
left, right = st.columns([3, 2])
with left:
    st.markdown("**Share of each first-purchase month still buying, by months since**")
    if len(result.cohorts):
        st.plotly_chart(C.cohort_heatmap(result.cohorts), width="stretch")
with right:
    st.markdown("**Customers with a 2nd, 3rd, … purchase**")
    st.plotly_chart(C.repeat_chart(result.repeat), width="stretch")

st.header("Win-back list")
st.markdown("Customers who spent a lot and whose chance of buying has at least halved since their last purchase, "
            "ranked by the spend at stake over the next 90 days.")
w = C.winback_frame(result, data.key)
if w.empty:
    st.success("No valuable customer is slipping away right now.", icon=":material/check_circle:")
else:
    st.metric("Spend at stake", fmt(w["value_at_stake"].sum()), help="What these customers would spend at "
              "their usual pace over the next 90 days, minus what the models now expect them to spend.")
    shown = w.assign(**{c: w[c].round(2) for c in ("p_active", "chance_lost") if c in w})  # whole percents on screen
    st.dataframe(shown, hide_index=True, column_config={
        "customer_id": "Customer", "segment": "Segment", "total_spend": st.column_config.NumberColumn(
            "Spend so far", format="%.2f"), "purchases": "Purchases", "last_purchase": "Last purchase",
        "days_since": "Days since", "recommended_products": "Suggest",
        "p_active": st.column_config.NumberColumn(f"Chance of buying in {h} days", format="percent"),
        "chance_lost": st.column_config.NumberColumn("Chance lost since last purchase", format="percent"),
        "value_at_stake": st.column_config.NumberColumn("Spend at stake", format="%.2f"),
        "expected_spend_if_back": st.column_config.NumberColumn("Spend if won back", format="%.2f")})
    if "recommended_products" not in w:
        st.caption("Open the Recommendations page once to add three products to suggest to each customer.")
    st.download_button("Download the win-back list (CSV)", csv_bytes(w), file_name="winback.csv", mime="text/csv",
                       key="winback_download")
