"""Real browser (Chromium): every file uploader of the app takes a real or realistic file, and the
page moves on to that file's result; a reload keeps what the page says it keeps; a wrong file
gets a message naming it, never a crash.

AppTest cannot drive a file uploader the way a browser does (chunked upload, the uploader's own
type filter, a rerun per drop), which is how a crash on uploading photos went unnoticed (issue
26). Each uploader is found by its key (tests/browser.py `upload`), and
tests/test_uploader_guard.py fails when an uploader has no `upload(page, "<its key>", ...)` here.

One server per test, each with its own workspace folder: a test's saved files never leak into
another's. The files come from tests/upload_files.py (real product photos from ../shared)."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest

from tests import upload_files as files
from tests.browser import (CHROMIUM, CHROMIUM_ARGS, assert_no_crash, streamlit_server, upload, uploader,
                           wait_until_idle)

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
PlaywrightTimeout = playwright.TimeoutError
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
needs_photos = pytest.mark.skipif(not (files.SHARED_PHOTOS / "fashion" / "labels.csv").exists(),
                                  reason="the shared real product photos (../shared/data/product_photos) are not here")
LONG = 240_000  # ms: a model run on a busy 2-core machine


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see scripts/setup.sh).")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def app(browser, tmp_path: Path):
    """A fresh server on an empty workspace folder, and a page in Chromium."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    with streamlit_server(workspace) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        try:
            yield url, page
        finally:
            page.close()


def open_page(page, url: str, timeout: int = LONG) -> None:
    page.goto(url)
    wait_until_idle(page, timeout)
    assert_no_crash(page)


def expand(page, label: str) -> None:
    page.locator('[data-testid="stExpander"] summary', has_text=label).click()


def metric(page, label: str):
    """The value of the first metric with this label (a locator: expect() waits on it)."""
    return page.locator('[data-testid="stMetric"]', has=page.get_by_text(label, exact=True)).first.locator(
        '[data-testid="stMetricValue"]')


def error_naming(page, file_name: str, text: str):
    """The red message that names the file and says what is wrong with it."""
    return page.locator('[data-testid="stAlertContentError"]', has_text=f"file '{file_name}'").filter(has_text=text)


def my_photos(page, url: str) -> None:
    """Product images, switched to 'My photos' as soon as the switch is drawn: the page opens on
    the demo store's photos, and drawing their results is not waited for (their analysis, which
    a rerun cannot interrupt, still is: about 15 s)."""
    page.goto(url + "/images")
    page.locator('[data-testid="stSidebar"]').get_by_text("My photos", exact=True).click()
    page.get_by_text("Upload photos to check them").wait_for(timeout=LONG)
    assert_no_crash(page)


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"upload-{name}.png"))


def chips(page, key: str) -> int:
    """Files shown in the uploader with this key."""
    return page.locator(f'.st-key-{key} [data-testid="stFileChip"]').count()


def duplicate_groups(page) -> list[set[str]]:
    """The 'same photo' groups drawn on the Duplicates tab: the file names under each group's heading."""
    return [set(g) for g in page.evaluate("""() =>
        [...document.querySelectorAll('h3')].filter(h => /^Group \\d+:/.test(h.innerText)).map(h => {
            const block = h.closest('[data-testid="stElementContainer"]').nextElementSibling;
            return [...block.querySelectorAll('[data-testid="stImageCaption"]')].map(c => c.innerText.split(' · ')[0]);
        })""")]


def listed_categories(page) -> dict[str, str]:
    """{product id: listed category} from the page's own export (tables are drawn on a canvas)."""
    import pandas as pd

    page.get_by_role("tab", name="Export").click()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download the results per photo (CSV)").click()
    table = pd.read_csv(download.value.path(), dtype=str)
    return dict(zip(table["product_id"], table["listed_category"]))


