"""What an experiment file holds, found from its columns: the variant, the unit (person) id, the
metrics (0/1 conversions, numbers per person, a revenue-per-order style ratio), a pre-test
covariate for CUPED, segments, a date and an exposure column that should agree with the variant
(`detect_experiment` -> `ExperimentSpec`). `prepare_frame` first turns text columns that hold
numbers into numbers (CSV files arrive as text); per-variant files (units, conversions, sums and
sums of squares per row) are recognised as aggregated data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.dates import parse_loose
from ecom_models.core.errors import InputError

MAX_VARIANTS = 30

_VARIANT_RE = re.compile(r"^(variant|variation|group|test_?group|ab_?group|arm|bucket|treatment|version|experiment|cell|branch|condition|cohort|test)s?$", re.I)
_VARIANT_SOFT_RE = re.compile(r"variant|variation|group|arm|bucket|version|branch|cell|condition", re.I)
_UNIT_RE = re.compile(r"^(unit|user|visitor|customer|client|player|member|account|session|device|cookie|person|buyer|shopper)[ _-]?(id|key|no|number)?$|^(u|user|unit)?id$|_id$|^uid$", re.I)
_COVARIATE_RE = re.compile(r"^(pre|prior|before|baseline|previous|historical|hist|last)[ _-]|[ _-](pre|before|prior)$|pre[ _-]?period|pre[ _-]?experiment", re.I)
_DATE_RE = re.compile(r"date|time|day|timestamp|_at$|^ts$", re.I)
_SEGMENT_RE = re.compile(r"device|platform|country|region|browser|os|segment|channel|source|market|city|plan|tier|gender|age", re.I)
_CONTROL_RE = re.compile(r"^(control|ctrl|a|baseline|base|old|original|default|champion|current|existing|c|v0|0|variant_?a|group_?a|old_?page|legacy)$", re.I)
_CONTROL_SOFT_RE = re.compile(r"control|baseline|original|old|default|legacy", re.I)
_UNITS_RE = re.compile(r"^(units|users|visitors|sessions|n|count|participants|exposures|exposed|samples|customers|players|traffic|impressions|visits)$", re.I)
_SUMSQ_RE = re.compile(r"^(.*?)[ _-]?(sum[ _-]?(of[ _-]?)?squares|sum[ _-]?sq|sumsq|squares)$", re.I)
_SUM_RE = re.compile(r"^(.*?)[ _-]?(sum|total)$", re.I)
_RATIO_DEN_RE = re.compile(r"^(n_?)?(orders?|order_count|purchases|transactions|sessions|visits|pageviews|page_views|items|baskets)$", re.I)
_RATIO_NUM_RE = re.compile(r"revenue|sales|gmv|amount|spend|value", re.I)
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


@dataclass(frozen=True)
class MetricSpec:
    """One metric. kind: 'conversion' (0/1 per unit), 'mean' (number per unit), 'ratio'
    (Σ numerator / Σ denominator). For aggregated data: column = conversions column (conversion)
    or value-sum column with sum_squares (mean)."""

    name: str
    kind: str
    column: str
    denominator: str | None = None
    sum_squares: str | None = None


@dataclass
class ExperimentSpec:
    variant_col: str
    metrics: list[MetricSpec]
    unit_col: str | None = None
    aggregated: bool = False
    units_col: str | None = None  # aggregated: units per row
    covariate_col: str | None = None
    segment_cols: list[str] = field(default_factory=list)
    date_col: str | None = None
    exposure_col: str | None = None  # a column that should agree with the variant (e.g. landing page)
    exposure_map: dict = field(default_factory=dict)  # variant -> expected exposure value
    variants: list[str] = field(default_factory=list)
    control: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "variant_col": self.variant_col, "unit_col": self.unit_col, "aggregated": self.aggregated,
            "units_col": self.units_col, "covariate_col": self.covariate_col, "segment_cols": self.segment_cols,
            "date_col": self.date_col, "exposure_col": self.exposure_col, "variants": self.variants,
            "control": self.control, "metrics": [m.__dict__ for m in self.metrics], "notes": self.notes,
        }


def _as_binary(s: pd.Series) -> pd.Series | None:
    """0/1 float series if the column is binary (numbers, booleans or yes/no words), else None."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(x)
        if ok.any() and np.all((x[ok] == 0) | (x[ok] == 1)):
            return s.astype("float64")
        return None
    head = s.head(1000).dropna().astype(str).str.strip().str.lower()
    if not set(pd.unique(head)) <= (_TRUE | _FALSE):
        return None
    v = s.dropna().astype(str).str.strip().str.lower()
    uniq = set(pd.unique(v))
    if uniq and uniq <= (_TRUE | _FALSE) and len(uniq) <= 2:
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        out[v.index] = v.isin(_TRUE).astype(float)
        return out
    return None


