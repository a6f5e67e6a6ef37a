"""What the Product images page keeps in the merchant's workspace: the uploaded photos (a folder per
workspace, replaced whole by a new upload, saved once per set of files), the products file, the photo
rules and the duplicate threshold. Namespace strings (`images.upload`, `images.products`,
`images.rules`, `images.settings`) are persisted data and never change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from ecom_models.images.analysis import normalise_products
from ecom_models.images.files import ImageFile, could_hold_photos, save_uploads, stored_uploads, upload_batch_id
from ecom_models.images.quality import QualityRules

UPLOAD = "images.upload"
PRODUCTS = "images.products"
RULES = "images.rules"
SETTINGS = "images.settings"
DEFAULT_THRESHOLD = 0.90  # model similarity for "same product, different photo"


def photo_dir(ws) -> Path:
    """Where this workspace's uploaded photos are kept (they survive a reload)."""
    return ws.folder / "photos" / ws.name


def stored_photos(ws) -> list[ImageFile]:
    return stored_uploads(photo_dir(ws))


@dataclass
class SavedBatch:
    """What became of a set of uploaded files: `skipped` names the files that hold no photos (left
    out); `in_use` says whether the photos now kept are this upload's (False when every file was
    wrong: the photos kept from last time stay); `written` whether this call wrote them."""

    skipped: list[str]
    in_use: bool
    written: bool


def save_batch(ws, uploads) -> SavedBatch:
    """Keep a set of uploaded files (objects with .name and .getvalue(), as Streamlit's uploader gives)
    unless this very set was saved last time. Files that hold no photos (could_hold_photos, from their
    first bytes) are left out: a batch of nothing but wrong files must not replace the photos kept
    from last time, and one unreadable zip would otherwise stop the whole batch's analysis. One
    photo's bytes are copied at a time (the uploader already holds them all once), and the new set
    replaces the old one whole."""
    batch = upload_batch_id((f.name, f.getvalue()) for f in uploads)
    if ws.get(UPLOAD, "batch") == batch:  # a rerun with the same files: nothing to read again
        return SavedBatch(list(ws.get(UPLOAD, "skipped", []) or []), True, False)
    readable = [could_hold_photos(f.getvalue(), f.name) for f in uploads]
    skipped = [f.name for f, ok in zip(uploads, readable) if not ok]
    if not any(readable):
        return SavedBatch(skipped, False, False)
    save_uploads((ImageFile(f.name, f.getvalue()) for f, ok in zip(uploads, readable) if ok), photo_dir(ws))
    ws.put(UPLOAD, "skipped", skipped)
    ws.put(UPLOAD, "batch", batch)
    return SavedBatch(skipped, True, True)


def batch_key(files: list[ImageFile], products: pd.DataFrame | None) -> str:
    """Cache key of an analysis of kept photos: their names, sizes and times (cheap, and enough to
    notice a new upload) and the products table's content."""
    digest = hashlib.sha1()
    for f in files:
        stat = f.path.stat()
        digest.update(f"{f.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    if products is not None:
        digest.update(pd.util.hash_pandas_object(products.astype(str), index=False).values.tobytes())
    return "upload-" + digest.hexdigest()[:20]


def read_products(upload, name: str | None = None) -> pd.DataFrame:
    """A products file (CSV or Excel with product_id and category) as product_id, category, product_name."""
    from ecom_models.intake import read_table

    return normalise_products(read_table(upload, name=name), file=name)


def save_products(ws, products: pd.DataFrame) -> None:
    ws.put_frame(PRODUCTS, "latest", products)


def saved_products(ws) -> pd.DataFrame | None:
    return ws.get_frame(PRODUCTS, "latest")


def saved_rules(ws) -> QualityRules:
    """The photo rules saved last time; a rule never saved keeps its default."""
    saved = ws.get(RULES, "default", {}) or {}
    known = {f.name for f in fields(QualityRules)}
    return QualityRules(**{k: v for k, v in saved.items() if k in known}) if isinstance(saved, dict) else QualityRules()


def save_rules(ws, rules: QualityRules) -> bool:
    """Keep the merchant's rules; True if the workspace was written (only when they changed)."""
    saved = ws.get(RULES, "default", {}) or {}
    if rules.as_dict() == {k: saved.get(k) for k in rules.as_dict()}:
        return False
    ws.put(RULES, "default", rules.as_dict())
    return True


def saved_threshold(ws) -> float:
    return float(ws.get(SETTINGS, "same_product", DEFAULT_THRESHOLD) or DEFAULT_THRESHOLD)


def save_threshold(ws, threshold: float) -> bool:
    if threshold == ws.get(SETTINGS, "same_product", None):
        return False
    ws.put(SETTINGS, "same_product", threshold)
    return True
