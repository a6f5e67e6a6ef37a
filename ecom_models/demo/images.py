"""Demo product photos for the demo store, drawn with Pillow (deterministic, no downloads).

`demo_images(folder, seed=42) -> DataFrame` writes one main photo and one second view for each
demo product (objects on a white background with a soft shadow), plus planted problems and
duplicates, and returns the truth:

| column | meaning |
|---|---|
| file | file name inside `folder` (e.g. SKU-0101.jpg, SKU-0101_2.jpg, SKU-0203-dup.jpg) |
| product_id | the demo product the photo belongs to |
| category | the product's category in the demo store |
| view | "main", "second" or "duplicate" |
| duplicate_of | for planted duplicates (resized and re-encoded copies): the original file; else NA |
| problem | planted photo problem: too_small, blurry, dark, cluttered, wrong_photo; else NA |
| shows_category | the category of the object actually drawn (differs for wrong_photo) |

Photos are written lazily: a folder that already holds the same version and seed is reused. The
objects themselves are drawn by `ecom_models.demo.drawings`; this module places them, plants the
problems and duplicates, and writes the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.demo.drawings import SIZE, pick_colour, render, shift_colour

VERSION = 4

PLANTED = {
    "too_small": ["SKU-0102", "SKU-0504", "SKU-0903"],
    "blurry": ["SKU-0203", "SKU-0601", "SKU-1005"],
    "dark": ["SKU-0305", "SKU-0702", "SKU-0806"],
    "cluttered": ["SKU-0401", "SKU-0605", "SKU-1002"],
    "wrong_photo": ["SKU-0104", "SKU-0705"],  # the photo shows a product from another category
}
WRONG_PHOTO_SHOWS = {"SKU-0104": "SKU-0201", "SKU-0705": "SKU-0803"}
DUPLICATED = ["SKU-0101", "SKU-0302", "SKU-0406", "SKU-0503", "SKU-0804", "SKU-1001"]


def default_folder(seed: int = 42) -> Path:
    """$ECOM_CACHE_DIR (default ~/.cache/ecom_value_lab)/demo_images_v<version>_seed<seed>: shared by
    every workspace, since the photos depend only on the seed."""
    base = Path(os.environ.get("ECOM_CACHE_DIR") or Path.home() / ".cache" / "ecom_value_lab").expanduser()
    return base / f"demo_images_v{VERSION}_seed{seed}"


def ensure_demo_photos(seed: int = 42) -> Path:
    """The folder of the demo store's photos, drawn on first use (the one function the pages use)."""
    folder = default_folder(seed)
    demo_images(folder, seed=seed)
    return folder


