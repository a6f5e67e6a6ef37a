import streamlit as st

from ecom_ui.common import page_header

page_header("images", "Coming soon.")
st.info("This page is being built.")
