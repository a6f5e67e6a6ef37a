"""Real browser, as a new merchant would: upload an orders file on the Data page, open the
Business value page, download the report, and find the page's figures in it."""

import io
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_until_idle
from tests.test_value import _synthetic_orders

playwright = pytest.importorskip("playwright.sync_api")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


def test_upload_orders_then_download_the_business_case(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run).")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    orders = _synthetic_orders(150)
    export = tmp_path / "my_shop_orders.csv"
    orders[["order_id", "order_date", "customer_id", "product_id", "product_name", "quantity", "unit_price", "currency"]].rename(
        columns={"order_id": "Order Number", "order_date": "Date", "customer_id": "Customer", "product_id": "SKU",
                 "product_name": "Item", "quantity": "Qty", "unit_price": "Price", "currency": "Currency"}).to_csv(export, index=False)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with playwright.sync_playwright() as p, streamlit_server(workspace) as url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        page.goto(url + "/data")
        wait_until_idle(page)
        page.locator('input[type="file"]').first.set_input_files(str(export))
        page.get_by_role("button", name="Check and save to workspace").click()
        page.get_by_text("rows usable").first.wait_for(timeout=60_000)
        wait_until_idle(page)

        page.get_by_role("link", name="Business value").click()
        page.get_by_text("Hand it on").first.wait_for(timeout=300_000)  # first visit fits every model once
        wait_until_idle(page, 300_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("my_shop_orders.csv").count() >= 1  # the merchant's data, not the demo store
        page.screenshot(path=str(SCREENSHOTS / "business-value-upload.png"), full_page=True)
        value = page.locator('[data-testid="stMetric"]').first.inner_text().split("\n")[-1].strip()
        assert value.startswith("€") and any(ch.isdigit() for ch in value)  # the export's currency column says EUR
        assert page.get_by_text("not computed yet").count() >= 1  # reviews, photos and the A/B test need their files

        with page.expect_download(timeout=120_000) as html_download:  # made on click; slow on a busy machine
            page.get_by_role("button", name="Download report (HTML)").click()
        html = Path(html_download.value.path()).read_text(encoding="utf-8")
        assert value in html and "<script src=" not in html
        with page.expect_download(timeout=120_000) as csv_download:
            page.get_by_role("button", name="Download figures and assumptions (CSV)").click()
        csv = pd.read_csv(io.BytesIO(Path(csv_download.value.path()).read_bytes()))
        assert set(csv["section"]) >= {"figure", "assumption"}

        started = time.perf_counter()  # a second visit is served from the cache
        page.reload()
        page.get_by_text("Hand it on").first.wait_for(timeout=60_000)
        assert time.perf_counter() - started < 30
        assert page.locator('[data-testid="stException"]').count() == 0
        browser.close()
