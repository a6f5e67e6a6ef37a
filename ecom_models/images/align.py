"""Lining two photos' signatures up and sampling them: the numeric core of the pixel verification in
images.duplicates (area resampling of windows, the coarse search over every combination of small
crops, then a coordinate search; no decision is made here)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

COARSE_SIDE = 8  # grid on which two photos are first lined up (every combination of crops)
ALIGN_RANGE = 0.06  # crop tried on each side of a box (share of the box) when aligning two photos


def norm_rows(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float32)
    v = v - v.mean(axis=1, keepdims=True)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)


def _area_weights(lo: np.ndarray, hi: np.ndarray, n_src: int, side: int) -> np.ndarray:
    """(n, side, n_src) weights that average source pixels over each of `side` equal cells of
    [lo, hi] (shares of the source): area resampling, so a 64 px signature brought down to a
    12 px grid is not aliased (a copy shrunk to 30 px is compared with an honest average)."""
    g = np.arange(side + 1, dtype=np.float32) / side
    edges = (lo[:, None] + (hi - lo)[:, None] * g) * n_src  # (n, side + 1) in source pixels
    p = np.arange(n_src, dtype=np.float32)
    left, right = edges[:, :-1, None], edges[:, 1:, None]
    overlap = np.clip(np.minimum(right, p + 1) - np.maximum(left, p), 0.0, None)
    return overlap / np.maximum(overlap.sum(axis=2, keepdims=True), 1e-6)


_WEIGHTS: dict = {}
_QUANT = 4096  # windows are placed to 1/4096 of a box: far finer than any grid compared here


def _span_weights_of(lo: np.ndarray, hi: np.ndarray, n_src: int, side: int) -> np.ndarray:
    """`_area_weights`, remembered per span: the alignment search meets the same spans again and
    again (its steps lie on a lattice), and building the weights costs more than using them."""
    keys = [(int(round(a * _QUANT)), int(round(b * _QUANT)), n_src, side) for a, b in zip(lo.tolist(), hi.tolist())]
    if len(_WEIGHTS) > 6_000:  # at most ~35 MB; a 567-photo catalog needs ~2,600 spans (13 MB)
        _WEIGHTS.clear()
    missing = [k for k in dict.fromkeys(keys) if k not in _WEIGHTS]
    if missing:
        q = np.array([k[:2] for k in missing], dtype=np.float32) / _QUANT
        for k, wgt in zip(missing, _area_weights(q[:, 0], q[:, 1], n_src, side)):
            _WEIGHTS[k] = wgt
    return np.stack([_WEIGHTS[k] for k in keys])


def sample_windows(img: np.ndarray, windows: np.ndarray, side: int) -> np.ndarray:
    """Area-averaged samples of each window of `img` (H, W[, C]) on a side x side grid: (n, side*side[, C]).

    Separable: rows first, then columns, both as small matrix products."""
    h, w = img.shape[:2]
    ry = _span_weights_of(windows[:, 1], windows[:, 3], h, side)  # (n, side, H)
    rx = _span_weights_of(windows[:, 0], windows[:, 2], w, side)  # (n, side, W)
    if img.ndim == 3:
        out = np.einsum("nih,hwc->niwc", ry, img, optimize=True)
        out = np.einsum("niwc,njw->nijc", out, rx, optimize=True)
        return out.reshape(len(windows), side * side, img.shape[2])
    out = np.matmul(np.matmul(ry, img), rx.transpose(0, 2, 1))
    return out.reshape(len(windows), side * side)


def _signed_windows(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Signed per-side offsets (n, 4: left, top, right, bottom) -> windows of photo A and of photo B.

    A positive offset trims that side of A, a negative one that side of B: a copy cropped on
    its left and the original's box cut short on its right (a crop into the product) both line up."""
    pos, neg = np.maximum(offsets, 0.0), np.maximum(-offsets, 0.0)
    ones = np.ones(len(offsets), dtype=np.float32)
    wa = np.stack([pos[:, 0], pos[:, 1], ones - pos[:, 2], ones - pos[:, 3]], axis=1)
    wb = np.stack([neg[:, 0], neg[:, 1], ones - neg[:, 2], ones - neg[:, 3]], axis=1)
    return wa.astype(np.float32), wb.astype(np.float32)


_STEP_SIZES = tuple(ALIGN_RANGE / k for k in (4, 8, 16))
_MOVES = np.concatenate([np.eye(4), -np.eye(4)]).astype(np.float32)  # one side in or out


