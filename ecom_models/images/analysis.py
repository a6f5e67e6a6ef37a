"""Product images: a bundled pretrained model, categories, similar items, duplicates, photo quality.

Everything runs offline. The image model is EfficientNet-Lite0 with ImageNet weights
(Apache-2.0), exported once to ONNX by `scripts/export_efficientnet.py` and run with
onnxruntime; torch is never needed at run time.

Pipeline, one call: `analyse(images, products=None, rules=QualityRules(), ...) -> ImageAnalysis`

1. Safe reading (`collect_images`, `load_image`): formats limited to JPEG, PNG and WebP (the
   content decides, not the file name); files over `MAX_FILE_BYTES` refused; the pixel count is
   checked from the header before anything is decoded (decompression bombs); zip archives are
   checked for path traversal, number of files, total unpacked size and compression ratio.
   Animated images use their first frame; CMYK, 16-bit, palette and transparent images are
   converted (transparency becomes white). A bad file is reported and the batch goes on.
2. Per image (`embed`): the 1,000 ImageNet class probabilities, the top labels, a coarse product
   category (probability mass summed per `TAXONOMY` group) and a 1,280-number embedding
   (L2-normalised, so a dot product is the cosine similarity).
3. Photo quality (`quality_metrics`, `check_quality`): resolution, aspect ratio, sharpness
   (variance of the Laplacian), brightness, contrast, white background, file size, each against
   a rule the merchant can edit.
4. Near-duplicates and similar items: cosine similarity of embeddings, tunable threshold.
5. The merchant's own categories (`CategoryHead`, `evaluate_categories`): a small Keras
   head on the embeddings, scored on held-out products (grouped cross-validation: every
   image is predicted by a model that never saw its product) against the majority class and
   the ImageNet-taxonomy mapping; photos that disagree with their listed category are flagged.
6. `revenue_at_stake`: revenue of the listings with photo problems (priced in ecom_models.value.valuation).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from ecom_models.images import duplicates as _dupes
from ecom_models.images import taxonomy as _taxonomy
from ecom_models.core.errors import InputError
from ecom_models.core.stats import wilson
from ecom_models.core import paths

MODEL_DIR = paths.MODELS_DIR / "efficientnet_lite0"
MODEL_FILE = MODEL_DIR / "efficientnet_lite0.onnx"
CLASSES_FILE = MODEL_DIR / "imagenet_classes.txt"
INPUT_SIZE = 224
WORK_SIZE = 512  # quality metrics are measured on the photo scaled to this longest side

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".jfif")
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 50_000_000  # e.g. 7,000 x 7,000; a 30,000 x 30,000 image is refused unread
MAX_ZIP_FILES = 5_000
MAX_ZIP_TOTAL_BYTES = 1_500 * 1024 * 1024
MAX_ZIP_RATIO = 200  # unpacked / packed size of one member; images hardly compress

# Coarse categories, the ImageNet classes behind each, merchant category names: vision_taxonomy.
TAXONOMY_CLASSES = _taxonomy.TAXONOMY_CLASSES
TAXONOMY = _taxonomy.TAXONOMY
taxonomy_of = _taxonomy.taxonomy_of
TOO_SMALL = _taxonomy.TOO_SMALL


# -- reading images safely ---------------------------------------------------------------------
@dataclass
class ImageFile:
    """An uploaded file, not yet decoded. `name` is what the merchant sees.

    Either `data` holds the bytes, or `path` points at a file read only when needed (so a folder
    of thousands of photos is never held in memory at once)."""

    name: str
    data: bytes = b""
    path: Path | None = None

    def content(self) -> bytes:
        if self.path is not None and not self.data:
            return Path(self.path).read_bytes()
        return self.data


@dataclass
class Problem:
    """A file that was refused or changed while reading, in the merchant's words."""

    file: str
    problem: str
    refused: bool = True


@dataclass
class LoadedImage:
    file: str
    width: int
    height: int
    format: str
    file_bytes: int
    sha1: str
    work: object  # PIL RGB image, longest side <= WORK_SIZE, for quality metrics and thumbnails
    note: str = ""  # e.g. "animated: first frame used"


def collect_images(source, *, max_files: int = MAX_ZIP_FILES) -> tuple[list[ImageFile], list[Problem]]:
    """Image files from a folder, a zip file, a single image, raw zip bytes or a list of ImageFile.

    Files that are not images by name (say a products.csv) are skipped silently; everything
    refused is listed in the returned problems.
    """
    if isinstance(source, (list, tuple)):
        files, problems = [], []
        for item in source:
            got, probs = collect_images(item, max_files=max_files)
            files += got
            problems += probs
        return files, problems
    if isinstance(source, ImageFile):
        if source.name.lower().endswith(".zip"):
            return read_zip(source.content(), name=source.name, max_files=max_files)
        return [source], []
    if isinstance(source, (bytes, bytearray)):
        return read_zip(bytes(source), name="upload.zip", max_files=max_files)
    path = Path(source)
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if len(paths) > max_files:
            raise InputError(f"the folder holds {len(paths):,} images; the limit is {max_files:,}.",
                             file=str(path), fix="split the catalog into smaller folders.")
        files, problems = [], []
        for p in paths:
            name = str(p.relative_to(path))
            if p.stat().st_size > MAX_FILE_BYTES:
                problems.append(Problem(name, f"the file is {p.stat().st_size / 1e6:.0f} MB; the limit is "
                                              f"{MAX_FILE_BYTES / 1e6:.0f} MB. Save a smaller copy."))
                continue
            files.append(ImageFile(name, path=p))
        return files, problems
    if path.is_file():
        if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                return read_zip(path, name=path.name, max_files=max_files)
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [Problem(path.name, f"the file is {path.stat().st_size / 1e6:.0f} MB; the limit is "
                                           f"{MAX_FILE_BYTES / 1e6:.0f} MB. Save a smaller copy.")]
        return [ImageFile(path.name, path=path)], []
    raise InputError("no such file or folder.", file=str(source), fix="check the path.")