# -- Product images ------------------------------------------------------------------------------------
@needs_photos
def test_zip_of_300_real_photos_finds_the_planted_copies_and_a_reload_keeps_them(browser, tmp_path):
    archive = tmp_path / "catalog_photos.zip"
    planted = files.photo_zip(archive)  # 290 real photos + 10 real near-copies
    with app(browser, tmp_path) as (url, page):
        my_photos(page, url)
        started = time.perf_counter()
        upload(page, "img_upload", archive)
        expect(metric(page, "Photos checked")).to_have_text("300", timeout=LONG)
        wait_until_idle(page, LONG)
        print(f"300-photo zip: uploaded, saved and analysed in {time.perf_counter() - started:.1f} s")
        assert_no_crash(page)
        assert page.get_by_text("Checking the photos in catalog_photos.zip you uploaded.").count() == 1
        expect(metric(page, "Files refused")).to_have_text("0")
        expect(metric(page, "Duplicate groups")).to_have_text(str(len(planted)))
        page.get_by_role("tab", name="Duplicates").click()
        groups = duplicate_groups(page)
        # exactly the planted pairs: each copy with its original, and nothing else among 290 real photos
        assert sorted(map(sorted, groups)) == sorted(sorted(pair) for pair in planted.items()), groups
        page.get_by_role("heading", name="Group 1:").scroll_into_view_if_needed()
        shot(page, "images-zip-duplicates")

        started = time.perf_counter()
        page.reload()  # no new upload: the photos kept in the workspace come back
        expect(metric(page, "Photos checked")).to_have_text("300", timeout=LONG)
        wait_until_idle(page, LONG)
        print(f"300-photo zip: reload drawn in {time.perf_counter() - started:.1f} s")
        assert_no_crash(page)
        assert chips(page, "img_upload") == 0  # the uploader is empty: nothing was sent again
        assert page.get_by_text("Checking the photos in catalog_photos.zip you uploaded earlier (kept in your "
                                "workspace").count() == 1
        expect(metric(page, "Duplicate groups")).to_have_text(str(len(planted)))
        page.get_by_role("tab", name="Duplicates").click()
        assert len(duplicate_groups(page)) == len(planted)
        shot(page, "images-zip-reload")


