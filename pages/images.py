"""Product images: categories, similar items, duplicates and photo-quality checks, computed offline
with a bundled pretrained model (EfficientNet-Lite0)."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import hashlib

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models import valuation as VAL
from ecom_models import vision as V
from ecom_models.errors import InputError
from ecom_models.safe_export import csv_bytes
from ecom_models.vision_dupes import DEFAULT_THRESHOLDS as DUPLICATE_RULES
from ecom_ui.common import (active_data, demo_store, guarded, md_escape, money, number, page_header, pct,
                            show_input_error, workspace)
from ecom_ui.images import PROBLEM_HELP, thumb

page_header("Product images", "Which product photos break marketplace rules, which listings share a photo, which "
            "products look alike, and which photos disagree with their category. Computed on this machine with a "
            "bundled image model; nothing is sent anywhere.")


# -- cached work ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Drawing the demo store's product photos (first time only)…")
def _demo_folder(seed: int = 42) -> str:
    from ecom_models.demo_images import default_folder, demo_images

    folder = default_folder(seed)
    demo_images(folder, seed=seed)
    return str(folder)


@st.cache_resource(show_spinner=False, max_entries=3)
def _analysis(key: str, _source, _products: pd.DataFrame | None) -> V.ImageAnalysis:
    """The model run (reading, embeddings, category model). Keyed on the photos' content hash."""
    return V.analyse(_source, products=_products)


def _photo_or_zip(data: bytes, name: str) -> bool:
    """Could this upload hold photos? Read from its first bytes only (a zip's directory, an
    image's header), so checking a batch of hundreds of photos costs next to nothing."""
    import io
    import zipfile

    if name.lower().endswith(".zip"):
        return zipfile.is_zipfile(io.BytesIO(data))
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=list(V.ALLOWED_FORMATS)):
            return True
    except Image.DecompressionBombError:
        return True  # a photo, but far too large: saved, and the analysis says so in the merchant's words
    except (OSError, ValueError, SyntaxError, EOFError):  # not an image this page can read (PIL's ways of saying so)
        return False


# -- which photos --------------------------------------------------------------------------------------
orders = active_data("orders")
ws = workspace()
photo_dir = ws.folder / "photos" / ws.name  # the merchant's uploaded photos survive a reload
stored = V.stored_uploads(photo_dir)
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
        batch = V.upload_batch_id((f.name, f.getvalue()) for f in uploads)
        if ws.get("images.upload", "batch") != batch:
            # A wrong file dropped by mistake (a CSV renamed .zip, a PDF) is left out before saving:
            # a batch of nothing but wrong files must not replace the photos kept from last time,
            # and one unreadable zip would otherwise stop the whole batch's analysis.
            readable = [_photo_or_zip(f.getvalue(), f.name) for f in uploads]
            st.session_state["img_upload_skipped"] = (batch, [f.name for f, ok in zip(uploads, readable) if not ok])
            if any(readable):
                # one photo's bytes at a time: the uploader already holds them all once
                V.save_uploads((V.ImageFile(f.name, f.getvalue()) for f, ok in zip(uploads, readable) if ok),
                               photo_dir)
                ws.put("images.upload", "batch", batch)
        in_uploader = ws.get("images.upload", "batch") == batch
        skipped_batch, skipped = st.session_state.get("img_upload_skipped", (None, []))
        if skipped and skipped_batch == batch:
            names = ", ".join(skipped[:3]) + (" …" if len(skipped) > 3 else "")
            one = len(skipped) == 1
            problem = ("this is not a JPEG, PNG or WebP photo or a readable zip of photos (going by its content, "
                       "whatever its name says)" if one else
                       "these are not JPEG, PNG or WebP photos or readable zips of photos (going by their content, "
                       "whatever their names say)")
            if in_uploader:
                problem += f", so {'it was' if one else 'they were'} left out; the other photos are checked below."
            else:
                problem += ", so nothing was saved" + ("; the photos kept from last time are checked below."
                                                       if stored else ".")
            show_input_error(InputError(problem if one else f"{names}: {problem}", file=names if one else None,
                                        fix="upload product photos, or one zip file of them."))
        stored = V.stored_uploads(photo_dir)
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
    files = stored
    digest = hashlib.sha1()
    for f in files:  # names, sizes and times: cheap, and enough to notice a new upload
        st_ = f.path.stat()
        digest.update(f"{f.name}|{st_.st_size}|{st_.st_mtime_ns}".encode())
    products = None
    if products_upload is not None:
        from ecom_models.intake import read_table

        raw = guarded(read_table, products_upload, name=products_upload.name)
        if raw is not None:
            products = guarded(V.normalise_products, raw, file=products_upload.name)
            if products is not None:
                ws.put_frame("images.products", "latest", products)
    if products is None:
        products = ws.get_frame("images.products", "latest")
    if products is None and orders is not None and not orders.is_demo:
        products = V.products_from_orders(orders.df)
    if products is not None:
        digest.update(pd.util.hash_pandas_object(products.astype(str), index=False).values.tobytes())
    source, key = files, "upload-" + digest.hexdigest()[:20]
    # one zip reads as "the photos in shop.zip", not as "1 file" above a count of 300 photos
    what = (f"the photos in **{md_escape(files[0].name)}**" if len(files) == 1 and files[0].name.lower().endswith(".zip")
            else f"**{len(files)}** file(s)")
    source_note = (f"Checking {what} you uploaded" + ("" if in_uploader else " earlier (kept in your "
                   "workspace; upload new ones to replace them)") + ".")

