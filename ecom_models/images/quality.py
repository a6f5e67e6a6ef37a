"""Photo quality against marketplace-style rules the merchant can edit (QualityRules): resolution, aspect
ratio, sharpness (variance of the Laplacian, measured on the product), brightness, contrast, white
background and file size; one row per broken rule, with the measured value, the limit, the rule in words
and (PROBLEM_HELP) what the problem costs a shop."""

from __future__ import annotations

import io
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ecom_models.images.files import LoadedImage

@dataclass
class QualityRules:
    """Marketplace-style photo rules. Every field is editable by the merchant."""

    min_longest_side: int = 1000  # pixels; marketplaces ask for 1000+ so shoppers can zoom
    max_aspect_ratio: float = 2.0  # longest side / shortest side
    min_sharpness: float = 25.0  # variance of the Laplacian at 512 px, on the product; lower = blurry
    min_brightness: float = 70.0  # mean brightness 0-255; lower = too dark
    max_brightness: float = 254.0  # higher = washed out / almost blank
    min_contrast: float = 6.0  # standard deviation of brightness; lower = flat, almost nothing to see
    min_white_background: float = 0.60  # share of the border that is white (main image rule)
    max_file_mb: float = 10.0  # marketplaces refuse larger uploads

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


RULE_TEXT = {
    "min_longest_side": ("too small", "longest side at least {v:,.0f} px (for zoom)"),
    "max_aspect_ratio": ("odd shape", "longest side at most {v:.1f} x the shortest"),
    "min_sharpness": ("blurry", "sharpness at least {v:.0f}"),
    "min_brightness": ("too dark", "brightness at least {v:.0f} of 255"),
    "max_brightness": ("washed out", "brightness at most {v:.0f} of 255"),
    "min_contrast": ("flat, low contrast", "contrast at least {v:.0f}"),
    "min_white_background": ("background not white", "at least {v:.0%} of the border white"),
    "max_file_mb": ("file too large", "file at most {v:.0f} MB"),
}

# What each problem costs a shop, in a merchant's words (keys: RULE_TEXT's problem names and the two
# issues analysis adds: "duplicate photo", "photo disagrees with category").
PROBLEM_HELP = {
    "too small": "Shoppers cannot zoom in; marketplaces ask for at least 1000 px on the longest side.",
    "odd shape": "Very wide or tall photos are cropped or shrunk in product grids.",
    "blurry": "Edges are soft: the photo is out of focus or was enlarged.",
    "too dark": "Under-exposed: the product is hard to see.",
    "washed out": "Almost blank: over-exposed or empty.",
    "flat, low contrast": "Hardly any detail: the product blends into the background.",
    "background not white": "Marketplaces want the main photo on a plain white background.",
    "file too large": "Large files load slowly and some marketplaces refuse them.",
    "duplicate photo": "The same photo is used for more than one listing or uploaded twice.",
    "photo disagrees with category": "The photo looks like another category: wrong photo or wrong category.",
}

QUALITY_COLUMNS = ["width", "height", "longest_side", "aspect_ratio", "sharpness", "brightness", "contrast",
                   "white_background", "file_mb"]


THUMB_SIZE = 256


def thumbnail_bytes(img, size: int = THUMB_SIZE) -> bytes:
    """A small JPEG of the photo for galleries (about 10 kB)."""
    small = img.copy()
    small.thumbnail((size, size))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def quality_metrics(image: LoadedImage) -> dict:
    """Measured properties of one photo (see QualityRules for what each is compared with)."""
    rgb = np.asarray(image.work, dtype=np.float32)
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    # Sharpness on a fixed scale so photos of any size compare: longest side WORK_SIZE.
    lap = (gray[1:-1, :-2] + gray[1:-1, 2:] + gray[:-2, 1:-1] + gray[2:, 1:-1] - 4 * gray[1:-1, 1:-1])
    # Measure sharpness where the product is (not on the empty white background, which would
    # dilute it): pixels that are not near-white, widened by 3 px to include their edges.
    busy = gray[1:-1, 1:-1] < 240
    for _ in range(3):
        busy = busy | np.roll(busy, 1, 0) | np.roll(busy, -1, 0) | np.roll(busy, 1, 1) | np.roll(busy, -1, 1)
    sharp_pixels = lap[busy] if busy.mean() >= 0.02 else lap
    band = max(2, int(round(0.05 * min(gray.shape))))
    border = np.concatenate([rgb[:band].reshape(-1, 3), rgb[-band:].reshape(-1, 3),
                             rgb[:, :band].reshape(-1, 3), rgb[:, -band:].reshape(-1, 3)])
    white = (border.min(axis=1) >= 225) & (border.max(axis=1) - border.min(axis=1) <= 25)
    short = max(1, min(image.width, image.height))
    return {
        "width": image.width,
        "height": image.height,
        "longest_side": max(image.width, image.height),
        "aspect_ratio": round(max(image.width, image.height) / short, 3),
        "sharpness": round(float(sharp_pixels.var()), 1),
        "brightness": round(float(gray.mean()), 1),
        "contrast": round(float(gray.std()), 1),
        "white_background": round(float(white.mean()), 3),
        "file_mb": round(image.file_bytes / 1e6, 3),
    }


def check_quality(metrics: pd.DataFrame, rules: QualityRules | None = None) -> pd.DataFrame:
    """One row per broken rule: file, rule, problem, measured, limit, rule_text."""
    rules = rules or QualityRules()
    checks = [
        ("min_longest_side", "longest_side", lambda v, t: v >= t),
        ("max_aspect_ratio", "aspect_ratio", lambda v, t: v <= t),
        ("min_sharpness", "sharpness", lambda v, t: v >= t),
        ("min_brightness", "brightness", lambda v, t: v >= t),
        ("max_brightness", "brightness", lambda v, t: v <= t),
        ("min_contrast", "contrast", lambda v, t: v >= t),
        ("min_white_background", "white_background", lambda v, t: v >= t),
        ("max_file_mb", "file_mb", lambda v, t: v <= t),
    ]
    rows = []
    for rec in metrics.to_dict("records"):
        for rule, column, ok in checks:
            limit = getattr(rules, rule)
            if limit is None:
                continue
            value = rec[column]
            if not ok(value, limit):
                problem, text = RULE_TEXT[rule]
                rows.append({"file": rec["file"], "rule": rule, "problem": problem, "measured": value,
                             "limit": limit, "rule_text": text.format(v=limit)})
    return pd.DataFrame(rows, columns=["file", "rule", "problem", "measured", "limit", "rule_text"])
