"""Reading product photos safely: formats limited to JPEG, PNG and WebP (the content decides, not the
name), size and pixel limits checked before decoding (decompression bombs), zip archives checked for
unsafe paths, member count, unpacked size and compression ratio; CMYK, 16-bit, palette and transparent
images converted. Uploaded photos are kept in a workspace folder (save_uploads swaps a new set in whole),
and a file name tells which product a photo shows (product_id_from_file)."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from ecom_models.core.errors import InputError

WORK_SIZE = 512  # quality metrics are measured on the photo scaled to this longest side

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".jfif")
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 50_000_000  # e.g. 7,000 x 7,000; a 30,000 x 30,000 image is refused unread
MAX_ZIP_FILES = 5_000
MAX_ZIP_TOTAL_BYTES = 1_500 * 1024 * 1024
MAX_ZIP_RATIO = 200  # unpacked / packed size of one member; images hardly compress


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


def could_hold_photos(data: bytes, name: str) -> bool:
    """Could this upload hold photos? Read from its first bytes only (a zip's directory, an
    image's header), so checking a batch of hundreds of photos costs next to nothing. A CSV
    renamed .zip or a PDF dropped by mistake is not: it is left out before saving."""
    if name.lower().endswith(".zip"):
        return zipfile.is_zipfile(io.BytesIO(data))
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)):
            return True
    except Image.DecompressionBombError:
        return True  # a photo, but far too large: saved, and the analysis says so in the merchant's words
    except (OSError, ValueError, SyntaxError, EOFError):  # not an image this page can read (PIL's ways of saying so)
        return False


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
