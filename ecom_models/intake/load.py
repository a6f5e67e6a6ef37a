"""Data intake in one call: read, map, clean and check one export.

    result = ingest("orders.csv")          # kind detected from the columns
    result.df                              # canonical frame (docs/CONTRACTS.md)
    result.report.to_dict()                # rows read/usable, mapping, quirks with examples
    summarise_orders(result.df)            # the KPIs the CLI prints (orders.py)

The steps live beside it: read.py (bytes to a frame), mapping.py (columns to canonical fields,
the kind), clean_orders.py / clean_other.py / clean_support.py (one cleaner per kind),
report.py (the quality report). Every row that is left out or re-interpreted is counted in the
report as a quirk, with examples and advice. The big-file path (intake.big) runs `ingest` on
each chunk.

This module is not called `ingest.py` on purpose: `from ecom_models.intake import ingest` must
give the function, and a submodule of that name would shadow it on the package.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake.clean_orders import clean_orders
from ecom_models.intake.clean_support import clean_support
from ecom_models.intake.clean_other import clean_experiment, clean_reviews, clean_traffic
from ecom_models.intake.mapping import kind_and_mapping
from ecom_models.intake.read import ReadInfo, read_table
from ecom_models.intake.report import IngestResult, QualityReport
from ecom_models.intake.schemas import KINDS


def _clean_support(raw, mapping, report, default_currency) -> pd.DataFrame:
    return clean_support(raw, mapping, report)


# kind -> cleaner(raw, mapping, report, default_currency) -> canonical frame
CLEANERS = {"orders": clean_orders, "reviews": clean_reviews, "traffic": clean_traffic,
            "experiment": clean_experiment, "support": _clean_support}


def ingest(source, kind: str | None = None, name: str | None = None, mapping_override: dict | None = None,
           default_currency: str | None = None, read_info: ReadInfo | None = None) -> IngestResult:
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
    kind, mapping = kind_and_mapping(raw, name, kind, mapping_override)
    report = QualityReport(file=name, kind=kind, rows_in=len(raw) + info.blank_rows + info.bad_lines, rows_usable=0,
                           mapping=dict(mapping.mapping), confidence=dict(mapping.confidence),
                           read={k: v for k, v in asdict(info).items() if k not in ("dropped", "removed_lines") and v not in ("", 0)})
    report.add("blank_rows", "Blank rows", info.blank_rows, "Left out. Nothing to do.")
    report.add("malformed_lines", "Malformed lines (wrong number of fields, broken characters, damaged JSON)",
               info.bad_lines, "Left out. Check the export for stray separators, quotes or line breaks inside values.")
    if info.bad_lines and info.dropped:
        report.quirks[-1].examples = [dict(d) for d in info.dropped[:5]]
    df = CLEANERS[kind](raw, mapping.mapping, report, default_currency)
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
    """The canonical order lines of one export (ingest's frame)."""
    return ingest(source, kind="orders", name=name).df
