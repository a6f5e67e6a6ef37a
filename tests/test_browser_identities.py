"""Real browser (Chromium): the Risk and Recommendations downloads carry the merchant's own
customer ids (here e-mail addresses), not the pseudonyms the workspace stores; the sidebar's
"Hide customer identities" switch turns them back into pseudonyms, and stays on for the workspace.

The orders are saved through intake's real "Check and save" path (check_and_save) before the
server starts; the page tests cover the upload itself."""

from __future__ import annotations

import contextlib
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
LONG = 300_000  # ms: model runs on a busy 2-core machine
PSEUDONYM = r"^c-[0-9a-f]{16}$"


def orders_with_email_ids(path: Path, n: int = 1500) -> pd.DataFrame:
    from ecom_models.demo.store import demo_store

    o = demo_store().orders.head(n).copy()
    o["customer_id"] = o["customer_id"].map(lambda c: f"buyer.{c.lower()}@examplemail.com", na_action="ignore")
    o = o.drop(columns=["line_type", "is_duplicate"])
    o["order_date"] = o["order_date"].astype(str)
    o.rename(columns={"customer_id": "Customer Email"}).to_csv(path, index=False)
    return o


@contextlib.contextmanager
def app_with_orders(tmp_path: Path):
    from ecom_models.intake import check_and_save
    from ecom_models.workspace.workspace import Workspace

    folder = tmp_path / "workspace"
    folder.mkdir()
    orders = orders_with_email_ids(tmp_path / "shop_orders.csv")
    ws = Workspace("browser", folder)
    check_and_save(ws, tmp_path / "shop_orders.csv")
    ws.close()
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see scripts/setup.sh).")
    with playwright.sync_playwright() as p, streamlit_server(folder) as url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        try:
            yield url, page, orders
        finally:
            browser.close()


def download(page, button: str) -> pd.DataFrame:
    with page.expect_download(timeout=LONG) as dl:
        page.get_by_role("button", name=button).click()
    return pd.read_csv(dl.value.path(), dtype=str)


def test_risk_and_recommendations_downloads_carry_the_merchants_own_ids(tmp_path):
    with app_with_orders(tmp_path) as (url, page, orders):
        own = set(orders["customer_id"].dropna())

        page.goto(url + "/risk")
        page.get_by_role("button", name="Download all scores (CSV)").wait_for(timeout=LONG)
        assert_no_crash(page)
        scores = download(page, "Download all scores (CSV)")
        ids = scores["customer_id"].dropna()
        assert len(ids) > 100 and ids.isin(own).all(), ids.head()
        # the three riskiest orders name their customer by the merchant's own id
        assert page.get_by_text("customer buyer.", exact=False).count() >= 1

        page.goto(url + "/recommendations")
        page.get_by_role("button", name="Prepare the CSV").wait_for(timeout=LONG)
        wait_until_idle(page, LONG)
        page.get_by_role("button", name="Prepare the CSV").click()
        recs = download(page, "Download recommendations (CSV)")
        assert len(recs) > 100 and recs["user_id"].isin(own).all(), recs.head()

        # the switch, for screen sharing: pseudonyms everywhere, kept for the workspace
        page.goto(url + "/risk")
        page.get_by_role("button", name="Download all scores (CSV)").wait_for(timeout=LONG)
        page.locator('[data-testid="stSidebar"]').get_by_text("Hide customer identities", exact=True).click()
        wait_until_idle(page, LONG)
        page.reload()
        page.get_by_role("button", name="Download all scores (CSV)").wait_for(timeout=LONG)
        hidden = download(page, "Download all scores (CSV)")["customer_id"].dropna()
        assert len(hidden) == len(ids) and hidden.str.match(PSEUDONYM).all()
        assert not hidden.isin(own).any()
        assert page.get_by_text("customer buyer.", exact=False).count() == 0
