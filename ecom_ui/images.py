"""Helpers for the Product images page: thumbnails, a photo grid (safe captions: common.md_escape)."""

from __future__ import annotations


def thumb(img, size: int = 240):
    """A thumbnail for st.image: JPEG bytes pass through (already small), a PIL image is shrunk."""
    if isinstance(img, (bytes, bytearray)):
        return bytes(img)
    copy = img.copy()
    copy.thumbnail((size, size))
    return copy


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
