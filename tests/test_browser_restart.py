"""Real browser: results computed once are read back after a server restart. A workspace whose
orders were saved (and whose model runs finished, as the Data page starts them) is opened by a
fresh server: Recommendations, Risk and Forecast show the stored results at once, for the
merchant's data (not the demo store), without fitting anything again.

The first request to that fresh server is a deep link (/risk), so the same test checks the
navigation: the app's sections and titles, never the pages/ file names."""

import time
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

playwright = pytest.importorskip("playwright.sync_api")

PAGES = {  # path: (text of the drawn result, text shown only while a model is being fitted)
    "/risk": ("Orders scored", "Scoring every order"),  # first: a deep link as the very first request
    "/recommendations": ("Which model wins", "Comparing models on purchases"),
    "/forecast": ("Your forecast", "Checking every model on past weeks"),
    "/customers": ("Win-back list", "Fitting the purchase and spend models"),
}


def _nav_labels(page) -> list[str]:
    page.wait_for_selector('[data-testid="stSidebarNav"] a', timeout=60_000)
    page.wait_for_timeout(1000)  # a second navigation message, if any, has arrived by now
    # each link is "<icon name>\n\n<title>": keep the title
    return [t.strip().split("\n")[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def test_results_survive_a_restart_and_deep_links_show_the_app_navigation(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    from bench.invoices import write_invoices
    from ecom_models import intake
    from ecom_models.workspace import runs
    from ecom_models.intake.save import save_result
    from ecom_models.workspace.workspace import Workspace
    from ecom_ui.jobs import start_for_orders

    csv = write_invoices(str(tmp_path / "invoices.csv"), rows=8_000)
    ws = Workspace("browser", tmp_path)
    result = intake.ingest(csv)
    info = save_result(ws, result, "invoices.csv")
    started = start_for_orders(ws, info, result.df)  # ECOM_RUNS_INLINE (conftest): finished on return
    assert all(r.status == runs.DONE for r in started), [(r.label, r.error) for r in started]
    ws.close()  # the server is another process: it opens the file itself

    with streamlit_server(tmp_path) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for path, (done_text, fitting_text) in PAGES.items():
                t0 = time.perf_counter()
                page.goto(url + path)
                page.get_by_text(done_text).first.wait_for(timeout=90_000)
                print(f"{path} after restart: {time.perf_counter() - t0:.1f} s")
                assert page.get_by_text(fitting_text).count() == 0, f"{path} fitted its model again"
                assert page.get_by_text("You are looking at the demo store").count() == 0
                assert page.get_by_text("invoices.csv").count() >= 1  # the merchant's data
                assert page.locator('[data-testid="stException"]').count() == 0
                if path == "/risk":
                    labels = _nav_labels(page)
                    assert "Overview" in labels and "Risk & anomalies" in labels, labels
                    assert not {"app", "risk", "ab tests", "data", "images"} & {x.lower() for x in labels}, labels
                    assert page.get_by_text("AI models").count() >= 1  # the section headers
            page.reload()  # a refresh keeps the same navigation
            labels = _nav_labels(page)
            assert "Overview" in labels and "app" not in [x.lower() for x in labels], labels
        finally:
            browser.close()
