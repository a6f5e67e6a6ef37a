"""Product images on REAL photos (../shared/data/product_photos): re-uploaded copies are found,
near-identical different products are not grouped, groups never chain, coarse categories hold on
full-size photos and 60 x 80 thumbnails. A small subset of what bench/images.py measures."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ecom_models import images as vision
from ecom_models.images import copies as C
from ecom_models.images import duplicates as D

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "product_photos"
needs_photos = pytest.mark.skipif(not (SHARED / "fashion" / "labels.csv").exists(),
                                  reason="the shared real product photos are not here")


def test_complete_linkage_never_chains():
    # 0~1 and 1~2 pass, 0~2 does not: 2 must not join the group of 0 and 1
    assert D.complete_linkage(3, {(0, 1): 2.0, (1, 2): 1.9}) == [[0, 1]]
    assert D.complete_linkage(4, {(0, 1): 2, (1, 2): 2, (0, 2): 2, (2, 3): 3}) == [[0, 1], [2, 3]]
    assert D.complete_linkage(3, {(0, 1): 2, (1, 2): 2, (0, 2): 2}) == [[0, 1, 2]]


def _print(side: int) -> D.Fingerprint:
    return D.Fingerprint(grey=np.zeros((8, 8), np.uint8), colour=np.zeros((4, 4, 3), np.uint8), aspect=0.75,
                         box_side=side, box=(0.0, 0.0, 1.0, 1.0), photo_side=side)


def _evidence(closest: float, same: bool = False) -> D.PairEvidence:
    return D.PairEvidence(grey=0.9, detail=0.5, colour=0.1, colour2=0.1, tone=0.1, tone2=0.1, framing=0.0, rgb=0.1,
                          rgb2=0.1, opp=0.1, opp2=0.1, embedding=0.8, small=True, distance=closest,
                          same_photo=same, closest=closest)


def test_a_tiny_photo_pairs_with_its_closest_match_only_when_no_rival_is_near():
    # 0, 1, 2: 60 x 80 thumbnails; 3: a 40 px photo that failed every per-pair rule
    prints = [_print(80), _print(80), _print(80), _print(48)]
    t = D.DEFAULT_THRESHOLDS
    clear = {(0, 3): _evidence(1.0), (1, 3): _evidence(4.0), (0, 1): _evidence(5.0)}
    assert D.mutual_best(prints, clear, t) == [(0, 3)]
    # a rival almost as close (two products shot alike): no pair
    rival = {(0, 3): _evidence(1.0), (1, 3): _evidence(1.2)}
    assert D.mutual_best(prints, rival, t) == []
    # a tiny photo of a product shot like two others, whose own original is not in the catalog,
    # comes closest to one of them with the other only 1.6x as far: not singular enough
    assert D.mutual_best(prints, {(0, 3): _evidence(1.2), (1, 3): _evidence(1.9)}, t) == []
    # a copy re-encoded harder lands further from its original, but nothing else comes near
    assert D.mutual_best(prints, {(0, 3): _evidence(1.8), (1, 3): _evidence(6.0)}, t) == [(0, 3)]
    # too far for any rule, or between two photos that are not tiny
    assert D.mutual_best(prints, {(0, 3): _evidence(t.mutual_distance + 0.1)}, t) == []
    assert D.mutual_best(prints, {(0, 1): _evidence(0.8)}, t) == []
    # 0's closest is 2, not the tiny photo: not mutual
    assert D.mutual_best(prints, {(0, 3): _evidence(1.0), (0, 2): _evidence(0.5)}, t) == []
    # two tiny photos: both too blurred to tell two products shot alike apart
    assert D.mutual_best(prints + [_print(50)], {(3, 4): _evidence(0.5)}, t) == []
    # a photo already verified as the same photo as another has found its copy
    assert D.mutual_best(prints, {(0, 3): _evidence(1.0), (2, 3): _evidence(0.2, same=True)}, t) == []
    # in find_duplicates the pair becomes a group
    groups = D.complete_linkage(4, {p: -1.0 for p in D.mutual_best(prints, clear, t)})
    assert groups == [[0, 3]]


@needs_photos
def test_reuploaded_copies_of_real_photos_are_found_and_nothing_else(tmp_path):
    photos = sorted((SHARED / "fashion").glob("*/*.jpg"))[::3] + sorted((SHARED / "grocery").glob("*/*.jpg"))[::40]
    truth = C.reupload_catalog(photos, tmp_path, seed=3, copies=12)
    analysis = vision.analyse(tmp_path, learn_categories=False, keep_thumbnails=False)
    score = C.pair_scores(analysis.duplicate_groups, truth)
    assert score["precision"] >= 0.9, score
    assert score["recall"] >= 0.8, score
    members = [f for g in analysis.duplicate_groups for f in g]
    assert len(members) == len(set(members))  # groups never share a file
    for pair in analysis.duplicate_pairs:  # each pair carries its evidence
        assert {"a", "b", "grey", "detail", "colour", "embedding"} <= set(pair)


@needs_photos
def test_same_model_different_print_or_colour_is_not_the_same_photo(tmp_path):
    # Two T-shirts worn by one model in one pose (different prints); one shoe in black and in brown.
    for name in ("apparel/2059.jpg", "apparel/2060.jpg", "shoes/2370.jpg", "shoes/2371.jpg"):
        (tmp_path / name.replace("/", "-")).write_bytes((SHARED / "fashion" / name).read_bytes())
    analysis = vision.analyse(tmp_path, learn_categories=False, keep_thumbnails=False)
    assert analysis.duplicate_groups == []
    # ... but the model does see them as alike
    alike = {(p["a"], p["b"]) for p in analysis.same_product + analysis.looks_alike}
    assert ("apparel-2059.jpg", "apparel-2060.jpg") in alike


@needs_photos
def test_coarse_categories_on_real_full_size_photos_and_thumbnails(tmp_path):
    rows = list(csv.DictReader((SHARED / "fashion" / "labels.csv").open(encoding="utf-8")))[::3]
    # (grocery photos are left out here: their embeddings ship as the grocery references, so only the
    # bench's held-out-by-class figure says anything about them)
    full, small = [], []
    for r in rows:
        path = SHARED / "fashion" / r["file"]
        full.append(vision.load_image(vision.ImageFile(path.name, path=path)).work)
        im = Image.open(path).convert("RGB")
        im.thumbnail((60, 80), Image.Resampling.LANCZOS)
        small.append(im)
    truth = np.array([r["category"] for r in rows])
    for images, minimum in ((full, 0.85), (small, 0.70)):
        probs, emb = vision.embed(images)
        names, _ = vision.coarse_categories(probs, embeddings=emb)
        assert np.mean(np.array(names) == truth) >= minimum, list(zip(truth, names))
    # under 48 px on the longest side: too small to tell, not a guess
    probs, emb = vision.embed([small[0].resize((30, 40))])
    assert vision.coarse_categories(probs, embeddings=emb, longest_side=[40])[0] == [vision.TOO_SMALL]


@needs_photos
def test_issue_catalog_mix_with_copies_shrunk_to_thumbnails(tmp_path):
    # The catalog of issue 15 in small: full-size studio shots, 60 x 80 thumbnails, and copies
    # (most of them of thumbnails, so 30-54 px on their longest side).
    fashion = sorted((SHARED / "fashion").glob("*/*.jpg"))[::3]
    grocery = sorted((SHARED / "grocery").glob("*/*.jpg"))[::30]
    truth = C.issue_catalog(fashion, grocery, tmp_path, seed=5, full_size=12, thumbnails=36, copies=16)
    tiny = [n for pair in truth for n in pair if n.endswith("-thumb-copy.jpg")]
    assert tiny and all(max(Image.open(tmp_path / n).size) <= 54 for n in tiny)
    analysis = vision.analyse(tmp_path, learn_categories=False, keep_thumbnails=False)
    score = C.pair_scores(analysis.duplicate_groups, truth)
    assert score["precision"] >= 0.95, score
    assert score["recall"] >= 0.9, score


@needs_photos
def test_black_and_brown_shoes_of_one_cut_at_30_px_are_not_copies(tmp_path):
    # One slip-on and one lace-up shoe, each in black and in brown, shot the same way: as 60 x 80
    # thumbnails and as re-uploaded copies of those thumbnails (about 33 x 44 px).
    rng = np.random.default_rng(11)
    truth = set()
    for n in (2370, 2371, 2375, 2378):
        img = Image.open(SHARED / "fashion" / "shoes" / f"{n}.jpg").convert("RGB")
        img.thumbnail((60, 80), Image.Resampling.LANCZOS)
        img.save(tmp_path / f"{n}.jpg", quality=90)
        data, _ = C.reupload_copy(img, rng)
        (tmp_path / f"{n}-copy.jpg").write_bytes(data)
        truth.add((f"{n}-copy.jpg", f"{n}.jpg"))
    analysis = vision.analyse(tmp_path, learn_categories=False, keep_thumbnails=False)
    assert {tuple(sorted(g)) for g in analysis.duplicate_groups} == truth


needs_thumbs = pytest.mark.skipif(not (SHARED / "more_thumbs" / "labels.csv").exists(),
                                  reason="the shared real catalog thumbnails are not here")


@needs_thumbs
def test_copies_of_real_thumbnails_shrunk_to_35_to_41_px_are_found(tmp_path):
    # Real 60 x 80 catalog thumbnails of every kind (perfume and lipstick, rings and earrings,
    # watches, sunglasses, bags, belts, caps, ties): many are different products shot alike
    # (one lipstick in two shades, one watch in two colours). A copy of one in five is
    # re-uploaded at 35-41 px on its shortest side (58-68%), JPEG 60-80.
    rows = list(csv.DictReader((SHARED / "more_thumbs" / "labels.csv").open(encoding="utf-8")))[1::4]
    rng = np.random.default_rng(24)
    names = []
    for r in rows:
        name = r["file"].replace("/", "-")
        (tmp_path / name).write_bytes((SHARED / "more_thumbs" / r["file"]).read_bytes())
        names.append(name)
    truth = set()
    for k in rng.choice(len(names), size=len(names) // 5, replace=False):
        copy = names[k].replace(".jpg", "-copy.jpg")
        img = Image.open(tmp_path / names[k]).convert("RGB")
        (tmp_path / copy).write_bytes(C.small_copy(img, rng, side=(35, 41)))
        assert 35 <= min(Image.open(tmp_path / copy).size) <= 41
        truth.add(tuple(sorted((names[k], copy))))
    analysis = vision.analyse(tmp_path, learn_categories=False, keep_thumbnails=False)
    score = C.pair_scores(analysis.duplicate_groups, truth)
    assert score["precision"] >= 0.95, score["false_pairs"]
    # Earlier rules found 25, then 27 of these 29 copies (a pair of earrings and a make-up box, whose
    # tiny copies lose their colour to JPEG); with the mutual-closest rule for tiny photos, all 29.
    assert score["recall"] >= 0.95, score["missed_pairs"]
    members = [f for g in analysis.duplicate_groups for f in g]
    assert len(members) == len(set(members))  # a file in one group at most


@needs_thumbs
def test_coarse_categories_of_real_catalog_thumbnails():
    # Every fifth real 60 x 80 thumbnail with an odd product id (the even ids were looked at while
    # choosing the taxonomy): main's rules had 38 of these 57 right (0.67), these 43 (0.75). Caps and belts
    # stay hard (ImageNet has no class for either).
    rows = [r for r in csv.DictReader((SHARED / "more_thumbs" / "labels.csv").open(encoding="utf-8"))
            if int(Path(r["file"]).stem) % 2 == 1][::5]
    probs, emb = vision.embed([Image.open(SHARED / "more_thumbs" / r["file"]).convert("RGB") for r in rows])
    names, _ = vision.coarse_categories(probs, embeddings=emb)
    truth = ["jewellery & watches" if r["category"] in ("jewellery", "watches") else r["category"] for r in rows]
    right = np.mean([a == b for a, b in zip(names, truth)])
    assert right >= 0.68, right
    eyewear = [a for a, b in zip(names, truth) if b == "eyewear"]
    assert np.mean([a == "eyewear" for a in eyewear]) >= 0.9