def read_zip(source, *, name: str = "upload.zip", max_files: int = MAX_ZIP_FILES,
             max_total_bytes: int = MAX_ZIP_TOTAL_BYTES) -> tuple[list[ImageFile], list[Problem]]:
    """Images inside a zip archive, read into memory (nothing is extracted to disk).

    Refuses the whole archive when it holds too many files or unpacks too large (a zip bomb);
    skips members with unsafe paths (absolute, '..') or a suspicious compression ratio.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"this is not a readable zip archive ({exc}).", file=name,
                         fix="zip the photos again, or upload them as separate files.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > max_files:
            raise InputError(f"the archive holds {len(members):,} files; the limit is {max_files:,}.", file=name,
                             fix="split the photos into several smaller zip files.")
        declared = sum(m.file_size for m in members)
        if declared > max_total_bytes:
            raise InputError(f"the archive would unpack to {declared / 1e9:.1f} GB; the limit is "
                             f"{max_total_bytes / 1e9:.1f} GB.", file=name,
                             fix="split the photos into several smaller zip files.")
        files, problems, total = [], [], 0
        for m in members:
            member = m.filename
            parts = PurePosixPath(member.replace("\\", "/")).parts
            base = parts[-1] if parts else member
            if base.startswith(".") or "__MACOSX" in parts:
                continue
            if member.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", member):
                problems.append(Problem(member, "unsafe path inside the zip (it points outside the archive); skipped."))
                continue
            if not base.lower().endswith(IMAGE_SUFFIXES):
                continue
            if m.file_size > MAX_FILE_BYTES:
                problems.append(Problem(member, f"the file unpacks to {m.file_size / 1e6:.0f} MB; the limit is "
                                                f"{MAX_FILE_BYTES / 1e6:.0f} MB. Save a smaller copy."))
                continue
            if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO:
                problems.append(Problem(member, "the file is compressed suspiciously well (a 'zip bomb' pattern); skipped."))
                continue
            try:
                with archive.open(m) as fh:
                    data = fh.read(MAX_FILE_BYTES + 1)  # never trust the declared size alone
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                problems.append(Problem(member, f"could not be unpacked ({exc}); skipped."))
                continue
            if len(data) > MAX_FILE_BYTES:
                problems.append(Problem(member, "the file unpacks larger than it claims; skipped."))
                continue
            total += len(data)
            if total > max_total_bytes:
                raise InputError("the archive unpacks larger than it claims (a 'zip bomb' pattern).", file=name,
                                 fix="zip the photos again with an ordinary zip tool.")
            files.append(ImageFile(member, data))
    return files, problems


def safe_file_name(name: str) -> str:
    """A merchant's file name reduced to a safe base name (no folders, no odd characters)."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .") or "photo"
    stem, dot, suffix = base.rpartition(".")
    if dot and len(suffix) <= 5:
        return stem[:100] + "." + suffix.lower()
    return base[:100]


def upload_batch_id(files: Iterable[tuple[str, bytes]]) -> str:
    """One id for a set of uploaded files (names and contents): a rerun with the same files in the
    uploader must not save them again, a different set must."""
    digest = hashlib.sha1()
    for name, data in files:
        digest.update(name.encode() + hashlib.sha1(data).digest())
    return digest.hexdigest()