st.info(source_note, icon="🧪" if choice == "Demo store photos" else "📷")
with st.spinner("Reading the photos and running the image model (about 40 photos a second on this machine)…"):
    try:
        base = _analysis(key, source, products)
    except InputError as exc:
        show_input_error(exc)
        st.stop()

# -- settings the merchant can change --------------------------------------------------------------------
saved_rules = ws.get("images.rules", "default", {}) or {}
defaults = V.QualityRules()
with st.sidebar:
    st.subheader("Photo rules")
    st.caption("Marketplace-style rules. Change them to match the marketplaces you sell on.")
    r = {}
    r["min_longest_side"] = st.number_input("Smallest allowed longest side (px)", 100, 10000,
                                            int(saved_rules.get("min_longest_side", defaults.min_longest_side)), 100,
                                            help="Amazon and most marketplaces ask for 1000 px or more so shoppers can zoom.")
    r["max_aspect_ratio"] = st.number_input("Widest shape allowed (long side ÷ short side)", 1.0, 10.0,
                                            float(saved_rules.get("max_aspect_ratio", defaults.max_aspect_ratio)), 0.1,
                                            help="1 = square. Very wide or tall photos get cropped in product grids.")
    r["min_sharpness"] = st.number_input("Least sharpness", 0.0, 5000.0,
                                         float(saved_rules.get("min_sharpness", defaults.min_sharpness)), 5.0,
                                         help="Variance of the Laplacian (how crisp the edges are). Sharp photos score "
                                              "in the hundreds, blurry ones below 25.")
    r["min_brightness"] = st.number_input("Least brightness (0-255)", 0.0, 255.0,
                                          float(saved_rules.get("min_brightness", defaults.min_brightness)), 5.0,
                                          help="Average brightness of the photo. Photos on white are around 200-250; "
                                               "below 70 looks dark.")
    r["max_brightness"] = st.number_input("Most brightness (0-255)", 0.0, 255.0,
                                          float(saved_rules.get("max_brightness", defaults.max_brightness)), 1.0,
                                          help="Above this the photo is almost blank (washed out).")
    r["min_contrast"] = st.number_input("Least contrast", 0.0, 128.0,
                                        float(saved_rules.get("min_contrast", defaults.min_contrast)), 1.0,
                                        help="Spread of brightness in the photo. Very low = nearly nothing to see.")
    r["min_white_background"] = st.slider("White share of the border (%)", 0, 100,
                                          int(round(100 * float(saved_rules.get("min_white_background",
                                                                                defaults.min_white_background)))),
                                          help="Share of the photo's outer edge that is white. Main photos on "
                                               "marketplaces must be on pure white.") / 100
    r["max_file_mb"] = st.number_input("Largest file (MB)", 0.1, 100.0,
                                       float(saved_rules.get("max_file_mb", defaults.max_file_mb)), 0.5,
                                       help="Most marketplaces refuse uploads above 10 MB.")
    st.subheader("Duplicates")
    threshold = st.slider("Model similarity for 'same product, different photo'", 0.80, 1.00,
                          float(ws.get("images.settings", "same_product", 0.90) or 0.90), 0.005, key="img_threshold",
                          help="Two *different* photos (not copies of one picture) whose model descriptions are at "
                               "least this similar are listed as probably one product shot twice. It does not "
                               "change which photos count as the same photo: that takes a pixel-by-pixel check.")
