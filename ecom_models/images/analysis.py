"""One call for the page, the CLI and the value layer: analyse(photos, products) reads, checks, embeds and
compares a batch of product photos in chunks (on this machine with the model on a second thread, or on
Dask workers through map_chunks) and returns an ImageAnalysis; reassess applies other rules or another
duplicate threshold without running the model again. Also here: the products table (normalised, from
orders, which one wins), the listings with photo problems, each photo's issues, the CSV export and the
revenue at stake."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.images import duplicates as _dupes
from ecom_models.images.categories import CategoryEvaluation, evaluate_categories, suggest_categories
from ecom_models.images.files import (MAX_PIXELS, ImageFile, LoadedImage, Problem, collect_images, load_images,
                                      product_id_from_file)
from ecom_models.images.model import coarse_categories, embed, top_labels
from ecom_models.images.quality import QualityRules, check_quality, quality_metrics, thumbnail_bytes
from ecom_models.images.similar import nearest

# Issues a photo can have beside the quality rules (same names as quality.PROBLEM_HELP's keys)
DUPLICATE_ISSUE = "duplicate photo"
MISMATCH_ISSUE = "photo disagrees with category"


# -- one call for everything ----------------------------------------------------------------------
@dataclass
class ImageAnalysis:
    """Everything the page and the CLI show.

    table: one row per readable photo: file, product_id, listed_category, category (coarse, from
      the ImageNet model), category_confidence, top_labels (list of {label, probability}),
      the QUALITY_COLUMNS, problems (list of quality problem names), duplicate_group (int or -1),
      predicted_category / category_mismatch (when categories were learned; for photos of
      products without a category, predicted_category is a suggestion with suggested_confidence).
    embeddings: (n, 1280) L2-normalised, rows aligned with table.
    failures: check_quality output.  problems: files refused or converted while reading.
    """

    table: pd.DataFrame
    embeddings: np.ndarray
    failures: pd.DataFrame
    duplicate_groups: list[list[str]]
    problems: list[Problem]
    categories: CategoryEvaluation | None
    category_note: str
    thumbnails: dict  # file -> JPEG bytes, longest side <= THUMB_SIZE (st.image shows them as they are)
    rules: QualityRules
    threshold: float
    seconds: dict = field(default_factory=dict)
    fingerprints: list = field(default_factory=list)  # vision_dupes.Fingerprint per row of table
    duplicate_pairs: list = field(default_factory=list)  # verified same-photo pairs with their evidence
    same_product: list = field(default_factory=list)  # different photos of one product (same id or very close)
    looks_alike: list = field(default_factory=list)  # different products that look alike

    def similar(self, file: str, k: int = 5, other_products_only: bool = True) -> pd.DataFrame:
        """The k most similar photos to `file`: file, product_id, category, similarity."""
        files = self.table["file"].tolist()
        i = files.index(file)
        exclude = None
        if other_products_only:
            exclude = np.where(self.table["product_id"].to_numpy() == self.table["product_id"].iloc[i])[0]
        hits = nearest(self.embeddings, i, k=k, exclude=exclude)
        rows = [{"file": files[j], "product_id": self.table["product_id"].iloc[j],
                 "category": self.table["listed_category"].iloc[j], "similarity": round(s, 3)} for j, s in hits]
        return pd.DataFrame(rows, columns=["file", "product_id", "category", "similarity"])

    @property
    def refused(self) -> list[Problem]:
        """Files that could not be read safely."""
        return [p for p in self.problems if p.refused]

    @property
    def converted(self) -> list[Problem]:
        """Files read after a change (first frame of an animation, CMYK to RGB, ...)."""
        return [p for p in self.problems if not p.refused]

    @property
    def failing_photos(self) -> int:
        """Photos that break at least one quality rule."""
        return int((self.table["problems"].str.len() > 0).sum())

    @property
    def failures_per_problem(self) -> pd.Series:
        """Photos breaking each rule, by problem name, fewest first."""
        return self.failures.groupby("problem").size().sort_values()

    @property
    def pairs_by_group(self) -> dict[int, list[dict]]:
        """The verified same-photo pairs of each duplicate group (the evidence for the group)."""
        out: dict[int, list[dict]] = {}
        group_of = dict(zip(self.table["file"], self.table["duplicate_group"]))
        for p in self.duplicate_pairs:
            out.setdefault(int(group_of.get(p["a"], -1)), []).append(p)
        return out


def analyse_chunk(files: list[ImageFile], max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True) -> dict:
    """The per-photo work of `analyse` for one chunk of files: decode, embed, measure. It needs no
    other photo, so it can run anywhere (distributed.image_chunk_runner runs it on Dask workers).
    Returns records, probs, emb (None when nothing was readable), thumbs, problems, seconds."""
    import time

    c0 = time.perf_counter()
    loaded, problems = load_images(files, max_pixels=max_pixels)
    c1 = time.perf_counter()
    out = _measure_chunk(loaded, problems, keep_thumbnails)
    out["seconds"]["read"] = c1 - c0
    if loaded:
        c2 = time.perf_counter()
        out["probs"], out["emb"] = embed([im.work for im in loaded])
        out["seconds"]["embed"] = time.perf_counter() - c2
    return out


def _measure_chunk(loaded: list[LoadedImage], problems: list[Problem], keep_thumbnails: bool) -> dict:
    """Everything per photo but the model: quality figures, duplicate fingerprints, thumbnails."""
    import time

    c0 = time.perf_counter()
    out = {"records": [], "probs": None, "emb": None, "thumbs": {}, "prints": [], "problems": problems,
           "seconds": {"read": 0.0, "embed": 0.0, "checks": 0.0}}
    for im in loaded:
        out["prints"].append(_dupes.fingerprint(im.work, (im.width, im.height)))
        out["records"].append({"file": im.file, **quality_metrics(im), "format": im.format, "sha1": im.sha1,
                               "note": im.note})
        if keep_thumbnails:
            out["thumbs"][im.file] = thumbnail_bytes(im.work)
    out["seconds"]["checks"] = time.perf_counter() - c0
    return out


def _pipelined_chunks(chunks: list[list[ImageFile]], max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True):
    """`analyse_chunk` over every chunk on this machine, with the model running on a second thread:
    while it embeds one chunk, this thread measures that chunk and decodes the next (onnxruntime,
    Pillow and NumPy release the GIL, and two model threads leave part of the two cores idle).
    Yields the same dicts as analyse_chunk, in chunk order; at most two chunks are decoded at once."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    def read(files):
        c0 = time.perf_counter()
        loaded, problems = load_images(files, max_pixels=max_pixels)
        return loaded, problems, time.perf_counter() - c0

    def run_model(images):
        c0 = time.perf_counter()
        probs, emb = embed(images)
        return probs, emb, time.perf_counter() - c0

    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision-model") as pool:
        upcoming = read(chunks[0])
        for k in range(len(chunks)):
            loaded, problems, read_s = upcoming
            model = pool.submit(run_model, [im.work for im in loaded]) if loaded else None
            out = _measure_chunk(loaded, problems, keep_thumbnails)
            upcoming = read(chunks[k + 1]) if k + 1 < len(chunks) else None
            out["seconds"]["read"] = read_s
            if model is not None:
                out["probs"], out["emb"], out["seconds"]["embed"] = model.result()
            yield out