def _numeric(s: pd.Series, column: str, strict: bool) -> pd.Series | None:
    b = _as_binary(s)
    if b is not None:
        return b
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    if not strict and not (pd.api.types.is_string_dtype(s) or s.dtype == object):
        return None
    text = s.astype("str").str.strip().str.replace(r"[,$€£\s]", "", regex=True)
    out = pd.to_numeric(text.where(s.notna()), errors="coerce")
    bad = s.notna() & out.isna()
    if s.notna().sum() == 0 or bad.mean() > 0.02:
        if not strict:
            return None
        first = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else None
        example = str(s.iloc[first]) if first is not None else ""
        raise InputError(
            f"this metric holds text, not numbers (e.g. '{example[:40]}').",
            column=column, row=None if first is None else first + 2,
            fix="choose a numeric column as the metric, or clean the values so they are numbers.",
        )
    return out.astype("float64")


_BLANKS = ["", "nan", "NaN", "None", "null", "NULL", "-", "N/A", "n/a", "<NA>"]


def _fast_numbers(s: pd.Series) -> tuple[pd.Series | None, int]:
    """Plain numbers in a text column, parsed by Arrow in one pass: (floats or None, non-blank count)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string()) if s.dtype == object else pa.Array.from_pandas(s)
        if arr.type != pa.string() and arr.type != pa.large_string():
            arr = arr.cast(pa.string())
        trimmed = pc.utf8_trim_whitespace(arr)
        blank = pc.fill_null(pc.is_in(trimmed, value_set=pa.array(_BLANKS)), True)
        nonnull = len(arr) - pc.sum(blank).as_py() if len(arr) else 0
        values = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed).cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError, ValueError):
        return None, int(s.notna().sum())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype="float64"), int(nonnull)


def prepare_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Turn text columns that hold numbers (CSV files arrive as text) into numbers.

    Columns of yes/no words stay as they are (they are read as 0/1 later); ids, variant names,
    dates and other text stay text. Whole numbers without gaps become integers.
    """
    from ecom_models.intake import parse_number

    out = None
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object) or pd.api.types.is_bool_dtype(s):
            continue
        sample = s.dropna().astype("str").str.strip().head(500)
        if sample.empty or _as_binary(s.head(2000)) is not None and set(sample.str.lower()) - {"0", "1"}:
            continue
        if pd.to_numeric(sample.str.replace(r"[,$€£\s()%]", "", regex=True).str.replace(r"-$", "", regex=True), errors="coerce").notna().mean() < 0.9:
            continue
        parsed, nonnull = _fast_numbers(s)
        failed = 0
        if parsed is None:
            parsed, info = parse_number(s)  # money formats, decimal commas, thousands separators
            failed = info.failed
        if nonnull == 0 or failed > 0.02 * nonnull:
            continue
        if out is None:
            out = df.copy()
        if parsed.notna().all() and np.allclose(parsed, np.round(parsed)) and parsed.abs().max() < 2**62:
            out[col] = parsed.astype("int64")
        else:
            out[col] = parsed
    return df if out is None else out


def ratio_name(numerator, denominator) -> str:
    """The name a ratio metric is shown under, e.g. 'revenue per orders'."""
    return f"{numerator} per {denominator}"


def ratio_request(numerator, denominator) -> str:
    """How a ratio metric is asked for in `analyze(metrics=[...])` and on the command line: 'num/den'."""
    return f"{numerator}/{denominator}"


def shown_metric_name(requested: str, analysed: set[str]) -> str:
    """The name under which an asked-for metric appears in the results ('num/den' -> 'num per den')."""
    return requested if requested in analysed else requested.replace("/", " per ")