def save_uploads(files: Iterable[ImageFile], folder: str | Path) -> list[Path]:
    """Keep uploaded photos (or zips) in the workspace folder so a reload loses nothing.

    The folder's previous content is replaced. `files` may be a generator: each file's bytes are
    written and then dropped, so an upload of hundreds of photos is never copied whole. The new
    set is written beside the old one and swapped in by renames, so a process killed half-way
    leaves the previous photos, not a mix. Names are reduced with safe_file_name; the bytes are
    stored as they came (they are only ever opened as images, never executed)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    incoming = folder.with_name(f".{folder.name}.incoming")
    retired = folder.with_name(f".{folder.name}.old")
    for leftover in (incoming, retired):
        if leftover.exists():
            shutil.rmtree(leftover)
    incoming.mkdir()
    names, used = [], set()
    for item in files:
        name = safe_file_name(item.name)
        stem, dot, suffix = name.rpartition(".")
        k = 2
        while name.lower() in used:
            name = f"{stem or name}_{k}{dot}{suffix}" if dot else f"{name}_{k}"
            k += 1
        used.add(name.lower())
        (incoming / name).write_bytes(item.content())
        names.append(name)
    if folder.exists():
        folder.rename(retired)
    incoming.rename(folder)
    if retired.exists():
        shutil.rmtree(retired, ignore_errors=True)
    return [folder / name for name in names]


def stored_uploads(folder: str | Path) -> list[ImageFile]:
    """Photos and zips saved by save_uploads, as ImageFile objects (zips stay zipped)."""
    folder = Path(folder)
    retired = folder.with_name(f".{folder.name}.old")
    if not folder.is_dir() and retired.is_dir():  # killed between save_uploads' two renames
        retired.rename(folder)
    if not folder.is_dir():
        return []
    return [ImageFile(p.name, path=p) for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES + (".zip",)]


def load_image(item: ImageFile, *, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode one image safely; raises InputError with the merchant-facing reason."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if item.path is not None and not item.data and Path(item.path).stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"the file is {Path(item.path).stat().st_size / 1e6:.0f} MB; the limit is "
                         f"{MAX_FILE_BYTES / 1e6:.0f} MB.", file=item.name, fix="save a smaller copy.")
    data = item.content()
    if not data:
        raise InputError("the file is empty.", file=item.name, fix="export the photo again.")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"the file is {len(data) / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB.",
                         file=item.name, fix="save a smaller copy.")
    notes = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS))
            width, height = img.size
            if width * height > max_pixels:
                raise InputError(f"the image is {width:,} x {height:,} pixels, more than the {max_pixels / 1e6:.0f} "
                                 "million pixels allowed.", file=item.name, fix="resize it below 7,000 pixels a side.")
            fmt = img.format or "?"
            if getattr(img, "is_animated", False) and getattr(img, "n_frames", 1) > 1:
                img.seek(0)
                notes.append(f"animated ({img.n_frames} frames): the first frame was checked")
            if fmt == "JPEG":
                img.draft("RGB", (WORK_SIZE, WORK_SIZE))  # decode at reduced size: much faster
            img.load()
            try:
                img = ImageOps.exif_transpose(img)
            except Exception:  # a broken EXIF block is not worth refusing the photo
                notes.append("unreadable orientation tag ignored")
            img, note = _to_rgb(img)
            if note:
                notes.append(note)
            if max(width, height) <= 0:
                raise InputError("the image has no pixels.", file=item.name, fix="export the photo again.")
            img.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.BILINEAR)
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError("this is not a JPEG, PNG or WebP image (the content does not match, whatever the name says).",
                         file=item.name, fix="export the photo as JPEG, PNG or WebP.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        count = f" ({int(found.group(1)) / 1e6:,.0f} million pixels)" if found else ""
        raise InputError(f"the image declares far more pixels than a product photo needs{count}, the pattern "
                         "of a 'decompression bomb'.", file=item.name, fix="resize it below 7,000 pixels a side.") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise InputError(f"the image is corrupt or truncated ({exc}).", file=item.name,
                         fix="export the photo again from the original.") from None
    return LoadedImage(file=item.name, width=int(width), height=int(height), format=fmt,
                       file_bytes=len(data), sha1=hashlib.sha1(data).hexdigest(), work=img,
                       note="; ".join(notes))


def _to_rgb(img):
    """Any mode to 8-bit RGB; transparency becomes white (as on a product page)."""
    from PIL import Image

    mode = img.mode
    if mode == "RGB":
        return img, ""
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max() > 255 else 255.0
        arr = np.clip(arr / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(arr, "L").convert("RGB"), "16-bit image converted to 8-bit"
    if mode == "CMYK":
        return img.convert("RGB"), "CMYK colours converted to RGB (check colours look right on screen)"
    if mode in ("P", "PA") and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB"), ""
    return img.convert("RGB"), ""


def load_images(files: list[ImageFile], *, max_pixels: int = MAX_PIXELS) -> tuple[list[LoadedImage], list[Problem]]:
    """Decode every file; bad ones become Problems and the rest of the batch goes on."""
    loaded, problems = [], []
    for item in files:
        try:
            image = load_image(item, max_pixels=max_pixels)
        except InputError as exc:
            problems.append(Problem(item.name, exc.problem + (f" How to fix: {exc.fix}" if exc.fix else "")))
            continue
        loaded.append(image)
        if image.note:
            problems.append(Problem(item.name, image.note, refused=False))
    return loaded, problems


# -- the model -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def class_names() -> list[str]:
    names = [line for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines() if line]
    if len(names) != 1000:
        raise RuntimeError(f"{CLASSES_FILE} should hold 1,000 class names, found {len(names)}")
    return names


@lru_cache(maxsize=1)
def taxonomy_matrix() -> np.ndarray:
    """(1000, len(TAXONOMY)) 0/1 matrix: which ImageNet classes count towards which category."""
    names = class_names()
    index: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        index.setdefault(n, []).append(i)
    matrix = np.zeros((len(names), len(TAXONOMY)), dtype=np.float32)
    for j, cat in enumerate(TAXONOMY):
        for cname in TAXONOMY_CLASSES.get(cat, []):
            for i in index.get(cname.strip(), []):
                matrix[i, j] = 1.0
    unmapped = matrix.sum(axis=1) == 0
    matrix[unmapped, TAXONOMY.index("other")] = 1.0
    return matrix


@lru_cache(maxsize=1)
def _session():
    from ecom_models.core.onnx_runtime import cpu_session

    if not MODEL_FILE.exists():
        raise RuntimeError(f"the bundled image model is missing: {MODEL_FILE}")
    return cpu_session(MODEL_FILE, int(os.environ.get("ECOM_VISION_THREADS", "2")))


def model_input(img) -> np.ndarray:
    """A PIL RGB image -> (3, 224, 224) float32: padded to a square with white, resized, (v - 127) / 128.

    Padding instead of cropping keeps the whole product in view.
    """
    from PIL import Image

    w, h = img.size
    side = max(w, h)
    if w != h:
        canvas = Image.new("RGB", (side, side), (255, 255, 255))
        canvas.paste(img, ((side - w) // 2, (side - h) // 2))
        img = canvas
    img = img.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    arr = (np.asarray(img, dtype=np.float32) - 127.0) / 128.0
    return arr.transpose(2, 0, 1)


def embed(images: list, batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Run the model on PIL images. Returns (probabilities (N, 1000), embeddings (N, 1280), L2-normalised)."""
    if not images:
        return np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32)
    session = _session()
    probs, embs = [], []
    for start in range(0, len(images), batch_size):
        batch = np.stack([model_input(im) for im in images[start:start + batch_size]]).astype(np.float32)
        logits, emb = session.run(["logits", "embedding"], {"image": batch})
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        probs.append(p / p.sum(axis=1, keepdims=True))
        embs.append(emb)
    emb = np.concatenate(embs).astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return np.concatenate(probs).astype(np.float32), emb