@needs_photos
def test_loose_photos_then_a_products_file_learn_the_merchants_categories(browser, tmp_path):
    photos, products, categories = files.fashion_photos_and_products(tmp_path / "shoot" / "photos")
    with app(browser, tmp_path) as (url, page):
        my_photos(page, url)
        upload(page, "img_upload", *photos)  # a loose set of photos, as picked in a file dialog
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)), timeout=LONG)
        wait_until_idle(page, LONG)
        assert page.get_by_text(f"Checking {len(photos)} file(s) you uploaded.").count() == 1
        # without a products file nothing carries a category of the merchant's own yet
        assert page.get_by_text("No photo is linked to a product with a category").count() == 1

        upload(page, "img_products", products)
        expect(page.get_by_text("Held-out accuracy", exact=True)).to_be_attached(timeout=LONG)  # on the Categories tab
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        page.get_by_role("tab", name="Categories").click()
        expect(metric(page, "Category model")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
        expect(metric(page, "Baseline: top category")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
        shot(page, "images-loose-categories")
        assert listed_categories(page) == categories  # every photo linked to its product's category in the file

        page.reload()  # the photos and the products file are both kept
        expect(page.get_by_text("Held-out accuracy", exact=True)).to_be_attached(timeout=LONG)
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        assert chips(page, "img_upload") == 0 and chips(page, "img_products") == 0
        assert page.get_by_text(f"Checking {len(photos)} file(s) you uploaded earlier (kept").count() == 1
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)))
        page.get_by_role("tab", name="Categories").click()
        expect(metric(page, "Category model")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
        assert listed_categories(page) == categories


# -- Data page -------------------------------------------------------------------------------------------
def test_orders_and_reviews_exports_are_saved_and_listed_after_a_reload(browser, tmp_path):
    orders, reviews = tmp_path / "orders_2026.csv", tmp_path / "reviews.csv"
    files.orders_csv(orders)
    n_reviews = files.reviews_csv(reviews)
    with app(browser, tmp_path) as (url, page):
        open_page(page, url + "/data")
        upload(page, "data_upload", orders, reviews)  # two exports in one drop
        for name in (orders.name, reviews.name):
            page.get_by_role("heading", name=name).wait_for(timeout=60_000)
        wait_until_idle(page)
        assert_no_crash(page)
        for name, kind in ((orders.name, "orders"), (reviews.name, "reviews")):
            box = page.locator('[data-testid="stVerticalBlock"]', has=page.get_by_role("heading", name=name)).last
            expect(box.get_by_text("What does this file hold?")).to_be_visible()
            box.get_by_role("button", name="Check and save to workspace").click()
            saved = page.get_by_text(re.compile(rf"Saved {re.escape(name)}: [\d,]+ of [\d,]+ rows usable\. "
                                                rf"Every page now uses it for {kind}\."))
            expect(saved).to_be_visible(timeout=120_000)
            wait_until_idle(page)
            assert_no_crash(page)
        assert page.get_by_text(f"Saved {reviews.name}: {n_reviews} of {n_reviews} rows usable").count() == 1
        shot(page, "data-saved")

        page.reload()
        wait_until_idle(page)
        assert chips(page, "data_upload") == 0
        # The page may still be finishing a rerun started by the background runs when the tab is clicked;
        # a click swallowed by that rerun is clicked again (a merchant would click again too).
        first = page.get_by_role("radio", name=re.compile(rf"^{re.escape(orders.name)} — "))
        for _ in range(3):
            page.get_by_role("tab", name="Your datasets").click()
            try:
                first.wait_for(timeout=10_000)
                break
            except PlaywrightTimeout:
                wait_until_idle(page)
        for name in (orders.name, reviews.name):  # listed, and the one each page uses
            option = page.get_by_role("radio", name=re.compile(rf"^{re.escape(name)} — "))
            expect(option).to_be_checked()
        assert page.get_by_text("No uploads yet").count() == 0
        assert_no_crash(page)
        shot(page, "data-reload")


def test_workspace_file_is_imported_and_can_be_opened_after_a_reload(browser, tmp_path):
    backup = tmp_path / "branch-shop.duckdb"
    dataset = files.workspace_file(backup, tmp_path / "other-machine")
    with app(browser, tmp_path) as (url, page):
        open_page(page, url + "/data")
        page.get_by_role("tab", name="Workspace").click()
        expand(page, "Import or delete a workspace")
        upload(page, "workspace_import", backup)
        name_box = page.get_by_label("Name for the imported workspace")
        name_box.fill("branch")
        name_box.press("Enter")
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("Imported as 'branch'.")).to_be_visible(timeout=60_000)
        assert_no_crash(page)
        shot(page, "workspace-imported")

        page.reload()
        wait_until_idle(page)
        page.get_by_role("tab", name="Workspace").click()
        switch = page.locator('[data-testid="stSelectbox"]', has=page.get_by_text("Switch to", exact=True))
        switch.click()
        page.get_by_role("option", name="branch", exact=True).click()  # listed after the reload
        page.get_by_role("button", name="Switch", exact=True).click()
        expect(page.get_by_text("Current workspace: branch")).to_be_visible(timeout=60_000)
        page.get_by_role("tab", name="Your datasets").click()
        expect(page.get_by_role("radio", name=re.compile(rf"^{dataset} — "))).to_be_checked()  # its orders, in use
        assert_no_crash(page)
        shot(page, "workspace-switched")


# -- A/B tests ---------------------------------------------------------------------------------------------
def test_experiment_file_is_analysed_and_not_kept_after_a_reload(browser, tmp_path):
    experiment = tmp_path / "landing_page_test.csv"
    counts = files.experiment_csv(experiment)
    with app(browser, tmp_path) as (url, page):
        open_page(page, url + "/ab_tests")
        expand(page, "Analyse another experiment file")
        upload(page, "ab_upload", experiment)
        expect(page.get_by_text(f"Using {experiment.name} ({sum(counts.values()):,} rows) instead of the active "
                                "experiment.")).to_be_visible(timeout=60_000)
        # the file's own groups, counted on the page, and its verdict (the new page converts 12% vs 10%)
        split = f"control: {counts['control']:,}, treatment: {counts['treatment']:,}"
        expect(page.get_by_text(split)).to_be_visible(timeout=60_000)
        expect(page.get_by_text(re.compile(r"Ship it\. 'treatment' lifts converted"))).to_be_visible()
        wait_until_idle(page)
        assert_no_crash(page)
        shot(page, "ab-upload")

        page.reload()  # documented on the page: analysed while in the box, not saved
        wait_until_idle(page)
        expand(page, "Analyse another experiment file")
        expect(page.get_by_text("is not saved: to keep it as your experiment, upload it on")).to_be_visible()
        assert chips(page, "ab_upload") == 0
        assert page.get_by_text("instead of the active experiment").count() == 0
        assert page.get_by_text(split).count() == 0
        expect(page.get_by_text("You are looking at the demo store")).to_be_visible()
        assert_no_crash(page)


