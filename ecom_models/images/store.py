"""What the Product images page keeps in the merchant's workspace: the uploaded photos (a folder per
workspace, replaced whole by a new upload, saved once per set of files), the products file, the photo
rules and the duplicate threshold; and the photo analysis as plain data for the results store
(`analysis_to_doc`, kind `images.analysis`). Namespace and kind strings (`images.upload`, `images.products`,
`images.rules`, `images.settings`, `images.analysis`) are persisted data and never change."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
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


# -- the analysis in the results store ---------------------------------------------------------------
ANALYSIS = "images.analysis"  # results-store kind: persisted, never changes


def analysis_to_doc(analysis) -> dict:
    """An ImageAnalysis as plain data for the results store (frames, arrays, numbers, bytes; nothing
    pickled). Every field is kept by name, so a field added to the analysis is stored too (or refused
    by the store if it is not plain data, which a round-trip test catches). Per-photo items are kept
    column-wise (one array per fingerprint field, one blob for every thumbnail) so thousands of photos
    are a few entries, not thousands."""
    from ecom_models.workspace.results import dataclass_to_doc

    doc = dataclass_to_doc(analysis)
    doc["problems"] = [dataclass_to_doc(p) for p in analysis.problems]
    doc["categories"] = dataclass_to_doc(analysis.categories) if analysis.categories is not None else None
    doc["rules"] = analysis.rules.as_dict()
    names = list(analysis.thumbnails)
    doc["thumbnails"] = {"files": names, "sizes": [len(analysis.thumbnails[f]) for f in names],
                         "data": b"".join(analysis.thumbnails[f] for f in names)}
    prints = analysis.fingerprints
    if prints:
        doc["fingerprints"] = {"n": len(prints),
                               "fields": {f.name: _column([getattr(p, f.name) for p in prints])
                                          for f in fields(prints[0])}}
    else:
        doc["fingerprints"] = None
    return doc


def _column(values: list) -> dict:
    """One fingerprint field for every photo: stacked into one array when every value is an array of
    one shape and type (the common case), else the values one by one."""
    first = values[0]
    if isinstance(first, np.ndarray) and all(isinstance(v, np.ndarray) and v.shape == first.shape
                                              and v.dtype == first.dtype for v in values):
        return {"stacked": np.stack(values)}
    return {"values": [list(v) if isinstance(v, tuple) else v for v in values],
            "tuples": [i for i, v in enumerate(values) if isinstance(v, tuple)]}


def _uncolumn(col: dict) -> list:
    if "stacked" in col:
        return list(col["stacked"])
    values = list(col["values"])
    for i in col.get("tuples") or ():
        values[i] = tuple(values[i])
    return values


def analysis_from_doc(doc: dict):
    """The ImageAnalysis stored by `analysis_to_doc`."""
    from ecom_models.images.analysis import ImageAnalysis
    from ecom_models.images.categories import CategoryEvaluation
    from ecom_models.images.duplicates import Fingerprint
    from ecom_models.images.files import Problem
    from ecom_models.workspace.results import dataclass_from_doc

    doc = dict(doc)
    doc["problems"] = [dataclass_from_doc(Problem, p) for p in doc.get("problems") or []]
    if doc.get("categories") is not None:
        doc["categories"] = dataclass_from_doc(CategoryEvaluation, doc["categories"])
    known = {f.name for f in fields(QualityRules)}
    doc["rules"] = QualityRules(**{k: v for k, v in (doc.get("rules") or {}).items() if k in known})
    thumbs, start = {}, 0
    packed = doc.get("thumbnails") or {"files": [], "sizes": [], "data": b""}
    for name, size in zip(packed["files"], packed["sizes"]):
        thumbs[name] = packed["data"][start:start + size]
        start += size
    doc["thumbnails"] = thumbs
    prints = doc.get("fingerprints")
    if prints:
        columns = {name: _uncolumn(col) for name, col in prints["fields"].items()}
        doc["fingerprints"] = [dataclass_from_doc(Fingerprint, {name: columns[name][i] for name in columns},
                                                  tuples=("box",)) for i in range(prints["n"])]
    else:
        doc["fingerprints"] = []
    return dataclass_from_doc(ImageAnalysis, doc)
