"""The support capability's entry to a support export: read it through intake, get the canonical
frame (one row per ticket; the columns are documented in ecom_models/intake/clean_support.py)."""

from __future__ import annotations

import pandas as pd

from ecom_models.intake.clean_support import MAX_TEXT_CHARS, SUPPORT_COLUMNS, clean_support  # noqa: F401


def support_frame(source, name: str | None = None) -> tuple[pd.DataFrame, object]:
    """Read any support export (path, bytes, upload or DataFrame): (canonical frame, quality report)."""
    from ecom_models.intake import ingest

    result = ingest(source, kind="support", name=name)
    return result.df, result.report
