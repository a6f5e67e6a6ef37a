"""Which inputs take the big-file path, the exports of a folder, and zip uploads unpacked safely.

Zip uploads (`extract_zip`) are unpacked member by member into a private folder under
generated names: a member's path is never used as a path (no traversal), links and
encrypted members are skipped, and sizes are checked against ECOM_MAX_UNZIPPED_MB while
the bytes are read (a zip bomb stops at the limit, whatever its headers claim). The names
shown to the merchant stay the names in the zip (`shown_names`, `named_as_shown`).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path, PurePosixPath

from ecom_models.core.errors import InputError


SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".jsonl", ".ndjson", ".json", ".xlsx")
STREAMED = (".csv", ".tsv", ".txt", ".parquet")  # read in chunks; the others are read whole, file by file
DEFAULT_BIG_MB = 100  # single files above this go through the chunked path in the CLI
DEFAULT_MAX_UNZIPPED_MB = 5000
MAX_ZIP_MEMBERS = 5000


def big_file_bytes() -> int:
    return int(float(os.environ.get("ECOM_BIG_FILE_MB", DEFAULT_BIG_MB)) * 1024 * 1024)


def max_unzipped_bytes() -> int:
    return int(float(os.environ.get("ECOM_MAX_UNZIPPED_MB", DEFAULT_MAX_UNZIPPED_MB)) * 1024 * 1024)


def wants_big(path: str | Path) -> bool:
    """A folder, a zip, or a file too big to read whole: the chunked path."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".zip":
        return True
    return p.is_file() and p.suffix.lower() in STREAMED and p.stat().st_size > big_file_bytes()


def list_files(path: str | Path) -> list[Path]:
    """The exports in a folder (not recursing; hidden files skipped), sorted by name, or the one file."""
    p = Path(path)
    if not p.exists():
        raise InputError("the file or folder does not exist.", file=str(path), fix="check the path.")
    if p.is_file():
        return [p]
    files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.suffix.lower() in SUFFIXES)
    if not files:
        raise InputError("the folder holds no CSV, Parquet, Excel or JSON Lines export.", file=p.name,
                         fix="put the daily exports (same columns in every file) in the folder.")
    return files


def shown_names(source) -> dict[str, str]:
    """{unpacked file name: the name shown to the merchant} for (name, path) pairs."""
    if not isinstance(source, (list, tuple)):
        return {}
    return {Path(item[1]).name: str(item[0]) for item in source if isinstance(item, tuple)}


def named_as_shown(exc: InputError, shown: dict[str, str]) -> InputError:
    """The error naming the file as the merchant knows it (its name in the zip)."""
    if exc.file in shown:
        return InputError(exc.problem, file=shown[exc.file], column=exc.column, row=exc.row, fix=exc.fix)
    return exc


_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def extract_zip(source, dest: str | Path, max_bytes: int | None = None,
                max_members: int = MAX_ZIP_MEMBERS) -> list[tuple[str, Path]]:
    """Unpack the exports of a zip into `dest`, safely. Returns (name in the zip, file on disk)
    in name order. Members are written under generated names (never their own paths), links,
    folders, hidden files and other formats are skipped, and the bytes actually read are
    counted against `max_bytes` (a zip bomb's headers may lie)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    limit = max_unzipped_bytes() if max_bytes is None else max_bytes
    label = Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "upload.zip")
    opened = source if isinstance(source, (str, Path)) else io.BytesIO(
        source if isinstance(source, (bytes, bytearray)) else source.getvalue())
    try:
        zf = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, OSError):
        raise InputError("this is not a readable zip file.", file=label,
                         fix="zip the exports again (a plain .zip, no password).") from None
    out: list[tuple[str, Path]] = []
    total = 0
    with zf:
        members = zf.infolist()
        if len(members) > max_members:
            raise InputError(f"the zip holds {len(members):,} entries, more than {max_members:,}.", file=label,
                             fix="zip fewer files at a time, e.g. one month of daily exports.")
        declared = sum(m.file_size for m in members)
        if declared > limit:
            raise InputError(f"the zip unpacks to {declared / 1e6:,.0f} MB, above the {limit / 1e6:,.0f} MB limit.",
                             file=label, fix="zip fewer files at a time, or raise ECOM_MAX_UNZIPPED_MB.")
        picked = []
        for m in members:
            inner = PurePosixPath(m.filename.replace("\\", "/"))
            is_link = (m.external_attr >> 16) & 0o170000 == 0o120000
            if (m.is_dir() or is_link or inner.name.startswith(".") or "__MACOSX" in inner.parts
                    or inner.suffix.lower() not in SUFFIXES):
                continue
            if m.flag_bits & 0x1:
                raise InputError(f"'{inner.name}' in the zip is password-protected.", file=label,
                                 fix="zip the exports again without a password.")
            picked.append((str(inner), m))
        if not picked:
            raise InputError("the zip holds no CSV, Parquet, Excel or JSON Lines export.", file=label,
                             fix="zip the export files themselves (not a folder of shortcuts).")
        picked.sort(key=lambda t: t[0])
        for i, (inner_name, m) in enumerate(picked):
            safe = _SAFE_NAME_RE.sub("_", PurePosixPath(inner_name).name)[-80:].lstrip(".") or "export"
            target = dest / f"{i:05d}_{safe}"
            written = 0
            try:
                with zf.open(m) as src, target.open("wb") as dst:
                    while block := src.read(1 << 20):
                        written += len(block)
                        total += len(block)
                        if written > m.file_size or total > limit:
                            raise InputError(
                                f"the zip unpacks to more than its entries declare or above the "
                                f"{limit / 1e6:,.0f} MB limit (a zip bomb?).", file=label,
                                fix="zip the exports again, or raise ECOM_MAX_UNZIPPED_MB for a real large archive.")
                        dst.write(block)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise InputError(f"'{inner_name}' in the zip could not be unpacked ({type(exc).__name__}).",
                                 file=label, fix="zip the exports again.") from None
            out.append((inner_name, target))
    return out