rules = V.QualityRules(**r)
if rules.as_dict() != {k: saved_rules.get(k) for k in rules.as_dict()}:
    ws.put("images.rules", "default", rules.as_dict())
if threshold != ws.get("images.settings", "same_product", None):
    ws.put("images.settings", "same_product", threshold)

analysis = V.reassess(base, rules=rules, threshold=threshold)
table = analysis.table
listings = V.listing_problems(analysis)
refused = [p for p in analysis.problems if p.refused]
converted = [p for p in analysis.problems if not p.refused]

# -- summary -------------------------------------------------------------------------------------------------
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Photos checked", number(len(table)), help="Readable JPEG, PNG and WebP photos in this batch.")
c2.metric("Failing photos", number(int((table["problems"].str.len() > 0).sum())),
          help="Photos that fail at least one of the photo rules in the sidebar.")
c3.metric("Duplicate groups", number(len(analysis.duplicate_groups)),
          help="Sets of photos that are the same picture: copies that were cropped a little, resized, re-encoded "
               "or made brighter or darker count. Every pair in a group passed the check on its own.")
c4.metric("Listings to fix", f"{len(listings)} of {table['product_id'].nunique()}",
          help="Products with at least one photo that breaks a rule, is a duplicate, or disagrees with its category.")
c5.metric("Files refused", number(len(refused)),
          help="Files that could not be read safely: not an image, corrupt, too large, or unsafe inside a zip.")
if refused:
    with st.expander(f"{len(refused)} file(s) refused: why"):
        st.dataframe(pd.DataFrame([{"File": p.file, "Why": p.problem} for p in refused]), hide_index=True,
                     width="stretch")
if converted:
    with st.expander(f"{len(converted)} file(s) converted while reading"):
        st.dataframe(pd.DataFrame([{"File": p.file, "Note": p.problem} for p in converted]), hide_index=True,
                     width="stretch")

tabs = st.tabs(["Photos to fix", "Duplicates", "Categories", "Gallery & similar items", "Business value", "Export"])


def _caption(row, extra: str = "") -> str:
    text = f"**{md_escape(row['file'])}** · {md_escape(row['product_id'])}"
    return text + (f"  \n{extra}" if extra else "")


# -- 1. photo quality -------------------------------------------------------------------------------------------
with tabs[0]:
    st.header("Photos that break a rule")
    st.caption("Each failing photo is shown next to the rule it breaks, with what we measured. Change the rules in "
               "the sidebar; your rules are saved in the workspace.")
    if analysis.failures.empty:
        st.success("Every photo passes the rules.", icon="✅")
    else:
        counts = analysis.failures.groupby("problem").size().sort_values()
        bar = go.Figure(go.Bar(x=counts.values, y=counts.index, orientation="h", marker_color="#ef6c00",
                               hovertemplate="%{y}: %{x} photos<extra></extra>"))
        bar.update_layout(height=80 + 30 * len(counts), margin=dict(t=10, b=10, l=10, r=10),
                          xaxis_title="photos breaking the rule")
        st.plotly_chart(bar, width="stretch")
        problem_filter = st.multiselect("Show problems", list(counts.index[::-1]), key="img_problem_filter",
                                        help="Leave empty to show every failing photo.")
        shown = analysis.failures if not problem_filter else analysis.failures[analysis.failures["problem"].isin(problem_filter)]
        rows_by_file = table.set_index("file")
        for file, part in list(shown.groupby("file", sort=True))[:60]:
            row = rows_by_file.loc[file]
            left, right = st.columns([1, 3])
            left.image(thumb(analysis.thumbnails[file], 200), width="stretch")
            with right:
                st.markdown(f"**{md_escape(file)}** · product {md_escape(row['product_id'])}")
                st.dataframe(pd.DataFrame({
                    "Problem": part["problem"], "Rule": part["rule_text"],
                    "Measured": [f"{v:,.3g}" if isinstance(v, float) else f"{v:,}" for v in part["measured"]],
                }), hide_index=True, width="stretch")
                st.caption(" ".join(PROBLEM_HELP.get(p, "") for p in part["problem"].unique()))
        if shown["file"].nunique() > 60:
            st.caption(f"Showing 60 of {shown['file'].nunique()} photos; download them all on the Export tab.")