def analyse(source, products: pd.DataFrame | None = None, rules: QualityRules | None = None,
            threshold: float = 0.90, learn_categories: bool = True, mismatch_confidence: float = 0.6,
            max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True, chunk_size: int = 64,
            map_chunks=None) -> ImageAnalysis:
    """Read, check, embed and compare a batch of product photos.

    source: anything collect_images accepts. products (optional): product_id and category
    (and product_name), used to link photos to listings and to learn the merchant's categories.
    map_chunks(analyse_chunk, chunks, **kwargs): runs the per-chunk work elsewhere and yields
    its results in chunk order (distributed.image_chunk_runner: on Dask workers).
    """
    import time

    rules = rules or QualityRules()
    t0 = time.perf_counter()
    files, problems = collect_images(source)
    # Photos are decoded, measured and embedded in chunks; only small results are kept (a
    # thumbnail as JPEG bytes, numbers, the embedding), so memory does not grow with the
    # decoded size of the whole catalog.
    records, probs_parts, emb_parts, thumbs, prints = [], [], [], {}, []
    seconds = {"read": 0.0, "embed": 0.0, "checks": 0.0}
    chunks = [files[start:start + chunk_size] for start in range(0, len(files), chunk_size)]
    if map_chunks is not None:
        parts = map_chunks(analyse_chunk, chunks, max_pixels=max_pixels, keep_thumbnails=keep_thumbnails)
    else:  # the same steps as analyse_chunk (read, measure, embed), overlapped on this machine
        parts = _pipelined_chunks(chunks, max_pixels=max_pixels, keep_thumbnails=keep_thumbnails)
    for part in parts:
        problems += part["problems"]
        for k, v in part["seconds"].items():
            seconds[k] += v
        if part["records"]:
            records.extend(part["records"])
            probs_parts.append(part["probs"])
            emb_parts.append(part["emb"])
            thumbs.update(part["thumbs"])
            prints.extend(part["prints"])
    if not records:
        detail = ""
        if problems:
            detail = f" {len(problems)} file(s) were refused: " + "; ".join(
                f"{p.file}: {p.problem}" for p in problems[:3]) + (" …" if len(problems) > 3 else "")
        raise InputError("no readable JPEG, PNG or WebP photos were found." + detail,
                         fix="upload product photos (or a zip of them) named after their product id, e.g. SKU-123.jpg.")
    probs, emb = np.concatenate(probs_parts), np.concatenate(emb_parts)
    t3 = time.perf_counter()
    names = [r["file"] for r in records]
    product_ids = None
    listed = {}
    if products is not None and len(products) and "product_id" in products:
        product_ids = products["product_id"].astype(str).tolist()
        if "category" in products:
            listed = dict(zip(products["product_id"].astype(str), products["category"]))
    coarse, coarse_mass = coarse_categories(probs, embeddings=emb,
                                            longest_side=[max(r["width"], r["height"]) for r in records])
    table = pd.DataFrame({"file": names})
    table["product_id"] = [product_id_from_file(f, product_ids) for f in names]
    table["listed_category"] = [listed.get(p) if listed.get(p) is not None and not pd.isna(listed.get(p)) else None
                                for p in table["product_id"]]
    table["category"] = coarse
    table["category_confidence"] = np.round(coarse_mass.astype(float), 3)
    table["top_labels"] = top_labels(probs)
    table = pd.concat([table, pd.DataFrame(records).drop(columns=["file"])], axis=1)
    failures = check_quality(table, rules)
    by_file = failures.groupby("file")["problem"].apply(list).to_dict() if len(failures) else {}
    table["problems"] = [by_file.get(f, []) for f in names]
    found = _dupes.find_duplicates(names, prints, emb, sha1=table["sha1"].tolist(),
                                   product_ids=table["product_id"].tolist(), t=_thresholds(threshold))
    groups = found.groups
    group_of = {f: g for g, members in enumerate(groups) for f in members}
    table["duplicate_group"] = [group_of.get(f, -1) for f in names]
    seconds["duplicates"] = time.perf_counter() - t3
    seconds["checks"] += time.perf_counter() - t3
    t3 = time.perf_counter()

    evaluation, note = None, ""
    labelled = table["listed_category"].notna().to_numpy()
    if learn_categories:
        if labelled.sum() == 0:
            note = "No photo is linked to a product with a category, so only the built-in categories are shown."
        else:
            try:
                evaluation = evaluate_categories(
                    emb[labelled], table.loc[labelled, "listed_category"].tolist(),
                    table.loc[labelled, "product_id"].tolist(), table.loc[labelled, "file"].tolist(),
                    taxonomy_pred=table.loc[labelled, "category"].tolist(), mismatch_confidence=mismatch_confidence)
            except InputError as exc:
                note = exc.message
    table["predicted_category"] = None
    table["category_mismatch"] = False
    table["suggested_confidence"] = np.nan
    if evaluation is not None:
        pred = evaluation.predictions.set_index("file")
        table["predicted_category"] = table["file"].map(pred["predicted"])
        table["category_mismatch"] = table["file"].map(pred["mismatch"]).fillna(False).astype(bool)
        if (~labelled).any():
            suggested, confidence = suggest_categories(emb[labelled], table.loc[labelled, "listed_category"].tolist(),
                                                       emb[~labelled])
            table.loc[~labelled, "predicted_category"] = suggested
            table.loc[~labelled, "suggested_confidence"] = np.round(confidence, 3)
    seconds["categories"] = time.perf_counter() - t3
    seconds["total"] = time.perf_counter() - t0
    return ImageAnalysis(table=table, embeddings=emb, failures=failures, duplicate_groups=groups, problems=problems,
                         categories=evaluation, category_note=note, thumbnails=thumbs, rules=rules, threshold=threshold,
                         seconds=seconds, fingerprints=prints, duplicate_pairs=found.pairs,
                         same_product=found.same_product, looks_alike=found.looks_alike)