def ratio_candidates(df: pd.DataFrame, spec: "ExperimentSpec") -> list[str]:
    """Columns a merchant can build a ratio metric from (numbers other than the unit and variant
    columns); none for aggregated data or when fewer than two columns qualify."""
    if spec.aggregated:
        return []
    cols = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c not in (spec.unit_col, spec.variant_col)]
    return cols if len(cols) >= 2 else []


def default_control(variants: list[str]) -> str:
    """A variant named like control / A / baseline / old / original, else the first sorted."""
    ordered = sorted(variants, key=str)
    for v in ordered:
        if _CONTROL_RE.match(str(v).strip()):
            return v
    for v in ordered:
        if _CONTROL_SOFT_RE.search(str(v)):
            return v
    return ordered[0]


def _variant_candidates(df: pd.DataFrame) -> list[str]:
    scored = []
    for col in df.columns:
        s = df[col]
        k = s.nunique(dropna=True)
        if k > max(MAX_VARIANTS * 3, 100) or k == 0 or (k < 2 and not _VARIANT_RE.match(str(col).strip())):
            continue
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        name = str(col).strip()
        score = 0
        if _VARIANT_RE.match(name):
            score += 10
        elif _VARIANT_SOFT_RE.search(name):
            score += 6
        vals = [str(v) for v in pd.unique(s.dropna())[:200]]
        if any(_CONTROL_RE.match(v.strip()) or _CONTROL_SOFT_RE.search(v) for v in vals):
            score += 4
        if k <= 5:
            score += 2
        if _as_binary(s) is not None and score < 10:
            score -= 8  # 0/1 columns are metrics unless clearly named as the group
        if score > 0:
            scored.append((score, -k, col))
    scored.sort(reverse=True)
    return [c for _, _, c in scored]


