"""Streamlit helpers shared by the pages. All logic lives in ecom_models; this is UI glue."""