def reassess(analysis: ImageAnalysis, rules: QualityRules | None = None,
             threshold: float | None = None) -> ImageAnalysis:
    """The same photos under other quality rules or another duplicate threshold (cheap: no model run)."""
    import copy

    rules = rules or analysis.rules
    threshold = analysis.threshold if threshold is None else threshold
    out = copy.copy(analysis)
    table = analysis.table.copy()
    failures = check_quality(table, rules)
    by_file = failures.groupby("file")["problem"].apply(list).to_dict() if len(failures) else {}
    table["problems"] = [by_file.get(f, []) for f in table["file"]]
    groups = analysis.duplicate_groups
    if threshold != analysis.threshold and analysis.fingerprints:
        found = _dupes.find_duplicates(table["file"].tolist(), analysis.fingerprints, analysis.embeddings,
                                       sha1=table["sha1"].tolist(), product_ids=table["product_id"].tolist(),
                                       t=_thresholds(threshold))
        groups = found.groups
        out.duplicate_pairs, out.same_product, out.looks_alike = found.pairs, found.same_product, found.looks_alike
    group_of = {f: g for g, members in enumerate(groups) for f in members}
    table["duplicate_group"] = [group_of.get(f, -1) for f in table["file"]]
    out.table, out.failures, out.duplicate_groups, out.rules, out.threshold = table, failures, groups, rules, threshold
    return out