def detect_experiment(df: pd.DataFrame, variant_col: str | None = None, unit_col: str | None = None) -> ExperimentSpec:
    """Find the variant, unit, metric, covariate, segment, date and exposure columns."""
    if df is None or len(df) == 0:
        raise InputError("the experiment file has no rows.", fix="export the experiment with one row per user (or per variant).")
    df = prepare_frame(df)
    cols = list(df.columns)
    if variant_col is None:
        cands = _variant_candidates(df)
        if not cands:
            raise InputError(
                "no column says which variant each row saw (looked for names like variant, group, version).",
                fix="add a column 'variant' with values such as control / treatment.",
            )
        variant_col = cands[0]
    elif variant_col not in df.columns:
        raise InputError(f"there is no column '{variant_col}'.", fix=f"choose one of: {', '.join(map(str, cols))}.")
    variants_raw = df[variant_col].dropna()
    variants = sorted({str(v) for v in pd.unique(variants_raw)}, key=str)
    if len(variants) > MAX_VARIANTS:
        raise InputError(
            f"this column has {len(variants)} different values; an A/B test rarely has more than a few variants, so it is probably the wrong column.",
            column=str(variant_col), fix="choose the column that names the variant (e.g. control / treatment).",
        )
    notes: list[str] = []
    rest = [c for c in cols if c != variant_col]

    # aggregated?  one or few rows per variant and a units column
    units_col = next((c for c in rest if _UNITS_RE.match(str(c).strip()) and pd.api.types.is_numeric_dtype(df[c])), None)
    has_unit_id = unit_col is not None or any(_UNIT_RE.search(str(c).strip()) and df[c].nunique() > 0.9 * len(df) > 20 for c in rest)
    aggregated = units_col is not None and not has_unit_id and len(df) <= 50 * len(variants) and df[units_col].max() > 1
    if aggregated:
        metrics: list[MetricSpec] = []
        sums = {}
        sumsq = {}
        for c in rest:
            if c == units_col or not pd.api.types.is_numeric_dtype(df[c]):
                continue
            m2 = _SUMSQ_RE.match(str(c))
            if m2:
                sumsq[m2.group(1).lower() or "value"] = c
                continue
            m1 = _SUM_RE.match(str(c))
            if m1:
                sums[m1.group(1).lower() or "value"] = c
        used = set(sums.values()) | set(sumsq.values())
        for base, c in sums.items():
            if base in sumsq:
                metrics.append(MetricSpec(name=f"{base} per unit" if base != "value" else "value per unit", kind="mean", column=c, sum_squares=sumsq[base]))
            else:
                notes.append(f"'{c}' has no matching sum-of-squares column, so its average cannot be tested.")
        for c in rest:
            if c in used or c == units_col or not pd.api.types.is_numeric_dtype(df[c]):
                continue
            metrics.insert(0, MetricSpec(name=str(c), kind="conversion", column=c))
        spec = ExperimentSpec(variant_col=variant_col, metrics=metrics, aggregated=True, units_col=units_col, variants=variants, notes=notes)
        spec.control = default_control(variants)
        return spec

    # unit id
    if unit_col is None:
        named = [c for c in rest if _UNIT_RE.search(str(c).strip())]
        named.sort(key=lambda c: -df[c].nunique())
        for c in named:
            if df[c].nunique() >= 0.3 * len(df) and not pd.api.types.is_float_dtype(df[c]):
                unit_col = c
                break
        if unit_col is None:
            for c in rest:
                s = df[c]
                if (pd.api.types.is_string_dtype(s) or s.dtype == object) and s.nunique() >= 0.5 * len(df) and len(df) >= 20:
                    unit_col = c
                    break
    rest = [c for c in rest if c != unit_col]

    date_col = None
    for c in rest:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            date_col = c
            break
    if date_col is None:
        for c in rest:
            s = df[c]
            if _DATE_RE.search(str(c)) and (pd.api.types.is_string_dtype(s) or s.dtype == object):
                parsed = parse_loose(s.head(200))
                if parsed.notna().mean() > 0.9:
                    date_col = c
                    break
    rest = [c for c in rest if c != date_col]

    # exposure columns: categorical columns that map (almost) one-to-one onto the variants
    exposure_col, exposure_map = None, {}
    for c in rest:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            continue
        if s.nunique() != len(variants) or _as_binary(s) is not None and not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        tab = pd.crosstab(df[variant_col].astype(str), s.astype(str))
        majority = tab.idxmax(axis=1)
        if majority.nunique() != len(majority):
            continue
        agree = sum(tab.loc[v, majority[v]] for v in tab.index) / tab.values.sum()
        if agree >= 0.9:
            exposure_col, exposure_map = c, {str(k): str(v) for k, v in majority.items()}
            break
    rest = [c for c in rest if c != exposure_col]

    covariate_col = None
    for c in rest:
        if _COVARIATE_RE.search(str(c)) and _numeric(df[c], str(c), strict=False) is not None:
            covariate_col = c
            break
    rest = [c for c in rest if c != covariate_col]

    metrics = []
    segment_cols = []
    numeric_cols = []
    for c in rest:
        s = df[c]
        b = _as_binary(s)
        if b is not None:
            if b.nunique() >= 1:
                metrics.append(MetricSpec(name=str(c), kind="conversion", column=c))
            continue
        if pd.api.types.is_numeric_dtype(s):
            if s.nunique() <= 1:
                notes.append(f"'{c}' is the same for every row, so it is not analysed.")
                continue
            numeric_cols.append(c)
            continue
        if 2 <= s.nunique() <= 20:
            segment_cols.append(c)
    segment_cols.sort(key=lambda c: (0 if _SEGMENT_RE.search(str(c)) else 1, df[c].nunique()))
    for c in numeric_cols:
        metrics.append(MetricSpec(name=str(c), kind="mean", column=c))
    # ratio metric: a revenue-like numerator with an orders/sessions-like count denominator
    dens = [c for c in numeric_cols if _RATIO_DEN_RE.match(str(c).strip())]
    nums = [c for c in numeric_cols if _RATIO_NUM_RE.search(str(c)) and c not in dens]
    if dens and nums:
        metrics.append(MetricSpec(name=ratio_name(nums[0], dens[0]), kind="ratio", column=nums[0], denominator=dens[0]))
    if not metrics:
        raise InputError(
            "no metric column was found (a 0/1 conversion column or a number per user such as revenue).",
            fix="add a column such as 'converted' (0/1) or 'revenue' next to the variant column.",
        )
    spec = ExperimentSpec(
        variant_col=variant_col, metrics=metrics, unit_col=unit_col, covariate_col=covariate_col,
        segment_cols=segment_cols, date_col=date_col, exposure_col=exposure_col, exposure_map=exposure_map,
        variants=variants, notes=notes,
    )
    spec.control = default_control(variants)
    return spec