def demo_images(folder: str | Path | None = None, seed: int = 42) -> pd.DataFrame:
    """Write (or reuse) the demo photos in `folder` and return the truth table (see module doc)."""
    from ecom_models.demo.store import demo_store

    folder = Path(folder) if folder else default_folder(seed)
    manifest = folder / "manifest.json"
    if manifest.exists():
        try:
            meta = json.loads(manifest.read_text())
            if meta.get("version") == VERSION and meta.get("seed") == seed:
                truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False).replace("", pd.NA)
                if all((folder / f).exists() for f in truth["file"]):
                    return truth
        except (ValueError, OSError, KeyError):
            pass
    folder.mkdir(parents=True, exist_ok=True)
    products = demo_store(seed).products
    rng = np.random.default_rng(seed)
    by_id = {r.product_id: r for r in products.itertuples()}
    problem_of = {pid: prob for prob, ids in PLANTED.items() for pid in ids}
    rows = []
    for r in products.itertuples():
        colour = pick_colour(rng)
        shown = WRONG_PHOTO_SHOWS.get(r.product_id, r.product_id)
        shown_row = by_id[shown]
        problem = problem_of.get(r.product_id)
        ext = ".png" if r.category == "beauty" else (".webp" if r.product_id.endswith("06") else ".jpg")
        if shown != r.product_id:  # the wrong product's photo, shot differently from that product's own
            main = render(shown_row.product_name, shift_colour(colour, rng), angle=12.0, scale=0.6, offset=(90, -60))
        else:
            main = render(shown_row.product_name, colour, angle=0.0, scale=0.78, offset=(0, 0))
        main = _plant(main, problem, rng)
        name = f"{r.product_id}{ext}"
        _save(main, folder / name, small=(problem == "too_small"))
        rows.append({"file": name, "product_id": r.product_id, "category": r.category, "view": "main",
                     "duplicate_of": pd.NA, "problem": problem or pd.NA, "shows_category": shown_row.category})
        second = render(shown_row.product_name, shift_colour(colour, rng), angle=float(rng.uniform(-25, 25)),
                         scale=float(rng.uniform(0.5, 0.62)),
                         offset=(int(rng.integers(-120, 120)), int(rng.integers(-90, 90))))
        name2 = f"{r.product_id}_2.jpg"
        _save(second, folder / name2)
        rows.append({"file": name2, "product_id": r.product_id, "category": r.category, "view": "second",
                     "duplicate_of": pd.NA, "problem": pd.NA, "shows_category": shown_row.category})
    from PIL import Image

    for pid in DUPLICATED:
        original = next(x for x in rows if x["product_id"] == pid and x["view"] == "main")
        with Image.open(folder / original["file"]) as im:
            im = im.convert("RGB")
            side = int(rng.integers(620, 900))
            copy = im.resize((side, side), Image.Resampling.LANCZOS)
        name = f"{pid}-dup.jpg"
        copy.save(folder / name, "JPEG", quality=int(rng.integers(60, 80)))
        rows.append({"file": name, "product_id": pid, "category": original["category"], "view": "duplicate",
                     "duplicate_of": original["file"], "problem": pd.NA, "shows_category": original["shows_category"]})
    truth = pd.DataFrame(rows)
    truth.to_csv(folder / "truth.csv", index=False)
    tmp = folder / f".manifest-{os.getpid()}.json"
    tmp.write_text(json.dumps({"version": VERSION, "seed": seed, "files": len(truth)}))
    tmp.replace(manifest)
    return truth.astype({c: "str" for c in ["file", "product_id", "category", "view", "shows_category"]})


# -- planting problems ---------------------------------------------------------------------------
def _plant(img, problem, rng):
    from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

    if problem == "blurry":
        return img.filter(ImageFilter.GaussianBlur(9))
    if problem == "dark":
        return ImageEnhance.Brightness(img).enhance(0.22)
    if problem == "cluttered":
        arr = np.asarray(img).astype(np.int16)
        background = Image.new("RGB", img.size, (150, 120, 95))
        d = ImageDraw.Draw(background)
        for _ in range(60):
            x, y = rng.integers(0, SIZE, 2)
            w, h = rng.integers(40, 260, 2)
            c = tuple(int(v) for v in rng.integers(40, 230, 3))
            if rng.random() < 0.5:
                d.rectangle([x, y, x + w, y + h], fill=c)
            else:
                d.ellipse([x, y, x + w, y + h], fill=c)
        bg = np.asarray(background.filter(ImageFilter.GaussianBlur(2))).astype(np.int16)
        from scipy import ndimage

        white = arr.min(axis=2) > 240
        labels, _ = ndimage.label(white)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        is_white = (np.isin(labels, edge[edge > 0]))[..., None]  # only the white connected to the border
        return Image.fromarray(np.where(is_white, bg, arr).astype(np.uint8))
    return img


def _save(img, path: Path, small: bool = False):
    from PIL import Image

    if small:
        img = img.resize((400, 400), Image.Resampling.LANCZOS)
    suffix = path.suffix.lower()
    if suffix == ".png":
        img.save(path, "PNG", optimize=False, compress_level=6)
    elif suffix == ".webp":
        img.save(path, "WEBP", quality=88)
    else:
        img.save(path, "JPEG", quality=90)
