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
slightly with the catalog; pairs are compared block by block.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SIG_SIDE = 64  # grey signature of the object's box kept per photo
CMP_SIDE = 24  # grid on which two photos are aligned
FINE_SIDE = 32  # grid on which their regions are compared
COLOUR_SIDE = 12  # colour signature of the box kept per photo (compared on a 6 x 6 grid)
TRIMS = (0.0, 0.05)  # crop tried on each side of a box (share of the box) when aligning two photos

# Relations between two photos, strongest first (see `relation`).
SAME_PHOTO = "same photo"
SAME_PRODUCT = "same product, different photo"
LOOKS_ALIKE = "looks alike"


@dataclass
class Thresholds:
    """Decision rules for the pixel verification; calibrated with bench/vision.py on real photos.

    `small_side` separates thumbnails (both photos' boxes are compared at the smaller one's
    resolution: below this many pixels on its longest side the detail check is unreliable, so
    the grey and colour checks are stricter instead)."""

    candidate_shape: float = 0.75  # 8 x 8 grey NCC needed to become a candidate
    candidate_colour: float = 0.20  # 4 x 4 gain-normalised colour difference allowed for a candidate
    candidate_aspect: float = 0.35  # |log(aspect ratio of box A / box B)| allowed
    candidate_embedding: float = 0.35  # model similarity needed (tiny re-compressed copies score as low as 0.4)
    grey: float = 0.88  # aligned grey NCC (24 x 24, or the smaller photo's resolution)
    detail: float = 0.75  # worst of 4 x 4 regions: RMS difference of the standardised grey images (scenes)
    detail_studio: float = 0.40  # the same for products cut out of a plain background
    colour: float = 0.10  # worst of 4 x 4 regions: chromaticity difference
    tone: float = 0.15  # worst region: colour relative to the box's mean brightness
    embedding: float = 0.50
    small_side: int = 120
    grey_small: float = 0.85
    colour_small: float = 0.10
    tone_small: float = 0.12  # second-worst region: one region at the edge of a tiny copy may be off
    embedding_small: float = 0.0
    framing: float = 0.12
    whole_grey: float = 0.95  # when whole photos are compared (the product touches the edge)
    whole_detail: float = 0.50
    whole_grey_small: float = 0.92
    same_product_embedding: float = 0.90  # different photos this close in the model are likely one product
    looks_alike_embedding: float = 0.80


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
def _norm(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float32)
    v = v - v.mean(axis=1, keepdims=True)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)


