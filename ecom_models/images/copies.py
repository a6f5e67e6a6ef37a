"""Re-uploaded copies of product photos, as a merchant makes them (cropped a little, brighter or darker,
resized, re-encoded as JPEG), and test catalogs of real photos with such copies planted, with the true
duplicate pairs and a score of found groups against them: what bench/images.py and the real-photo tests
calibrate and check images.duplicates on."""

from __future__ import annotations

import numpy as np


def reupload_copy(img, rng: np.random.Generator, max_crop: float = 0.05, brightness: float = 0.10,
                  scale: tuple[float, float] = (0.50, 0.68), quality: tuple[int, int] = (60, 80)) -> tuple[bytes, dict]:
    """A copy of a PIL RGB photo as a merchant re-uploads it: cropped by up to `max_crop` of each
    dimension (split at random between the two sides), brightness changed by up to +/-`brightness`,
    resized to a random share in `scale`, saved as JPEG at a random quality. Returns (bytes, what was done)."""
    import io

    from PIL import Image, ImageEnhance

    w, h = img.size
    cx, cy = rng.uniform(0, max_crop) * w, rng.uniform(0, max_crop) * h
    lx, ty = rng.uniform(0, 1) * cx, rng.uniform(0, 1) * cy
    box = (int(round(lx)), int(round(ty)), int(round(w - (cx - lx))), int(round(h - (cy - ty))))
    out = img.crop(box)
    factor = float(rng.uniform(1 - brightness, 1 + brightness))
    out = ImageEnhance.Brightness(out).enhance(factor)
    k = float(rng.uniform(*scale))
    out = out.resize((max(1, round(out.width * k)), max(1, round(out.height * k))), Image.Resampling.LANCZOS)
    q = int(rng.integers(quality[0], quality[1] + 1))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=q)
    return buf.getvalue(), {"crop": box, "brightness": round(factor, 3), "scale": round(k, 3), "quality": q}


def small_copy(img, rng: np.random.Generator, side: tuple[int, int] = (35, 41), longest: bool = False,
               max_crop: float = 0.05, brightness: float = 0.10, quality: tuple[int, int] = (60, 80)) -> bytes:
    """A re-upload of a (thumbnail) photo shrunk to `side` px on its shortest side (on its longest
    with `longest`): a 60 x 80 thumbnail at 58-68% (44-51%), cropped and re-encoded as in `reupload_copy`."""
    import io

    from PIL import Image, ImageEnhance

    w, h = img.size
    cx, cy = rng.uniform(0, max_crop) * w, rng.uniform(0, max_crop) * h
    lx, ty = rng.uniform(0, 1) * cx, rng.uniform(0, 1) * cy
    out = img.crop((round(lx), round(ty), round(w - (cx - lx)), round(h - (cy - ty))))
    out = ImageEnhance.Brightness(out).enhance(float(rng.uniform(1 - brightness, 1 + brightness)))
    k = int(rng.integers(side[0], side[1] + 1)) / (max(out.size) if longest else min(out.size))
    out = out.resize((max(1, round(out.width * k)), max(1, round(out.height * k))), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=int(rng.integers(quality[0], quality[1] + 1)))
    return buf.getvalue()


def reupload_catalog(photos: list, folder, *, seed: int = 0, copies: int | None = None, thumbnail_share: float = 0.5,
                     thumbnail_size: tuple[int, int] = (60, 80)) -> set[tuple[str, str]]:
    """A test catalog from real photos (paths): about `thumbnail_share` of them saved as small
    thumbnails (fitted into `thumbnail_size`, like a 60 x 80 catalog thumbnail), the rest as they
    are, plus `copies` re-uploaded copies (`reupload_copy`) of randomly chosen ones (a fifth of
    the photos by default). Returns the true duplicate pairs (sorted file-name tuples)."""
    rng = np.random.default_rng(seed)
    entries = [(path, rng.uniform() < thumbnail_share) for path in photos]
    n_copies = len(entries) // 5 if copies is None else copies
    return _write_catalog(entries, folder, rng, n_copies, thumbnail_size)


def issue_catalog(fashion: list, others: list, folder, *, seed: int = 0, full_size: int = 131, thumbnails: int = 336,
                  copies: int = 100, fashion_full_share: float = 0.5,
                  thumbnail_size: tuple[int, int] = (60, 80)) -> set[tuple[str, str]]:
    """The catalog of issue 15: `full_size` photos as they are, `thumbnails` other photos as
    60 x 80 thumbnails, and `copies` re-uploaded copies (`reupload_copy`) of randomly chosen
    ones (so most copies are of thumbnails: 30-54 px on their longest side).

    `fashion` (studio shots) are split at random between the full-size part (`fashion_full_share`
    of them) and the thumbnail part;
    `others` fill what is left of both. No source photo is used twice. Returns the true pairs."""
    rng = np.random.default_rng(seed)
    fashion = [fashion[i] for i in rng.permutation(len(fashion))]
    others = [others[i] for i in rng.permutation(len(others))]
    n_fashion_full = min(full_size, int(round(len(fashion) * fashion_full_share)))
    full = fashion[:n_fashion_full]
    thumbs = fashion[n_fashion_full:n_fashion_full + thumbnails]
    full += others[:full_size - len(full)]
    rest = others[full_size - n_fashion_full:]
    thumbs += rest[:thumbnails - len(thumbs)]
    entries = [(p, False) for p in full] + [(p, True) for p in thumbs]
    return _write_catalog(entries, folder, rng, copies, thumbnail_size)


def _write_catalog(entries: list, folder, rng, copies: int, thumbnail_size: tuple[int, int]) -> set[tuple[str, str]]:
    """Write each (photo path, as a thumbnail?) into `folder`, then `copies` re-uploaded copies of
    randomly chosen ones; returns the true pairs (sorted file-name tuples)."""
    from pathlib import Path

    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for k, (path, small) in enumerate(entries):
        path = Path(path)
        stem = f"{k:04d}-{path.parent.name}-{path.stem}"
        if small:
            img = Image.open(path).convert("RGB")
            img.thumbnail(thumbnail_size, Image.Resampling.LANCZOS)
            name = stem + "-thumb.jpg"
            img.save(folder / name, "JPEG", quality=90)
        else:
            name = stem + path.suffix.lower()
            (folder / name).write_bytes(path.read_bytes())
        names.append(name)
    truth = set()
    for k in rng.choice(len(names), size=min(copies, len(names)), replace=False):
        data, _ = reupload_copy(Image.open(folder / names[k]).convert("RGB"), rng)
        copy = names[k].rsplit(".", 1)[0] + "-copy.jpg"
        (folder / copy).write_bytes(data)
        truth.add(tuple(sorted((names[k], copy))))
    return truth


def pair_scores(groups: list[list[str]], truth: set[tuple[str, str]]) -> dict:
    """Pair precision and recall of duplicate groups against the true pairs."""
    found = {tuple(sorted((a, b))) for g in groups for i, a in enumerate(g) for b in g[i + 1:]}
    tp = len(found & truth)
    return {"precision": tp / len(found) if found else 1.0, "recall": tp / len(truth) if truth else 1.0,
            "pairs_found": len(found), "true_pairs": len(truth), "false_pairs": sorted(found - truth),
            "missed_pairs": sorted(truth - found)}