_COARSE_TRIMS = np.arange(0.0, ALIGN_RANGE + 1e-6, ALIGN_RANGE / 2, dtype=np.float32)  # per side, one photo
_SPANS = np.array([(lo, 1 - hi) for lo in _COARSE_TRIMS for hi in _COARSE_TRIMS], dtype=np.float32)  # (16, 2)
# Coarse crops of one photo: (top-bottom span, left-right span) index pairs, and which crop of A
# may meet which crop of B (a side is trimmed on one photo only: trimming both is a smaller crop).
_NT = len(_COARSE_TRIMS)
_TRIM_OF = np.array([(i, j) for i in range(_NT) for j in range(_NT)])  # span index -> (lo trim, hi trim)
_CROPS = np.array([(tb, lr) for tb in range(len(_SPANS)) for lr in range(len(_SPANS))])  # (256, 2)
_crop_trims = np.concatenate([_TRIM_OF[_CROPS[:, 1]][:, :1], _TRIM_OF[_CROPS[:, 0]][:, :1],
                              _TRIM_OF[_CROPS[:, 1]][:, 1:], _TRIM_OF[_CROPS[:, 0]][:, 1:]], axis=1)  # l, t, r, b
_VALID = ((_crop_trims[:, None, :] == 0) | (_crop_trims[None, :, :] == 0)).all(axis=2)  # (256, 256)


@lru_cache(maxsize=16)
def _span_weights(n_src: int, grid: int) -> np.ndarray:
    return _area_weights(_SPANS[:, 0], _SPANS[:, 1], n_src, grid)


def coarse_crops(img: np.ndarray, grid: int) -> np.ndarray:
    """Every coarse crop of a grey signature on a grid x grid raster, normalised: (256, grid*grid)."""
    n = img.shape[0]
    ry, rx = _span_weights(n, grid), _span_weights(img.shape[1], grid)  # (16, grid, n)
    k = len(_SPANS)
    rows = (ry.reshape(k * grid, n) @ img).reshape(k * grid, -1)  # (16 * grid, W)
    out = rows @ rx.reshape(k * grid, -1).T  # (16 top-bottom * grid, 16 left-right * grid)
    out = out.reshape(k, grid, k, grid).transpose(0, 2, 1, 3)  # (top-bottom, left-right, grid, grid)
    return norm_rows(out.reshape(k * k, grid * grid))


def _coarse_best(ga: np.ndarray, gb: np.ndarray, grid: int, crops=None) -> tuple[np.ndarray, float]:
    """Best coarse offsets (signed, as in `_signed_windows`) and their NCC. `crops(img)`, when
    given, returns `coarse_crops(img, grid)` (from a cache: one photo meets several candidates)."""
    get = crops or (lambda img: coarse_crops(img, grid))
    scores = np.where(_VALID, get(ga) @ get(gb).T, -2.0)
    ia, ib = np.unravel_index(int(scores.argmax()), scores.shape)
    offsets = (_crop_trims[ia] - _crop_trims[ib]).astype(np.float32) * (ALIGN_RANGE / 2)
    return offsets, float(scores[ia, ib])


def align(ga: np.ndarray, gb: np.ndarray, side: int, min_coarse: float = -1.0, crops=None) -> tuple:
    """The crop of A and of B that line up best (grey NCC on a side x side grid): a coarse search
    over every combination of per-side offsets, then a coordinate search in finer and finer steps.
    Returns (window of A, window of B, NCC), or (None, None, coarse NCC) below `min_coarse`."""
    def score(offsets: np.ndarray, grid: int) -> np.ndarray:
        wa, wb = _signed_windows(offsets)
        return np.einsum("ij,ij->i", norm_rows(sample_windows(ga, wa, grid)), norm_rows(sample_windows(gb, wb, grid)))

    start, coarse = _coarse_best(ga, gb, COARSE_SIDE, crops)
    if coarse < min_coarse:
        return None, None, coarse
    out, out_s = start, float(score(start[None], side)[0])
    for step in _STEP_SIZES:  # coordinate search: each side in or out by one step, while it helps
        for _ in range(2):
            trials = np.clip(out + _MOVES * step, -ALIGN_RANGE - 0.02, ALIGN_RANGE + 0.02)
            s = score(trials, side)
            k = int(s.argmax())
            if s[k] <= out_s:
                break
            out, out_s = trials[k], float(s[k])
    wa, wb = _signed_windows(out[None])
    return wa[0], wb[0], out_s


def cell_means(diff: np.ndarray, side: int, cells: int = 4, per_channel: bool = False) -> np.ndarray:
    """Mean of `diff` (side*side[, C]) per cell of a cells x cells grid: (cells*cells,) or (cells*cells, C)."""
    d = diff.reshape(cells, side // cells, cells, side // cells, -1)
    if per_channel:
        return d.mean(axis=(1, 3)).reshape(cells * cells, -1)
    return d.mean(axis=(1, 3, 4)).ravel()
