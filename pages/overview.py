"""Overview (home): the store's KPIs against the previous period, trend, top lists, data quality.

Must stay light: no model imports here (the home page never loads TensorFlow).
"""

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import pandas as pd
import streamlit as st

from ecom_models.overview import (
    SEGMENT_COLUMNS,
    default_period,
    filter_orders,
    revenue_trend,
    segment_kpis,
    segment_options,
    top_by,
)
from ecom_ui.common import (
    active_data,
    money,
    number,
    page_header,
    pct,
    require_data,
    store_currency,
)

page_header("Your store at a glance", "Sales, customers and data quality, compared with the period before.")

orders_data = require_data("orders", "(an order-lines export from Shopify, WooCommerce, Amazon or any shop system)")
orders = orders_data.df
traffic_data = active_data("traffic")
traffic = traffic_data.df if traffic_data is not None else None
currency = store_currency()


# Everything below is computed once per data, period and segments, and shared by every session: on
# the demo store's 179k lines these filters and groupings took the server about 1.7 s of CPU per visit,
# and with five people opening the home page at once the server's health check waited behind them.
@st.cache_data(show_spinner=False, max_entries=8)
def _choices(orders_key, _orders):
    return default_period(_orders), segment_options(_orders)


@st.cache_data(show_spinner=False, max_entries=32)
def _views(orders_key, start, end, freq, segments_key, _orders):
    segmented = filter_orders(_orders, **dict(segments_key))
    period_lines = filter_orders(segmented, start, end)
    before = start - pd.Timedelta(days=(end - start).days + 1)  # the previous period, as long as this one
    trend = revenue_trend(filter_orders(segmented, before, end), freq, end=end)
    return (trend, top_by(period_lines, "category", 8), top_by(period_lines, "product_id", 10),
            top_by(period_lines, "country", 10))


(first_day, default_start, last_sale, last_day), options = _choices(orders_data.key, orders)
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1.2, 1.2, 1.2])
    period = c1.date_input("Period", value=(default_start, last_sale), min_value=first_day, max_value=last_day,
                           help="KPIs cover this period and compare it with the same number of days just before.")
    boxes = dict(zip(SEGMENT_COLUMNS, (c2, c3, c4)))
    segments = {column: boxes[column].multiselect(column.capitalize(), values, placeholder="All")
                for column, values in options.items()}
if not isinstance(period, (tuple, list)) or len(period) != 2:
    st.info("Pick an end date for the period.")
    st.stop()
start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])


@st.cache_data(show_spinner=False, max_entries=32)
def _kpis(_orders, _traffic, orders_key, traffic_key, start, end, segments_key):
    # the frames are not hashed (large); their content keys are, so a new traffic file counts
    return segment_kpis(_orders, _traffic, start, end, dict(segments_key))


segments_key = tuple(sorted((k, tuple(v)) for k, v in segments.items()))
kpis = _kpis(orders, traffic, orders_data.key, traffic_data.key if traffic_data is not None else None, start, end,
             segments_key)
days = (end - start).days + 1
st.subheader(f"{start:%d %b %Y} – {end:%d %b %Y}", help=f"Changes compare with the previous {days} days.")
cols = st.columns(4)
for i, kpi in enumerate(kpis):
    if kpi.kind == "money":
        value = money(kpi.value, currency)
    elif kpi.kind == "rate":
        value = pct(kpi.value)
    else:
        value = number(kpi.value)
    delta = None
    if kpi.kind == "rate" and kpi.value is not None and kpi.previous is not None and not pd.isna(kpi.previous):
        delta = f"{(kpi.value - kpi.previous) * 100:+.1f} pts vs previous {days} days"  # rates move in points
    elif kpi.change is not None:
        delta = f"{kpi.change * 100:+.1f}% vs previous {days} days"
    bad_when_up = kpi.key in ("cancel_rate", "return_rate")
    cols[i % 4].metric(kpi.label, value, delta, delta_color="inverse" if bad_when_up else "normal", help=kpi.help,
                       border=True)
if traffic is None:
    st.caption("Conversion needs a traffic file (date, sessions): add one on the Data page.")

freq = "D" if days <= 62 else "W"
trend, top_categories, products, countries = _views(orders_data.key, start, end, freq, segments_key, orders)
left, right = st.columns([3, 2])
with left:
    # Streamlit's built-in (Vega-Lite) charts: the home page then never loads Plotly's large bundle.
    st.markdown(f"**{'Daily' if freq == 'D' else 'Weekly'} net revenue** (this period and the one before; "
                f"the period starts {start:%d %b})")
    st.area_chart(trend.set_index("period")[["revenue"]].rename(columns={"revenue": f"Net revenue ({currency})"}),
                  height=300, x_label="", y_label=f"Net revenue ({currency})")
with right:
    if not top_categories.empty:
        st.markdown("**Top categories**")
        # horizontal: x_label names the category axis (drawn vertically), y_label the values
        st.bar_chart(top_categories.set_index("category")[["revenue"]], horizontal=True, height=300,
                     x_label="", y_label=f"Net revenue ({currency})", sort="-revenue")
    else:
        st.info("The file has no category column, so there is no category breakdown.")

c1, c2 = st.columns(2)
with c1:
    st.markdown("**Top products**")
    st.dataframe(products, hide_index=True, width="stretch",
                 column_config={"revenue": st.column_config.NumberColumn("Net revenue", format="%.0f"),
                                "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1),
                                "product_id": "Product", "product_name": "Name", "orders": "Orders"})
with c2:
    st.markdown("**Top countries**")
    if countries.empty:
        st.info("The file has no country column.")
    else:
        st.dataframe(countries, hide_index=True, width="stretch",
                     column_config={"revenue": st.column_config.NumberColumn("Net revenue", format="%.0f"),
                                    "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0, max_value=1),
                                    "country": "Country", "orders": "Orders"})

st.subheader("Data quality", help="What was found in the file and how it was handled. Details on the Data page.")
counts = orders["line_type"].value_counts()
dupes = int(orders["is_duplicate"].sum())
q = st.columns(5)
q[0].metric("Order lines", number(len(orders)), help="Usable lines read from the orders file.")
q[1].metric("Cancelled lines", number(counts.get("cancellation", 0)), help="Kept as negative lines; they lower net revenue.")
q[2].metric("Returned lines", number(counts.get("return", 0)), help="Refunds and returns; they lower net revenue.")
q[3].metric("Non-product lines", number(counts.get("non_product", 0)), help="Postage, fees and adjustments: not product sales.")
q[4].metric("Duplicate lines", number(dupes), help="Exact repeats of another line, counted once.")
if not orders_data.is_demo:
    from ecom_ui.common import workspace

    info = workspace().active_dataset("orders")
    if info is not None and info.report.get("quirks"):
        st.caption("Quirks found: " + ", ".join(f"{qk['label'].lower()} ({qk['count']:,})" for qk in info.report["quirks"]))