# -- Recommendations ---------------------------------------------------------------------------------------
def test_interactions_file_is_compared_and_not_kept_after_a_reload(browser, tmp_path):
    ratings = tmp_path / "product_ratings.csv"
    rows = files.interactions_csv(ratings, users=500, items=160)
    with app(browser, tmp_path) as (url, page):
        open_page(page, url + "/recommendations")
        expand(page, "Use a customer-product file instead of orders")
        upload(page, "rec_upload", ratings)
        expect(page.get_by_text(f"Using the uploaded file ({rows:,} rows) instead of the orders.")).to_be_visible(
            timeout=60_000)
        expect(page.get_by_text("Which model wins").first).to_be_visible(timeout=LONG)  # fitted in the background
        expect(metric(page, "Customers")).to_have_text("500")
        expect(metric(page, "Products")).to_have_text("160")
        assert_no_crash(page)
        shot(page, "recommendations-upload")

        page.reload()  # documented on the page: used while in the box, not saved
        wait_until_idle(page)
        expand(page, "Use a customer-product file instead of orders")
        expect(page.get_by_text("is not saved: a reload goes back to the orders")).to_be_visible()
        assert chips(page, "rec_upload") == 0
        assert page.get_by_text("Using the uploaded file").count() == 0
        expect(page.get_by_text("You are looking at the demo store")).to_be_visible()
        assert_no_crash(page)


# -- Customer service ----------------------------------------------------------------------------------------
def test_faq_and_labelled_tickets_are_used_and_kept_after_a_reload(browser, tmp_path):
    faq, tickets = tmp_path / "shop_faq.csv", tmp_path / "labelled_tickets.csv"
    entries = files.faq_csv(faq)
    n_labelled, n_intents = files.labelled_tickets_csv(tickets)
    with app(browser, tmp_path) as (url, page):
        page.goto(url + "/customer_service")
        expand(page, "Your FAQ and labelled tickets")  # drawn before the demo tickets are read
        upload(page, "support_faq_upload", faq)
        expect(page.get_by_text(f"FAQ saved: {entries} entries, {3 * entries} phrasings.")).to_be_visible(
            timeout=LONG)
        upload(page, "support_examples_upload", tickets)
        expect(page.get_by_text(f"Labelled tickets saved: {n_labelled} for {n_intents} intents.")).to_be_visible(
            timeout=LONG)
        # the result of both files: tickets sorted into the agent's intents, answers from this FAQ
        expect(page.get_by_text(re.compile(r"Intents from your labelled tickets\."))).to_be_visible(timeout=LONG)
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        assert page.get_by_text(re.compile(r"FAQ: your FAQ\.")).count() == 1
        assert page.get_by_text(re.compile(r"(model wins|Neither model wins) on \d+ labelled tickets")).count() == 1
        shot(page, "support-upload")

        page.reload()
        expect(page.get_by_text(re.compile(r"Intents from your labelled tickets\."))).to_be_visible(timeout=LONG)
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        assert page.get_by_text(re.compile(r"FAQ: your FAQ\.")).count() == 1
        expand(page, "Your FAQ and labelled tickets")
        assert chips(page, "support_faq_upload") == 0 and chips(page, "support_examples_upload") == 0
        expect(page.get_by_role("button", name="Remove the FAQ")).to_be_visible()
        expect(page.get_by_role("button", name="Remove the labelled tickets")).to_be_visible()