def coarse_categories(probs: np.ndarray, min_mass: float = 0.10, embeddings: np.ndarray | None = None,
                      longest_side=None) -> tuple[list[str], np.ndarray]:
    """Coarse category per image: the product group with the most ImageNet probability mass.

    With `embeddings`, a photo close to the bundled grocery reference photos counts as groceries
    (ImageNet reads yoghurt tubs as sunscreen); with `longest_side`, photos below
    MIN_SIDE_FOR_CATEGORY pixels are TOO_SMALL rather than a guess.
    Returns (category names, confidence: mass of the chosen group, or the grocery similarity).
    'other' when no product group reaches min_mass.
    """
    mass = probs @ taxonomy_matrix()
    product_groups = mass[:, :-1]
    # A category made of many ImageNet classes collects the thin spread of an unsure prediction
    # (home & kitchen has over 100 classes, eyewear 3): compare masses per sqrt(number of classes).
    best = (product_groups / np.sqrt(np.maximum(taxonomy_matrix().sum(axis=0)[:-1], 1.0))).argmax(axis=1)
    best_mass = product_groups[np.arange(len(best)), best]
    names = [TAXONOMY[b] if m >= min_mass else "other" for b, m in zip(best, best_mass)]
    if embeddings is not None and len(embeddings):
        near = _taxonomy.grocery_similarity(embeddings)
        if near is not None:
            grocery = near >= _taxonomy.GROCERY_MIN_SIMILARITY
            names = [_taxonomy.GROCERIES if g else n for n, g in zip(names, grocery)]
            best_mass = np.where(grocery, np.maximum(best_mass, mass[:, TAXONOMY.index(_taxonomy.GROCERIES)]),
                                 best_mass)
    if longest_side is not None:
        small = np.asarray(longest_side) < _taxonomy.MIN_SIDE_FOR_CATEGORY
        names = [TOO_SMALL if s else n for n, s in zip(names, small)]
        best_mass = np.where(small, 0.0, best_mass)
    return names, best_mass


def top_labels(probs: np.ndarray, k: int = 3) -> list[list[dict]]:
    names = class_names()
    order = np.argsort(-probs, axis=1)[:, :k]
    return [[{"label": names[i], "probability": round(float(p[i]), 4)} for i in row] for row, p in zip(order, probs)]


# -- photo quality ---------------------------------------------------------------------------------
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


# -- similarity and duplicates --------------------------------------------------------------------
# Duplicate groups: vision_dupes.find_duplicates (object-box fingerprints, pixel verification,
# complete linkage). The earlier single-linkage grouping over embedding similarity chained
# different products together and is gone.


def nearest(embeddings: np.ndarray, index: int, k: int = 5, exclude: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The k most similar other images to image `index`: [(position, cosine similarity)]."""
    sim = embeddings @ embeddings[index]
    sim[index] = -np.inf
    if exclude is not None:
        sim[exclude] = -np.inf
    order = np.argsort(-sim)[:k]
    return [(int(j), float(sim[j])) for j in order if np.isfinite(sim[j])]


def nearest_all(embeddings: np.ndarray, k: int = 5, block: int = 512) -> list[list[tuple[int, float]]]:
    """`nearest` for every image at once, block by block (one matrix product per block, not one
    per image): [[(position, cosine similarity)] per image]."""
    n = len(embeddings)
    k = max(0, min(k, n - 1))
    out: list[list[tuple[int, float]]] = []
    for start in range(0, n, block):
        sim = embeddings[start:start + block] @ embeddings.T
        rows = np.arange(len(sim))
        sim[rows, rows + start] = -np.inf
        if k == 0:
            out += [[] for _ in rows]
            continue
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]  # k <= n - 1 here
        for r, cols in enumerate(top):
            cols = cols[np.argsort(-sim[r, cols], kind="stable")]
            out.append([(int(j), float(sim[r, j])) for j in cols if np.isfinite(sim[r, j])])
    return out


def product_id_from_file(file: str, product_ids: list[str] | None = None) -> str:
    """SKU-0101.jpg, SKU-0101_2.png, shoes/SKU-0101-back.webp -> SKU-0101.

    With known product ids, the longest id the file name starts with wins; otherwise the
    name up to the first '_' (or the whole name).
    """
    stem = PurePosixPath(file.replace("\\", "/")).stem
    if product_ids:
        low = stem.lower()
        hits = [p for p in product_ids if low == p.lower() or low.startswith(p.lower() + "_")
                or low.startswith(p.lower() + "-") or low.startswith(p.lower() + " ")]
        if hits:
            return max(hits, key=len)
    return stem.split("_")[0] if "_" in stem else stem


# -- the merchant's own categories ------------------------------------------------------------------
def _quiet_tensorflow() -> None:
    """One thread is plenty for a one-layer head; more only fight over a small machine's cores."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process: keep its settings
        pass


class CategoryHead:
    """A small Keras classifier on image embeddings (transfer learning): fit / predict / score."""

    def __init__(self, epochs: int = 40, learning_rate: float = 0.005, l2: float = 1e-4, batch_size: int = 32,
                 min_steps: int = 200, seed: int = 0):
        self.epochs = epochs
        self.min_steps = min_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.l2 = l2
        self.seed = seed

    def fit(self, X: np.ndarray, y) -> "CategoryHead":
        import keras

        _quiet_tensorflow()
        y = np.asarray([str(v) for v in y])
        if len(X) != len(y) or len(X) == 0:
            raise InputError("there are no labelled photos to learn the categories from.",
                             fix="give each product a category in the products file.")
        self.classes_ = np.array(sorted(set(y)))
        if len(self.classes_) < 2:
            raise InputError("all labelled photos share one category, so there is nothing to tell apart.",
                             fix="add products from at least two categories.")
        index = {c: i for i, c in enumerate(self.classes_)}
        target = np.array([index[v] for v in y])
        keras.utils.set_random_seed(self.seed)
        model = keras.Sequential([
            keras.Input(shape=(X.shape[1],)),
            keras.layers.Dropout(0.2, seed=self.seed),
            keras.layers.Dense(len(self.classes_), activation="softmax",
                               kernel_regularizer=keras.regularizers.l2(self.l2)),
        ])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="sparse_categorical_crossentropy",
                      steps_per_execution=50)
        # One pass over a repeated, shuffled dataset: per-epoch overhead in Keras dominates on
        # small catalogs, so all epochs run as a single Keras epoch.
        import tensorflow as tf

        data = (tf.data.Dataset.from_tensor_slices((X.astype(np.float32), target))
                .shuffle(len(X), seed=self.seed, reshuffle_each_iteration=True)
                .batch(self.batch_size).repeat(self.epochs_for(len(X))))
        model.fit(data, epochs=1, verbose=0, shuffle=False)
        self.model_ = model
        return self

    def epochs_for(self, n: int) -> int:
        """At least `min_steps` optimiser steps, so small catalogs are not under-trained."""
        steps_per_epoch = max(1, math.ceil(n / self.batch_size))
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_(X.astype(np.float32), training=False))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X: np.ndarray, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray([str(v) for v in y])))


