"""Real browser: a bookmark or refresh on a page other than home, as the very first request to a
fresh server, shows the app's own navigation (sections and titles), not the pages/ file names."""

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

playwright = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def _nav_labels(page) -> list[str]:
    page.wait_for_selector('[data-testid="stSidebarNav"] a', timeout=60_000)
    page.wait_for_timeout(1500)  # a second navigation message, if any, has arrived by now
    # each link is "<icon name>\n\n<title>": keep the title
    return [t.strip().split("\n")[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def test_deep_link_as_first_request_shows_the_app_navigation(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(tmp_path) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url + "/risk")  # nothing else has been requested from this server
            labels = _nav_labels(page)
            page.screenshot(path=str(SCREENSHOTS / "deep-link-risk.png"))
            assert "Overview" in labels and "Risk & anomalies" in labels, labels
            assert not {"app", "risk", "ab tests", "data", "images"} & {label.lower() for label in labels}, labels
            assert page.get_by_text("AI models").count() >= 1  # the section headers
            assert "/risk" in page.url
            page.get_by_role("heading", name="Risk & anomalies").first.wait_for(timeout=120_000)
            page.reload()  # a refresh keeps the same navigation
            labels = _nav_labels(page)
            assert "Overview" in labels and "app" not in [label.lower() for label in labels], labels
        finally:
            browser.close()
