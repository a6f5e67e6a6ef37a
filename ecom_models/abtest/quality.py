"""Can the test's data be trusted: the traffic split against the plan (sample-ratio mismatch),
people seen in more than one variant, people on several rows, and rows whose exposure column
contradicts their variant (`check_quality` -> `DataQuality`, with plain-language messages), and
the same data with those rows left out (`exclude_problems`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ecom_models.abtest.detect import ExperimentSpec
from ecom_models.abtest.stats import srm_test

SRM_WARNING_P = 0.001
SRM_CAUTION_P = 0.01


@dataclass
class DataQuality:
    units_per_variant: dict
    expected_share: dict
    srm_chi2: float
    srm_p_value: float
    srm_status: str  # ok | caution | warning
    multi_variant_units: int = 0  # units seen in more than one variant
    repeated_units: int = 0  # units with more than one row
    repeated_rows: int = 0  # rows beyond the first for those units
    exposure_col: str | None = None
    exposure_mismatch_rows: int = 0
    excluded_rows: int = 0  # rows dropped when problems are excluded (0 when not excluded)
    excluded: bool = False

    @property
    def can_leave_out(self) -> bool:
        """Rows to leave out were found: people in several variants, repeated people or rows
        contradicting their variant (never for aggregated data, which cannot show them)."""
        return bool(self.multi_variant_units or self.repeated_units or self.exposure_mismatch_rows)

    @property
    def problems(self) -> int:
        return int(self.multi_variant_units + self.repeated_units + self.exposure_mismatch_rows + (self.srm_status != "ok"))

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def messages(self) -> list[tuple[str, str]]:
        """(level, plain sentence) pairs: level is 'error', 'warning' or 'ok'."""
        out = []
        split = ", ".join(f"{k}: {v:,}" for k, v in self.units_per_variant.items())
        if self.srm_status == "warning":
            out.append(("error", f"Traffic split is off ({split}; p {_fmt_p(self.srm_p_value)}). Something in the set-up sends the wrong share of people to a variant; results may be biased until the cause is found."))
        elif self.srm_status == "caution":
            out.append(("warning", f"Traffic split looks a little uneven ({split}; p {_fmt_p(self.srm_p_value)}). Worth checking the set-up."))
        else:
            out.append(("ok", f"Traffic split matches the plan ({split}; p {_fmt_p(self.srm_p_value)})."))
        if self.multi_variant_units:
            out.append(("warning", f"{self.multi_variant_units:,} {'person was' if self.multi_variant_units == 1 else 'people were'} seen in more than one variant."))
        if self.repeated_units:
            out.append(("warning", f"{self.repeated_units:,} {'person appears' if self.repeated_units == 1 else 'people appear'} on more than one row ({self.repeated_rows:,} extra {'row' if self.repeated_rows == 1 else 'rows'})."))
        if self.exposure_mismatch_rows:
            out.append(("warning", f"{self.exposure_mismatch_rows:,} rows have a '{self.exposure_col}' that contradicts their variant."))
        return out


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2f}"


def _srm_status(p: float) -> str:
    return "warning" if p < SRM_WARNING_P else "caution" if p < SRM_CAUTION_P else "ok"


def _exposure_mismatch(df: pd.DataFrame, spec: ExperimentSpec) -> pd.Series:
    if not spec.exposure_col or spec.exposure_col not in df:
        return pd.Series(False, index=df.index)
    expected = df[spec.variant_col].astype(str).map(spec.exposure_map)
    return df[spec.exposure_col].astype(str).ne(expected) & df[spec.exposure_col].notna()


def check_quality(df: pd.DataFrame, spec: ExperimentSpec, weights: dict | None = None) -> DataQuality:
    """SRM, units in several variants, repeated ids and contradicting exposure columns."""
    var = df[spec.variant_col].astype(str)
    if spec.aggregated:
        counts = df.groupby(var)[spec.units_col].sum()
    elif spec.unit_col:
        has_id = df[spec.unit_col].notna()
        counts = df[has_id].assign(_v=var[has_id]).drop_duplicates([spec.unit_col, "_v"]).groupby("_v").size()
        counts = counts.add(var[~has_id].value_counts(), fill_value=0)  # rows without an id count one each
    else:
        counts = var.value_counts()
    counts = counts.reindex(spec.variants, fill_value=0)
    w = [float((weights or {}).get(v, 1.0)) for v in spec.variants]
    chi2, p = srm_test(counts.to_numpy(), w)
    q = DataQuality(
        units_per_variant={k: int(v) for k, v in counts.items()},
        expected_share={v: wi / sum(w) for v, wi in zip(spec.variants, w)},
        srm_chi2=chi2, srm_p_value=p, srm_status=_srm_status(p),
    )
    if spec.aggregated:
        return q
    if spec.unit_col:
        u = df[spec.unit_col]
        nvar = var.groupby(u).nunique()
        q.multi_variant_units = int((nvar > 1).sum())
        rows = u.value_counts()
        q.repeated_units = int((rows > 1).sum())
        q.repeated_rows = int((rows[rows > 1] - 1).sum())
    if spec.exposure_col:
        q.exposure_col = spec.exposure_col
        q.exposure_mismatch_rows = int(_exposure_mismatch(df, spec).sum())
    return q


def exclude_problems(df: pd.DataFrame, spec: ExperimentSpec) -> pd.DataFrame:
    """Drop rows whose exposure contradicts the variant, then every row of units seen in more
    than one variant, then keep the first row of each remaining unit."""
    if spec.aggregated:
        return df
    out = df[~_exposure_mismatch(df, spec)]
    if spec.unit_col:
        var = out[spec.variant_col].astype(str)
        nvar = var.groupby(out[spec.unit_col]).transform("nunique")
        out = out[nvar.isna() | (nvar <= 1)]
        has_id = out[spec.unit_col].notna()
        out = pd.concat([out[has_id].drop_duplicates(spec.unit_col, keep="first"), out[~has_id]]).sort_index()
    return out
