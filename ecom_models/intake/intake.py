"""Data intake: read merchants' exports, map their columns, clean them, and report quality.

    result = ingest("orders.csv")          # kind detected from the columns
    result.df                              # canonical frame (docs/CONTRACTS.md)
    result.report.to_dict()                # rows read/usable, mapping, quirks with examples
    summarise_orders(result.df)            # the KPIs the CLI prints

Nothing uploaded is executed or unpickled: CSV, JSON Lines, Excel (.xlsx, read as data by
openpyxl) and Parquet are the only formats read. Every row that is left out or
re-interpreted is counted in the report as a quirk, with examples and advice.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecom_models.core.dates import MAX_DATE_CHARS, implausible_dates, store_offset
from ecom_models.core.whole_store import whole_column
from ecom_models.core.errors import InputError
from ecom_models.intake import review_columns
from ecom_models.intake.schemas import ORDERS_FIELDS, REQUIRED, REQUIRED_ANY, SYNONYM_INDEX, normalise_header

IMPLAUSIBLE_LABEL = "Implausible dates (before 1995, in the future, or years away from the rest)"
IMPLAUSIBLE_ADVICE = "Left out of sales and time series. Correct the year in your export (a typo, 0001-01-01 or 1900-01-01 placeholder)."
KINDS = ("orders", "reviews", "experiment", "traffic", "support")
DEFAULT_MAX_MB = 500


def max_upload_bytes() -> int:
    return int(float(os.environ.get("ECOM_MAX_UPLOAD_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------
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
    df = _drop_blank_rows(df, info)
    if df.empty or len(df.columns) == 0:
        raise InputError("the file has a header but no data rows.", file=name, fix="export the data again with its rows.")
    df.columns = _unique_headers(df.columns)
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


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text[:50000].splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delim in [",", ";", "\t", "|"]:
        counts = [_count_outside_quotes(ln, delim) for ln in lines]
        if counts[0] == 0:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * 10 + min(counts[0], 50) / 50
        if score > best_score:
            best, best_score = delim, score
    return best


def _count_outside_quotes(line: str, delim: str) -> int:
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

    delimiter = _sniff_delimiter(text)
    info.delimiter = delimiter
    header_line = next((ln for ln in text[:65536].splitlines() if ln.strip()), "")
    if _count_outside_quotes(header_line, delimiter) == 0:
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
                column_types={c: pa.string() for c in _unique_headers([h.strip() for h in header])},
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


def _drop_blank_rows(df: pd.DataFrame, info: ReadInfo) -> pd.DataFrame:
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


def _unique_headers(columns) -> list[str]:
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


# ---------------------------------------------------------------------------------------
# Column mapping
# ---------------------------------------------------------------------------------------
@dataclass
class ColumnMapping:
    kind: str
    mapping: dict[str, str]  # canonical -> source column
    confidence: dict[str, float]  # canonical -> 0..1

    @property
    def score(self) -> float:
        return float(sum(self.confidence.values()))


def header_signature(columns, kind: str) -> str:
    import hashlib

    return hashlib.sha1((kind + "|" + "|".join(sorted(normalise_header(c) for c in columns))).encode()).hexdigest()[:16]


def _name_score(header: str, synonyms: list[str]) -> float:
    norm = normalise_header(header)
    squashed = norm.replace(" ", "")
    for rank, syn in enumerate(synonyms):
        if norm == syn or squashed == syn.replace(" ", ""):
            return 1.0 - min(rank, 30) * 0.004
    # The header contains a synonym as whole words ("Lineitem price" ⊃ "price").
    words = f" {norm} "
    best = 0.0
    for rank, syn in enumerate(synonyms):
        if len(syn) >= 3 and f" {syn} " in words:
            best = max(best, 0.7 - min(rank, 30) * 0.004 - 0.02 * (len(norm) - len(syn)) / max(len(norm), 1))
    return best


# A header with one of these words is never that field, whatever else it says:
# "shipping-price" is not a unit price, "Customer Note" is not a customer, "Ship Date" is not
# the order date.
_EXCLUDED_WORDS = {
    "unit_price": {"shipping", "tax", "wrap", "compare", "total", "discount", "refund", "refunded", "cost of goods"},
    "revenue": {"shipping", "tax", "wrap", "discount", "profit", "refund", "refunded", "cost", "margin"},
    "order_date": {"ship", "shipped", "shipping", "updated", "delivery", "delivered", "fulfilled", "cancelled", "refunded"},
    "customer_id": {"note", "notes", "name", "marketing", "phone", "address", "city"},
    "discount": {"code", "rate code", "percent code"},
    "quantity": {"shipped", "returned", "refunded item"},
    "order_id": {"merchant", "line", "item"},
    "product_name": {"vendor", "option"},
    "country": {"state", "city"},
}
# Order-level amounts ("Order Total Amount", Shopify's "Total", "Cart Discount Amount") repeat an
# order's total on its first line: used as line totals they would count shipping and tax, and
# miss the other lines. With a line price available they are left out.
_ORDER_LEVEL_RE = re.compile(r"\b(order|cart)\b|^(sub ?total|total|grand total)$")


def _excluded(field_name: str, header: str) -> bool:
    words = f" {normalise_header(header)} "
    return any(f" {w} " in words for w in _EXCLUDED_WORDS.get(field_name, ()))


def map_columns(df: pd.DataFrame, kind: str, override: dict[str, str] | None = None) -> ColumnMapping:
    """Map the file's columns onto the canonical fields of `kind`, with a confidence for each.

    Names decide first; the values then confirm (a date column must parse as dates, a
    price column must be numeric). `override` (canonical -> column, "" to unmap) wins.
    """
    synonyms = SYNONYM_INDEX[kind]
    candidates: list[tuple[float, str, str]] = []
    sample = df.head(500)
    for field_name, names in synonyms.items():
        for col in df.columns:
            score = _name_score(col, names)
            if score <= 0 or _excluded(field_name, col):
                continue
            score *= _content_fit(field_name, sample[col])
            if score > 0.2:
                candidates.append((score, field_name, col))
    candidates.sort(key=lambda t: -t[0])
    mapping: dict[str, str] = {}
    confidence: dict[str, float] = {}
    used: set[str] = set()
    for score, field_name, col in candidates:
        if field_name in mapping or col in used:
            continue
        mapping[field_name] = col
        confidence[field_name] = round(min(score, 1.0), 2)
        used.add(col)
    if kind == "reviews" and "text" not in mapping and not (override and "text" in override):
        # No header names the text (评论内容 in a file we have no word for, "verified_reviews"):
        # the longest, most varied free-text column is it.
        col = review_columns.text_column_by_content(df, exclude=used)
        if col is not None:
            mapping["text"], confidence["text"] = col, 0.6
            used.add(col)
    if kind == "orders" and "unit_price" in mapping:
        for field_name in ("revenue", "discount"):
            if field_name in mapping and _ORDER_LEVEL_RE.search(normalise_header(mapping[field_name])):
                del mapping[field_name]
                confidence.pop(field_name, None)
    if override:
        for field_name, col in override.items():
            for k, v in list(mapping.items()):
                if v == col and k != field_name:
                    del mapping[k]
                    confidence.pop(k, None)
            if col and col in df.columns:
                mapping[field_name] = col
                confidence[field_name] = 1.0
            else:
                mapping.pop(field_name, None)
                confidence.pop(field_name, None)
    return ColumnMapping(kind=kind, mapping=mapping, confidence=confidence)


_NUMERIC_FIELDS = {"quantity", "unit_price", "revenue", "discount", "rating", "sessions", "ad_spend",
                   "resolution_minutes", "satisfaction"}
_DATE_FIELDS = {"order_date", "date", "created_at"}


def _content_fit(field_name: str, values: pd.Series) -> float:
    """How well sample values fit the field: 1 fits, a fraction penalises, 0 rules it out."""
    s = values.dropna()
    if s.empty:
        return 0.6
    if field_name in _NUMERIC_FIELDS:
        if pd.api.types.is_numeric_dtype(s):
            return 1.0
        share = parse_number(s.astype("str"))[0].notna().mean()
        return 1.0 if share > 0.9 else (0.5 if share > 0.5 else 0.1)
    if field_name in _DATE_FIELDS:
        if pd.api.types.is_datetime64_any_dtype(s):
            return 1.0
        parsed = parse_dates(s.astype("str"))[0]
        share = parsed.notna().mean()
        return 1.0 if share > 0.9 else (0.5 if share > 0.5 else 0.05)
    if field_name == "text":
        # An id or a colour is never the review text, whatever its header says ("评论ID").
        return 0.1 + 0.9 * min(review_columns.text_score(s) / 0.6, 1.0)
    if field_name in ("product_name", "title"):
        return 1.0 if not pd.api.types.is_numeric_dtype(s) else 0.3
    return 1.0


# ---------------------------------------------------------------------------------------
# Value parsing
# ---------------------------------------------------------------------------------------
_CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "CNY", "₹": "INR", "R$": "BRL",
                     "CHF": "CHF", "USD": "USD", "EUR": "EUR", "GBP": "GBP", "CNY": "CNY", "RMB": "CNY", "JPY": "JPY",
                     "AUD": "AUD", "CAD": "CAD", "元": "CNY", "zł": "PLN", "kr": "SEK"}
_SYMBOL_PRESENT_RE = (r"(?:US\$|R\$|CHF|USD|EUR|GBP|CNY|RMB|JPY|AUD|CAD|zł|kr|[$€£¥￥₹元])")
_SYMBOL_RE = (r"(US\$|R\$|CHF|USD|EUR|GBP|CNY|RMB|JPY|AUD|CAD|zł|kr|[$€£¥￥₹元])")


@dataclass
class NumberParse:
    symbols: int = 0
    thousands: int = 0
    decimal_comma: bool = False
    currency: str | None = None
    failed: int = 0


def parse_number(values: pd.Series) -> tuple[pd.Series, NumberParse]:
    """Parse money and quantities: '$1,234.50', '1.234,50 €', '(12.00)', '12-', ' 7 '."""
    stats = NumberParse()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), stats
    s = values.astype("str").str.strip()
    s = s.where(~s.isin(["", "nan", "NaN", "None", "null", "NULL", "-", "N/A", "n/a", "<NA>"]), None)
    try:  # the common case, clean numbers: Arrow's cast is many times faster than to_numeric
        import pyarrow as pa
        import pyarrow.compute as pc

        cast = pc.cast(pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=s.index, dtype="float64"), stats
    except (pa.ArrowInvalid, ValueError, TypeError):
        pass
    has_symbol = s.str.contains(_SYMBOL_PRESENT_RE, na=False)
    stats.symbols = int(has_symbol.sum())
    if stats.symbols:
        found = s[has_symbol].str.extract(_SYMBOL_RE, expand=False).mode()
        if not found.empty:
            stats.currency = _CURRENCY_SYMBOLS.get(found.iloc[0])
        s = s.str.replace(_SYMBOL_RE, "", regex=True).str.strip()
    negative = s.str.match(r"^\(.*\)$", na=False) | s.str.endswith("-", na=False)
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.rstrip("-").str.replace(r"[\s\u00a0']", "", regex=True)
    # Decide the decimal mark from the whole column: '1.234,50' and '12,5' mean a decimal comma.
    comma_decimal = s.str.match(r"^-?\d{1,3}(\.\d{3})*,\d+$", na=False) | s.str.match(r"^-?\d+,\d{1,2}$", na=False)
    dot_decimal = s.str.match(r"^-?\d{1,3}(,\d{3})*\.\d+$", na=False) | s.str.match(r"^-?\d+\.\d+$", na=False)
    if comma_decimal.sum() > dot_decimal.sum():
        stats.decimal_comma = True
        stats.thousands = int(s.str.contains(r"\.\d{3}", na=False).sum())
        s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        stats.thousands = int(s.str.contains(r",\d{3}", na=False).sum())
        s = s.str.replace(",", "", regex=False)
    out = pd.to_numeric(s, errors="coerce")
    out = out.where(~negative, -out)
    stats.failed = int((out.isna() & s.notna()).sum())
    return out.astype("float64"), stats


@dataclass
class DateParse:
    style: str = ""
    ambiguous: bool = False
    excel_serial: int = 0
    with_timezone: int = 0
    failed: int = 0


_DMY_RE = r"^\s*(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})[/.\-](?P<year>\d{2}|\d{4})\b"


def _extract(u: pd.Series, pattern: str) -> pd.DataFrame:
    """Regex groups via Arrow (pandas' str.extract runs a Python loop per value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(u.astype("str").fillna("").to_numpy(dtype=object), type=pa.string())
    struct = pc.extract_regex(arr, pattern)
    # A value that does not match is a null struct whose fields read as "": null them, so that
    # notna() means "matched" ("March 5, 2024" is not day/month/year).
    matched = pc.is_valid(struct)
    return pd.DataFrame({name: pc.if_else(matched, struct.field(name), None).to_pandas()
                         for name in [f.name for f in struct.type]}, index=u.index)


def parse_dates(values: pd.Series) -> tuple[pd.Series, DateParse]:
    """Parse a date column, deciding its format from the whole column.

    ISO, m/d/Y, d/m/Y, d/m/y, d.m.Y, Excel serial numbers, text months, with or without a
    time and a time zone (converted to the column's most common offset, then dropped, so
    hours stay the store's local hours). When every value fits both d/m and m/d, the
    separator decides ('.' and '-' day first, '/' month first) and the report says so.
    """
    stats = DateParse()
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            stats.with_timezone = len(out)
            out = out.dt.tz_localize(None)
        stats.style = "native"
        return out.astype("datetime64[us]"), stats
    s = _date_texts(values)
    codes, uniques = pd.factorize(s)
    u = pd.Series(uniques, dtype="str")
    parsed = _parse_unique_dates(u, stats)
    result = pd.Series(np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]"), index=values.index)
    valid = codes >= 0
    result[valid] = parsed.to_numpy(dtype="datetime64[us]")[codes[valid]]
    stats.failed = int((result.isna() & s.notna()).sum())
    return result, stats


def _date_texts(values: pd.Series) -> pd.Series:
    """A date column's texts, stripped; None where there is no date to read (also in intake_big)."""
    s = values.astype("str").str.strip()
    return s.where(~s.isin(["", "nan", "NaT", "None", "null", "<NA>"]) & (s.str.len() <= MAX_DATE_CHARS), None)


def _has_timezone(u: pd.Series) -> pd.Series:
    return u.str.slice(-7).str.contains(_TZ_PRESENT_RE, na=False)


def _parse_unique_dates(u: pd.Series, stats: DateParse) -> pd.Series:
    if u.empty:
        return pd.Series([], dtype="datetime64[us]")
    probe = pd.to_numeric(u.head(1000), errors="coerce")
    numeric = pd.to_numeric(u, errors="coerce") if probe.notna().mean() > 0.5 else probe.reindex(u.index)
    serial = numeric.between(20000, 80000)
    if serial.mean() > 0.8:
        stats.style = "excel serial"
        stats.excel_serial = int(serial.sum())
        return pd.to_datetime("1899-12-30") + pd.to_timedelta(numeric.where(serial), unit="D")
    if numeric.notna().mean() > 0.8 and numeric.between(1e9, 2e10).mean() > 0.8:  # unix seconds
        stats.style = "unix seconds"
        return pd.to_datetime(numeric, unit="s", errors="coerce")
    iso = u.str.match(r"^\d{4}-\d{1,2}-\d{1,2}", na=False)
    dmy = _extract(u, _DMY_RE)
    dmony = u.str.match(r"^\d{1,2}-[A-Za-z]{3}-\d{2}$", na=False)
    if dmony.mean() > 0.5:  # Amazon review exports: 31-Jul-18
        stats.style = "day-month name-year (2-digit year)"
        return _to_datetime_tz(u, stats, "%d-%b-%y")
    if iso.mean() > 0.5:
        stats.style = "ISO (year-month-day)"
        return _to_datetime_tz(u, stats, None)
    if dmy["a"].notna().mean() > 0.5:
        first, second = pd.to_numeric(dmy["a"]), pd.to_numeric(dmy["b"])
        sep = dmy["sep"].mode()
        sep = sep.iloc[0] if not sep.empty else "/"
        if (first > 12).any() and not (second > 12).any():
            dayfirst = True
        elif (second > 12).any() and not (first > 12).any():
            dayfirst = False
        else:
            stats.ambiguous = True
            dayfirst = sep in ".-"
        year_len = dmy["year"].str.len().mode()
        year = "%Y" if year_len.empty or year_len.iloc[0] == 4 else "%y"
        fmt = ("%d{0}%m{0}" if dayfirst else "%m{0}%d{0}").format(sep) + year
        stats.style = ("day/month/year" if dayfirst else "month/day/year").replace("/", sep) + ("" if year == "%Y" else " (2-digit year)")
        return _to_datetime_tz(u, stats, fmt, dayfirst=dayfirst)
    stats.style = "text"
    return _to_datetime_tz(u, stats, None)


_TZ_RE = (r"(Z|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT|[A-Z]{3,4}))\s*$")


_TZ_PRESENT_RE = (r"(?:Z|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT|[A-Z]{3,4}))\s*$")
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S.%f", "T%H:%M:%S", "T%H:%M")


def _to_datetime_tz(u: pd.Series, stats: DateParse, fmt: str | None, dayfirst: bool = False) -> pd.Series:
    has_tz = _has_timezone(u)
    stats.with_timezone = int(has_tz.sum())
    tz_part = u.str.extract(_TZ_RE, expand=False) if stats.with_timezone else None
    core = u.str.replace(_TZ_RE, "", regex=True).str.strip() if stats.with_timezone else u
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    if fmt:
        # Try the time format of the first value first: one vectorised pass usually does it.
        first = str(core.dropna().iloc[0]) if core.notna().any() else ""
        ordered = sorted(_TIME_FORMATS, key=lambda t: pd.isna(pd.to_datetime(first, format=fmt + t, errors="coerce")))
        for tfmt in ordered:
            todo = out.isna() & core.notna()
            if not todo.any():
                break
            out[todo] = _strptime(core[todo], fmt + tfmt)
    else:
        for kwargs in ({"format": "ISO8601"}, {"format": "mixed", "dayfirst": dayfirst}):
            todo = out.isna() & core.notna()
            if not todo.any():
                break
            try:
                parsed = pd.to_datetime(core[todo], errors="coerce", **kwargs)
            except (ValueError, TypeError):
                parsed = pd.Series(pd.NaT, index=core[todo].index)
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            out[todo] = parsed.astype("datetime64[us]")
    if stats.with_timezone:
        offsets = tz_part.map(_offset_minutes)
        modal = offsets.dropna().mode()
        store = store_offset()
        if store is not None:  # a store read in chunks: the whole store's most common offset
            modal = pd.Series([store])
        if not modal.empty:
            # Express every time in the most common offset: the store's local wall time.
            shift = (modal.iloc[0] - offsets.fillna(modal.iloc[0])).astype(int)
            out = out + pd.to_timedelta(shift, unit="m")
    return out


def _strptime(values: pd.Series, fmt: str) -> pd.Series:
    """Parse with one explicit format; Arrow's C++ strptime is about ten times faster than pandas'."""
    if "%p" in fmt or "%f" in fmt:
        return pd.to_datetime(values, format=fmt, errors="coerce")
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[us]")


def _offset_minutes(tz: object) -> float:
    if not isinstance(tz, str):
        return np.nan
    if tz in ("Z", "UTC", "GMT"):
        return 0.0
    m = re.match(r"([+-])(\d{2}):?(\d{2})", tz)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return sign * (int(m.group(2)) * 60 + int(m.group(3)))
    return np.nan


# ---------------------------------------------------------------------------------------
# Quality report
# ---------------------------------------------------------------------------------------
@dataclass
class Quirk:
    key: str
    label: str
    count: int
    advice: str
    examples: list[dict] = field(default_factory=list)


@dataclass
class QualityReport:
    file: str
    kind: str
    rows_in: int
    rows_usable: int
    mapping: dict[str, str]
    confidence: dict[str, float]
    read: dict
    quirks: list[Quirk] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pii: dict[str, str] = field(default_factory=dict)  # {column: kind} of personal data (ecom_models.intake.pii)

    def add(self, key: str, label: str, mask_or_count, advice: str, frame: pd.DataFrame | None = None,
            rows: pd.Series | None = None) -> None:
        if isinstance(mask_or_count, (int, np.integer)):
            count, examples = int(mask_or_count), []
        else:
            mask = np.asarray(mask_or_count, dtype=bool)
            count = int(mask.sum())
            examples = []
            if count and frame is not None:
                picked = frame.loc[mask].head(3)
                for idx, rec in zip(picked.index, picked.to_dict("records")):
                    example = {"row": int(rows.loc[idx]) if rows is not None else int(idx) + 2}
                    example.update({k: (None if pd.isna(v) else str(v)) for k, v in list(rec.items())[:8]})
                    examples.append(example)
        if count:
            self.quirks.append(Quirk(key, label, count, advice, examples))

    @property
    def quirk_counts(self) -> dict[str, int]:
        return {q.key: q.count for q in self.quirks}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestResult:
    df: pd.DataFrame
    kind: str
    mapping: dict[str, str]
    report: QualityReport
    raw_columns: list[str]


# ---------------------------------------------------------------------------------------
# Ingest
# ---------------------------------------------------------------------------------------
def detect_kind(df: pd.DataFrame) -> tuple[str, ColumnMapping]:
    best: tuple[float, str, ColumnMapping] | None = None
    for kind in ("orders", "reviews", "traffic", "experiment", "support"):
        m = map_columns(df, kind)
        if not _has_required(m, kind):
            continue
        if kind == "support" and not _support_evidence(m.mapping):
            continue  # free text alone is a review file; tickets name a ticket, conversation or handling time
        # A variant-like column ("variation": a product's colour) is an experiment only with
        # per-unit outcomes to compare (review_columns.has_experiment_outcomes).
        if kind == "experiment" and not review_columns.has_experiment_outcomes(df, m.mapping):
            continue
        score = m.score / len(SYNONYM_INDEX[kind]) + 0.1 * len(m.mapping)
        if kind == "experiment":
            score *= 0.8
        if kind == "support":
            score += 0.5  # a ticket, conversation or handling-time column outweighs a review's text and stars
        if kind == "reviews" and not (best is not None and best[1] == "orders"):
            # Free text with 1-5 stars is a review file, unless it also holds order lines (product
            # names are free text too, quantities are small whole numbers).
            score += review_columns.review_evidence(df)
        if best is None or score > best[0]:
            best = (score, kind, m)
    if best is None:
        raise InputError(
            "could not tell what this file holds: no column looks like an order date and price, a review text or "
            "rating, a traffic date and sessions, or an experiment variant. Columns seen: "
            + ", ".join(map(str, df.columns[:15])) + ".",
            fix="rename the columns (for orders: order id, order date, product, quantity, price), or choose the kind and "
                "map the columns by hand on the Data page.")
    return best[1], best[2]


def _support_evidence(mapping: dict) -> bool:
    ticket = normalise_header(mapping.get("ticket_id", ""))
    return (any(w in ticket for w in ("ticket", "case", "request", "工单"))
            or any(f in mapping for f in ("conversation_id", "resolution_minutes", "sender")))


def _clean_support(raw, mapping, report, default_currency) -> pd.DataFrame:
    from ecom_models.intake.clean_support import clean_support

    return clean_support(raw, mapping, report)


def _has_required(m: ColumnMapping, kind: str) -> bool:
    return all(f in m.mapping for f in REQUIRED[kind]) and all(
        any(f in m.mapping for f in group) for group in REQUIRED_ANY[kind])


def ingest(source, kind: str | None = None, name: str | None = None, mapping_override: dict | None = None,
           default_currency: str = "USD", read_info: ReadInfo | None = None) -> IngestResult:
    """Read, map, clean and check one file. Raises InputError when it cannot be used at all.

    `source` may be a frame already read by `read_table`; pass its `read_info` so the blank and
    malformed lines dropped while reading are still counted in the report.
    """
    info = ReadInfo(format="")
    if isinstance(source, pd.DataFrame):
        raw, name = source.reset_index(drop=True), name or "table"
        info = read_info or ReadInfo(format="dataframe")
    else:
        raw = read_table(source, name=name, info=info)
        name = name or (Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", "upload"))
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown kind '{kind}'.", file=name, fix=f"use one of: {', '.join(KINDS)}.")
    if kind is None:
        try:
            kind, mapping = detect_kind(raw)
        except InputError as exc:
            exc.file = name
            raise InputError(exc.problem, file=name, fix=exc.fix) from None
        if mapping_override:
            mapping = map_columns(raw, kind, mapping_override)
    else:
        mapping = map_columns(raw, kind, mapping_override)
    missing = [f for f in REQUIRED[kind] if f not in mapping.mapping]
    missing += ["/".join(g) for g in REQUIRED_ANY[kind] if not any(f in mapping.mapping for f in g)]
    if missing:
        raise InputError(
            f"this {kind} file has no column for: {', '.join(missing)}. Columns seen: {', '.join(map(str, raw.columns[:15]))}.",
            file=name, fix="rename the column in the file, or map it by hand on the Data page.")
    report = QualityReport(file=name, kind=kind, rows_in=len(raw) + info.blank_rows + info.bad_lines, rows_usable=0,
                           mapping=dict(mapping.mapping), confidence=dict(mapping.confidence),
                           read={k: v for k, v in asdict(info).items() if k not in ("dropped", "removed_lines") and v not in ("", 0)})
    report.add("blank_rows", "Blank rows", info.blank_rows, "Left out. Nothing to do.")
    report.add("malformed_lines", "Malformed lines (wrong number of fields, broken characters, damaged JSON)",
               info.bad_lines, "Left out. Check the export for stray separators, quotes or line breaks inside values.")
    if info.bad_lines and info.dropped:
        report.quirks[-1].examples = [dict(d) for d in info.dropped[:5]]
    cleaner = {"orders": _clean_orders, "reviews": _clean_reviews, "traffic": _clean_traffic,
               "experiment": _clean_experiment, "support": _clean_support}[kind]
    df = cleaner(raw, mapping.mapping, report, default_currency)
    report.rows_usable = len(df) - int(df.attrs.pop("added_rows", 0))
    from ecom_models.intake.pii import detect_pii, scrub_report

    # Examples quote the file's rows: personal data in them is masked before anyone sees or stores them.
    report.pii = detect_pii(raw)
    for quirk in report.quirks:
        quirk.examples = scrub_report(quirk.examples, report.pii)
    if report.rows_usable == 0:
        raise InputError(f"none of the {report.rows_in:,} rows could be used as {kind} data.", file=name,
                         fix="check the quirks listed: dates, numbers and ids must be readable.")
    return IngestResult(df=df, kind=kind, mapping=dict(mapping.mapping), report=report, raw_columns=list(raw.columns))


def load_orders(source, name: str | None = None) -> pd.DataFrame:
    return ingest(source, kind="orders", name=name).df


# Multi-letter codes only: one-letter codes (M, D, S, B in invoice exports) are caught by their
# description instead, so a shop whose SKU happens to be "B" keeps its product.
NON_PRODUCT_CODES = {"POST", "DOT", "C2", "CRUK", "BANK CHARGES", "AMAZONFEE", "ADJUST",
                     "ADJUST2", "TEST001", "TEST002", "SHIPPING", "FEE", "GIFT"}
# Anchored at the start of the name, so "Manual Coffee Grinder" stays a product and "Manual" does not.
_NON_PRODUCT_RE = (r"(?i)^\W*(?:dotcom postage|postage|shipping(?: fee| charge| cost)?|carriage|delivery (?:charge|fee)|"
                   r"bank charges?|amazon fee|fees?|adjust(?:ment)?(?: bad debt)?|bad debt|discount|"
                   r"cruk commission|commission|samples?|service charge|handling(?: fee)?|surcharge|gift card|tip|"
                   r"manual|write.?off)\W*$")
_CANCEL_STATUS_RE = r"(?i)(?:cancel|void|declin|fail|abandon|取消)"
_RETURN_STATUS_RE = r"(?i)(?:refund|return|退款|退货)"


def _strip_float_suffix(u: pd.Series) -> pd.Series:
    """'17850.0' -> '17850': ids that went through a spreadsheet as numbers."""
    return u.where(~u.str.endswith(".0", na=False), u.str.slice(0, -2))


def _cancellation_ids(u: pd.Series, numeric_ids: bool) -> pd.Series:
    """Invoice exports mark a cancellation with a C before the invoice number (C536379)."""
    first, rest = u.str.slice(0, 1), u.str.slice(1)
    if numeric_ids:
        return (first.isin(["C", "c"]) & rest.str.slice(0, 1).str.isdigit()).fillna(False)
    return ((first == "C") & rest.str.isdigit() & (rest.str.len() >= 5)).fillna(False)


def _exact_duplicates(raw: pd.DataFrame, order_id: pd.Series, product_id: pd.Series) -> np.ndarray:
    """Rows repeating an earlier row exactly. Only rows sharing an order and a product can be
    exact repeats, so the full-row hash runs on those few candidates, not on every row."""
    o_codes = pd.factorize(order_id)[0].astype(np.int64)
    p_codes = pd.factorize(product_id)[0].astype(np.int64)
    candidates = pd.Series(o_codes * (p_codes.max() + 2) + p_codes).duplicated(keep=False).to_numpy()
    result = np.zeros(len(raw), dtype=bool)
    if candidates.any():
        subset = raw.loc[candidates]
        result[candidates] = pd.util.hash_pandas_object(subset, index=False).duplicated(keep="first").to_numpy()
    return result


def _per_unique(values: pd.Series, fn) -> pd.Series:
    """Apply a string function once per distinct value: exports repeat ids, names and statuses."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return fn(values.astype("str"))
    result = fn(pd.Series(uniques, dtype="str"))
    taken = pd.api.extensions.take(result.array, codes, allow_fill=True)
    return pd.Series(taken, index=values.index)


def _clean_orders(raw: pd.DataFrame, mapping: dict, report: QualityReport, default_currency: str) -> pd.DataFrame:
    n = len(raw)
    rows = pd.Series(np.arange(n) + 2, index=raw.index)  # file row numbers (header is row 1)
    col = lambda f: raw[mapping[f]] if f in mapping else None  # noqa: E731
    out = pd.DataFrame(index=raw.index)

    def text(f):
        s = col(f)
        if s is None:
            return pd.Series(pd.NA, index=raw.index, dtype="str")
        s = s.astype("str").str.strip()
        return s.where(~s.isin(["", "nan", "None", "NaN", "<NA>", "null"])).astype("str")

    out["order_id"] = _per_unique(text("order_id"), _strip_float_suffix).astype("str")
    product_id = text("product_id")
    product_name = text("product_name")
    out["product_id"] = product_id.fillna(product_name)
    out["product_name"] = product_name.fillna(product_id)
    if "order_id" not in mapping:
        report.notes.append("No order id column: each line is treated as its own order.")
        out["order_id"] = pd.Series(np.arange(n).astype(str), index=raw.index, dtype="str")

    # Shopify-style exports put order-level fields only on an order's first line.
    order_level = ["order_date", "customer_id", "country", "channel", "status", "currency"]
    frame_cols = {f: (text(f) if f != "order_date" else col(f)) for f in order_level}
    filled = 0
    date_col = frame_cols["order_date"]
    if date_col is not None and "order_id" in mapping and out["order_id"].notna().all():
        date_missing = date_col.isna() | (date_col.astype("str").str.strip() == "")
        # Only Shopify-style exports leave the date blank on an order's later lines; then every
        # order-level field is taken from the order's first line. Elsewhere a blank customer is a guest.
        if date_missing.any() and (~date_missing).any():
            order_key = out["order_id"]
            for f in order_level:
                s = frame_cols[f]
                if s is None or f not in mapping:
                    continue
                missing_before = date_missing if f == "order_date" else s.isna()
                s = s.where(~missing_before)
                filled_s = s.groupby(order_key).transform("first")
                filled_mask = missing_before & filled_s.notna()
                if f == "order_date":
                    filled = int(filled_mask.sum())
                frame_cols[f] = s.where(~filled_mask, filled_s)
    if filled:
        report.add("order_fields_filled", "Order-level fields filled in from the order's first line", filled,
                   "Normal for Shopify-style exports; nothing to do.")

    dates, dstats = parse_dates(frame_cols["order_date"]) if frame_cols["order_date"] is not None else (None, None)
    out["order_date"] = dates
    out["customer_id"] = _per_unique(frame_cols["customer_id"], _strip_float_suffix).astype("str") if frame_cols["customer_id"] is not None else pd.Series(pd.NA, index=raw.index, dtype="str")
    if "category" in mapping:
        out["category"] = text("category")
    else:
        out["category"] = pd.Series(pd.NA, index=raw.index, dtype="str")

    quantity, qstats = parse_number(col("quantity")) if "quantity" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    unit_price, pstats = parse_number(col("unit_price")) if "unit_price" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    revenue, rstats = parse_number(col("revenue")) if "revenue" in mapping else (pd.Series(np.nan, index=raw.index), NumberParse())
    discount, dstats2 = parse_number(col("discount")) if "discount" in mapping else (pd.Series(0.0, index=raw.index), NumberParse())

    symbols = max(pstats.symbols, rstats.symbols, dstats2.symbols)
    thousands = max(pstats.thousands, rstats.thousands, qstats.thousands)
    report.add("currency_symbols", "Currency symbols in amounts", symbols, "Removed before reading the numbers.")
    report.add("thousands_separators", "Thousands separators in numbers", thousands, "Read correctly; nothing to do.")
    if any(s.decimal_comma for s in (pstats, rstats, qstats, dstats2)):
        report.add("decimal_commas", "Decimal commas (1.234,50)",
                   int(sum(col(f).notna().sum() for f in ("unit_price", "revenue") if f in mapping)),
                   "Read as decimals; nothing to do.")

    if "quantity" not in mapping:
        quantity = pd.Series(1.0, index=raw.index)
        report.notes.append("No quantity column: every line counts as one unit.")
    missing_qty = quantity.isna()
    if "quantity" in mapping:
        report.add("missing_quantity", "Missing quantity (assumed 1)", missing_qty, "Fill in the quantity in your export.",
                   raw, rows)
    quantity = quantity.fillna(1.0)

    discount = discount.fillna(0.0)
    # Decided on the whole column (whole_store: also when a big store is cleaned in chunks).
    top_discount, any_discount = whole_column("discount", (float(discount.abs().max()), bool((discount > 0).any())))
    if "discount" in mapping and top_discount <= 1.0 and any_discount:
        # BI exports give the discount as a rate of the list price ("0.2"); turn it into money.
        base = revenue / (1 - discount.clip(upper=0.99)) if revenue.notna().any() else unit_price * quantity
        discount = (base * discount).round(2)
        report.notes.append("Discount was given as a rate (0 to 1); converted to an amount per line.")
    discount = discount.abs()

    derived_revenue = revenue.isna() & unit_price.notna()
    revenue = revenue.where(~derived_revenue, unit_price * quantity - discount)
    derived_price = unit_price.isna() & revenue.notna() & (quantity != 0)
    unit_price = unit_price.where(~derived_price, ((revenue + discount) / quantity).abs())
    if derived_revenue.all() and "revenue" not in mapping:
        report.notes.append("No line total column: revenue = quantity x unit price - discount.")
    if derived_price.all() and "unit_price" not in mapping:
        report.notes.append("No unit price column: unit price = (line total + discount) / quantity.")

    out["quantity"] = quantity.astype("float64")
    out["unit_price"] = unit_price.astype("float64")
    out["revenue"] = revenue.astype("float64")
    out["discount"] = discount.astype("float64")
    currency = frame_cols["currency"]
    detected = pstats.currency or rstats.currency
    if detected == "JPY" and any(re.search(r"[\u4e00-\u9fff]", str(c)) for c in raw.columns):
        detected = "CNY"  # ¥ under Chinese headers is the renminbi
    if currency is None:
        out["currency"] = pd.Series(detected or default_currency, index=raw.index, dtype="str")
        if not detected:
            report.notes.append(f"No currency in the file: amounts are taken to be in {default_currency}.")
    else:
        out["currency"] = currency.fillna(detected or default_currency).str.upper()
    for f in ("country", "channel", "status"):
        out[f] = frame_cols[f] if frame_cols[f] is not None else pd.Series(pd.NA, index=raw.index, dtype="str")

    # Rows that cannot be used at all.
    bad_date = out["order_date"].isna()
    report.add("unreadable_dates", "Dates that could not be read", bad_date,
               "Left out. Use one date format in the column, e.g. 2024-03-31.", raw, rows)
    odd_date = implausible_dates(out["order_date"]) & ~bad_date
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, IMPLAUSIBLE_ADVICE, raw, rows)
    bad_date = bad_date | odd_date
    no_product = out["product_id"].isna() & out["product_name"].isna()
    if "product_id" in mapping or "product_name" in mapping:
        report.add("missing_product", "Lines without a product", no_product & ~bad_date,
                   "Left out. Fill in the SKU or product name.", raw, rows)
    else:
        no_product = pd.Series(False, index=raw.index)
        out["product_id"] = out["product_name"] = pd.Series("(all products)", index=raw.index, dtype="str")
    no_amount = out["revenue"].isna()
    report.add("unreadable_amounts", "Prices or totals that could not be read", no_amount & ~bad_date & ~no_product,
               "Left out. Amounts must be numbers, e.g. 12.50.", raw, rows)
    no_order = out["order_id"].isna()
    report.add("missing_order_id", "Lines without an order id", no_order & ~bad_date,
               "Left out. Every line needs the order (invoice) number it belongs to.", raw, rows)
    usable = ~(bad_date | no_product | no_amount | no_order)
    if dstats is not None and dstats.ambiguous:
        report.notes.append(f"Every date fits both day-first and month-first; read as {dstats.style}. "
                            "If that is wrong, change the date format in the export to year-month-day.")
    if dstats is not None:
        report.read["date_format"] = dstats.style
        report.add("excel_serial_dates", "Dates stored as Excel serial numbers", dstats.excel_serial,
                   "Converted; nothing to do.")
        report.add("dates_with_timezone", "Dates with a time zone", dstats.with_timezone,
                   "Shown in the store's most common time zone.")

    # Line types.
    oid = out["order_id"].fillna("")
    status = out["status"].fillna("")
    numeric_ids = whole_column("numeric_ids", bool(oid.head(10000).str.fullmatch(r"\d+").mean() > 0.5))
    cancel_id = _per_unique(oid, lambda u: _cancellation_ids(u, numeric_ids)).astype(bool)
    cancel_status = _per_unique(status, lambda u: u.str.contains(_CANCEL_STATUS_RE, regex=True)).astype(bool)
    return_status = _per_unique(status, lambda u: u.str.contains(_RETURN_STATUS_RE, regex=True)).astype(bool)
    negative = out["quantity"] < 0
    pid_upper = _per_unique(out["product_id"].fillna(""), lambda u: u.str.upper().str.strip())
    name_text = out["product_name"].fillna("")
    non_product = (pid_upper.isin(NON_PRODUCT_CODES)
                   | _per_unique(name_text, lambda u: u.str.contains(_NON_PRODUCT_RE, regex=True)).astype(bool))
    line_type_names = np.array(["sale", "non_product", "cancellation", "zero_price", "return", "cancelled_order",
                                "refunded_sale"])
    line_code = np.select(
        # Negative quantities at a zero price are stock adjustments ("damaged", "missing"), not returns.
        [non_product, cancel_id | (cancel_status & negative), negative & (out["unit_price"] == 0), return_status & negative,
         cancel_status, return_status, negative | (out["revenue"] < 0), out["unit_price"] <= 0],
        [1, 2, 3, 4, 5, 6, 4, 3], default=0)
    # Integer codes then a small categorical: a million Python strings from np.select would cost a second.
    line_type = pd.Categorical.from_codes(line_code, line_type_names)
    out["line_type"] = pd.Series(line_type, index=raw.index).astype("str")
    # A separate cancellation or return line is a negative amount whatever sign the export used.
    refund = out["line_type"].isin(["cancellation", "return"])
    out.loc[refund, "quantity"] = -out.loc[refund, "quantity"].abs()
    out.loc[refund, "revenue"] = -out.loc[refund, "revenue"].abs()
    # Status-only exports (Shopify, WooCommerce) mark the order line itself. A voided order never
    # was a sale: it is kept as a cancellation worth nothing. A refunded line was a sale that was
    # paid back: it becomes the sale plus a return line, so gross and net revenue both come out right.
    voided = (out["line_type"] == "cancelled_order").to_numpy()
    refunded = (out["line_type"] == "refunded_sale").to_numpy()
    report.add("cancellations", "Cancelled lines", usable & (out["line_type"] == "cancellation"),
               "Kept as negative lines: they reduce net revenue, not orders.", raw, rows)
    report.add("cancelled_orders", "Orders cancelled or voided before payment (by status)", usable & voided,
               "Not counted as sales or orders.", raw, rows)
    report.add("returns", "Returned or refunded lines", usable & (out["line_type"] == "return"),
               "Kept as negative lines: they reduce net revenue.", raw, rows)
    report.add("refunded_by_status", "Lines refunded (by status)", usable & refunded,
               "Counted as a sale and a return: in gross revenue, not in net revenue.", raw, rows)
    report.add("non_product_lines", "Non-product lines (postage, fees, adjustments, discounts)",
               usable & (out["line_type"] == "non_product"),
               "Kept out of product sales and models; shown separately.", raw, rows)
    report.add("zero_or_negative_price", "Zero or negative prices", usable & (out["line_type"] == "zero_price"),
               "Kept out of sales (free items, samples, stock adjustments or errors). Check them if they are real sales.", raw, rows)
    dup = pd.Series(_exact_duplicates(raw, out["order_id"], out["product_id"]), index=raw.index) & usable
    report.add("duplicate_lines", "Exact duplicate lines", dup,
               "Counted once. If they are real repeat purchases, give each line its own id.", raw, rows)
    out["is_duplicate"] = dup.to_numpy()
    guests = usable & out["customer_id"].isna() & out["line_type"].isin(["sale", "refunded_sale"])
    if "customer_id" in mapping:
        report.add("guest_checkouts", "Lines without a customer id (guest checkouts)", guests,
                   "Kept: counted in revenue and orders, not in customer figures.", raw, rows)
    else:
        report.notes.append("No customer column: customer figures (repeat rate, customers) are not available.")

    out.loc[voided, ["quantity", "revenue", "discount"]] = 0.0
    out.loc[voided, "line_type"] = "cancellation"
    out.loc[refunded, "line_type"] = "sale"
    out = out.loc[usable]
    refund_rows = out.loc[refunded[usable.to_numpy()]].copy()
    if len(refund_rows):
        refund_rows["line_type"] = "return"
        refund_rows["quantity"] = -refund_rows["quantity"].abs()
        refund_rows["revenue"] = -refund_rows["revenue"].abs()
        out = pd.concat([out, refund_rows])
    out = out[ORDERS_FIELDS + ["line_type", "is_duplicate"]].reset_index(drop=True)
    out.attrs["added_rows"] = len(refund_rows)
    for f in ("order_id", "customer_id", "product_id", "product_name", "category", "currency", "country", "channel",
              "status", "line_type"):
        out[f] = out[f].astype("str")
    out["order_date"] = out["order_date"].astype("datetime64[us]")
    return out


def sales_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """The lines that count as product sales: not cancelled, returned, non-product, free, or repeated."""
    return orders[(orders["line_type"] == "sale") & ~orders["is_duplicate"]]


def _clean_reviews(raw, mapping, report, default_currency) -> pd.DataFrame:
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for f in ("review_id", "product_id", "title", "text", "customer_id"):
        if f in mapping:
            s = raw[mapping[f]].astype("str").str.strip()
            out[f] = s.where(~s.isin(["", "nan", "None", "<NA>"]))
        else:
            out[f] = pd.Series(pd.NA, index=raw.index, dtype="str")
    if "review_id" not in mapping:
        out["review_id"] = pd.Series([f"row-{i}" for i in rows], index=raw.index, dtype="str")
    out["date"] = parse_dates(raw[mapping["date"]])[0] if "date" in mapping else pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    odd_date = implausible_dates(out["date"])
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, "The review is kept without its date.", raw, rows)
    out["date"] = out["date"].where(~odd_date)
    if "rating" in mapping:
        rating, _ = parse_number(raw[mapping["rating"]].astype("str").str.extract(r"([\d.,]+)", expand=False))
        top = whole_column("rating_top", rating.max())
        if top is not None and top > 5 and top <= 10:
            rating = (rating / 2).round()
            report.notes.append("Ratings are on a 0-10 scale; halved to 1-5 stars.")
        elif top is not None and top > 10:
            rating = (rating / top * 5).round()
            report.notes.append(f"Ratings go up to {top:g}; rescaled to 1-5 stars.")
        bad_rating = rating.notna() & ~rating.between(0, 5)
        report.add("ratings_out_of_range", "Ratings outside 1-5", bad_rating, "Ignored; the review text is still used.", raw, rows)
        out["rating"] = rating.where(~bad_rating).clip(lower=1)
    else:
        out["rating"] = np.nan
    empty = out["text"].isna() & out["title"].isna() & out["rating"].isna()
    report.add("empty_reviews", "Reviews with neither text nor rating", empty, "Left out.", raw, rows)
    no_text = out["text"].isna() & ~empty
    report.add("rating_only", "Reviews with a rating but no text", no_text, "Kept for rating figures only.", raw, rows)
    report.add("duplicate_reviews", "Exact duplicate reviews", raw.duplicated() & ~empty,
               "Counted once.", raw, rows)
    keep = ~empty & ~raw.duplicated()
    out = out.loc[keep, ["review_id", "product_id", "date", "rating", "title", "text", "customer_id"]]
    return out.reset_index(drop=True)


def _clean_traffic(raw, mapping, report, default_currency) -> pd.DataFrame:
    rows = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    out["date"], _ = parse_dates(raw[mapping["date"]])
    out["date"] = out["date"].dt.normalize()
    out["sessions"], _ = parse_number(raw[mapping["sessions"]])
    if "channel" in mapping:
        out["channel"] = raw[mapping["channel"]].astype("str")
    if "ad_spend" in mapping:
        out["ad_spend"], _ = parse_number(raw[mapping["ad_spend"]])
    odd_date = implausible_dates(out["date"])
    report.add("implausible_dates", IMPLAUSIBLE_LABEL, odd_date, IMPLAUSIBLE_ADVICE, raw, rows)
    bad = out["date"].isna() | odd_date | out["sessions"].isna() | (out["sessions"] < 0)
    report.add("unreadable_rows", "Rows with an unreadable date or session count", bad,
               "Left out. Dates like 2024-03-31 and whole numbers of sessions.", raw, rows)
    return out.loc[~bad].reset_index(drop=True)


def _clean_experiment(raw, mapping, report, default_currency) -> pd.DataFrame:
    # The metric columns are the merchant's own: keep every column, name the two we know.
    out = raw.copy()
    rename = {mapping["variant"]: "variant"}
    if "unit_id" in mapping:
        rename[mapping["unit_id"]] = "unit_id"
    out = out.rename(columns=rename)
    missing_variant = out["variant"].isna() | (out["variant"].astype("str").str.strip() == "")
    report.add("missing_variant", "Rows without a variant", missing_variant, "Left out.", raw)
    return out.loc[~missing_variant].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Summary figures (the CLI's and the Overview's definitions; see README)
# ---------------------------------------------------------------------------------------
def summarise_orders(orders: pd.DataFrame) -> dict:
    valid = orders[~orders["is_duplicate"]]
    sales = valid[valid["line_type"] == "sale"]
    refunds = valid[valid["line_type"].isin(["cancellation", "return"])]
    gross = float(sales["revenue"].sum())
    return {
        "orders": int(sales["order_id"].nunique()),
        "customers": int(sales["customer_id"].dropna().nunique()),
        "products": int(sales["product_id"].nunique()),
        "gross_revenue": round(gross, 2),
        "net_revenue": round(gross + float(refunds["revenue"].sum()), 2),
        "cancelled_revenue": round(float(valid.loc[valid["line_type"] == "cancellation", "revenue"].sum()), 2),
        "returned_revenue": round(float(valid.loc[valid["line_type"] == "return", "revenue"].sum()), 2),
        "non_product_revenue": round(float(valid.loc[valid["line_type"] == "non_product", "revenue"].sum()), 2),
        "units": float(sales["quantity"].sum()),
        "currency": str(orders["currency"].mode().iloc[0]) if orders["currency"].notna().any() else None,
        "date_min": orders["order_date"].min().isoformat() if len(orders) else None,
        "date_max": orders["order_date"].max().isoformat() if len(orders) else None,
    }
