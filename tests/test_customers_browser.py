"""Real browser: open the Customers page on the demo store, wait for the background fit, download
the win-back list, and find the demo store's planted lapsing regulars in it, spreadsheet-safe."""

import io
from pathlib import Path

import pandas as pd
import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_crash,
    streamlit_server,
    wait_until_idle,
)

playwright = pytest.importorskip("playwright.sync_api")


def test_download_the_winback_list(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run).")
    from ecom_models.demo.store import demo_store

    planted = set(demo_store().truth["lapsing_customers"])
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with playwright.sync_playwright() as p, streamlit_server(workspace) as url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        page.goto(url + "/customers")
        # first visit: the models are fitted in the background, the page follows the run
        page.get_by_text("Win-back list").first.wait_for(timeout=400_000)
        wait_until_idle(page, 300_000)
        assert_no_crash(page)
        assert page.get_by_text("wins on").count() >= 1  # the backtest names its winner
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Download the win-back list (CSV)").click()
        assert download.value.suggested_filename == "winback.csv"
        csv = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()))
        # every customer, made when clicked (a callable): numbers in their own columns, own ids
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Download every customer (CSV)").click()
        assert download.value.suggested_filename == "customers.csv"
        every = pd.read_csv(io.BytesIO(Path(download.value.path()).read_bytes()))
        browser.close()
    assert len(every) > 1000 and planted <= set(every["customer_id"])
    assert {"segment", "p_active", "expected_spend_90_low", "expected_spend_90_high", "total_spend"} <= set(every.columns)
    assert every["expected_spend_90"].is_monotonic_decreasing
    assert {"customer_id", "value_at_stake", "total_spend", "p_active"} <= set(csv.columns)
    assert csv["value_at_stake"].is_monotonic_decreasing
    assert len(planted & set(csv["customer_id"].head(45))) >= 36
