"""Values as merchants' exports write them: money and quantities ('$1,234.50', '1.234,50 €',
'(12.00)') and dates (ISO, d/m/Y or m/d/Y decided from the whole column, Excel serials, Unix
seconds, text months, time zones converted to the column's most common offset).

`parse_number` and `parse_dates` are what every cleaner calls (orders, reviews, traffic,
support) and what abtest and reviews use for loose columns. `DMY_RE`, `extract`,
`date_texts`, `has_timezone`, `TZ_RE` and `offset_minutes` are shared with the big-file path
(intake.big), which takes the same date decisions over a whole store read in chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecom_models.core.dates import MAX_DATE_CHARS, store_offset

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


DMY_RE = r"^\s*(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})[/.\-](?P<year>\d{2}|\d{4})\b"


def extract(u: pd.Series, pattern: str) -> pd.DataFrame:
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
    s = date_texts(values)
    codes, uniques = pd.factorize(s)
    u = pd.Series(uniques, dtype="str")
    parsed = _parse_unique_dates(u, stats)
    result = pd.Series(np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]"), index=values.index)
    valid = codes >= 0
    result[valid] = parsed.to_numpy(dtype="datetime64[us]")[codes[valid]]
    stats.failed = int((result.isna() & s.notna()).sum())
    return result, stats


def date_texts(values: pd.Series) -> pd.Series:
    """A date column's texts, stripped; None where there is no date to read (also in intake.big)."""
    s = values.astype("str").str.strip()
    return s.where(~s.isin(["", "nan", "NaT", "None", "null", "<NA>"]) & (s.str.len() <= MAX_DATE_CHARS), None)


def has_timezone(u: pd.Series) -> pd.Series:
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
    dmy = extract(u, DMY_RE)
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


TZ_RE = (r"(Z|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT|[A-Z]{3,4}))\s*$")


_TZ_PRESENT_RE = (r"(?:Z|[+-]\d{2}:?\d{2}|\b(?:UTC|GMT|[A-Z]{3,4}))\s*$")
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %H:%M:%S.%f", "T%H:%M:%S", "T%H:%M")


def _to_datetime_tz(u: pd.Series, stats: DateParse, fmt: str | None, dayfirst: bool = False) -> pd.Series:
    has_tz = has_timezone(u)
    stats.with_timezone = int(has_tz.sum())
    tz_part = u.str.extract(TZ_RE, expand=False) if stats.with_timezone else None
    core = u.str.replace(TZ_RE, "", regex=True).str.strip() if stats.with_timezone else u
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
        offsets = tz_part.map(offset_minutes)
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


def offset_minutes(tz: object) -> float:
    if not isinstance(tz, str):
        return np.nan
    if tz in ("Z", "UTC", "GMT"):
        return 0.0
    m = re.match(r"([+-])(\d{2}):?(\d{2})", tz)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return sign * (int(m.group(2)) * 60 + int(m.group(3)))
    return np.nan

