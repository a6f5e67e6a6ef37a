"""The quality report: every row left out or re-interpreted is counted as a quirk, with up to
three example rows and advice in the merchant's words; `IngestResult` is what `ingest` returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

IMPLAUSIBLE_LABEL = "Implausible dates (before 1995, in the future, or years away from the rest)"
IMPLAUSIBLE_ADVICE = "Left out of sales and time series. Correct the year in your export (a typo, 0001-01-01 or 1900-01-01 placeholder)."


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
    # orders the file names no currency for: {"code": "GBP", "from": "given" | "country" | "default"}
    # (intake.currency); empty when a column or symbols in the amounts name it
    currency: dict = field(default_factory=dict)

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

