"""Helpers for the Product images page: thumbnails, safe captions (common.md_escape), the photo-rules
sidebar, the summary figures and the larger tabs (photos to fix, duplicates, categories, gallery and
similar items). Each draws what an ImageAnalysis holds; nothing here computes a result."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.images import (DEFAULT_THRESHOLDS as DUPLICATE_RULES, PROBLEM_HELP, ImageAnalysis, QualityRules,
                                issue_options, select_photos)
from ecom_ui.common import md_escape, number, pct


def thumb(img, size: int = 240):
    """A thumbnail for st.image: JPEG bytes pass through (already small), a PIL image is shrunk."""
    if isinstance(img, (bytes, bytearray)):
        return bytes(img)
    copy = img.copy()
    copy.thumbnail((size, size))
    return copy


def caption(row, extra: str = "") -> str:
    text = f"**{md_escape(row['file'])}** · {md_escape(row['product_id'])}"
    return text + (f"  \n{extra}" if extra else "")


def rules_sidebar(saved: QualityRules, saved_threshold: float) -> tuple[QualityRules, float]:
    """The photo rules and the duplicate threshold, edited in the sidebar (starting from the saved ones)."""
    with st.sidebar:
        st.subheader("Photo rules")
        st.caption("Marketplace-style rules. Change them to match the marketplaces you sell on.")
        r = {}
        r["min_longest_side"] = st.number_input("Smallest allowed longest side (px)", 100, 10000,
                                                int(saved.min_longest_side), 100,
                                                help="Amazon and most marketplaces ask for 1000 px or more so shoppers can zoom.")
        r["max_aspect_ratio"] = st.number_input("Widest shape allowed (long side ÷ short side)", 1.0, 10.0,
                                                float(saved.max_aspect_ratio), 0.1,
                                                help="1 = square. Very wide or tall photos get cropped in product grids.")
        r["min_sharpness"] = st.number_input("Least sharpness", 0.0, 5000.0,
                                             float(saved.min_sharpness), 5.0,
                                             help="Variance of the Laplacian (how crisp the edges are). Sharp photos score "
                                                  "in the hundreds, blurry ones below 25.")
        r["min_brightness"] = st.number_input("Least brightness (0-255)", 0.0, 255.0,
                                              float(saved.min_brightness), 5.0,
                                              help="Average brightness of the photo. Photos on white are around 200-250; "
                                                   "below 70 looks dark.")
        r["max_brightness"] = st.number_input("Most brightness (0-255)", 0.0, 255.0,
                                              float(saved.max_brightness), 1.0,
                                              help="Above this the photo is almost blank (washed out).")
        r["min_contrast"] = st.number_input("Least contrast", 0.0, 128.0,
                                            float(saved.min_contrast), 1.0,
                                            help="Spread of brightness in the photo. Very low = nearly nothing to see.")
        r["min_white_background"] = st.slider("White share of the border (%)", 0, 100,
                                              int(round(100 * float(saved.min_white_background))),
                                              help="Share of the photo's outer edge that is white. Main photos on "
                                                   "marketplaces must be on pure white.") / 100
        r["max_file_mb"] = st.number_input("Largest file (MB)", 0.1, 100.0,
                                           float(saved.max_file_mb), 0.5,
                                           help="Most marketplaces refuse uploads above 10 MB.")
        st.subheader("Duplicates")
        threshold = st.slider("Model similarity for 'same product, different photo'", 0.80, 1.00,
                              float(saved_threshold), 0.005, key="img_threshold",
                              help="Two *different* photos (not copies of one picture) whose model descriptions are at "
                                   "least this similar are listed as probably one product shot twice. It does not "
                                   "change which photos count as the same photo: that takes a pixel-by-pixel check.")
    return QualityRules(**r), threshold


def summary_metrics(analysis: ImageAnalysis, listings: pd.DataFrame) -> None:
    """The five headline figures, and the files refused or converted while reading."""
    table = analysis.table
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Photos checked", number(len(table)), help="Readable JPEG, PNG and WebP photos in this batch.")
    c2.metric("Failing photos", number(analysis.failing_photos),
              help="Photos that fail at least one of the photo rules in the sidebar.")
    c3.metric("Duplicate groups", number(len(analysis.duplicate_groups)),
              help="Sets of photos that are the same picture: copies that were cropped a little, resized, re-encoded "
                   "or made brighter or darker count. Every pair in a group passed the check on its own.")
    c4.metric("Listings to fix", f"{len(listings)} of {table['product_id'].nunique()}",
              help="Products with at least one photo that breaks a rule, is a duplicate, or disagrees with its category.")
    c5.metric("Files refused", number(len(analysis.refused)),
              help="Files that could not be read safely: not an image, corrupt, too large, or unsafe inside a zip.")
    if analysis.refused:
        with st.expander(f"{len(analysis.refused)} file(s) refused: why"):
            st.dataframe(pd.DataFrame([{"File": p.file, "Why": p.problem} for p in analysis.refused]), hide_index=True,
                         width="stretch")
    if analysis.converted:
        with st.expander(f"{len(analysis.converted)} file(s) converted while reading"):
            st.dataframe(pd.DataFrame([{"File": p.file, "Note": p.problem} for p in analysis.converted]), hide_index=True,
                         width="stretch")


def quality_tab(analysis: ImageAnalysis) -> None:
    table = analysis.table
    st.header("Photos that break a rule")
    st.caption("Each failing photo is shown next to the rule it breaks, with what we measured. Change the rules in "
               "the sidebar; your rules are saved in the workspace.")
    if analysis.failures.empty:
        st.success("Every photo passes the rules.", icon="✅")
    else:
        counts = analysis.failures_per_problem
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


def duplicates_tab(analysis: ImageAnalysis, threshold: float) -> None:
    table = analysis.table
    st.header("Duplicate photos")
    st.caption("Three kinds of match, strongest first. Only **same photo** counts as a problem: keep one copy per "
               "listing (two listings sharing a photo are often one product listed twice). The other two are "
               "for your information.")
    pairs_by_group = analysis.pairs_by_group
    kinds = {f"Same photo ({len(analysis.duplicate_groups)} groups)": "same",
             f"Same product, different photo ({len(analysis.same_product)} pairs)": "product",
             f"Looks alike ({len(analysis.looks_alike)} pairs)": "alike"}
    kind = kinds[st.radio("Show", list(kinds), horizontal=True, key="img_dup_kind",
                          help="Same photo: copies of one picture (cropped, resized, re-encoded, brighter or darker). "
                               "Same product, different photo: another shot of the product (same product id, or "
                               "the model finds them nearly identical). Looks alike: different products that "
                               "resemble each other (useful as 'similar items').")]
    by_file = table.set_index("file", drop=False)

    def pair_row(a: str, b: str):
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
                          caption=caption(row, f"{row['width']}×{row['height']} px, {row['file_mb']:.2f} MB"))
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
            facts = pair_row(p["a"], p["b"])
            with facts:
                st.metric("Model similarity", f"{p['embedding']:.3f}",
                          help="Cosine similarity of the image model's descriptions (1 = identical).")
                if p.get("reason"):
                    st.caption("Why: " + ("both photos belong to the same product id." if p["reason"] ==
                                          "same product id" else "the model finds them nearly identical, but "
                                                                 "the pixels show two different shots."))
        if len(rows) > 20:
            st.caption(f"Showing 20 of {len(rows)} pairs, most similar first.")


def categories_tab(analysis: ImageAnalysis) -> None:
    table = analysis.table
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
                cols[i % 4].image(thumb(analysis.thumbnails[row["file"]], 200), width="stretch", caption=caption(
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


def gallery_tab(analysis: ImageAnalysis) -> None:
    """Similar items for one photo, and the gallery (filters, pages, a 'Similar' button per photo)."""
    table = analysis.table
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
    problem_options = issue_options(table)
    prob_filter = g2.multiselect("Problems", problem_options, key="img_gallery_problem",
                                 help="Show only photos with one of these problems.")
    per_page = 24
    view = select_photos(table, cat_filter, prob_filter)
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
                     caption=caption(row, md_escape(flags)))
            st.button("Similar", key=f"img_sim_{i}_{row['file']}", on_click=_focus, args=(row["file"],),
                      help="Show the products that look most like this one (top of this tab).")
    if view.empty:
        st.text("No photo matches these filters.")


def skipped_files_error(skipped: list[str], in_use: bool, had_photos: bool):
    """The message for uploaded files that hold no photos, naming them and saying what was kept."""
    from ecom_models.core.errors import InputError

    names = ", ".join(skipped[:3]) + (" …" if len(skipped) > 3 else "")
    one = len(skipped) == 1
    problem = ("this is not a JPEG, PNG or WebP photo or a readable zip of photos (going by its content, "
               "whatever its name says)" if one else
               "these are not JPEG, PNG or WebP photos or readable zips of photos (going by their content, "
               "whatever their names say)")
    if in_use:
        problem += f", so {'it was' if one else 'they were'} left out; the other photos are checked below."
    else:
        problem += ", so nothing was saved" + ("; the photos kept from last time are checked below." if had_photos
                                               else ".")
    return InputError(problem if one else f"{names}: {problem}", file=names if one else None,
                      fix="upload product photos, or one zip file of them.")


def upload_note(files, in_uploader: bool) -> str:
    """Which uploaded photos the page checks: one zip reads as "the photos in shop.zip", not as
    "1 file" above a count of 300 photos."""
    from ecom_ui.common import md_escape

    what = (f"the photos in **{md_escape(files[0].name)}**" if len(files) == 1 and files[0].name.lower().endswith(".zip")
            else f"**{len(files)}** file(s)")
    return f"Checking {what} you uploaded" + ("" if in_uploader else " earlier (kept in your workspace; upload new "
                                               "ones to replace them)") + "."
