"""Real browser: the app starts, the home page shows KPIs fast, and an uploaded orders file is used."""

import time
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_until_idle

playwright = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run).")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_home_then_upload_orders(browser, tmp_path, fixtures_dir):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        page.goto(url)
        page.get_by_text("Net revenue").first.wait_for(timeout=60_000)
        first_render = time.perf_counter() - started
        wait_until_idle(page)
        page.screenshot(path=str(SCREENSHOTS / "overview-demo.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Repeat-purchase rate").count() >= 1
        print(f"home page KPIs visible {first_render:.1f} s after navigation")

        page.goto(url + "/data")
        wait_until_idle(page)
        page.locator('input[type="file"]').first.set_input_files(str(fixtures_dir / "invoice_style.csv"))
        page.get_by_role("button", name="Check and save to workspace").click()
        page.get_by_text("rows usable").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        page.screenshot(path=str(SCREENSHOTS / "data-upload.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Cancelled lines").count() >= 1
        assert page.get_by_text("13 of 15 rows usable").count() >= 1  # two blank trailing rows left out

        page.goto(url)
        wait_until_idle(page)
        assert page.get_by_text("invoice_style.csv").count() >= 1  # the uploaded file is now the data source
        assert page.get_by_text("Net revenue").count() >= 1
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(SCREENSHOTS / "overview-upload.png"), full_page=True)