@dataclass
class CategoryEvaluation:
    """Held-out accuracy of the category head against simple baselines."""

    n_images: int
    n_products: int
    n_categories: int
    folds: int
    accuracy: float  # out-of-fold: each photo predicted by a model that never saw its product
    accuracy_low: float
    accuracy_high: float
    majority_accuracy: float  # always guess the most common category: its share of the photos
    taxonomy_accuracy: float | None  # the bundled ImageNet-taxonomy mapping, where categories line up
    winner: str
    predictions: pd.DataFrame  # file, product_id, listed, predicted, confidence, mismatch
    per_category: pd.DataFrame = field(default_factory=pd.DataFrame)


def evaluate_categories(embeddings: np.ndarray, listed, groups, files: list[str], taxonomy_pred=None,
                        folds: int = 5, mismatch_confidence: float = 0.6, epochs: int = 40,
                        seed: int = 0) -> CategoryEvaluation:
    """Grouped k-fold: photos of one product are always in the same fold, so no product is
    seen in training and test at once. Photos whose held-out prediction disagrees with the
    listed category with confidence >= mismatch_confidence are flagged."""
    from sklearn.model_selection import GroupKFold

    listed = np.asarray([str(v) for v in listed])
    groups = np.asarray([str(g) for g in groups])
    n_products = len(set(groups))
    counts = pd.Series(listed).value_counts()
    if len(counts) < 2:
        raise InputError("the photos need at least two categories to learn from.",
                         fix="give the products their categories in the products file.")
    if n_products < 4:
        raise InputError(f"only {n_products} products have a category; at least 4 are needed for a fair test.",
                         fix="add more products with photos and categories.")
    k = int(max(2, min(folds, n_products)))
    predicted = np.empty(len(listed), dtype=object)
    confidence = np.zeros(len(listed))
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for train, test in splitter.split(embeddings, listed, groups):
        if len(set(listed[train])) < 2:
            predicted[test] = listed[train][0]
            confidence[test] = 1.0
            continue
        head = CategoryHead(epochs=epochs, seed=seed).fit(embeddings[train], listed[train])
        proba = head.predict_proba(embeddings[test])
        predicted[test] = head.classes_[proba.argmax(axis=1)]
        confidence[test] = proba.max(axis=1)
    hits = int((predicted == listed).sum())
    n = len(listed)
    acc = hits / n
    low, high = wilson(hits, n)
    # Always guessing the most common category is right for its share of photos. (Taking the
    # majority of each training fold instead is biased low with balanced categories: the fold's
    # majority is then the category most under-represented in its test part.)
    majority_acc = float(counts.iloc[0] / n)
    tax_acc = None
    if taxonomy_pred is not None:
        mapped = np.array([taxonomy_of(c) for c in listed], dtype=object)
        usable = np.array([m is not None for m in mapped])
        if usable.mean() >= 0.8:
            tax_acc = float(np.mean(np.asarray(taxonomy_pred)[usable] == mapped[usable]))
    best_baseline = max(majority_acc, tax_acc or 0.0)
    winner = "category model" if acc > best_baseline else (
        "built-in model (ImageNet mapping)" if tax_acc is not None and tax_acc >= majority_acc
        else "guess the most common category")
    mismatch = (predicted != listed) & (confidence >= mismatch_confidence)
    predictions = pd.DataFrame({"file": files, "product_id": groups, "listed": listed,
                                "predicted": predicted.astype(str), "confidence": confidence.round(3),
                                "mismatch": mismatch})
    per_category = (predictions.assign(correct=predictions["listed"] == predictions["predicted"])
                    .groupby("listed").agg(photos=("file", "size"), accuracy=("correct", "mean")).reset_index()
                    .rename(columns={"listed": "category"}))
    return CategoryEvaluation(n_images=n, n_products=n_products, n_categories=len(counts), folds=k, accuracy=acc,
                              accuracy_low=low, accuracy_high=high, majority_accuracy=majority_acc,
                              taxonomy_accuracy=tax_acc, winner=winner, predictions=predictions,
                              per_category=per_category)


