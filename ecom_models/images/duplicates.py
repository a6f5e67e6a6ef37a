"""Duplicate product photos: evidence that survives re-uploads, and groups that never chain.

A re-uploaded copy is usually cropped a little (up to ~5%), resized (often to half size),
re-encoded (JPEG quality 60-80) and sometimes brighter or darker. Different products in a
catalog are often shot the same way: centred on white, same pose, same framing. The model's
embedding alone cannot tell those two situations apart (a copy shrunk to a 30 x 40 thumbnail
can score lower than two different black watches), so a pair counts as the *same photo* only
when independent pieces of evidence agree:

1. the **object's box**: the product is cut out of its background (the border colour), so
   white margins added or cropped away do not matter;
2. a **coarse shape check** (8 x 8 grey thumbnail of the box, normalised for brightness and
   contrast) and a **colour check** (4 x 4 mean colours, gain-normalised so a brighter copy
   still agrees, a red and a blue version of one shirt do not) pick candidate pairs cheaply
   for the whole catalog at once;
3. a **pixel verification** of every candidate: the best normalised cross-correlation of the
   two boxes at 24 x 24 over small crops of either side (a copy cropped into the product
   still aligns), of the grey image and of its detail (grey minus its blur: prints, logos,
   stitching, which separate two T-shirts of the same cut), and the colour difference at
   that alignment. The thresholds depend on the smaller photo's size, because a 30 x 40
   thumbnail carries less detail than a 1000 px photo.

Groups are built by complete linkage: two groups merge only when every pair across them
passed the test on its own, so a chain A~B~C never puts A and C together unless A~C holds.

Each photo keeps about 3 kB of evidence (`Fingerprint`), so memory grows only linearly and
slightly with the catalog; pairs are compared block by block. The re-uploaded copies and test
catalogs these rules were calibrated on are made by images.copies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ecom_models.images.align import ALIGN_RANGE  # noqa: F401 (re-exported: the crop a copy may have)
from ecom_models.images.align import COARSE_SIDE, align, cell_means, coarse_crops, norm_rows, sample_windows
from ecom_models.images.linkage import complete_linkage, mutual_best  # noqa: F401 (re-exported)

SIG_SIDE = 64  # grey signature of the object's box kept per photo
CMP_SIDE = 24  # grid on which two photos are aligned
FINE_SIDE = 32  # grid on which their regions are compared
COLOUR_SIDE = 12  # colour signature of the box kept per photo (compared on a 6 x 6 grid)

# Relations between two photos, strongest first (see `relation`).
SAME_PHOTO = "same photo"
SAME_PRODUCT = "same product, different photo"
LOOKS_ALIKE = "looks alike"


# The evidence a pair is judged on, each a distance (0 = identical): 1 - aligned grey NCC, worst
# region of the grey detail, second-worst region of chromaticity, of tone, of absolute colour
# and of opponent colour, and the framing difference.
EVIDENCE = ("grey", "detail", "colour2", "tone2", "rgb2", "opp2", "framing")


@dataclass
class Thresholds:
    """Decision rules for the pixel verification; calibrated with bench/images.py on real photos
    (seeds 0-2 of the catalogs there; seed 7 held out).

    A pair is the same photo when its *distance* is at most `max_distance`: the mean over the
    pieces of evidence (EVIDENCE) of (value / noise scale)^2, where the noise scale is what a
    re-upload leaves (about the 90th percentile over true copies), larger for thumbnails
    (`scales_tiny` at `tiny_side` px and below, `scales_large` from `large_side` px, in between
    interpolated on a log scale of the smaller box's longest side). A copy stays within the noise
    everywhere; another product in the same pose, or the same shoe in brown, is a little off in
    several pieces at once, which a single threshold per piece would let through."""

    candidate_shape: float = 0.75  # 8 x 8 grey NCC needed to become a candidate
    candidate_colour: float = 0.20  # 4 x 4 gain-normalised colour difference allowed for a candidate
    candidate_aspect: float = 0.35  # |log(aspect ratio of box A / box B)| allowed
    candidate_embedding: float = 0.35  # model similarity needed (tiny re-compressed copies score as low as 0.4)
    candidate_shape_alone: float = 0.92  # ... unless the shapes agree this well (a 30 px copy embeds poorly)
    coarse_grey: float = 0.85  # best NCC over coarse crops (12 x 12) below which a pair is not compared further
    max_distance: float = 1.75
    whole_photo_share: float = 0.3  # whole photos, when boxes not touching the edge disagree: this share of it
    framing: float = 0.15  # the product's place in the photo may differ by this much at most (share)
    tiny_side: int = 40
    large_side: int = 200
    scales_tiny: tuple = (0.02, 0.45, 0.05, 0.07, 0.03, 0.04, 0.04)
    scales_large: tuple = (0.004, 0.20, 0.02, 0.04, 0.025, 0.02, 0.04)
    # A copy shrunk to a tiny thumbnail (its longest side at most `tiny_whole_side` px) loses the
    # product's outline (a silver ring or a white bottle on white: its box comes out differently),
    # so its whole photo is compared too, and must agree this closely (in the units of
    # `max_distance`): on the tune kinds of bench/images_thumbs.py, copies 0.1-0.75, other
    # products 0.7 and up at that size.
    tiny_whole_side: int = 56
    tiny_whole_distance: float = 0.6
    # A tiny copy's own evidence is thin, but it is singular: its original is the one photo of the
    # catalog it comes closest to, by far, and it is the photo closest to that original. A pair
    # with a tiny photo that failed the rules above still counts when both hold (`mutual_best`):
    # closest distance (box or whole photo) at most `mutual_distance`, and the tiny photo's next
    # candidate at least 1 / `mutual_ratio` times as far. Chosen on the tune kinds of
    # bench/images_thumbs.py with *decoys* (tiny photos whose original is not in the catalog, so
    # any pair with one is false): a tiny photo of a product shot like two others is mutually
    # closest to one of them at 1.0-1.5 with its next rival only 1.5-1.8x as far, while a true
    # copy stands out by 2x or more (16 tune catalogs: 1.5 / 0.7 paired 15 decoys and rescued 29
    # copies; 2.0 / 0.5 paired 5 and rescued 31).
    mutual_distance: float = 2.0
    mutual_ratio: float = 0.5
    # ... and so a tiny photo also meets its `tiny_neighbours` nearest photos by model, by box shape
    # and by whole-photo shape, whatever the candidate rules say (its colours and outline may be too
    # washed out for them): the mutual test needs its true match and its rivals in view.
    tiny_neighbours: int = 3
    same_product_embedding: float = 0.90  # different photos this close in the model are likely one product
    looks_alike_embedding: float = 0.80

    def scales(self, side: float) -> np.ndarray:
        w = float(np.clip((np.log(self.large_side) - np.log(max(side, 1.0)))
                          / (np.log(self.large_side) - np.log(self.tiny_side)), 0.0, 1.0))
        return np.asarray(self.scales_large) + (np.asarray(self.scales_tiny) - np.asarray(self.scales_large)) * w


DEFAULT_THRESHOLDS = Thresholds()


@dataclass
class Fingerprint:
    """Per-photo evidence for duplicate checks (about 3 kB)."""

    grey: np.ndarray  # (SIG_SIDE, SIG_SIDE) uint8, the object's box
    colour: np.ndarray  # (COLOUR_SIDE, COLOUR_SIDE, 3) uint8, the object's box
    aspect: float  # box width / height in pixels
    box_side: int  # longest side of the box in the original photo's pixels
    box: tuple  # (left, top, right, bottom) as shares of the photo
    frame_grey: np.ndarray | None = None  # the same for the whole photo
    frame_colour: np.ndarray | None = None
    photo_side: int = 0  # longest side of the original photo


def object_box(arr: np.ndarray, tolerance: int = 28) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of what differs from the photo's border colour.

    The whole photo when the border is not one colour (a scene, not a studio shot) or when
    nothing stands out."""
    h, w = arr.shape[:2]
    a = arr.astype(np.int16)
    band = max(1, min(h, w) // 50)
    border = np.concatenate([a[:band].reshape(-1, 3), a[-band:].reshape(-1, 3),
                             a[:, :band].reshape(-1, 3), a[:, -band:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    if np.mean(np.abs(border - bg).max(axis=1) <= tolerance) < 0.7:
        return 0, 0, w, h
    mask = np.abs(a - bg).max(axis=2) > tolerance
    rows = np.where(mask.sum(axis=1) >= max(1, w // 200))[0]
    cols = np.where(mask.sum(axis=0) >= max(1, h // 200))[0]
    if len(rows) == 0 or len(cols) == 0:
        return 0, 0, w, h
    left, right, top, bottom = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    if (right - left) * (bottom - top) < 0.005 * w * h:
        return 0, 0, w, h
    return left, top, right, bottom


def fingerprint(img, original_size: tuple[int, int] | None = None) -> Fingerprint:
    """Evidence for one PIL RGB image (the decoded photo, any size)."""
    from PIL import Image

    w, h = img.size
    # The box is found on a small copy (the product's outline needs no more) and scaled back.
    probe = img if max(w, h) <= 160 else img.resize((max(1, round(w * 160 / max(w, h))),
                                                      max(1, round(h * 160 / max(w, h)))), Image.Resampling.BOX)
    pl, pt, pr, pb = object_box(np.asarray(probe))
    sx, sy = w / probe.size[0], h / probe.size[1]
    left, top = int(pl * sx), int(pt * sy)
    right, bottom = min(w, int(np.ceil(pr * sx))), min(h, int(np.ceil(pb * sy)))
    crop = img.crop((left, top, right, bottom))
    grey = np.asarray(crop.convert("L").resize((SIG_SIDE, SIG_SIDE), Image.Resampling.BOX), dtype=np.uint8)
    colour = np.asarray(crop.resize((COLOUR_SIDE, COLOUR_SIDE), Image.Resampling.BOX), dtype=np.uint8)
    whole = (left, top, right, bottom) == (0, 0, w, h)
    frame_grey = grey if whole else np.asarray(img.convert("L").resize((SIG_SIDE, SIG_SIDE), Image.Resampling.BOX),
                                               dtype=np.uint8)
    frame_colour = colour if whole else np.asarray(img.resize((COLOUR_SIDE, COLOUR_SIDE), Image.Resampling.BOX),
                                                   dtype=np.uint8)
    ow, oh = original_size or (w, h)
    scale = max(ow / w, oh / h)
    box_side = int(round(max(right - left, bottom - top) * scale))
    return Fingerprint(grey=grey, colour=colour, aspect=float((right - left) / max(1, bottom - top)),
                       box_side=box_side, box=(left / w, top / h, right / w, bottom / h),
                       frame_grey=frame_grey, frame_colour=frame_colour, photo_side=int(max(ow, oh)))


# -- cheap whole-catalog checks ------------------------------------------------------------------------------
def _shape8(prints: list[Fingerprint]) -> np.ndarray:
    g = np.stack([p.grey for p in prints]).astype(np.float32)
    g = g.reshape(len(prints), 8, SIG_SIDE // 8, 8, SIG_SIDE // 8).mean(axis=(2, 4)).reshape(len(prints), 64)
    return norm_rows(g)


def _colour4(prints: list[Fingerprint]) -> np.ndarray:
    c = np.stack([p.colour for p in prints]).astype(np.float32)
    c = c.reshape(len(prints), 4, COLOUR_SIDE // 4, 4, COLOUR_SIDE // 4, 3).mean(axis=(2, 4)).reshape(len(prints), 48)
    return c / np.maximum(c.mean(axis=1, keepdims=True), 1.0)  # gain-normalised: brightness changes cancel


def candidate_pairs(prints: list[Fingerprint], embeddings: np.ndarray, t: Thresholds = DEFAULT_THRESHOLDS,
                    block: int = 512) -> list[tuple[int, int]]:
    """Pairs (i < j) worth verifying, found block by block (memory does not grow with n^2)."""
    n = len(prints)
    if n < 2:
        return []
    shape = _shape8(prints)
    colour = _colour4(prints)
    aspect = np.log(np.array([max(p.aspect, 1e-3) for p in prints], dtype=np.float32))
    frame = [Fingerprint(grey=p.frame_grey if p.frame_grey is not None else p.grey,
                         colour=p.frame_colour if p.frame_colour is not None else p.colour,
                         aspect=p.aspect, box_side=p.box_side, box=p.box) for p in prints]
    fshape, fcolour = _shape8(frame), _colour4(frame)
    pairs = []
    for start in range(0, n, block):
        stop = min(n, start + block)
        e = embeddings[start:stop] @ embeddings.T >= t.candidate_embedding
        s_box, s_frame = shape[start:stop] @ shape.T, fshape[start:stop] @ fshape.T
        by_box = (s_box >= t.candidate_shape) & (e | (s_box >= t.candidate_shape_alone))
        by_box &= np.abs(aspect[start:stop, None] - aspect[None, :]) <= t.candidate_aspect
        by_frame = (s_frame >= t.candidate_shape) & (e | (s_frame >= t.candidate_shape_alone))
        found = set()
        for ok, col in ((by_box, colour), (by_frame, fcolour)):
            ii, jj = np.where(ok)
            keep = jj > ii + start
            ii, jj = ii[keep], jj[keep]
            if len(ii):
                good = np.abs(col[start + ii] - col[jj]).mean(axis=1) <= t.candidate_colour
                found.update((int(a) + start, int(b)) for a, b in zip(ii[good], jj[good]))
        tiny = np.array([prints[k].photo_side <= t.tiny_whole_side for k in range(start, stop)])
        if t.tiny_neighbours and tiny.any():
            rows = np.where(tiny)[0]
            for sim in (embeddings[start:stop] @ embeddings.T, s_box, s_frame):
                sim = sim[rows].copy()
                sim[np.arange(len(rows)), rows + start] = -np.inf  # not itself
                k = min(t.tiny_neighbours, n - 1)
                near = np.argpartition(-sim, k - 1, axis=1)[:, :k]
                found.update((min(int(r) + start, int(c)), max(int(r) + start, int(c)))
                             for r, cs in zip(rows, near) for c in cs)
        pairs += sorted(found)
    return sorted(set(pairs))


# -- pixel verification of one pair (the alignment itself: images.align) ----------------------------------------
@dataclass
class PairEvidence:
    grey: float  # best aligned grey NCC (whole box)
    detail: float  # worst 4 x 4 cell: RMS difference of the standardised grey images (0 = identical)
    colour: float  # worst 4 x 4 region: chromaticity difference
    colour2: float  # second-worst region
    tone: float  # worst region: colour relative to the box's mean brightness
    tone2: float  # second-worst region
    framing: float  # largest difference in where the product sits in the two photos (share of the photo)
    rgb: float  # worst region: absolute colour difference after a brightness gain (share of 255)
    rgb2: float
    opp: float  # worst region: difference in red-green and blue-green (share of 255)
    opp2: float
    embedding: float
    small: bool  # compared at thumbnail resolution
    distance: float  # mean squared evidence in units of re-upload noise (see Thresholds)
    same_photo: bool
    closest: float = 99.0  # smallest distance of the comparisons made (box, whole photo); see `mutual_best`


def verify(a: Fingerprint, b: Fingerprint, embedding: float, t: Thresholds = DEFAULT_THRESHOLDS,
           cache: dict | None = None) -> PairEvidence:
    """Do two photos show the same picture? Aligns each box to small crops of the other, then
    requires every region of the two to agree (a different print on the same T-shirt, or the
    same shoe in another colour, differs in a few regions only).

    When the product boxes disagree (a crop turned a studio shot whose product touches the edge
    into one with a white border, or the other way round), the whole photos are compared too."""
    (al, at, ar, ab), (bl, bt, br, bb) = a.box, b.box
    framing = max(abs((ar - al) - (br - bl)), abs((ab - at) - (bb - bt)),
                  abs((ar + al) - (br + bl)) / 2, abs((ab + at) - (bb + bt)) / 2)
    short = min(p.box_side * min(p.aspect, 1 / max(p.aspect, 1e-3)) for p in (a, b))
    ev = _compare(a.grey, b.grey, a.colour, b.colour, min(a.box_side, b.box_side), framing, embedding, t,
                  short_side=short, cache=cache)

    def touches(box) -> bool:  # the product reaches the photo's edge, so a crop changes its box
        return min(box[0], box[1]) <= 0.01 or max(box[2], box[3]) >= 0.99

    boxed = a.box != (0.0, 0.0, 1.0, 1.0) or b.box != (0.0, 0.0, 1.0, 1.0)
    # The box can also come out differently on a tiny copy (a faint strap or a shadow lost in
    # the re-encoding): then the boxes disagree in shape, and the whole photos are compared too.
    box_shapes_differ = abs(np.log(max(a.aspect, 1e-3) / max(b.aspect, 1e-3))) > 0.15 or framing > t.framing
    have_frames = a.frame_grey is not None and b.frame_grey is not None
    closest = ev.distance if ev.framing <= t.framing else 99.0
    if not ev.same_photo and boxed and have_frames and min(a.photo_side, b.photo_side) <= t.tiny_whole_side:
        whole = _compare(a.frame_grey, b.frame_grey, a.frame_colour, b.frame_colour,
                         min(a.photo_side, b.photo_side), 0.0, embedding,
                         replace(t, max_distance=t.tiny_whole_distance), cache=cache)
        closest = min(closest, whole.distance)
        if whole.same_photo:
            return replace(whole, closest=closest)
    if (not ev.same_photo and boxed and (touches(a.box) or touches(b.box) or box_shapes_differ)
            and have_frames):
        # Whole photos share more background (studio white, the same model's face) than two
        # product boxes; when the product does not even reach the edge (the boxes merely came out
        # differently), they must agree more closely: 30% of the distance allowed (a brown slip-on
        # and a brown lace-up shoe of one cut, whole 40 px photos: 0.84; a copy: 0.07-0.65).
        edge = touches(a.box) or touches(b.box)
        strict = t if edge else replace(t, max_distance=t.max_distance * t.whole_photo_share)
        whole = _compare(a.frame_grey, b.frame_grey, a.frame_colour, b.frame_colour,
                         min(a.photo_side, b.photo_side), 0.0, embedding, strict, cache=cache)
        if whole.same_photo or whole.distance < ev.distance:
            return replace(whole, closest=min(closest, whole.distance))
    return replace(ev, closest=closest)


def _compare(grey_a: np.ndarray, grey_b: np.ndarray, colour_a: np.ndarray, colour_b: np.ndarray, min_side: int,
             framing: float, embedding: float, t: Thresholds, short_side: float | None = None,
             cache: dict | None = None) -> PairEvidence:
    ga, gb = grey_a.astype(np.float32), grey_b.astype(np.float32)
    crops = None
    if cache is not None:
        arrays = {id(ga): grey_a, id(gb): grey_b}

        def crops(img: np.ndarray) -> np.ndarray:
            key = id(arrays[id(img)])  # the uint8 signature kept in the Fingerprint
            if key not in cache:
                if len(cache) >= 4096:
                    cache.clear()
                cache[key] = coarse_crops(img, COARSE_SIDE)
            return cache[key]
    # Compare at (about) the smaller photo's own resolution: a copy shrunk to 30 px has no detail
    # finer than that, and comparing its blur with the original's sharp edges would fail it.
    cmp = int(np.clip(min_side // 2, 8, CMP_SIDE))
    wa, wb, grey = align(ga, gb, cmp, t.coarse_grey, crops)
    if wa is None:  # nothing lines up: not worth the region checks
        return PairEvidence(grey=round(grey, 4), detail=9.0, colour=1.0, colour2=1.0, tone=1.0, tone2=1.0,
                            framing=round(framing, 4), rgb=1.0, rgb2=1.0, opp=1.0, opp2=1.0,
                            embedding=round(float(embedding), 4), small=min_side < t.large_side,
                            distance=99.0, same_photo=False)
    # Regions are compared on a grid no finer than the smaller photo's pixels (its short side).
    short = 0.75 * min_side if short_side is None else short_side
    side = int(np.clip(int(short) // 4 * 4, 8, FINE_SIDE))
    win = sample_windows(ga, wa[None], side)[0]
    ref = sample_windows(gb, wb[None], side)[0]
    zw = (win - win.mean()) / max(float(win.std()), 1.0)
    zr = (ref - ref.mean()) / max(float(ref.std()), 1.0)
    detail = float(np.sqrt(cell_means((zw - zr) ** 2, side)).max())
    ca, cb = colour_a.astype(np.float32), colour_b.astype(np.float32)
    cw = cell_means(sample_windows(ca, wa[None], 8)[0], 8, per_channel=True)  # (16, 3) mean colour per region
    cr = cell_means(sample_windows(cb, wb[None], 8)[0], 8, per_channel=True)
    # Colour relative to the whole box's brightness: on thumbnails, where chromaticity is
    # smeared by JPEG's half-resolution colour, this tells a brown from a black shoe better.
    tones = np.sort(np.abs(cw / max(float(cw.mean()), 1.0) - cr / max(float(cr.mean()), 1.0)).mean(axis=1))
    tone, tone2 = float(tones[-1]), float(tones[-2])
    # Absolute colour per region after one brightness gain fitted on unclipped regions: a black
    # and a brown shoe differ by 50 levels of red in every region of the shoe.
    ok = (cw.max(axis=1) < 245) & (cr.max(axis=1) < 245)
    if ok.sum() >= 2:
        gain = float((cw[ok] * cr[ok]).sum() / max(float((cw[ok] ** 2).sum()), 1.0))
    else:
        gain = float(cr.mean() / max(float(cw.mean()), 1.0))
    gain = float(np.clip(gain, 0.8, 1.25))
    d = cw * gain - cr
    rgbs = np.sort(np.abs(d).mean(axis=1) / 255.0)
    opps = np.sort((np.abs(d[:, 0] - d[:, 1]) + np.abs(d[:, 2] - d[:, 1])) / 255.0)
    rgb, rgb2, opp, opp2 = float(rgbs[-1]), float(rgbs[-2]), float(opps[-1]), float(opps[-2])
    # Chromaticity per region (colour divided by its own brightness): a brighter or darker copy
    # keeps it even where white clips at 255; a brown and a black shoe do not.
    cw = cw / np.maximum(cw.mean(axis=1, keepdims=True), 24.0)
    cr = cr / np.maximum(cr.mean(axis=1, keepdims=True), 24.0)
    cells = np.sort(np.abs(cw - cr).mean(axis=1))
    colour, colour2 = float(cells[-1]), float(cells[-2])
    # A re-upload keeps the framing (the product fills the same share of the photo, in the same
    # place, give or take the crop); a second shot of one product, smaller or off-centre, does not.
    values = np.array([1.0 - grey, detail, colour2, tone2, rgb2, opp2, framing])
    distance = float(np.mean((values / t.scales(min_side)) ** 2))
    same = framing <= t.framing and distance <= t.max_distance
    return PairEvidence(grey=round(grey, 4), detail=round(detail, 4), colour=round(colour, 4),
                        colour2=round(colour2, 4), tone=round(tone, 4), tone2=round(tone2, 4),
                        framing=round(framing, 4), rgb=round(rgb, 4), rgb2=round(rgb2, 4), opp=round(opp, 4),
                        opp2=round(opp2, 4), embedding=round(float(embedding), 4), small=min_side < t.large_side,
                        distance=round(distance, 3), same_photo=bool(same))


# -- groups: complete linkage and the mutual-closest rule live in images.linkage ---------------------------------
@dataclass
class DuplicateResult:
    groups: list[list[str]]  # same photo, complete linkage; never share a file
    pairs: list[dict]  # every verified same-photo pair with its evidence: a, b, grey, detail, colour, embedding
    same_product: list[dict]  # different photos of (probably) one product: a, b, embedding, reason
    looks_alike: list[dict]  # different products that look alike: a, b, embedding


def find_duplicates(files: list[str], prints: list[Fingerprint], embeddings: np.ndarray,
                    sha1: list[str] | None = None, product_ids: list[str] | None = None,
                    t: Thresholds = DEFAULT_THRESHOLDS, max_similar: int = 200) -> DuplicateResult:
    """Same-photo groups (complete linkage over verified pairs), plus the weaker relations."""
    n = len(files)
    edges: dict[tuple[int, int], float] = {}
    evidence: dict[tuple[int, int], PairEvidence] = {}
    # The pair checks are many small matrix products: BLAS threads only fight over the cores
    # for them (ten times slower on a busy machine), so they run on one thread.
    cache: dict = {}  # coarse crops of each signature, by the signature's identity (kept alive in `prints`)
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    with threadpool_limits(limits=1, user_api="blas"):
        for i, j in candidate_pairs(prints, embeddings, t):
            ev = verify(prints[i], prints[j], float(embeddings[i] @ embeddings[j]), t, cache=cache)
            evidence[(i, j)] = ev
            if ev.same_photo:
                edges[(i, j)] = -ev.distance  # the closest pairs are grouped first
    for i, j in mutual_best(prints, evidence, t):
        edges[(i, j)] = -evidence[(i, j)].closest
    if sha1 is not None:
        first: dict[str, list[int]] = {}
        for i, h in enumerate(sha1):
            first.setdefault(h, []).append(i)
        for idx in first.values():
            for x in range(len(idx)):
                for y in range(x + 1, len(idx)):
                    edges[(idx[x], idx[y])] = 10.0  # byte-identical files
    groups_idx = complete_linkage(n, edges)
    grouped = {i for g in groups_idx for i in g}
    in_group = {i: k for k, g in enumerate(groups_idx) for i in g}
    pairs = []
    for (i, j), score in edges.items():
        if in_group.get(i, -1) != in_group.get(j, -2):
            continue
        ev = evidence.get((i, j))
        pairs.append({"a": files[i], "b": files[j], "grey": ev.grey if ev else 1.0,
                      "detail": ev.detail if ev else 0.0, "colour": ev.colour if ev else 0.0,
                      "tone": ev.tone if ev else 0.0, "distance": ev.distance if ev else 0.0,
                      "embedding": ev.embedding if ev else 1.0, "identical_bytes": ev is None})
    same_product, alike = [], []
    if n > 1:
        for start in range(0, n, 512):
            e = embeddings[start:start + 512] @ embeddings.T
            ii, jj = np.where(e >= t.looks_alike_embedding)
            for a_, j in zip(ii, jj):
                i = int(a_) + start
                j = int(j)
                if j <= i or (i, j) in edges or (i in grouped and j in grouped and in_group[i] == in_group[j]):
                    continue
                sim = float(e[a_, j])
                same_id = product_ids is not None and product_ids[i] == product_ids[j]
                row = {"a": files[i], "b": files[j], "embedding": round(sim, 4)}
                if same_id:
                    same_product.append({**row, "reason": "same product id"})
                elif sim >= t.same_product_embedding:
                    same_product.append({**row, "reason": "model similarity"})
                else:
                    alike.append(row)
    same_product.sort(key=lambda r: -r["embedding"])
    alike.sort(key=lambda r: -r["embedding"])
    groups = sorted(([files[i] for i in g] for g in groups_idx), key=lambda g: (-len(g), sorted(g)[0]))
    return DuplicateResult(groups=[sorted(g) for g in groups], pairs=pairs, same_product=same_product[:max_similar],
                           looks_alike=alike[:max_similar])