def _thresholds(same_product: float) -> "_dupes.Thresholds":
    """Duplicate rules; the merchant's threshold sets when two *different* photos count as one product."""
    import dataclasses

    return dataclasses.replace(_dupes.DEFAULT_THRESHOLDS, same_product_embedding=float(same_product))


def normalise_products(df: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """A merchant's products table -> product_id, category (and product_name when present)."""
    columns = {str(c).lower().strip().replace(" ", "_"): c for c in df.columns}
    rename = {}
    for want, options in {"product_id": ["product_id", "sku", "stockcode", "stock_code", "item_id", "id", "product"],
                          "category": ["category", "product_type", "type", "department", "collection"],
                          "product_name": ["product_name", "name", "title", "description"]}.items():
        for option in options:
            if option in columns and columns[option] not in rename:
                rename[columns[option]] = want
                break
    out = df.rename(columns=rename)
    if "product_id" not in out:
        raise InputError("the products file has no product id column.", file=file,
                         fix="name a column 'product_id' (or 'sku').")
    keep = [c for c in ("product_id", "product_name", "category") if c in out]
    out = out[keep].copy()
    out["product_id"] = out["product_id"].astype(str).str.strip()
    return out.drop_duplicates("product_id")


def products_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """product_id, product_name, category from canonical order lines (most frequent values)."""
    if orders is None or not len(orders) or "product_id" not in orders:
        return pd.DataFrame(columns=["product_id", "product_name", "category"])
    cols = [c for c in ("product_name", "category") if c in orders]
    part = orders.dropna(subset=["product_id"])
    out = part.groupby(part["product_id"].astype(str))[cols].agg(
        lambda v: v.mode().iloc[0] if v.notna().any() else None).reset_index()
    return out


def listing_problems(analysis: ImageAnalysis) -> pd.DataFrame:
    """One row per product with at least one photo problem: product_id, photos, problems (text)."""
    t = analysis.table
    rows = []
    for pid, part in t.groupby("product_id", sort=True):
        issues = set()
        for probs in part["problems"]:
            issues.update(probs)
        if (part["duplicate_group"] >= 0).any():
            issues.add("duplicate photo")
        if part["category_mismatch"].any():
            issues.add("photo disagrees with category")
        if issues:
            rows.append({"product_id": pid, "photos": len(part), "problems": ", ".join(sorted(issues))})
    return pd.DataFrame(rows, columns=["product_id", "photos", "problems"])


# -- business value ----------------------------------------------------------------------------------
def revenue_at_stake(orders: pd.DataFrame | None, product_ids) -> dict:
    """Monthly sales of these products over the last 90 days of orders and their share of all sales.

    Returns {monthly, share (NaN without orders), currency (None when unknown)}."""
    monthly, share, currency = 0.0, float("nan"), None
    if orders is not None and len(orders):
        # only the columns needed: the page runs this for every session, and filtering all of a 180k-line
        # export's columns took most of its time
        sales = orders[[c for c in ("order_date", "product_id", "revenue", "line_type", "is_duplicate") if c in orders]]
        if "line_type" in sales:
            keep = sales["line_type"] == "sale"
            if "is_duplicate" in sales:
                keep &= ~sales["is_duplicate"].fillna(False).astype(bool)
            sales = sales[keep]
        if len(sales):
            dates = pd.to_datetime(sales["order_date"])
            end = dates.max()
            is_recent = dates > end - pd.Timedelta(days=90)
            recent = sales[is_recent]
            days = max(1.0, (end - dates[is_recent].min()).days + 1)
            revenue = recent.groupby(recent["product_id"].astype(str))["revenue"].sum()
            hit = revenue[revenue.index.isin([str(p) for p in product_ids])]
            monthly = float(hit.sum() / (days / 30.44))
            share = float(hit.sum() / revenue.sum()) if revenue.sum() > 0 else float("nan")
        if "currency" in orders and orders["currency"].notna().any():
            currency = str(orders["currency"].mode().iloc[0])
    return {"monthly": monthly, "share": share, "currency": currency}


def resolve_products(uploaded: pd.DataFrame | None, saved: pd.DataFrame | None,
                     orders: pd.DataFrame | None) -> pd.DataFrame | None:
    """The products table the photos are linked to: a products file just uploaded, else the one kept from
    last time, else the products of the merchant's orders (pass None for the demo store's orders)."""
    if uploaded is not None:
        return uploaded
    if saved is not None:
        return saved
    return products_from_orders(orders) if orders is not None else None


def photo_issues(table: pd.DataFrame) -> pd.Series:
    """Per photo (row of ImageAnalysis.table): its quality problems plus "duplicate photo" and
    "photo disagrees with category" where they apply, as a set."""
    def issues(row) -> set:
        found = set(row["problems"])
        if row["duplicate_group"] >= 0:
            found.add(DUPLICATE_ISSUE)
        if row["category_mismatch"]:
            found.add(MISMATCH_ISSUE)
        return found

    return table.apply(issues, axis=1) if len(table) else pd.Series([], dtype=object)


def issue_options(table: pd.DataFrame) -> list[str]:
    """Every issue a photo of this table can be filtered on, sorted."""
    return sorted(set(p for ps in table["problems"] for p in ps) | {DUPLICATE_ISSUE, MISMATCH_ISSUE})


def select_photos(table: pd.DataFrame, categories=(), issues=()) -> pd.DataFrame:
    """The photos whose listed or built-in category is one of `categories` and that have one of `issues`
    (an empty filter keeps every photo)."""
    view = table
    if categories:
        view = view[view["listed_category"].astype(str).isin(categories) | view["category"].isin(categories)]
    if issues:
        view = view[photo_issues(view).map(lambda found: bool(found & set(issues))).astype(bool)]
    return view


def export_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per photo for the CSV download: top labels and problems as text, no file hash."""
    out = table.drop(columns=["top_labels", "sha1"]).copy()
    out["top_labels"] = ["; ".join(f"{x['label']} ({x['probability']:.2f})" for x in labels)
                         for labels in table["top_labels"]]
    out["problems"] = [", ".join(p) for p in table["problems"]]
    return out
