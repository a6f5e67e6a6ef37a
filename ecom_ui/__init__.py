"""Streamlit helpers shared by the pages. All logic lives in ecom_models; this is UI glue."""


def _use_the_apps_navigation() -> None:
    """Make a deep link work as the first request after a server start.

    Streamlit decides once per process whether the app is an old-style multipage app by
    checking for a `pages/` folder next to app.py, before any script has run. Ours has one
    (the layout names it), so until app.py calls st.navigation, Streamlit builds its own
    navigation from the file names and runs the page file directly. A bookmark or refresh on
    /risk as the first request therefore showed "app", "ab tests", … and never ran app.py,
    so the flag was never cleared. Every page imports ecom_ui first, so here we clear the flag
    and run app.py, whose st.navigation resolves the same URL to the same page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - another Streamlit layout: nothing to fix
        return
    ctx = get_script_run_ctx()
    if PagesManager.uses_pages_directory and ctx is not None:
        PagesManager.uses_pages_directory = False
        import runpy

        import streamlit as st

        # Run app.py now, in this same run, rather than asking for a rerun: its navigation
        # replaces Streamlit's before the browser draws it, so no file names flash by.
        runpy.run_path(ctx.pages_manager.main_script_path, run_name="__main__")
        st.stop()


_use_the_apps_navigation()
