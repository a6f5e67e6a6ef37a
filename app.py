"""Ecom Value Lab: entry point. Sets up the page, the navigation and shared state only."""

import streamlit as st

st.set_page_config(page_title="Ecom Value Lab", page_icon="📈", layout="wide")

PAGES = {
    "Your store": [
        st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
        st.Page("pages/data.py", title="Data & workspace", icon="📂"),
    ],
    "AI models": [
        st.Page("pages/recommendations.py", title="Recommendations", icon="🛒"),
        st.Page("pages/reviews.py", title="Reviews", icon="💬"),
        st.Page("pages/images.py", title="Product images", icon="🖼️"),
        st.Page("pages/risk.py", title="Risk & anomalies", icon="🛡️"),
        st.Page("pages/forecast.py", title="Forecast & what-if", icon="🔮"),
    ],
    "Decisions": [
        st.Page("pages/ab_tests.py", title="A/B tests", icon="⚖️"),
        st.Page("pages/business_value.py", title="Business value", icon="💰"),
    ],
}

st.session_state.setdefault("use_demo", True)
navigation = st.navigation(PAGES)
navigation.run()