def suggest_categories(labelled: np.ndarray, labels, unlabelled: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Categories for photos whose product has none: a head trained on every labelled photo.

    Returns (suggested category, confidence) per unlabelled photo."""
    if len(unlabelled) == 0:
        return np.array([], dtype=object), np.array([])
    head = CategoryHead(seed=seed).fit(labelled, labels)
    proba = head.predict_proba(unlabelled)
    return head.classes_[proba.argmax(axis=1)], proba.max(axis=1)


# -- one call for everything ----------------------------------------------------------------------
@dataclass
class ImageAnalysis:
    """Everything the page and the CLI show.

    table: one row per readable photo: file, product_id, listed_category, category (coarse, from
      the ImageNet model), category_confidence, top_labels (list of {label, probability}),
      the QUALITY_COLUMNS, problems (list of quality problem names), duplicate_group (int or -1),
      predicted_category / category_mismatch (when categories were learned; for photos of
      products without a category, predicted_category is a suggestion with suggested_confidence).
    embeddings: (n, 1280) L2-normalised, rows aligned with table.
    failures: check_quality output.  problems: files refused or converted while reading.
    """

    table: pd.DataFrame
    embeddings: np.ndarray
    failures: pd.DataFrame
    duplicate_groups: list[list[str]]
    problems: list[Problem]
    categories: CategoryEvaluation | None
    category_note: str
    thumbnails: dict  # file -> JPEG bytes, longest side <= THUMB_SIZE (st.image shows them as they are)
    rules: QualityRules
    threshold: float
    seconds: dict = field(default_factory=dict)
    fingerprints: list = field(default_factory=list)  # vision_dupes.Fingerprint per row of table
    duplicate_pairs: list = field(default_factory=list)  # verified same-photo pairs with their evidence
    same_product: list = field(default_factory=list)  # different photos of one product (same id or very close)
    looks_alike: list = field(default_factory=list)  # different products that look alike

    def similar(self, file: str, k: int = 5, other_products_only: bool = True) -> pd.DataFrame:
        """The k most similar photos to `file`: file, product_id, category, similarity."""
        files = self.table["file"].tolist()
        i = files.index(file)
        exclude = None
        if other_products_only:
            exclude = np.where(self.table["product_id"].to_numpy() == self.table["product_id"].iloc[i])[0]
        hits = nearest(self.embeddings, i, k=k, exclude=exclude)
        rows = [{"file": files[j], "product_id": self.table["product_id"].iloc[j],
                 "category": self.table["listed_category"].iloc[j], "similarity": round(s, 3)} for j, s in hits]
        return pd.DataFrame(rows, columns=["file", "product_id", "category", "similarity"])


def analyse_chunk(files: list[ImageFile], max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True) -> dict:
    """The per-photo work of `analyse` for one chunk of files: decode, embed, measure. It needs no
    other photo, so it can run anywhere (distributed.image_chunk_runner runs it on Dask workers).
    Returns records, probs, emb (None when nothing was readable), thumbs, problems, seconds."""
    import time

    c0 = time.perf_counter()
    loaded, problems = load_images(files, max_pixels=max_pixels)
    c1 = time.perf_counter()
    out = _measure_chunk(loaded, problems, keep_thumbnails)
    out["seconds"]["read"] = c1 - c0
    if loaded:
        c2 = time.perf_counter()
        out["probs"], out["emb"] = embed([im.work for im in loaded])
        out["seconds"]["embed"] = time.perf_counter() - c2
    return out


def _measure_chunk(loaded: list[LoadedImage], problems: list[Problem], keep_thumbnails: bool) -> dict:
    """Everything per photo but the model: quality figures, duplicate fingerprints, thumbnails."""
    import time

    c0 = time.perf_counter()
    out = {"records": [], "probs": None, "emb": None, "thumbs": {}, "prints": [], "problems": problems,
           "seconds": {"read": 0.0, "embed": 0.0, "checks": 0.0}}
    for im in loaded:
        out["prints"].append(_dupes.fingerprint(im.work, (im.width, im.height)))
        out["records"].append({"file": im.file, **quality_metrics(im), "format": im.format, "sha1": im.sha1,
                               "note": im.note})
        if keep_thumbnails:
            out["thumbs"][im.file] = thumbnail_bytes(im.work)
    out["seconds"]["checks"] = time.perf_counter() - c0
    return out


def _pipelined_chunks(chunks: list[list[ImageFile]], max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True):
    """`analyse_chunk` over every chunk on this machine, with the model running on a second thread:
    while it embeds one chunk, this thread measures that chunk and decodes the next (onnxruntime,
    Pillow and NumPy release the GIL, and two model threads leave part of the two cores idle).
    Yields the same dicts as analyse_chunk, in chunk order; at most two chunks are decoded at once."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    def read(files):
        c0 = time.perf_counter()
        loaded, problems = load_images(files, max_pixels=max_pixels)
        return loaded, problems, time.perf_counter() - c0

    def run_model(images):
        c0 = time.perf_counter()
        probs, emb = embed(images)
        return probs, emb, time.perf_counter() - c0

    if not chunks:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vision-model") as pool:
        upcoming = read(chunks[0])
        for k in range(len(chunks)):
            loaded, problems, read_s = upcoming
            model = pool.submit(run_model, [im.work for im in loaded]) if loaded else None
            out = _measure_chunk(loaded, problems, keep_thumbnails)
            upcoming = read(chunks[k + 1]) if k + 1 < len(chunks) else None
            out["seconds"]["read"] = read_s
            if model is not None:
                out["probs"], out["emb"], out["seconds"]["embed"] = model.result()
            yield out


def analyse(source, products: pd.DataFrame | None = None, rules: QualityRules | None = None,
            threshold: float = 0.90, learn_categories: bool = True, mismatch_confidence: float = 0.6,
            max_pixels: int = MAX_PIXELS, keep_thumbnails: bool = True, chunk_size: int = 64,
            map_chunks=None) -> ImageAnalysis:
    """Read, check, embed and compare a batch of product photos.

    source: anything collect_images accepts. products (optional): product_id and category
    (and product_name), used to link photos to listings and to learn the merchant's categories.
    map_chunks(analyse_chunk, chunks, **kwargs): runs the per-chunk work elsewhere and yields
    its results in chunk order (distributed.image_chunk_runner: on Dask workers).
    """
    import time

    rules = rules or QualityRules()
    t0 = time.perf_counter()
    files, problems = collect_images(source)
    # Photos are decoded, measured and embedded in chunks; only small results are kept (a
    # thumbnail as JPEG bytes, numbers, the embedding), so memory does not grow with the
    # decoded size of the whole catalog.
    records, probs_parts, emb_parts, thumbs, prints = [], [], [], {}, []
    seconds = {"read": 0.0, "embed": 0.0, "checks": 0.0}
    chunks = [files[start:start + chunk_size] for start in range(0, len(files), chunk_size)]
    if map_chunks is not None:
        parts = map_chunks(analyse_chunk, chunks, max_pixels=max_pixels, keep_thumbnails=keep_thumbnails)
    else:  # the same steps as analyse_chunk (read, measure, embed), overlapped on this machine
        parts = _pipelined_chunks(chunks, max_pixels=max_pixels, keep_thumbnails=keep_thumbnails)
    for part in parts:
        problems += part["problems"]
        for k, v in part["seconds"].items():
            seconds[k] += v
        if part["records"]:
            records.extend(part["records"])
            probs_parts.append(part["probs"])
            emb_parts.append(part["emb"])
            thumbs.update(part["thumbs"])
            prints.extend(part["prints"])
    if not records:
        detail = ""
        if problems:
            detail = f" {len(problems)} file(s) were refused: " + "; ".join(
                f"{p.file}: {p.problem}" for p in problems[:3]) + (" …" if len(problems) > 3 else "")
        raise InputError("no readable JPEG, PNG or WebP photos were found." + detail,
                         fix="upload product photos (or a zip of them) named after their product id, e.g. SKU-123.jpg.")
    probs, emb = np.concatenate(probs_parts), np.concatenate(emb_parts)
    t3 = time.perf_counter()
    names = [r["file"] for r in records]
    product_ids = None
    listed = {}
    if products is not None and len(products) and "product_id" in products:
        product_ids = products["product_id"].astype(str).tolist()
        if "category" in products:
            listed = dict(zip(products["product_id"].astype(str), products["category"]))
    coarse, coarse_mass = coarse_categories(probs, embeddings=emb,
                                            longest_side=[max(r["width"], r["height"]) for r in records])
    table = pd.DataFrame({"file": names})
    table["product_id"] = [product_id_from_file(f, product_ids) for f in names]
    table["listed_category"] = [listed.get(p) if listed.get(p) is not None and not pd.isna(listed.get(p)) else None
                                for p in table["product_id"]]
    table["category"] = coarse
    table["category_confidence"] = np.round(coarse_mass.astype(float), 3)
    table["top_labels"] = top_labels(probs)
    table = pd.concat([table, pd.DataFrame(records).drop(columns=["file"])], axis=1)
    failures = check_quality(table, rules)
    by_file = failures.groupby("file")["problem"].apply(list).to_dict() if len(failures) else {}
    table["problems"] = [by_file.get(f, []) for f in names]
    found = _dupes.find_duplicates(names, prints, emb, sha1=table["sha1"].tolist(),
                                   product_ids=table["product_id"].tolist(), t=_thresholds(threshold))
    groups = found.groups
    group_of = {f: g for g, members in enumerate(groups) for f in members}
    table["duplicate_group"] = [group_of.get(f, -1) for f in names]
    seconds["duplicates"] = time.perf_counter() - t3
    seconds["checks"] += time.perf_counter() - t3
    t3 = time.perf_counter()

    evaluation, note = None, ""
    labelled = table["listed_category"].notna().to_numpy()
    if learn_categories:
        if labelled.sum() == 0:
            note = "No photo is linked to a product with a category, so only the built-in categories are shown."
        else:
            try:
                evaluation = evaluate_categories(
                    emb[labelled], table.loc[labelled, "listed_category"].tolist(),
                    table.loc[labelled, "product_id"].tolist(), table.loc[labelled, "file"].tolist(),
                    taxonomy_pred=table.loc[labelled, "category"].tolist(), mismatch_confidence=mismatch_confidence)
            except InputError as exc:
                note = exc.message
    table["predicted_category"] = None
    table["category_mismatch"] = False
    table["suggested_confidence"] = np.nan
    if evaluation is not None:
        pred = evaluation.predictions.set_index("file")
        table["predicted_category"] = table["file"].map(pred["predicted"])
        table["category_mismatch"] = table["file"].map(pred["mismatch"]).fillna(False).astype(bool)
        if (~labelled).any():
            suggested, confidence = suggest_categories(emb[labelled], table.loc[labelled, "listed_category"].tolist(),
                                                       emb[~labelled])
            table.loc[~labelled, "predicted_category"] = suggested
            table.loc[~labelled, "suggested_confidence"] = np.round(confidence, 3)
    seconds["categories"] = time.perf_counter() - t3
    seconds["total"] = time.perf_counter() - t0
    return ImageAnalysis(table=table, embeddings=emb, failures=failures, duplicate_groups=groups, problems=problems,
                         categories=evaluation, category_note=note, thumbnails=thumbs, rules=rules, threshold=threshold,
                         seconds=seconds, fingerprints=prints, duplicate_pairs=found.pairs,
                         same_product=found.same_product, looks_alike=found.looks_alike)


def reassess(analysis: ImageAnalysis, rules: QualityRules | None = None,
             threshold: float | None = None) -> ImageAnalysis:
    """The same photos under other quality rules or another duplicate threshold (cheap: no model run)."""
    import copy

    rules = rules or analysis.rules
    threshold = analysis.threshold if threshold is None else threshold
    out = copy.copy(analysis)
    table = analysis.table.copy()
    failures = check_quality(table, rules)
    by_file = failures.groupby("file")["problem"].apply(list).to_dict() if len(failures) else {}
    table["problems"] = [by_file.get(f, []) for f in table["file"]]
    groups = analysis.duplicate_groups
    if threshold != analysis.threshold and analysis.fingerprints:
        found = _dupes.find_duplicates(table["file"].tolist(), analysis.fingerprints, analysis.embeddings,
                                       sha1=table["sha1"].tolist(), product_ids=table["product_id"].tolist(),
                                       t=_thresholds(threshold))
        groups = found.groups
        out.duplicate_pairs, out.same_product, out.looks_alike = found.pairs, found.same_product, found.looks_alike
    group_of = {f: g for g, members in enumerate(groups) for f in members}
    table["duplicate_group"] = [group_of.get(f, -1) for f in table["file"]]
    out.table, out.failures, out.duplicate_groups, out.rules, out.threshold = table, failures, groups, rules, threshold
    return out


def _thresholds(same_product: float) -> "_dupes.Thresholds":
    """Duplicate rules; the merchant's threshold sets when two *different* photos count as one product."""
    import dataclasses

    return dataclasses.replace(_dupes.DEFAULT_THRESHOLDS, same_product_embedding=float(same_product))


def normalise_products(df: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """A merchant's products table -> product_id, category (and product_name when present)."""
    columns = {str(c).lower().strip().replace(" ", "_"): c for c in df.columns}
    rename = {}
    for want, options in {"product_id": ["product_id", "sku", "stockcode", "stock_code", "item_id", "id", "product"],
                          "category": ["category", "product_type", "type", "department", "collection"],
                          "product_name": ["product_name", "name", "title", "description"]}.items():
        for option in options:
            if option in columns and columns[option] not in rename:
                rename[columns[option]] = want
                break
    out = df.rename(columns=rename)
    if "product_id" not in out:
        raise InputError("the products file has no product id column.", file=file,
                         fix="name a column 'product_id' (or 'sku').")
    keep = [c for c in ("product_id", "product_name", "category") if c in out]
    out = out[keep].copy()
    out["product_id"] = out["product_id"].astype(str).str.strip()
    return out.drop_duplicates("product_id")


def products_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """product_id, product_name, category from canonical order lines (most frequent values)."""
    if orders is None or not len(orders) or "product_id" not in orders:
        return pd.DataFrame(columns=["product_id", "product_name", "category"])
    cols = [c for c in ("product_name", "category") if c in orders]
    part = orders.dropna(subset=["product_id"])
    out = part.groupby(part["product_id"].astype(str))[cols].agg(
        lambda v: v.mode().iloc[0] if v.notna().any() else None).reset_index()
    return out


def listing_problems(analysis: ImageAnalysis) -> pd.DataFrame:
    """One row per product with at least one photo problem: product_id, photos, problems (text)."""
    t = analysis.table
    rows = []
    for pid, part in t.groupby("product_id", sort=True):
        issues = set()
        for probs in part["problems"]:
            issues.update(probs)
        if (part["duplicate_group"] >= 0).any():
            issues.add("duplicate photo")
        if part["category_mismatch"].any():
            issues.add("photo disagrees with category")
        if issues:
            rows.append({"product_id": pid, "photos": len(part), "problems": ", ".join(sorted(issues))})
    return pd.DataFrame(rows, columns=["product_id", "photos", "problems"])


# -- business value ----------------------------------------------------------------------------------
def revenue_at_stake(orders: pd.DataFrame | None, product_ids) -> dict:
    """Monthly sales of these products over the last 90 days of orders and their share of all sales.

    Returns {monthly, share (NaN without orders), currency (None when unknown)}."""
    monthly, share, currency = 0.0, float("nan"), None
    if orders is not None and len(orders):
        sales = orders
        if "line_type" in sales:
            keep = sales["line_type"] == "sale"
            if "is_duplicate" in sales:
                keep &= ~sales["is_duplicate"].fillna(False).astype(bool)
            sales = sales[keep]
        if len(sales):
            dates = pd.to_datetime(sales["order_date"])
            end = dates.max()
            recent = sales[dates > end - pd.Timedelta(days=90)]
            days = max(1.0, (end - pd.to_datetime(recent["order_date"]).min()).days + 1)
            revenue = recent.groupby(recent["product_id"].astype(str))["revenue"].sum()
            hit = revenue[revenue.index.isin([str(p) for p in product_ids])]
            monthly = float(hit.sum() / (days / 30.44))
            share = float(hit.sum() / revenue.sum()) if revenue.sum() > 0 else float("nan")
        if "currency" in orders and orders["currency"].notna().any():
            currency = str(orders["currency"].mode().iloc[0])
    return {"monthly": monthly, "share": share, "currency": currency}


