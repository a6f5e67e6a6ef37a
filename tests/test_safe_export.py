"""Downloads cannot attack a spreadsheet: formula-like text becomes text, numbers stay numbers."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd

from ecom_models.core.safe_export import csv_bytes, excel_bytes, safe_cell

ROOT = Path(__file__).resolve().parents[1]
EVIL = '=HYPERLINK("http://x","y")'


def test_safe_cell():
    for text in (EVIL, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    for value in ("Mug", "-12.50", "+3", "1e5", 12.5, -3, None):
        assert safe_cell(value) == value


def _frame():
    return pd.DataFrame({"product_name": [EVIL, "Blue mug", "-discount line"], "revenue": [-12.5, 3.0, 4.0],
                         "units": [1, 2, 3]})


def test_csv_export_opens_as_text_and_keeps_numbers():
    rows = list(csv.DictReader(io.StringIO(csv_bytes(_frame()).decode("utf-8"))))
    assert rows[0]["product_name"] == "'" + EVIL
    assert rows[2]["product_name"] == "'-discount line"
    assert rows[0]["revenue"] == "-12.5" and rows[1]["units"] == "2"


def test_excel_export_writes_text_not_formulas():
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes(_frame()))).active
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value == "'" + EVIL
    assert sheet["B2"].value == -12.5 and sheet["B2"].data_type == "n"


def test_report_and_ab_exports_are_safe():
    from ecom_models import abtest

    df = pd.DataFrame({"user_id": range(400), "variant": ["control", EVIL] * 200,
                       "converted": [int(i % 5 == 0) for i in range(400)]})
    rows = list(csv.DictReader(io.StringIO(abtest.results_csv(abtest.analyze(df)))))
    assert rows and all(not str(v).startswith("=") for r in rows for v in r.values())
    assert any(str(v) == "'" + EVIL for r in rows for v in r.values())


def test_every_download_goes_through_the_helper():
    offenders = []
    # every page, page helper and library module that makes a file a merchant downloads (the demo
    # generators write the demo store's own files, not downloads)
    library = [p for p in (ROOT / "ecom_models").rglob("*.py")
               if p.parent.name != "demo" and p.name != "safe_export.py"]
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ecom_ui/*.py"), *library]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"\.to_csv\(|\.to_excel\(|ExcelWriter", text):
            offenders.append(path.name)
    assert not offenders, f"use ecom_models.core.safe_export for downloads in: {offenders}"