def _shape8(prints: list[Fingerprint]) -> np.ndarray:
    g = np.stack([p.grey for p in prints]).astype(np.float32)
    g = g.reshape(len(prints), 8, SIG_SIDE // 8, 8, SIG_SIDE // 8).mean(axis=(2, 4)).reshape(len(prints), 64)
    return _norm(g)


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
        by_box = (shape[start:stop] @ shape.T >= t.candidate_shape) & e
        by_box &= np.abs(aspect[start:stop, None] - aspect[None, :]) <= t.candidate_aspect
        by_frame = (fshape[start:stop] @ fshape.T >= t.candidate_shape) & e
        found = set()
        for ok, col in ((by_box, colour), (by_frame, fcolour)):
            ii, jj = np.where(ok)
            keep = jj > ii + start
            ii, jj = ii[keep], jj[keep]
            if len(ii):
                good = np.abs(col[start + ii] - col[jj]).mean(axis=1) <= t.candidate_colour
                found.update((int(a) + start, int(b)) for a, b in zip(ii[good], jj[good]))
        pairs += sorted(found)
    return pairs


# -- pixel verification of one pair ---------------------------------------------------------------------------
def _windows() -> np.ndarray:
    """All (left, top, right, bottom) trims of a box, as shares: (len(TRIMS)**4, 4)."""
    t = np.array(TRIMS, dtype=np.float32)
    l, tp, r, b = np.meshgrid(t, t, t, t, indexing="ij")
    return np.stack([l.ravel(), tp.ravel(), 1 - r.ravel(), 1 - b.ravel()], axis=1)


_WINDOWS = _windows()


def _sample(img: np.ndarray, windows: np.ndarray, side: int) -> np.ndarray:
    """Bilinear samples of each window of `img` (H, W[, C]) on a side x side grid: (n, side*side[, C])."""
    h, w = img.shape[:2]
    g = (np.arange(side, dtype=np.float32) + 0.5) / side
    xs = (windows[:, 0:1] + (windows[:, 2:3] - windows[:, 0:1]) * g) * w - 0.5  # (n, side)
    ys = (windows[:, 1:2] + (windows[:, 3:4] - windows[:, 1:2]) * g) * h - 0.5
    xs = np.clip(xs, 0, w - 1.001)
    ys = np.clip(ys, 0, h - 1.001)
    x0, y0 = xs.astype(np.int32), ys.astype(np.int32)
    fx, fy = xs - x0, ys - y0
    X0, Y0 = x0[:, None, :], y0[:, :, None]
    FX, FY = fx[:, None, :], fy[:, :, None]
    if img.ndim == 3:
        FX, FY = FX[..., None], FY[..., None]
    v = ((img[Y0, X0] * (1 - FX) + img[Y0, X0 + 1] * FX) * (1 - FY)
         + (img[Y0 + 1, X0] * (1 - FX) + img[Y0 + 1, X0 + 1] * FX) * FY)
    return v.reshape(len(windows), side * side, *img.shape[2:])


def _blur(v: np.ndarray, side: int) -> np.ndarray:
    """3 x 3 box blur of (n, side*side) images."""
    x = v.reshape(-1, side, side)
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    out = sum(p[:, dy:dy + side, dx:dx + side] for dy in range(3) for dx in range(3)) / 9.0
    return out.reshape(v.shape)


@dataclass
class PairEvidence:
    grey: float  # best aligned grey NCC (whole box)
    detail: float  # worst 4 x 4 cell: RMS difference of the standardised grey images (0 = identical)
    colour: float  # worst 4 x 4 region: chromaticity difference
    colour2: float  # second-worst region
    tone: float  # worst region: colour relative to the box's mean brightness
    tone2: float  # second-worst region
    framing: float  # largest difference in where the product sits in the two photos (share of the photo)
    embedding: float
    small: bool  # compared at thumbnail resolution
    same_photo: bool


def _refine(src: np.ndarray, ref_n: np.ndarray, window: np.ndarray, step: float = 0.015,
            side: int = CMP_SIDE) -> tuple[np.ndarray, float]:
    """Coordinate search around a window: each side moved by +-1 and +-2 steps, twice."""
    best_w = window.copy()
    best_s = float((_norm(_sample(src, best_w[None], side)) @ ref_n.T)[0, 0])
    for _ in range(2):
        trials = []
        for edge in range(4):
            for d in (-2, -1, 1, 2):
                w = best_w.copy()
                w[edge] += d * step
                trials.append(w)
        trials = np.clip(np.array(trials, dtype=np.float32), 0.0, 1.0)
        scores = (_norm(_sample(src, trials, side)) @ ref_n.T)[:, 0]
        k = int(scores.argmax())
        if scores[k] <= best_s:
            break
        best_w, best_s = trials[k], float(scores[k])
    return best_w, best_s


def _cells(diff: np.ndarray, side: int, cells: int = 4, per_channel: bool = False) -> np.ndarray:
    """Mean of `diff` (side*side[, C]) per cell of a cells x cells grid: (cells*cells,) or (cells*cells, C)."""
    d = diff.reshape(cells, side // cells, cells, side // cells, -1)
    if per_channel:
        return d.mean(axis=(1, 3)).reshape(cells * cells, -1)
    return d.mean(axis=(1, 3, 4)).ravel()


def verify(a: Fingerprint, b: Fingerprint, embedding: float, t: Thresholds = DEFAULT_THRESHOLDS) -> PairEvidence:
    """Do two photos show the same picture? Aligns each box to small crops of the other, then
    requires every region of the two to agree (a different print on the same T-shirt, or the
    same shoe in another colour, differs in a few regions only).

    When the product boxes disagree (a crop turned a studio shot whose product touches the edge
    into one with a white border, or the other way round), the whole photos are compared too."""
    (al, at, ar, ab), (bl, bt, br, bb) = a.box, b.box
    framing = max(abs((ar - al) - (br - bl)), abs((ab - at) - (bb - bt)),
                  abs((ar + al) - (br + bl)) / 2, abs((ab + at) - (bb + bt)) / 2)
    full = (0.0, 0.0, 1.0, 1.0)
    if a.box != full or b.box != full:
        # Studio shots: the white background matches anyway, so a copy's worst region differs
        # very little (at most 0.24 measured) while another product in the same pose differs
        # where it is another product (0.5 and up: laces, a print). Scenes vary everywhere.
        t = replace(t, detail=min(t.detail, t.detail_studio))
    ev = _compare(a.grey, b.grey, a.colour, b.colour, min(a.box_side, b.box_side), framing, embedding, t)
    def touches(box) -> bool:  # the product reaches the photo's edge, so a crop changes its box
        return min(box[0], box[1]) <= 0.01 or max(box[2], box[3]) >= 0.99

    boxed = a.box != (0.0, 0.0, 1.0, 1.0) or b.box != (0.0, 0.0, 1.0, 1.0)
    if (not ev.same_photo and boxed and (touches(a.box) or touches(b.box))
            and a.frame_grey is not None and b.frame_grey is not None):
        # Whole photos carry more shared background (studio white, the same model's face), so
        # they must line up more closely than two product boxes.
        strict = replace(t, grey=max(t.grey, t.whole_grey), detail=min(t.detail, t.whole_detail),
                         grey_small=max(t.grey_small, t.whole_grey_small))
        whole = _compare(a.frame_grey, b.frame_grey, a.frame_colour, b.frame_colour,
                         min(a.photo_side, b.photo_side), 0.0, embedding, strict)
        if whole.same_photo:
            return whole
    return ev


def _compare(grey_a: np.ndarray, grey_b: np.ndarray, colour_a: np.ndarray, colour_b: np.ndarray, min_side: int,
             framing: float, embedding: float, t: Thresholds) -> PairEvidence:
    ga, gb = grey_a.astype(np.float32), grey_b.astype(np.float32)
    full = np.array([[0, 0, 1, 1]], dtype=np.float32)
    # Compare at (about) the smaller photo's own resolution: a copy shrunk to 30 px has no detail
    # finer than that, and comparing its blur with the original's sharp edges would fail it.
    cmp = int(np.clip(min_side // 2, 8, CMP_SIDE))
    best = None
    for src, dst in ((ga, gb), (gb, ga)):
        ref_n = _norm(_sample(dst, full, cmp))
        score = (_norm(_sample(src, _WINDOWS, cmp)) @ ref_n.T)[:, 0]
        k = int(score.argmax())
        if best is None or score[k] > best[0]:
            best = (float(score[k]), src is ga, _WINDOWS[k], ref_n)
    _, a_trimmed, window, ref_n = best
    src, dst = (ga, gb) if a_trimmed else (gb, ga)
    window, grey = _refine(src, ref_n, window, side=cmp)
    side = FINE_SIDE
    win = _sample(src, window[None], side)[0]
    ref = _sample(dst, full, side)[0]
    zw = (win - win.mean()) / max(float(win.std()), 1.0)
    zr = (ref - ref.mean()) / max(float(ref.std()), 1.0)
    detail = float(np.sqrt(_cells((zw - zr) ** 2, side)).max())
    ca, cb = colour_a.astype(np.float32), colour_b.astype(np.float32)
    src_c, dst_c = (ca, cb) if a_trimmed else (cb, ca)
    cw = _cells(_sample(src_c, window[None], 8)[0], 8, per_channel=True)  # (16, 3) mean colour per region
    cr = _cells(_sample(dst_c, full, 8)[0], 8, per_channel=True)
    # Colour relative to the whole box's brightness: on thumbnails, where chromaticity is
    # smeared by JPEG's half-resolution colour, this tells a brown from a black shoe better.
    tones = np.sort(np.abs(cw / max(float(cw.mean()), 1.0) - cr / max(float(cr.mean()), 1.0)).mean(axis=1))
    tone, tone2 = float(tones[-1]), float(tones[-2])
    # Chromaticity per region (colour divided by its own brightness): a brighter or darker copy
    # keeps it even where white clips at 255; a brown and a black shoe do not.
    cw = cw / np.maximum(cw.mean(axis=1, keepdims=True), 24.0)
    cr = cr / np.maximum(cr.mean(axis=1, keepdims=True), 24.0)
    cells = np.sort(np.abs(cw - cr).mean(axis=1))
    colour, colour2 = float(cells[-1]), float(cells[-2])
    # A re-upload keeps the framing (the product fills the same share of the photo, in the same
    # place, give or take the crop); a second shot of one product, smaller or off-centre, does not.
    small = min_side < t.small_side
    if framing > t.framing:
        same = False
    elif small:
        # Thumbnails carry too little detail to compare regions: shape and colour decide.
        same = (grey >= t.grey_small and colour <= t.colour_small and tone2 <= t.tone_small
                and embedding >= t.embedding_small)
    else:
        # The second-worst region for colour: one region at the edge of a crop may differ.
        same = (grey >= t.grey and detail <= t.detail and colour <= t.colour and tone <= t.tone
                and embedding >= t.embedding)
    return PairEvidence(grey=round(grey, 4), detail=round(detail, 4), colour=round(colour, 4), colour2=round(colour2, 4), tone=round(tone, 4), tone2=round(tone2, 4), framing=round(framing, 4),
                        embedding=round(float(embedding), 4), small=small, same_photo=bool(same))


# -- groups -------------------------------------------------------------------------------------------------------
def complete_linkage(n: int, edges: dict[tuple[int, int], float]) -> list[list[int]]:
    """Groups where every pair is an edge: merge the strongest pairs first, and two groups only
    when all pairs across them are edges (no chaining). Returns groups of 2+ members."""
    group = list(range(n))
    members = {i: [i] for i in range(n)}
    for (i, j), _ in sorted(edges.items(), key=lambda kv: -kv[1]):
        gi, gj = group[i], group[j]
        if gi == gj:
            continue
        if all((min(x, y), max(x, y)) in edges for x in members[gi] for y in members[gj]):
            for x in members[gj]:
                group[x] = gi
            members[gi] += members.pop(gj)
    return [sorted(m) for m in members.values() if len(m) > 1]


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
    for i, j in candidate_pairs(prints, embeddings, t):
        ev = verify(prints[i], prints[j], float(embeddings[i] @ embeddings[j]), t)
        evidence[(i, j)] = ev
        if ev.same_photo:
            edges[(i, j)] = ev.grey + ev.embedding
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
                      "detail": ev.detail if ev else 1.0, "colour": ev.colour if ev else 0.0,
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


# -- re-uploaded copies, for benches and tests ----------------------------------------------------------------
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


def reupload_catalog(photos: list, folder, *, seed: int = 0, copies: int | None = None, thumbnail_share: float = 0.5,
                     thumbnail_size: tuple[int, int] = (60, 80)) -> set[tuple[str, str]]:
    """A test catalog from real photos (paths): about `thumbnail_share` of them saved as small
    thumbnails (fitted into `thumbnail_size`, like a 60 x 80 catalog thumbnail), the rest as they
    are, plus `copies` re-uploaded copies (`reupload_copy`) of randomly chosen ones.
    Returns the true duplicate pairs (sorted file-name tuples)."""
    from pathlib import Path

    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []
    for k, path in enumerate(photos):
        path = Path(path)
        stem = f"{k:04d}-{path.parent.name}-{path.stem}"
        img = Image.open(path).convert("RGB")
        if rng.uniform() < thumbnail_share:
            img.thumbnail(thumbnail_size, Image.Resampling.LANCZOS)
            name = stem + "-thumb.jpg"
            img.save(folder / name, "JPEG", quality=90)
        else:
            name = stem + path.suffix.lower()
            (folder / name).write_bytes(path.read_bytes())
        names.append(name)
    truth = set()
    n_copies = len(names) // 5 if copies is None else copies
    for k in rng.choice(len(names), size=min(n_copies, len(names)), replace=False):
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
