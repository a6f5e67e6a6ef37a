"""Spreadsheet-safe exports: every CSV and Excel download goes through here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula. Merchant text (a product named
`=HYPERLINK("http://evil","click")`, a review, a ticket) could then run when the file is
opened (OWASP "CSV injection"). Such text cells get a leading apostrophe, which
spreadsheets show as text. Numbers stay numbers: numeric columns are untouched, and a text
cell that is a plain number ("-12.50") is left as it is.
"""

from __future__ import annotations

import io
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


def safe_cell(value):
    """The value as a spreadsheet will show it: text that would start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value.strip()):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and text column name) made safe; numeric columns as they were."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        out[col] = s.map(safe_cell, na_action="ignore") if len(s) else s
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_text(df: pd.DataFrame, **kwargs) -> str:
    kwargs.setdefault("index", False)
    return safe_frame(df).to_csv(**kwargs)


def csv_bytes(df: pd.DataFrame, **kwargs) -> bytes:
    """UTF-8 CSV bytes for a download button."""
    return csv_text(df, **kwargs).encode("utf-8")


def excel_bytes(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """An .xlsx file for a download button; text cells are written as text, never as formulas."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(df).to_excel(writer, index=False, sheet_name=sheet_name[:31])
    return buffer.getvalue()
