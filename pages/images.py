"""Product images: categories, similar items, duplicates and photo-quality checks, computed offline
with a bundled pretrained model (EfficientNet-Lite0)."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import pandas as pd
import streamlit as st

from ecom_models.core.errors import InputError
from ecom_models.core.safe_export import csv_bytes
from ecom_models.demo import ensure_demo_photos
from ecom_models.images import (ImageAnalysis, batch_key, export_table, listing_problems, read_products,
                                reassess, resolve_products, revenue_at_stake, save_batch, save_products, save_rules,
                                save_threshold, saved_products, saved_rules, saved_threshold, stored_photos)
from ecom_models.value import images_value, load_page_assumptions, save_page_assumptions, save_page_estimate
from ecom_ui import images as I
from ecom_ui.background import photos_analysis
from ecom_ui.common import active_data, demo_store, guarded, money, page_header, pct, show_input_error, workspace

page_header("Product images", "Which product photos break marketplace rules, which listings share a photo, which "
            "products look alike, and which photos disagree with their category. Computed on this machine with a "
            "bundled image model; nothing is sent anywhere.")


# -- cached work ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Drawing the demo store's product photos (first time only)…")
def _demo_folder(seed: int = 42) -> str:
    return str(ensure_demo_photos(seed))


def _analysis(key: str, source, products: pd.DataFrame | None) -> ImageAnalysis:
    """The model run (reading, embeddings, category model), keyed on the photos' content hash: a
    background run in a worker process, shared by every session; the page follows it until done."""
    return photos_analysis(key, source, products)


# -- which photos --------------------------------------------------------------------------------------
orders = active_data("orders")
ws = workspace()
stored = stored_photos(ws)  # the merchant's uploaded photos survive a reload
with st.sidebar:
    st.subheader("Photos")
    choice = st.radio("Photos to check", ["Demo store photos", "My photos"], key="img_source",
                      index=1 if stored else 0,
                      help="The demo store has 126 drawn product photos with planted problems. Upload your own "
                           "JPEG, PNG or WebP photos, or one zip file of them.")
uploads, products_upload, in_uploader = None, None, False
if choice == "My photos":
    uploads = st.file_uploader("Product photos (JPEG, PNG, WebP) or a zip of them", accept_multiple_files=True,
                               type=["jpg", "jpeg", "png", "webp", "zip"], key="img_upload",
                               help="Name each photo after its product id (SKU-123.jpg, SKU-123_2.jpg) so it is linked "
                                    "to its listing, its category and its sales. New uploads replace the photos "
                                    "kept from last time.")
    products_upload = st.file_uploader("Products file with categories (optional: CSV or Excel with product_id and "
                                       "category)", type=["csv", "tsv", "txt", "xlsx"], key="img_products",
                                       help="Lets the page learn your own categories. Without it, the categories of "
                                            "your uploaded orders are used.")
    if uploads:
        saved = save_batch(ws, uploads)  # once per set of files, one photo's bytes at a time
        if saved.skipped:
            show_input_error(I.skipped_files_error(saved.skipped, saved.in_use, bool(stored)))
        in_uploader = saved.in_use
        stored = stored_photos(ws)
    if not stored:
        st.info("Upload photos to check them, or switch to the demo store photos in the sidebar.", icon="📷")
        st.stop()

if choice == "Demo store photos":
    source = _demo_folder()
    products = demo_store().products[["product_id", "product_name", "category"]]
    key = "demo-images-42"
    source_note = ("You are looking at the **demo store's** photos: drawn products with planted problems "
                   "(small, blurry, dark, cluttered, a wrong photo, duplicates).")
else:
    files, uploaded = stored, None
    if products_upload is not None:
        uploaded = guarded(read_products, products_upload, name=products_upload.name)
        if uploaded is not None:
            save_products(ws, uploaded)
    products = resolve_products(uploaded, saved_products(ws),
                                orders.df if orders is not None and not orders.is_demo else None)
    source, key = files, batch_key(files, products)
    source_note = I.upload_note(files, in_uploader)

st.info(source_note, icon="🧪" if choice == "Demo store photos" else "📷")
with st.spinner("Reading the photos and running the image model (about 40 photos a second on this machine)…"):
    try:
        base = _analysis(key, source, products)
    except InputError as exc:
        show_input_error(exc)
        st.stop()

# -- settings the merchant can change --------------------------------------------------------------------
rules, threshold = I.rules_sidebar(saved_rules(ws), saved_threshold(ws))
save_rules(ws, rules)
save_threshold(ws, threshold)

analysis = reassess(base, rules=rules, threshold=threshold)
table = analysis.table
listings = listing_problems(analysis)

# -- summary -------------------------------------------------------------------------------------------------
I.summary_metrics(analysis, listings)

tabs = st.tabs(["Photos to fix", "Duplicates", "Categories", "Gallery & similar items", "Business value", "Export"])

# -- 1. photo quality -------------------------------------------------------------------------------------------
with tabs[0]:
    I.quality_tab(analysis)

# -- 2. duplicates ----------------------------------------------------------------------------------------------
with tabs[1]:
    I.duplicates_tab(analysis, threshold)

# -- 3. categories -------------------------------------------------------------------------------------------------
with tabs[2]:
    I.categories_tab(analysis)

# -- 4. gallery & similar items ------------------------------------------------------------------------------------
with tabs[3]:
    I.gallery_tab(analysis)

# -- 5. business value -------------------------------------------------------------------------------------------
with tabs[4]:
    st.header("What fixing the photos could be worth")
    st.caption("**An estimate, not a measurement.** Revenue of the listings with photo problems, from your orders, "
               "times the extra sales you assume better photos bring. Test fixed photos with an A/B test to measure it.")
    saved_value = load_page_assumptions(ws, "images")
    gain = st.number_input("Extra sales on a listing once its photos are fixed (%)", 0.0, 50.0,
                           float(saved_value.get("conversion_gain", 0.05)) * 100, 0.5, key="img_gain",
                           help="An assumption. Published photo-quality studies report a few percent up to low double "
                                "digits; 5% is a cautious default. The range shown below uses 1% to 10%.") / 100
    save_page_assumptions(ws, "images", {"conversion_gain": gain})
    if choice == "Demo store photos":
        order_df = demo_store().orders  # demo photos belong to the demo store's listings
    else:
        order_df = orders.df if orders is not None and not orders.is_demo else None
        # (the demo store's orders say nothing about uploaded photos)
    if order_df is None:
        st.info("Upload your orders on the **Data** page to put a revenue figure on these listings.", icon="📂")
    estimate = images_value(analysis, order_df, conversion_gain=gain,
                            gain_low=min(0.01, gain), gain_high=max(0.10, gain))
    at_stake = next(a.value for a in estimate.assumptions if a.key == "monthly_revenue_at_stake")
    if order_df is not None:  # read by the Business value page
        save_page_estimate(ws, "images.value", estimate, is_demo=choice == "Demo store photos")
    share = revenue_at_stake(order_df, listings["product_id"].tolist())["share"] if order_df is not None else None
    v1, v2, v4, v3 = st.columns(4)
    v1.metric("Listings to fix", f"{len(listings)} of {table['product_id'].nunique()}",
              help="Products with a photo that breaks a rule, a duplicate photo, or a photo that disagrees with the "
                   "category.")
    v2.metric("Their monthly revenue", money(at_stake, estimate.currency),
              help="Sales of these listings over the last 90 days of orders, per month.")
    v4.metric("Share of revenue", pct(share),
              help="Share of all sales in the last 90 days that come from listings with photo problems.")
    v3.metric("Extra revenue / month (est.)", money(estimate.monthly_value, estimate.currency),
              help=f"Their revenue × {gain:.1%}. Range {money(estimate.monthly_low, estimate.currency)} – "
                   f"{money(estimate.monthly_high, estimate.currency)} for a gain of 1% to 10%.")
    st.caption(f"Range: {money(estimate.monthly_low, estimate.currency)} – "
               f"{money(estimate.monthly_high, estimate.currency)} a month. Evidence: {estimate.evidence}.")
    if not listings.empty:
        view = listings.copy()
        if products is not None and "product_name" in products:
            names = dict(zip(products["product_id"].astype(str), products["product_name"]))
            view.insert(1, "product_name", view["product_id"].map(names))
        st.dataframe(view.rename(columns={"product_id": "Product", "product_name": "Name", "photos": "Photos",
                                          "problems": "Problems"}), hide_index=True, width="stretch")

# -- 6. export ---------------------------------------------------------------------------------------------------
with tabs[5]:
    st.header("Export")
    st.download_button("Download the results per photo (CSV)", csv_bytes(export_table(table)),
                       file_name="product_images.csv", mime="text/csv",
                       help="One row per photo: product, categories, every measurement and problem, duplicate group.")
    st.caption(f"Model: EfficientNet-Lite0 (ImageNet, Apache-2.0), run with onnxruntime. Timing for this batch: "
               f"read {analysis.seconds.get('read', 0):.1f} s, model {analysis.seconds.get('embed', 0):.1f} s, "
               f"category model {analysis.seconds.get('categories', 0):.1f} s.")
