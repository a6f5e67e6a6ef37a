"""Duplicates and categories on REAL 60 x 80 catalog thumbnails (../shared/data/product_photos/more_thumbs:
beauty, jewellery, watches, eyewear, bags, accessories), with small re-uploaded copies planted.

Run: python bench/images_thumbs.py [--split tune|held-out|all] [--seeds 0 1] [--repo PATH]
     [--longest] [--side LO HI] [--quality LO HI] [--decoys N] [--twins N] [--categories]

The thumbnails are split by kind of product BEFORE any tuning:
- tune: beauty, watches, bags (the rules may be chosen on these);
- held-out: jewellery, eyewear, accessories (belts, caps, ties): never looked at while tuning, so
  their figure says how the rules generalise to kinds of product not tuned on.
Each catalog: every thumbnail of the split as it is, the fashion studio shots at full size, and
planted copies: 60 of the thumbnails re-uploaded at 35-41 px on their shortest side (crop <= 5%,
brightness +/-10%, JPEG 60-80) and 15 of the full-size photos at 50-68%. Many thumbnails are
different products shot alike (one perfume in two sizes, one watch in two colours): any group of
them is a false pair. `--repo` runs another checkout's code (e.g. /work/main: the figures before).
Harder catalogs: `--longest` sizes the copies on their longest side, `--side` / `--quality` set
their size and JPEG ranges, and `--decoys N` adds N tiny re-uploads whose original is taken OUT of
the catalog (any pair with one is false: it measures how often a tiny photo is paired with a mere
look-alike), and `--twins N` replaces N thumbnails by two tiny copies each (a true pair of two tiny
photos). Decoys and twins have random generators of their own, so the rest of a catalog is the same.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "data" / "product_photos"
TUNE_KINDS = ("beauty", "watches", "bags")
HELD_OUT_KINDS = ("jewellery", "eyewear", "accessories")


def thumbs(split: str) -> list[dict]:
    kinds = {"tune": TUNE_KINDS, "held-out": HELD_OUT_KINDS, "all": TUNE_KINDS + HELD_OUT_KINDS}[split]
    rows = list(csv.DictReader((PHOTOS / "more_thumbs" / "labels.csv").open(encoding="utf-8")))
    return [dict(r, path=PHOTOS / "more_thumbs" / r["file"]) for r in rows if r["category"] in kinds]


def build(split: str, folder: Path, seed: int, n_small: int = 60, n_full: int = 15, longest: bool = False,
          side: tuple[int, int] = (35, 41), quality: tuple[int, int] = (60, 80), decoys: int = 0,
          twins: int = 0) -> set:
    from PIL import Image

    from ecom_models.images import copies as C

    rng = np.random.default_rng(seed)
    names = []
    for r in thumbs(split):
        name = f"{r['category']}-{r['fine_class']}-{Path(r['file']).stem}.jpg"
        (folder / name).write_bytes(r["path"].read_bytes())
        names.append(name)
    full = []
    ids = {Path(r["file"]).stem for r in thumbs("all")}
    # (two fashion shots are also in more_thumbs: left out, or their thumbnail would be a true copy)
    for p in sorted(q for q in (PHOTOS / "fashion").glob("*/*.jpg") if q.stem not in ids):
        name = f"full-{p.parent.name}-{p.stem}.jpg"
        (folder / name).write_bytes(p.read_bytes())
        full.append(name)
    truth = set()
    for k in rng.choice(len(names), size=n_small, replace=False):
        copy = names[k].replace(".jpg", "-copy.jpg")
        (folder / copy).write_bytes(C.small_copy(Image.open(folder / names[k]).convert("RGB"), rng, side=side,
                                                    longest=longest, quality=quality))
        truth.add(tuple(sorted((names[k], copy))))
    for k in rng.choice(len(full), size=n_full, replace=False):
        copy = full[k].replace(".jpg", "-copy.jpg")
        data, _ = C.reupload_copy(Image.open(folder / full[k]).convert("RGB"), rng)
        (folder / copy).write_bytes(data)
        truth.add(tuple(sorted((full[k], copy))))

    def tiny_in_place(name: str, tags: tuple, r) -> list[str]:
        """Replaces a thumbnail by tiny copies of it named `<name>-<tag>.jpg`; their names."""
        img = Image.open(folder / name).convert("RGB")
        (folder / name).unlink()
        out = [name.replace(".jpg", f"-{tag}.jpg") for tag in tags]
        for copy in out:
            (folder / copy).write_bytes(C.small_copy(img, r, side=side, longest=longest, quality=quality))
        return out

    # Decoys: tiny re-uploads of thumbnails whose original is NOT in the catalog (replaced by the
    # copy). Every tiny photo above has its original somewhere; a decoy has none, so any group
    # with a decoy is a false pair: what a rule that pairs a tiny photo with its closest match
    # would do to a catalog of small photos. Drawn with a generator of their own, so the catalog
    # above is the same with and without them.
    in_truth = {f for pair in truth for f in pair}
    free = [n for n in names if n not in in_truth]
    drng = np.random.default_rng(10_000 + seed)
    for k in drng.choice(len(free), size=min(decoys, len(free)), replace=False):
        tiny_in_place(free[k], ("decoy",), drng)
    # Twins: two tiny re-uploads of one thumbnail whose original is taken out: a true pair of two
    # tiny photos (the copies above all pair a tiny photo with a larger one). Own generator too.
    free = [n for n in names if n not in in_truth and (folder / n).exists()]
    trng = np.random.default_rng(20_000 + seed)
    for k in trng.choice(len(free), size=min(twins, len(free)), replace=False):
        truth.add(tuple(sorted(tiny_in_place(free[k], ("twin1", "twin2"), trng))))
    return truth


def run(split: str, seed: int, longest: bool = False, side: tuple[int, int] = (35, 41),
        quality: tuple[int, int] = (60, 80), decoys: int = 0, twins: int = 0) -> dict:
    from ecom_models import images as V
    from ecom_models.images import copies as C

    with tempfile.TemporaryDirectory() as tmp:
        truth = build(split, Path(tmp), seed, longest=longest, side=side, quality=quality, decoys=decoys,
                      twins=twins)
        n = len(list(Path(tmp).iterdir()))
        t0 = time.perf_counter()
        analysis = V.analyse(tmp, learn_categories=False, keep_thumbnails=False)
        wall = time.perf_counter() - t0
    sc = C.pair_scores(analysis.duplicate_groups, truth)
    members = [f for g in analysis.duplicate_groups for f in g]
    kind = lambda name: "full-size" if name.startswith("full-") else name.split("-")[0]
    tk, mk = Counter(kind(a) for a, _ in truth), Counter(kind(a) for a, _ in sc["missed_pairs"])
    print(f"{split}{' (longest side)' if longest else ''}, seed {seed}: {n} photos, {len(truth)} planted copies: precision {sc['precision']:.3f}, "
          f"recall {sc['recall']:.3f} ({sc['pairs_found']} pairs found); largest group "
          f"{max((len(g) for g in analysis.duplicate_groups), default=0)}; files in two groups: "
          f"{len(members) - len(set(members))}; {n / wall:.1f} photos/s")
    print("   recall by kind: " + ", ".join(f"{k} {tk[k] - mk[k]}/{tk[k]}" for k in sorted(tk)))
    for a, b in sc["false_pairs"][:10]:
        print(f"   false pair: {a} ~ {b}")
    for a, b in sc["missed_pairs"][:20]:
        print(f"   missed: {a} ~ {b}")
    return sc


def categories(split: str) -> None:
    """Coarse categories on the thumbnails of `split`, reported separately for the photos with an even
    product id (the taxonomy and the category rules were chosen looking at these) and an odd one
    (held out: never looked at while choosing)."""
    from PIL import Image

    from ecom_models import images as V

    rows = thumbs(split)
    imgs = [Image.open(r["path"]).convert("RGB") for r in rows]
    probs, emb = V.embed(imgs)
    names, _ = V.coarse_categories(probs, embeddings=emb)
    truth = np.array(["jewellery & watches" if r["category"] in ("jewellery", "watches") else r["category"] for r in rows])
    ok = np.array(names) == truth
    even = np.array([int(Path(r["file"]).stem) % 2 == 0 for r in rows])
    print(f"coarse category, {split} thumbnails: {ok.mean():.3f} of {len(ok)} (tuned-on even ids "
          f"{ok[even].mean():.3f} of {even.sum()}, held-out odd ids {ok[~even].mean():.3f} of {(~even).sum()})")
    for c in sorted(set(truth)):
        m = truth == c
        print(f"   {c:<12} {ok[m].mean():.3f} of {m.sum():>3}   wrong: {Counter(np.array(names)[m & ~ok]).most_common(3)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=["tune", "held-out", "all"], default="tune")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--repo", default=str(ROOT), help="checkout whose ecom_models to measure")
    parser.add_argument("--categories", action="store_true")
    parser.add_argument("--longest", action="store_true", help="copies 35-41 px on their LONGEST side (harder)")
    parser.add_argument("--side", type=int, nargs=2, default=[35, 41], help="copies' size range in px (harder: smaller)")
    parser.add_argument("--quality", type=int, nargs=2, default=[60, 80], help="copies' JPEG quality range")
    parser.add_argument("--decoys", type=int, default=0,
                        help="tiny copies whose original is left out of the catalog (any pair with one is false)")
    parser.add_argument("--twins", type=int, default=0,
                        help="thumbnails replaced by two tiny copies each (a true pair of two tiny photos)")
    args = parser.parse_args()
    sys.path.insert(0, args.repo)
    if args.categories:
        categories(args.split)
        return
    scores = [run(args.split, s, args.longest, tuple(args.side), tuple(args.quality), args.decoys, args.twins)
              for s in args.seeds]
    print(f"== {args.split}: precision " + " ".join(f"{s['precision']:.3f}" for s in scores)
          + ", recall " + " ".join(f"{s['recall']:.3f}" for s in scores))


if __name__ == "__main__":
    main()