# -- 2. duplicates ----------------------------------------------------------------------------------------------
with tabs[1]:
    st.header("Duplicate photos")
    st.caption("Three kinds of match, strongest first. Only **same photo** counts as a problem: keep one copy per "
               "listing (two listings sharing a photo are often one product listed twice). The other two are "
               "for your information.")
    pairs_by_group: dict[int, list[dict]] = {}
    group_of = dict(zip(table["file"], table["duplicate_group"]))
    for p in analysis.duplicate_pairs:
        pairs_by_group.setdefault(int(group_of.get(p["a"], -1)), []).append(p)
    kinds = {f"Same photo ({len(analysis.duplicate_groups)} groups)": "same",
             f"Same product, different photo ({len(analysis.same_product)} pairs)": "product",
             f"Looks alike ({len(analysis.looks_alike)} pairs)": "alike"}
    kind = kinds[st.radio("Show", list(kinds), horizontal=True, key="img_dup_kind",
                          help="Same photo: copies of one picture (cropped, resized, re-encoded, brighter or darker). "
                               "Same product, different photo: another shot of the product (same product id, or "
                               "the model finds them nearly identical). Looks alike: different products that "
                               "resemble each other (useful as 'similar items').")]
    by_file = table.set_index("file", drop=False)

    def _pair_row(a: str, b: str):
        left, right, facts, _ = st.columns([1, 1, 2, 2])
        for col, f in ((left, a), (right, b)):
            row = by_file.loc[f]
            col.image(thumb(analysis.thumbnails[f], 200), width="stretch",
                      caption=f"**{md_escape(f)}** · {md_escape(row['product_id'])}  \n"
                              f"{row['width']}×{row['height']} px")
        return facts

    if kind == "same":
        st.caption("Every pair inside a group passed all checks on its own (no chains): the product's outline "
                   "lines up pixel by pixel after allowing for a small crop, every region of the photo matches, "
                   "the colours match region by region, and the product sits at the same place in the frame.")
        if not analysis.duplicate_groups:
            st.success("No photo is a copy of another.", icon="✅")
        for g, members in enumerate(analysis.duplicate_groups[:30]):
            st.subheader(f"Group {g + 1}: {len(members)} copies of one photo")
            cols = st.columns(6)  # same size whatever the group's size: side by side, small enough to scan
            for col, f in zip(cols, members[:6]):
                row = by_file.loc[f]
                col.image(thumb(analysis.thumbnails[f], 200), width="stretch",
                          caption=_caption(row, f"{row['width']}×{row['height']} px, {row['file_mb']:.2f} MB"))
            evidence = pairs_by_group.get(g, [])
            if evidence:
                st.dataframe(pd.DataFrame([{
                    "Photo A": p["a"], "Photo B": p["b"], "Difference": p.get("distance"),
                    "Shape match": p["grey"], "Worst region": p["detail"],
                    "Worst colour": p["colour"], "Model": p["embedding"],
                    "Same file": "yes" if p["identical_bytes"] else "no"} for p in evidence]),
                    hide_index=True, width="stretch", column_config={
                        "Difference": st.column_config.NumberColumn(
                            format="%.2f", help="All the checks together, measured in what a re-upload changes "
                                                "(crop, resize, JPEG, brightness): 0 = identical; pairs up to "
                                                f"{DUPLICATE_RULES.max_distance:.2f} count as copies (most copies are "
                                                "under 0.5). Small photos are allowed more, because a 30 px "
                                                "copy keeps less of the original."),
                        "Shape match": st.column_config.NumberColumn(
                            format="%.3f", help="Correlation of the two products' outlines and shading after "
                                                "aligning them (1 = identical; copies of large photos score above "
                                                "0.98, of 30 px thumbnails above about 0.93)."),
                        "Worst region": st.column_config.NumberColumn(
                            format="%.2f", help="The photo split into 4 × 4 regions: the largest difference in any "
                                                "region (0 = identical). Catches a different print on the same "
                                                "T-shirt."),
                        "Worst colour": st.column_config.NumberColumn(
                            format="%.3f", help="Largest colour difference in any region, brightness taken out "
                                                "(0 = identical). Catches the same shoe in another colour."),
                        "Model": st.column_config.NumberColumn(
                            format="%.3f", help="Cosine similarity of the image model's descriptions (not used to "
                                                "decide: a 30 px copy can score 0.4)."),
                        "Same file": st.column_config.TextColumn(help="Byte-identical files.")})
        if len(analysis.duplicate_groups) > 30:
            st.caption(f"Showing 30 of {len(analysis.duplicate_groups)} groups; all are in the Export tab's CSV.")
    else:
        rows = analysis.same_product if kind == "product" else analysis.looks_alike
        if kind == "product":
            st.caption(f"Different photos of one product: the same product id, or a model similarity of at least "
                       f"{threshold:.3f} (sidebar) without being copies of one picture. Not a problem: several "
                       "views help shoppers. Check the pairs from different listings: it may be one product listed "
                       "twice.")
        else:
            st.caption("Different products whose photos look alike (model similarity 0.80 or more). Not a problem; "
                       "use them as similar items or substitutes.")
        if not rows:
            st.info("None found.", icon="ℹ️")
        for p in rows[:20]:
            facts = _pair_row(p["a"], p["b"])
            with facts:
                st.metric("Model similarity", f"{p['embedding']:.3f}",
                          help="Cosine similarity of the image model's descriptions (1 = identical).")
                if p.get("reason"):
                    st.caption("Why: " + ("both photos belong to the same product id." if p["reason"] ==
                                          "same product id" else "the model finds them nearly identical, but "
                                                                 "the pixels show two different shots."))
        if len(rows) > 20:
            st.caption(f"Showing 20 of {len(rows)} pairs, most similar first.")