# -- wrong files ------------------------------------------------------------------------------------------------
@needs_photos
def test_a_wrong_file_on_every_uploader_gets_a_message_naming_it(browser, tmp_path):
    png = files.png_bytes()  # a real product photo
    csv = tmp_path / "orders_2026.csv"
    files.orders_csv(csv, rows=400)
    wrong = {name: tmp_path / name for name in ("bag.png", "shop_orders.csv", "experiment.csv", "ratings.csv",
                                                "labelled.csv", "products.csv")}
    for path in wrong.values():
        path.write_bytes(png)  # a photo, and photos renamed .csv
    fake_zip, fake_backup = tmp_path / "catalog_photos.zip", tmp_path / "shop_backup.duckdb"
    fake_zip.write_bytes(csv.read_bytes())
    fake_backup.write_bytes(csv.read_bytes())
    reviews, faq_as_tickets = tmp_path / "reviews.csv", tmp_path / "support_tickets.csv"
    files.reviews_csv(reviews)
    files.labelled_tickets_csv(faq_as_tickets)
    photos, _, _ = files.fashion_photos_and_products(tmp_path / "shoot" / "photos", every=30)

    with app(browser, tmp_path) as (url, page):
        # Data page: Streamlit's own type filter refuses a photo in the browser and says why on the file
        open_page(page, url + "/data")
        upload(page, "data_upload", wrong["bag.png"])
        chip = page.locator('.st-key-data_upload [data-testid="stFileChip"][aria-invalid="true"]', has_text="bag.png")
        expect(chip).to_be_visible()
        expect(page.locator(".st-key-data_upload [role=alert]")).to_have_text("Error: image/png files are not allowed.")
        upload(page, "data_upload", wrong["shop_orders.csv"])  # a photo renamed .csv gets past the filter
        expect(error_naming(page, "shop_orders.csv", "this looks like a binary file, not a table")).to_be_visible(
            timeout=60_000)
        assert_no_crash(page)
        shot(page, "wrong-data")

        page.get_by_role("tab", name="Workspace").click()
        expand(page, "Import or delete a workspace")
        upload(page, "workspace_import", fake_backup)
        name_box = page.get_by_label("Name for the imported workspace")
        name_box.fill("backup")
        name_box.press("Enter")
        page.get_by_role("button", name="Import", exact=True).click()
        expect(error_naming(page, fake_backup.name, "not a workspace file")).to_be_visible(timeout=60_000)
        assert_no_crash(page)

        open_page(page, url + "/ab_tests")
        expand(page, "Analyse another experiment file")
        upload(page, "ab_upload", wrong["experiment.csv"])
        expect(error_naming(page, "experiment.csv", "not a table")).to_be_visible(timeout=60_000)
        assert_no_crash(page)

        open_page(page, url + "/recommendations")
        expand(page, "Use a customer-product file instead of orders")
        upload(page, "rec_upload", wrong["ratings.csv"])
        expect(error_naming(page, "ratings.csv", "not a table")).to_be_visible(timeout=60_000)
        upload(page, "rec_upload", reviews)  # a table, but not of customers and products
        expect(error_naming(page, "reviews.csv", "no customer and product columns")).to_be_visible(timeout=60_000)
        assert_no_crash(page)

        page.goto(url + "/customer_service")
        expand(page, "Your FAQ and labelled tickets")
        upload(page, "support_faq_upload", faq_as_tickets)  # labelled tickets dropped on the FAQ
        expect(error_naming(page, faq_as_tickets.name, "the FAQ has no 'question' column")).to_be_visible(
            timeout=LONG)
        upload(page, "support_examples_upload", wrong["labelled.csv"])
        expect(error_naming(page, "labelled.csv", "not a table")).to_be_visible(timeout=LONG)
        assert_no_crash(page)  # (the demo tickets' analysis that follows is the page's own, not the upload's)
        assert page.get_by_text("Labelled tickets saved").count() == 0 and page.get_by_text("FAQ saved").count() == 0
        shot(page, "wrong-support")

        # Product images: a CSV renamed .zip among real photos is left out, the photos are checked ...
        my_photos(page, url)
        upload(page, "img_upload", *photos, fake_zip)
        expect(error_naming(page, fake_zip.name, "so it was left out; the other photos are checked below")
               ).to_be_visible(timeout=LONG)
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)), timeout=LONG)
        upload(page, "img_products", wrong["products.csv"])
        expect(error_naming(page, "products.csv", "not a table")).to_be_visible(timeout=LONG)
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        # ... and on its own it does not replace the photos kept from last time
        page.reload()
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)), timeout=LONG)
        upload(page, "img_upload", fake_zip)
        expect(error_naming(page, fake_zip.name, "nothing was saved; the photos kept from last time are checked "
                                                 "below")).to_be_visible(timeout=LONG)
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)), timeout=LONG)
        wait_until_idle(page, LONG)
        assert_no_crash(page)
        shot(page, "wrong-images")
        page.reload()  # the kept photos, not the wrong file
        expect(metric(page, "Photos checked")).to_have_text(str(len(photos)), timeout=LONG)
        assert page.get_by_text("you uploaded earlier (kept in your workspace").count() == 1
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        assert_no_crash(page)
        assert uploader(page, "img_upload").count() == 1
