"""Ecom Value Lab: entry point. Sets up the page, the navigation and shared state only."""

import os
import sys

import streamlit as st

# The server's event loop (and its health check) shares the GIL with every session's script thread and
# must win it back after each socket wait; a 1 ms switch interval (Python's default: 5 ms) hands it over
# sooner. Process-wide, so setting it on every run is harmless. Not measured on its own: the five-session
# figures in docs/speed.md were all taken with it.
sys.setswitchinterval(float(os.environ.get("ECOM_SWITCH_INTERVAL", "0.001")))

st.set_page_config(page_title="Ecom Value Lab", page_icon=":material/insights:", layout="wide")

PAGES = {
    "Your store": [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
        st.Page("pages/data.py", title="Data & workspace", icon=":material/upload_file:"),
    ],
    "AI models": [
        st.Page("pages/recommendations.py", title="Recommendations", icon=":material/shopping_cart:"),
        st.Page("pages/reviews.py", title="Reviews", icon=":material/reviews:"),
        st.Page("pages/images.py", title="Product images", icon=":material/image:"),
        st.Page("pages/risk.py", title="Risk & anomalies", icon=":material/shield:"),
        st.Page("pages/customers.py", title="Customers", icon=":material/groups:"),
        st.Page("pages/forecast.py", title="Forecast & what-if", icon=":material/trending_up:"),
        st.Page("pages/customer_service.py", title="Customer service", icon=":material/support_agent:"),
    ],
    "Decisions": [
        st.Page("pages/ab_tests.py", title="A/B tests", icon=":material/science:"),
        st.Page("pages/business_value.py", title="Business value", icon=":material/payments:"),
    ],
}

st.session_state.setdefault("use_demo", True)
from ecom_ui.background import warm_workers  # noqa: E402

warm_workers()  # once per server: worker processes for the model runs start loading their libraries
navigation = st.navigation(PAGES)
from ecom_ui.identities import sidebar_switch

sidebar_switch()  # "Hide customer identities", on every page
navigation.run()