# -- 3. categories -------------------------------------------------------------------------------------------------
with tabs[2]:
    st.header("Categories")
    st.caption("The bundled model knows 1,000 everyday objects (ImageNet). We group them into 12 shop categories "
               "(photos under 48 px are too small to tell). "
               "When your products carry a category, a small neural network learns **your** categories from the "
               "photos and is tested on products it never saw.")
    ev = analysis.categories
    if ev is None:
        st.info(analysis.category_note or "No categories to learn from.", icon="ℹ️")
    else:
        st.caption("**Held-out accuracy**: share of photos put in the right category by a model that never saw "
                   "their product.")
        a1, a2, a3, a4 = st.columns(4)
        a1.metric("Category model", pct(ev.accuracy),
                  help=f"Share of photos whose category the model got right, each predicted by a model that never saw "
                       f"that product ({ev.folds}-fold test over {ev.n_products} products). 95% interval "
                       f"{pct(ev.accuracy_low)} – {pct(ev.accuracy_high)}.")
        a2.metric("Baseline: top category", pct(ev.majority_accuracy),
                  help="Always guessing your most common category: right this often.")
        a3.metric("Baseline: built-in model", pct(ev.taxonomy_accuracy) if ev.taxonomy_accuracy is not None
                  else "n/a", help="The bundled model's own guess, mapped to shop categories. Only possible when your "
                                   "category names match ours (apparel, shoes, bags, …).")
        a4.metric("Photos flagged", number(int(table["category_mismatch"].sum())),
                  help="Photos the model confidently puts in another category than the listing: a wrong photo or a "
                       "product filed under the wrong category.")
        if ev.winner == "category model":
            st.success(f"The category model wins: {pct(ev.accuracy)} (95% interval {pct(ev.accuracy_low)} – "
                       f"{pct(ev.accuracy_high)}) against {pct(max(ev.majority_accuracy, ev.taxonomy_accuracy or 0))} "
                       "for the best baseline, on products it never saw.", icon="🏆")
        else:
            st.warning(f"The baseline wins ({ev.winner}); the category model reaches {pct(ev.accuracy)}. With few "
                       "products per category the model cannot learn much: treat its flags as hints only.", icon="⚖️")
        names = ["Category model", "Guess the top category", "Built-in model (ImageNet)"]
        values = [ev.accuracy, ev.majority_accuracy, ev.taxonomy_accuracy]
        fig = go.Figure(go.Bar(
            x=[n for n, v in zip(names, values) if v is not None], y=[v for v in values if v is not None],
            marker_color=["#2e7d32", "#9e9e9e", "#64b5f6"][: sum(v is not None for v in values)],
            error_y=dict(type="data", symmetric=False, array=[ev.accuracy_high - ev.accuracy] + [0, 0][: sum(v is not None for v in values) - 1],
                         arrayminus=[ev.accuracy - ev.accuracy_low] + [0, 0][: sum(v is not None for v in values) - 1]),
            hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
        fig.update_layout(yaxis_tickformat=".0%", yaxis_title="held-out accuracy", height=280,
                          margin=dict(t=10, b=10, l=10, r=10))
        st.plotly_chart(fig, width="stretch")
        st.caption("Accuracy per category (held out):")
        st.dataframe(ev.per_category.rename(columns={"category": "Category", "photos": "Photos",
                                                     "accuracy": "Accuracy"}), hide_index=True,
                     column_config={"Accuracy": st.column_config.NumberColumn(format="percent",
                                                                              help="Share of this category's photos "
                                                                                   "predicted right.")})
        flagged = table[table["category_mismatch"]]
        st.subheader("Photos that disagree with their category")
        if flagged.empty:
            st.success("No photo confidently disagrees with its listed category.", icon="✅")
        else:
            conf = ev.predictions.set_index("file")["confidence"]
            cols = st.columns(4)
            for i, row in enumerate(flagged.to_dict("records")[:24]):
                cols[i % 4].image(thumb(analysis.thumbnails[row["file"]], 200), width="stretch", caption=_caption(
                    row, f"listed: {md_escape(row['listed_category'])} → looks like "
                         f"**{md_escape(row['predicted_category'])}** ({conf.get(row['file'], 0):.0%} sure)"))
        missing = table[table["listed_category"].isna() & table["predicted_category"].notna()]
        if not missing.empty:
            st.subheader("Suggested categories for products without one")
            st.caption("Learned from your categorised products; check them before using them.")
            st.dataframe(pd.DataFrame({"File": missing["file"], "Product": missing["product_id"],
                                       "Suggested category": missing["predicted_category"],
                                       "Confidence": missing["suggested_confidence"]}),
                         hide_index=True, width="stretch", column_config={"Confidence": st.column_config.NumberColumn(
                             format="percent", help="How sure the category model is (its probability).")})
    with st.expander("Built-in categories for every photo (ImageNet model)"):
        view = table[["file", "product_id", "category", "category_confidence", "listed_category"]].copy()
        view["top labels"] = [", ".join(f"{x['label']} {x['probability']:.0%}" for x in labels)
                              for labels in table["top_labels"]]
        st.dataframe(view.rename(columns={"file": "File", "product_id": "Product", "category": "Built-in category",
                                          "category_confidence": "Confidence", "listed_category": "Your category"}),
                     hide_index=True, width="stretch",
                     column_config={"Confidence": st.column_config.NumberColumn(
                         format="percent", help="Probability the model gives to all objects of this category together.")})

# -- 4. gallery & similar items ------------------------------------------------------------------------------------
with tabs[3]:
    st.header("Similar items")
    st.caption("Products whose photos look alike: use them for 'similar products' and as substitutes when something "
               "is out of stock. Pick a photo here or click **Similar** under any photo in the gallery.")
    files = table["file"].tolist()
    if st.session_state.get("img_focus") not in files:
        st.session_state["img_focus"] = files[0]
    focus = st.selectbox("Photo", files, key="img_focus", help="The photo to find similar products for.")
    k = st.slider("How many", 3, 12, 6, key="img_k", help="Number of similar products to show.")
    left, right = st.columns([1, 3])
    frow = table.set_index("file").loc[focus]
    left.image(thumb(analysis.thumbnails[focus], 240), width="stretch",
               caption=f"**{md_escape(focus)}** · {md_escape(frow['product_id'])}")
    similar = analysis.similar(focus, k=k, other_products_only=True)
    with right:
        cols = st.columns(min(6, max(1, len(similar))))
        for i, row in enumerate(similar.to_dict("records")):
            cols[i % len(cols)].image(thumb(analysis.thumbnails[row["file"]], 160), width="stretch",
                                      caption=f"{md_escape(row['product_id'])}  \nsimilarity {row['similarity']:.2f}")
        st.caption("Similarity is the cosine of the two photos' model descriptions: 1 = the same picture, around 0.8 = "
                   "clearly similar products, below 0.5 = unrelated.")

    st.header("Gallery")
    g1, g2, g3 = st.columns(3)
    cat_options = sorted(set(table["listed_category"].dropna().astype(str)) | set(table["category"]))
    cat_filter = g1.multiselect("Category (yours or built-in)", cat_options, key="img_gallery_cat",
                                help="Show photos whose listed or built-in category is one of these.")
    problem_options = sorted(set(p for ps in table["problems"] for p in ps) | {"duplicate photo",
                                                                                "photo disagrees with category"})
    prob_filter = g2.multiselect("Problems", problem_options, key="img_gallery_problem",
                                 help="Show only photos with one of these problems.")
    per_page = 24
    view = table
    if cat_filter:
        view = view[view["listed_category"].astype(str).isin(cat_filter) | view["category"].isin(cat_filter)]
    if prob_filter:
        def has(row):
            issues = set(row["problems"])
            if row["duplicate_group"] >= 0:
                issues.add("duplicate photo")
            if row["category_mismatch"]:
                issues.add("photo disagrees with category")
            return bool(issues & set(prob_filter))
        view = view[view.apply(has, axis=1)]
    pages = max(1, -(-len(view) // per_page))
    page_no = g3.number_input("Page", 1, pages, 1, key="img_gallery_page", help=f"{len(view)} photos, {per_page} a page.")
    part = view.iloc[(page_no - 1) * per_page: page_no * per_page]
    cols = st.columns(6)

    def _focus(file: str) -> None:
        st.session_state["img_focus"] = file

    for i, row in enumerate(part.to_dict("records")):
        with cols[i % 6]:
            flags = ", ".join(row["problems"]) or "passes the rules"
            st.image(thumb(analysis.thumbnails[row["file"]], 160), width="stretch",
                     caption=_caption(row, md_escape(flags)))
            st.button("Similar", key=f"img_sim_{i}_{row['file']}", on_click=_focus, args=(row["file"],),
                      help="Show the products that look most like this one (top of this tab).")
    if view.empty:
        st.text("No photo matches these filters.")

# -- 5. business value -------------------------------------------------------------------------------------------
with tabs[4]:
    st.header("What fixing the photos could be worth")
    st.caption("**An estimate, not a measurement.** Revenue of the listings with photo problems, from your orders, "
               "times the extra sales you assume better photos bring. Test fixed photos with an A/B test to measure it.")
    saved_value = ws.get("images.assumptions", "default", {}) or {}
    gain = st.number_input("Extra sales on a listing once its photos are fixed (%)", 0.0, 50.0,
                           float(saved_value.get("conversion_gain", 0.05)) * 100, 0.5, key="img_gain",
                           help="An assumption. Published photo-quality studies report a few percent up to low double "
                                "digits; 5% is a cautious default. The range shown below uses 1% to 10%.") / 100
    if gain != saved_value.get("conversion_gain"):
        ws.put("images.assumptions", "default", {"conversion_gain": gain})
    if choice == "Demo store photos":
        order_df = demo_store().orders  # demo photos belong to the demo store's listings
    else:
        order_df = orders.df if orders is not None and not orders.is_demo else None
        # (the demo store's orders say nothing about uploaded photos)
    if order_df is None:
        st.info("Upload your orders on the **Data** page to put a revenue figure on these listings.", icon="📂")
    estimate = VAL.images_value(analysis, order_df, conversion_gain=gain,
                                gain_low=min(0.01, gain), gain_high=max(0.10, gain))
    at_stake = next(a.value for a in estimate.assumptions if a.key == "monthly_revenue_at_stake")
    if order_df is not None:
        from dataclasses import asdict

        document = asdict(estimate)
        if ws.get("images.value", "latest") != document:  # read by the Business value page
            ws.put("images.value", "latest", document)
    share = V.revenue_at_stake(order_df, listings["product_id"].tolist())["share"] if order_df is not None else None
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
    out = table.drop(columns=["top_labels", "sha1"]).copy()
    out["top_labels"] = ["; ".join(f"{x['label']} ({x['probability']:.2f})" for x in labels)
                         for labels in table["top_labels"]]
    out["problems"] = [", ".join(p) for p in table["problems"]]
    st.download_button("Download the results per photo (CSV)", csv_bytes(out),
                       file_name="product_images.csv", mime="text/csv",
                       help="One row per photo: product, categories, every measurement and problem, duplicate group.")
    st.caption(f"Model: EfficientNet-Lite0 (ImageNet, Apache-2.0), run with onnxruntime. Timing for this batch: "
               f"read {analysis.seconds.get('read', 0):.1f} s, model {analysis.seconds.get('embed', 0):.1f} s, "
               f"category model {analysis.seconds.get('categories', 0):.1f} s.")
