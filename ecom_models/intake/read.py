"""Reading merchants' exports: bytes in, a frame of strings (CSV, JSON Lines) or typed values
(Excel, Parquet) out, with what was left out while reading counted in a ReadInfo.

Nothing uploaded is executed or unpickled: CSV, JSON Lines, Excel (.xlsx, read as data by
openpyxl) and Parquet are the only formats read. The encoding is decided from the bytes (UTF-8
with or without BOM, UTF-8 with a few damaged lines, else Windows-1252 or Latin-1), the CSV
separator from the first lines (`sniff_delimiter`). The big-file path (intake.big) reads in
chunks with the same rules: `sniff_delimiter`, `count_outside_quotes`, `drop_blank_rows` and
`unique_headers` are shared with it.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError

DEFAULT_MAX_MB = 500


def max_upload_bytes() -> int:
    return int(float(os.environ.get("ECOM_MAX_UPLOAD_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


def _source_bytes(source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.exists():
            raise InputError("the file does not exist.", file=name, fix="check the path.")
        if path.is_dir():
            raise InputError("this is a folder, not a file.", file=name, fix="give the path of a CSV, Excel, Parquet or JSON Lines file.")
        size = path.stat().st_size
        if size > max_upload_bytes():
            raise InputError(
                f"the file is {size / 1e6:,.0f} MB, above the {max_upload_bytes() / 1e6:,.0f} MB limit.",
                file=name, fix="split it by date, or raise ECOM_MAX_UPLOAD_MB.")
        return path.read_bytes(), name
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "getvalue"):
        data = source.getvalue()
    elif hasattr(source, "read"):
        data = source.read()
    else:
        raise InputError("cannot read this input.", file=name)
    name = name or getattr(source, "name", None) or "upload"
    if len(data) > max_upload_bytes():
        raise InputError(f"the file is {len(data) / 1e6:,.0f} MB, above the {max_upload_bytes() / 1e6:,.0f} MB limit.",
                         file=name, fix="split it by date, or raise ECOM_MAX_UPLOAD_MB.")
    return data, name


@dataclass
class ReadInfo:
    format: str
    encoding: str = ""
    delimiter: str = ""
    bad_lines: int = 0
    blank_rows: int = 0
    dropped: list = field(default_factory=list)  # first few dropped lines: {line, reason, text}
    removed_lines: list = field(default_factory=list)  # line numbers dropped before parsing (broken bytes)


def read_table(source, name: str | None = None, info: ReadInfo | None = None) -> pd.DataFrame:
    """Read a CSV (any delimiter and common encodings), Excel .xlsx, Parquet or JSON Lines file.

    CSV and JSON values come back as strings (parsing is the cleaner's job, so that
    "1.234,50" or "03/04/2024" are decided per column); Excel and Parquet keep their types.
    Fully blank rows are dropped (and counted in `info`).
    """
    data, name = _source_bytes(source, name)
    info = info if info is not None else ReadInfo(format="")
    if not data.strip():
        raise InputError("the file is empty.", file=name, fix="export the data again; the file has no rows.")
    suffix = Path(name).suffix.lower()
    head = data[:8]
    if head.startswith(b"PAR1") or suffix == ".parquet":
        info.format = "parquet"
        df = _read_parquet(data, name)
    elif head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        info.format = "excel"
        df = _read_excel(data, name)
    elif suffix in (".xls",) or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("old Excel .xls files are not supported.", file=name, fix="save it as .xlsx or CSV and upload again.")
    else:
        text, encoding = _decode(data, name, info)
        info.encoding = encoding
        stripped = text.lstrip()
        if suffix in (".jsonl", ".ndjson", ".json") or stripped.startswith("{") or stripped.startswith("["):
            info.format = "jsonl"
            df = _read_json(stripped, name, info)
        else:
            info.format = "csv"
            # Arrow reads UTF-8 bytes directly; only other encodings need re-encoding.
            utf8 = ((data[3:] if encoding == "utf-8-sig" else data)
                    if encoding.startswith("utf-8") and not getattr(info, "_repaired", False) else text.encode("utf-8"))
            df = _read_csv(text, name, info, utf8)
    df = drop_blank_rows(df, info)
    if df.empty or len(df.columns) == 0:
        raise InputError("the file has a header but no data rows.", file=name, fix="export the data again with its rows.")
    df.columns = unique_headers(df.columns)
    return df


def _decode(data: bytes, name: str, info: ReadInfo | None = None) -> tuple[str, str]:
    sample = data[:65536]
    if b"\x00" in sample:
        if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return data.decode("utf-16"), "utf-16"
            except UnicodeDecodeError:
                pass
        raise InputError("this looks like a binary file, not a table.", file=name,
                         fix="upload a CSV, Excel (.xlsx), Parquet or JSON Lines export.")
    bom = data.startswith(b"\xef\xbb\xbf")
    utf8 = "utf-8-sig" if bom else "utf-8"
    try:
        return (data[3:] if bom else data).decode("utf-8"), utf8
    except UnicodeDecodeError:
        pass
    from ecom_models.intake.lenient import decode_utf8_lenient

    # A byte-order mark proves UTF-8 by itself (the damaged lines still go, one line each).
    lenient = decode_utf8_lenient(data[3:] if bom else data, proven=bom)
    if lenient is not None:  # UTF-8 with a few damaged lines: those lines go, the rest stays readable
        text, examples, removed = lenient
        if info is not None:
            info._repaired = True  # the text differs from the bytes (lines left out or replaced)
            info.bad_lines += len(removed)
            info.dropped.extend(examples)
            info.removed_lines = removed
        return text, utf8
    if bom:
        return data[3:].decode("utf-8", errors="replace"), utf8
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:50000].splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in [",", ";", "\t", "|"]:
        counts = [count_outside_quotes(ln, delim) for ln in lines]
        if counts[0] == 0:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * 10 + min(counts[0], 50) / 50
        if score > best_score:
            best, best_score = delim, score
    return best


def count_outside_quotes(line: str, delim: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            count += 1
    return count


def _read_csv(text: str, name: str, info: ReadInfo, utf8: bytes | None = None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    delimiter = sniff_delimiter(text)
    info.delimiter = delimiter
    header_line = next((ln for ln in text[:65536].splitlines() if ln.strip()), "")
    if count_outside_quotes(header_line, delimiter) == 0:
        # One column (a plain list of reviews, say): no separator, so commas inside values stay.
        delimiter = "\x1f"
        info.delimiter = "none (one column)"
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    if not header or not header[0].strip():
        raise InputError("could not find column names in the first line.", file=name,
                         fix="make sure the first row holds the column names, separated by commas, semicolons or tabs.")
    from ecom_models.intake.lenient import BadRows, read_csv_repairing, restore_line_numbers

    payload = utf8 if utf8 is not None else text.encode("utf-8")
    payload = payload.replace(b"\xef\xbb\xbf", b"")  # stray byte-order marks from files pasted together

    def read(payload: bytes, block_size: int = 1 << 24):
        bad = BadRows()
        table = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=bad),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in unique_headers([h.strip() for h in header])},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        return table, bad

    def read_any_block(payload: bytes):
        try:
            return read(payload)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc) and "block" not in str(exc):
                raise
            return read(payload, block_size=len(payload) + 1)  # one field longer than a block

    try:
        table, bad_count, examples = read_csv_repairing(read_any_block, payload, delimiter=delimiter)
    except pa.ArrowInvalid as exc:
        raise InputError(f"the CSV could not be read ({str(exc).splitlines()[0]}).", file=name,
                         fix="open it in a spreadsheet and export it again as CSV.") from None
    info.bad_lines += bad_count
    info.dropped = sorted(info.dropped + restore_line_numbers(examples, info.removed_lines), key=lambda d: d["line"] or 0)
    df = table.to_pandas()
    df.columns = [c.strip() for c in df.columns]
    return df


def _read_json(text: str, name: str, info: ReadInfo | None = None) -> pd.DataFrame:
    try:
        if text.startswith("["):
            return pd.read_json(io.StringIO(text), dtype=False).astype("str")
        return pd.read_json(io.StringIO(text), lines=True, dtype=False).astype("str")
    except ValueError as exc:
        from ecom_models.intake.lenient import read_jsonl_lenient

        df, examples, count = read_jsonl_lenient(text) if not text.startswith("[") else (pd.DataFrame(), [], 0)
        if len(df.columns) and info is not None:  # damaged lines dropped, the others kept
            info.bad_lines += count
            info.dropped.extend(examples)
            return df
        raise InputError(f"the JSON could not be read ({str(exc)[:120]}).", file=name,
                         fix="use JSON Lines: one JSON object per line, all with the same keys.") from None


def _read_excel(data: bytes, name: str) -> pd.DataFrame:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            unpacked = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        raise InputError("the Excel file is damaged or truncated.", file=name, fix="save it again from Excel, or export as CSV.") from None
    if not any(n.startswith("xl/") for n in names):
        raise InputError("this zip file is not an Excel workbook.", file=name, fix="upload the .xlsx file itself, or a CSV.")
    if unpacked > 40 * max(len(data), 1) and unpacked > 200 * 1024 * 1024:
        raise InputError("the workbook unpacks to an implausible size (a zip bomb?).", file=name, fix="export the sheet as CSV.")
    try:
        return pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype=object)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise InputError(f"the Excel file could not be read ({type(exc).__name__}).", file=name,
                         fix="save it again from Excel, or export the sheet as CSV.") from None


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(data)).to_pandas()
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:  # damaged metadata raises any of these
        raise InputError(f"the Parquet file could not be read ({str(exc)[:100]}).", file=name,
                         fix="write it again, or export as CSV.") from None


def drop_blank_rows(df: pd.DataFrame, info: ReadInfo) -> pd.DataFrame:
    if df.empty:
        return df
    blank = np.ones(len(df), dtype=bool)
    for col in df.columns:
        s = df[col]
        if s.dtype == object or str(s.dtype) == "str" or pd.api.types.is_string_dtype(s):
            blank &= (s.isna() | (s.astype("str").str.strip() == "")).to_numpy()
        else:
            blank &= s.isna().to_numpy()
    info.blank_rows = int(blank.sum())
    return df.loc[~blank].reset_index(drop=True) if info.blank_rows else df


def unique_headers(columns) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, col in enumerate(columns):
        col = str(col).strip().lstrip("\ufeff") or f"column_{i + 1}"
        if col in seen:
            seen[col] += 1
            col = f"{col}.{seen[col]}"
        else:
            seen[col] = 0
        out.append(col)
    return out
