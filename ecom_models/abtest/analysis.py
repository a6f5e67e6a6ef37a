"""A/B test review and planning, from sufficient statistics.

Pure functions and dataclasses, no UI. Per-unit rows and pre-aggregated rows are both reduced
to the same sufficient statistics (n, sum, sum of squares, plus cross-products for ratio and
CUPED metrics), as GrowthBook's gbstats does, so one code path serves both and every formula
can be checked against hand-computed numbers.

Formulas (c = control, t = variant; "var" is the per-unit variance):
- conversion metrics: var = p (1 - p); p-value from the pooled two-proportion z-test
  z = (p_t - p_c) / sqrt(p̄ (1 - p̄) (1/n_c + 1/n_t)); CI of the difference is unpooled.
- mean metrics: var = sample variance (n - 1); Welch's t-test with Welch-Satterthwaite
  degrees of freedom df = se⁴ / ((v_c/n_c)²/(n_c - 1) + (v_t/n_t)²/(n_t - 1)).
- ratio metrics (numerator / denominator per unit): delta method
  var = v_m/d̄² - 2 cov_md m̄/d̄³ + m̄² v_d/d̄⁴, tested like a mean metric.
- relative lift r = (m_t - m_c) / m_c with delta-method variance
  v_t/(n_t m_c²) + v_c m_t²/(n_c m_c⁴); its CI uses the same critical value as the test.
- CUPED: θ = cov(y, x) / var(x) pooled over the arms; adjusted mean ȳ - θ x̄; adjusted
  variance v_y + θ² v_x - 2 θ cov(x, y) (as gbstats' RegressionAdjustedStatistic).
- Bayesian: normal posterior on the relative lift, flat prior by default (posterior =
  N(r, var_r)), or a proper prior N(0, prior_sd²); chance to win = P(lift > 0); risk =
  expected relative loss, the same as gbstats' EffectBayesianABTest.
- Sequential: asymptotic confidence sequences (Waudby-Smith et al. 2023, eq. 9 and 155; the
  ones GrowthBook uses), tuning parameter 5,000 units; valid however often you look.
- SRM: chi-square goodness of fit of the units per variant against the expected split.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from ecom_models.core.dates import parse_loose
from ecom_models.core.errors import InputError
from ecom_models.core.stats import (  # noqa: F401 - planning is part of the A/B API
    _z,
    mde_two_proportions,
    power_mean,
    power_two_proportions,
    sample_size_mean,
    sample_size_per_arm,
)

MAX_VARIANTS = 30
SRM_WARNING_P = 0.001
SRM_CAUTION_P = 0.01
SEQUENTIAL_TUNING = 5000.0


# --------------------------------------------------------------------------------------------
# Sufficient statistics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanStats:
    """n units, sum and sum of squares of one metric in one arm. binary: a 0/1 conversion."""

    n: int
    sum: float
    sum_squares: float
    binary: bool = False

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        if self.binary:
            return self.mean * (1 - self.mean)
        if self.n <= 1:
            return 0.0
        return max((self.sum_squares - self.sum**2 / self.n) / (self.n - 1), 0.0)

    def __add__(self, other: "MeanStats") -> "MeanStats":
        return MeanStats(self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares, self.binary)


@dataclass(frozen=True)
class RatioStats:
    """Per-unit numerator m and denominator d (e.g. revenue and orders), ratio = Σm / Σd."""

    n: int
    m: MeanStats
    d: MeanStats
    md_sum: float

    @property
    def mean(self) -> float:
        return self.m.sum / self.d.sum if self.d.sum else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def covariance(self) -> float:
        return (self.md_sum - self.m.sum * self.d.sum / self.n) / (self.n - 1) if self.n > 1 else 0.0

    @property
    def variance(self) -> float:
        dm, mm = self.d.mean, self.m.mean
        if dm == 0 or self.n <= 1:
            return 0.0
        v = self.m.variance / dm**2 - 2 * self.covariance * mm / dm**3 + mm**2 * self.d.variance / dm**4
        return max(v, 0.0)


@dataclass(frozen=True)
class CupedStats:
    """Metric y with pre-period covariate x; theta is shared by all arms of the comparison."""

    n: int
    post: MeanStats
    pre: MeanStats
    post_pre_sum: float
    theta: float = 0.0

    @property
    def mean(self) -> float:
        return self.post.mean - self.theta * self.pre.mean

    @property
    def unadjusted_mean(self) -> float:
        return self.post.mean

    @property
    def covariance(self) -> float:
        return (self.post_pre_sum - self.post.sum * self.pre.sum / self.n) / (self.n - 1) if self.n > 1 else 0.0

    @property
    def variance(self) -> float:
        if self.n <= 1:
            return 0.0
        return max(self.post.variance + self.theta**2 * self.pre.variance - 2 * self.theta * self.covariance, 0.0)


def cuped_theta(a: CupedStats, b: CupedStats) -> float:
    """θ = cov(y, x) / var(x) over both arms pooled (gbstats.compute_theta)."""
    n = a.n + b.n
    post = MeanStats(n, a.post.sum + b.post.sum, a.post.sum_squares + b.post.sum_squares, a.post.binary)
    pre = MeanStats(n, a.pre.sum + b.pre.sum, a.pre.sum_squares + b.pre.sum_squares, a.pre.binary)
    if pre.variance == 0 or post.variance == 0:
        return 0.0
    joint = CupedStats(n, post, pre, a.post_pre_sum + b.post_pre_sum)
    return joint.covariance / pre.variance


# --------------------------------------------------------------------------------------------
# Tests (each pinned to hand-computed values in tests/test_abtest.py)
# --------------------------------------------------------------------------------------------


def two_proportion_z(x_c: float, n_c: int, x_t: float, n_t: int, two_sided: bool = True) -> tuple[float, float]:
    """Pooled two-proportion z-test. Returns (z, p); one-sided tests 'variant > control'."""
    p_c, p_t = x_c / n_c, x_t / n_t
    pool = (x_c + x_t) / (n_c + n_t)
    se = math.sqrt(pool * (1 - pool) * (1 / n_c + 1 / n_t))
    if se == 0:
        return 0.0, 1.0
    z = (p_t - p_c) / se
    p = 2 * stats.norm.sf(abs(z)) if two_sided else stats.norm.sf(z)
    return float(z), float(p)


def welch_t(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, two_sided: bool = True) -> tuple[float, float, float]:
    """Welch's t-test. Returns (t, df, p) with Welch-Satterthwaite df; one-sided 'variant > control'."""
    a, b = var_c / n_c, var_t / n_t
    se2 = a + b
    if se2 <= 0:
        return 0.0, float("nan"), 1.0
    df = se2**2 / (a**2 / (n_c - 1) + b**2 / (n_t - 1))
    t = (mean_t - mean_c) / math.sqrt(se2)
    p = 2 * stats.t.sf(abs(t), df) if two_sided else stats.t.sf(t, df)
    return float(t), float(df), float(p)


def relative_variance(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int) -> float:
    """Delta-method variance of (mean_t - mean_c) / mean_c."""
    return var_t / (mean_c**2 * n_t) + var_c * mean_t**2 / (mean_c**4 * n_c)


def relative_lift_ci(mean_c: float, var_c: float, n_c: int, mean_t: float, var_t: float, n_t: int, crit: float) -> tuple[float, float, float, float]:
    """(relative lift, its standard error, low, high) with the given critical value."""
    rel = (mean_t - mean_c) / mean_c
    se = math.sqrt(relative_variance(mean_c, var_c, n_c, mean_t, var_t, n_t))
    return rel, se, rel - crit * se, rel + crit * se


def srm_test(counts: Iterable[float], weights: Iterable[float] | None = None) -> tuple[float, float]:
    """Chi-square test of the units per variant against the expected split. Returns (chi2, p)."""
    counts = np.asarray(list(counts), dtype=float)
    w = np.ones_like(counts) if weights is None else np.asarray(list(weights), dtype=float)
    total = counts.sum()
    if total == 0 or len(counts) < 2:
        return 0.0, 1.0
    expected = w / w.sum() * total
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return chi2, float(stats.chi2.sf(chi2, len(counts) - 1))


def holm(p_values: Iterable[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(list(p_values), dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def benjamini_hochberg(p_values: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate)."""
    p = np.asarray(list(p_values), dtype=float)
    m = len(p)
    order = np.argsort(p)[::-1]
    adj = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        adj[i] = min(running, 1.0)
    return adj


def _truncnorm_mean(mu: float, sigma: float, a: float, b: float) -> float:
    return float(stats.truncnorm.mean((a - mu) / sigma, (b - mu) / sigma, loc=mu, scale=sigma))


def bayes_relative(rel: float, var_rel: float, prior_sd: float | None = None, prior_mean: float = 0.0) -> dict:
    """Posterior of the relative lift: chance to win and risk (gbstats EffectBayesianABTest).

    prior_sd None = flat prior (posterior N(rel, var_rel)); else proper N(prior_mean, prior_sd²).
    risk_variant: expected relative loss if you ship the variant and it is in fact worse.
    """
    if not var_rel > 0 or not math.isfinite(var_rel):
        return {"chance_to_win": float("nan"), "post_mean": float("nan"), "post_sd": float("nan"), "risk_control": float("nan"), "risk_variant": float("nan")}
    if prior_sd:
        prec = 1 / var_rel + 1 / prior_sd**2
        mean = (rel / var_rel + prior_mean / prior_sd**2) / prec
    else:
        prec = 1 / var_rel
        mean = rel
    sd = math.sqrt(1 / prec)
    p_ctrl_better = float(stats.norm.cdf(0.0, loc=mean, scale=sd))
    mn_neg = _truncnorm_mean(mean, sd, -np.inf, 0.0)
    mn_pos = _truncnorm_mean(mean, sd, 0.0, np.inf)
    return {
        "chance_to_win": 1 - p_ctrl_better,
        "post_mean": mean,
        "post_sd": sd,
        "risk_control": float((1 - p_ctrl_better) * mn_pos),
        "risk_variant": -float(p_ctrl_better * mn_neg),
    }


def _rho(alpha: float, tuning: float) -> float:
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def sequential_halfwidth(variance: float, n_total: int, alpha: float, tuning: float = SEQUENTIAL_TUNING) -> float:
    """Half-width of the asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9)."""
    rho = _rho(alpha, tuning)
    s2 = variance * n_total
    return math.sqrt(s2) * math.sqrt(2 * (n_total * rho**2 + 1) * math.log(math.sqrt(n_total * rho**2 + 1) / alpha) / (n_total * rho) ** 2)


def sequential_p_value(estimate: float, variance: float, n_total: int, alpha: float, tuning: float = SEQUENTIAL_TUNING) -> float:
    """Always-valid p-value (eq. 155 of the same paper, as gbstats)."""
    if variance <= 0:
        return 1.0
    rho = _rho(alpha, tuning)
    st2 = estimate**2 * n_total / variance
    tr2p1 = n_total * rho**2 + 1
    log_e = rho**2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    return float(min(1.0, math.exp(-log_e)))


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------

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
        metrics.append(MetricSpec(name=f"{nums[0]} per {dens[0]}", kind="ratio", column=nums[0], denominator=dens[0]))
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


# --------------------------------------------------------------------------------------------
# Data quality
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Reduction to sufficient statistics
# --------------------------------------------------------------------------------------------


def _metric_values(df: pd.DataFrame, metric: MetricSpec, column: str) -> pd.Series:
    if column not in df:
        raise InputError(f"there is no column '{column}'.", fix="pick a metric from the list of columns in the file.")
    return _numeric(df[column], str(column), strict=True)


def _arm_stats(df: pd.DataFrame, spec: ExperimentSpec, metric: MetricSpec, variants: list[str], cuped: bool, cap_percentile: float | None) -> tuple[dict, dict]:
    """{variant: stats} and info (capped units, cap value, theta, variance reduction, missing)."""
    info: dict = {"capped_units": 0, "cap_value": None, "theta": None, "variance_reduction": None, "missing": 0}
    var = df[spec.variant_col].astype(str)
    if spec.aggregated:
        units = _numeric(df[spec.units_col], str(spec.units_col), strict=True)
        if (units < 0).any():
            row = int(np.flatnonzero((units < 0).to_numpy())[0]) + 2
            raise InputError("the number of units is negative.", column=str(spec.units_col), row=row, fix="check the export; units must be zero or more.")
        vals = _metric_values(df, metric, metric.column)
        if metric.kind == "conversion":
            bad = (vals > units) | (vals < 0)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise InputError(
                    f"{vals[bad].iloc[0]:,.0f} conversions out of {units[bad].iloc[0]:,.0f} units is impossible (conversions must be between 0 and the units).",
                    column=str(metric.column), row=row, fix="check that the units column counts people and the conversions column counts people who converted.",
                )
            g = pd.DataFrame({"v": var, "n": units, "s": vals}).groupby("v").sum()
            out = {v: MeanStats(int(g.loc[v, "n"]) if v in g.index else 0, float(g.loc[v, "s"]) if v in g.index else 0.0, float(g.loc[v, "s"]) if v in g.index else 0.0, True) for v in variants}
        else:
            ss = _metric_values(df, metric, metric.sum_squares)
            if (ss < 0).any():
                row = int(np.flatnonzero((ss < 0).to_numpy())[0]) + 2
                raise InputError("a sum of squares cannot be negative.", column=str(metric.sum_squares), row=row, fix="check the export.")
            g = pd.DataFrame({"v": var, "n": units, "s": vals, "ss": ss}).groupby("v").sum()
            out = {v: MeanStats(int(g.loc[v, "n"]), float(g.loc[v, "s"]), float(g.loc[v, "ss"])) if v in g.index else MeanStats(0, 0.0, 0.0) for v in variants}
        return out, info

    if metric.kind == "ratio":
        m = _metric_values(df, metric, metric.column)
        d = _metric_values(df, metric, metric.denominator)
        ok = m.notna() & d.notna()
        info["missing"] = int((~ok).sum())
        frame = pd.DataFrame({"v": var[ok], "m": m[ok], "d": d[ok]})
        frame["mm"], frame["dd"], frame["md"] = frame.m**2, frame.d**2, frame.m * frame.d
        g = frame.groupby("v").agg(n=("m", "size"), m=("m", "sum"), d=("d", "sum"), mm=("mm", "sum"), dd=("dd", "sum"), md=("md", "sum"))
        out = {}
        for v in variants:
            if v not in g.index:
                out[v] = RatioStats(0, MeanStats(0, 0, 0), MeanStats(0, 0, 0), 0.0)
                continue
            r = g.loc[v]
            n = int(r.n)
            out[v] = RatioStats(n, MeanStats(n, float(r.m), float(r.mm)), MeanStats(n, float(r.d), float(r.dd)), float(r.md))
        return out, info

    y = _metric_values(df, metric, metric.column)
    binary = metric.kind == "conversion"
    ok = y.notna()
    info["missing"] = int((~ok).sum())
    if cap_percentile and not binary and ok.any():
        cap = float(np.quantile(y[ok], cap_percentile))
        info["capped_units"] = int((y[ok] > cap).sum())
        info["cap_value"] = cap
        y = y.clip(upper=cap)
    x = None
    if cuped and spec.covariate_col and spec.covariate_col in df and spec.covariate_col != metric.column:
        x = _numeric(df[spec.covariate_col], str(spec.covariate_col), strict=False)
        if x is not None:
            ok = ok & x.notna()
    frame = pd.DataFrame({"v": var[ok], "y": y[ok]})
    frame["yy"] = frame.y**2
    if x is not None:
        frame["x"] = x[ok]
        frame["xx"], frame["xy"] = frame.x**2, frame.x * frame.y
    g = frame.groupby("v").sum(numeric_only=True)
    size = frame.groupby("v").size()
    out = {}
    for v in variants:
        if v not in g.index:
            out[v] = MeanStats(0, 0.0, 0.0, binary)
            continue
        r = g.loc[v]
        n = int(size[v])
        post = MeanStats(n, float(r.y), float(r.yy), binary)
        if x is not None:
            out[v] = CupedStats(n, post, MeanStats(n, float(r.x), float(r.xx)), float(r.xy))
        else:
            out[v] = post
    return out, info


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    confidence: float = 0.95
    two_sided: bool = True
    sequential: bool = False
    cuped: bool = True
    cap_percentile: float | None = None
    prior_sd: float | None = None  # None = flat prior on the relative lift
    correction: str = "none"  # none | holm | bh : which p-value decides 'significant'
    mde: float = 0.05  # smallest relative lift worth detecting (planning, verdict)
    tuning: float = SEQUENTIAL_TUNING

    @property
    def alpha(self) -> float:
        return 1 - self.confidence


def compare(sc, st, kind: str, settings: Settings = Settings()) -> dict:
    """Variant (st) against control (sc): one row of the results table (see RESULT_COLUMNS)."""
    alpha = settings.alpha
    nc, nt = sc.n, st.n
    mc, mt = sc.mean, st.mean
    uc, ut = sc.unadjusted_mean, st.unadjusted_mean
    vc, vt = sc.variance, st.variance
    row = {"units_control": nc, "units_variant": nt, "value_control": uc, "value_variant": ut}
    adjusted = isinstance(sc, CupedStats)
    diff = mt - mc
    se_abs = math.sqrt(vc / nc + vt / nt) if nc and nt else float("nan")
    if kind == "conversion" and not adjusted:
        stat, p = two_proportion_z(sc.sum, nc, st.sum, nt, settings.two_sided)
        df_ = float("inf")
        test = "two-proportion z-test"
    else:
        stat, df_, p = welch_t(mc, vc, nc, mt, vt, nt, settings.two_sided)
        test = "Welch t-test" + (" (CUPED-adjusted)" if adjusted else "") + (" on the delta-method ratio" if kind == "ratio" else "")
        if kind == "conversion":
            test = "z-test (CUPED-adjusted)"
            df_ = float("inf")
            stat = diff / se_abs if se_abs > 0 else 0.0
            p = float(2 * stats.norm.sf(abs(stat)) if settings.two_sided else stats.norm.sf(stat))
    q = 1 - alpha / 2 if settings.two_sided else 1 - alpha
    crit = _z(q) if not math.isfinite(df_) else float(stats.t.ppf(q, df_))
    var_rel = relative_variance(uc, vc, nc, ut, vt, nt) if uc else float("nan")
    rel = diff / uc if uc else float("nan")
    se_rel = math.sqrt(var_rel) if var_rel == var_rel else float("nan")
    if settings.sequential:
        a_seq = alpha if settings.two_sided else 2 * alpha
        n_tot = nc + nt
        hw_abs = sequential_halfwidth(se_abs**2, n_tot, a_seq, settings.tuning)
        hw_rel = sequential_halfwidth(var_rel, n_tot, a_seq, settings.tuning) if uc else float("nan")
        p = sequential_p_value(rel if uc else diff, var_rel if uc else se_abs**2, n_tot, a_seq, settings.tuning)
        if not settings.two_sided and (rel if uc else diff) < 0:
            p = 1.0
        test = "sequential (always-valid) " + test
    else:
        hw_abs, hw_rel = crit * se_abs, crit * se_rel
    row.update(
        abs_lift=diff, abs_ci_low=diff - hw_abs, abs_ci_high=diff + hw_abs if settings.two_sided else float("inf"),
        rel_lift=rel, rel_ci_low=rel - hw_rel, rel_ci_high=rel + hw_rel if settings.two_sided else float("inf"),
        p_value=float(p), statistic=float(stat), dof=float(df_), test=test,
    )
    b = bayes_relative(rel, var_rel, settings.prior_sd)
    row.update(chance_to_win=b["chance_to_win"], risk_variant=b["risk_variant"], risk_control=b["risk_control"], bayes_rel_mean=b["post_mean"], bayes_rel_sd=b["post_sd"])
    # power reached for the planning MDE, at the current units per arm
    n_arm = min(nc, nt)
    if kind == "conversion" and 0 < uc < 1 and 0 < uc * (1 + settings.mde) < 1:
        row["power"] = power_two_proportions(uc, settings.mde, n_arm, alpha, settings.two_sided)
        row["units_needed_per_arm"] = sample_size_per_arm(uc, settings.mde, alpha, 0.8, settings.two_sided)
    elif uc and vc > 0:
        row["power"] = power_mean(uc, math.sqrt(vc), settings.mde, n_arm, alpha, settings.two_sided)
        row["units_needed_per_arm"] = sample_size_mean(uc, math.sqrt(vc), settings.mde, alpha, 0.8, settings.two_sided)
    else:
        row["power"], row["units_needed_per_arm"] = float("nan"), float("nan")
    return row


RESULT_COLUMNS = [
    "metric", "kind", "variant", "control", "units_control", "units_variant", "value_control", "value_variant",
    "abs_lift", "abs_ci_low", "abs_ci_high", "rel_lift", "rel_ci_low", "rel_ci_high", "p_value", "p_holm", "p_bh",
    "significant", "chance_to_win", "risk_variant", "risk_control", "power", "units_needed_per_arm",
    "variance_reduction", "capped_units", "test", "statistic", "dof", "explanation",
]

COLUMN_HELP = {
    "value_control": "The metric in the control group: conversion rate, average per person, or ratio.",
    "value_variant": "The same metric in this variant.",
    "abs_lift": "Variant minus control, in the metric's own units.",
    "rel_lift": "How much higher (or lower) the variant is, as a share of control.",
    "rel_ci_low": "Lower end of the range the true lift most likely lies in.",
    "rel_ci_high": "Upper end of that range.",
    "p_value": "How surprising this difference would be if the variant changed nothing; small (below 0.05) means unlikely to be chance.",
    "p_holm": "p-value corrected for testing several metrics and variants at once (Holm, strict).",
    "p_bh": "p-value corrected for testing several things at once (Benjamini-Hochberg, controls false discoveries).",
    "chance_to_win": "Probability that the variant is truly better than control.",
    "risk_variant": "Average relative loss you should expect if you ship the variant and it is actually worse.",
    "power": "Chance this test, at its current size, would detect a lift as big as the one you care about.",
    "variance_reduction": "How much noise CUPED removed using the pre-period figures (higher = sharper results).",
    "capped_units": "People whose extreme values were capped so one big spender does not swing the result.",
}


@dataclass
class ABResult:
    spec: ExperimentSpec
    control: str
    settings: Settings
    quality: DataQuality
    table: pd.DataFrame  # RESULT_COLUMNS, one row per metric and non-control variant
    notes: list[str] = field(default_factory=list)
    quality_raw: DataQuality | None = None  # before exclusion, when problems were excluded
    days: float | None = None  # days the test has run (per-unit data with dates)
    units_per_day: float | None = None

    def row(self, metric: str | None = None, variant: str | None = None) -> pd.Series:
        t = self.table
        if metric is not None:
            t = t[t.metric == metric]
        if variant is not None:
            t = t[t.variant == variant]
        if t.empty:
            raise InputError(f"no result for metric '{metric}' and variant '{variant}'.")
        return t.iloc[0]


def _explain(r: dict, confidence: float) -> str:
    kind = r["kind"]
    if kind == "conversion":
        vals = f"{r['value_variant']:.2%} vs {r['value_control']:.2%}"
    else:
        vals = f"{r['value_variant']:,.4g} vs {r['value_control']:,.4g}"
    if r["rel_lift"] != r["rel_lift"]:
        return f"{r['metric']}: {vals}; relative lift undefined because control is zero."
    hi = "no upper limit" if not math.isfinite(r["rel_ci_high"]) else f"{r['rel_ci_high']:+.1%}"
    sig = "a real difference" if r["significant"] else "not distinguishable from chance"
    return (
        f"{r['metric']} in {r['variant']}: {vals} ({r['rel_lift']:+.1%}); the true lift is likely between "
        f"{r['rel_ci_low']:+.1%} and {hi} ({confidence:.0%} confidence), {sig}; "
        f"chance the variant is better: {r['chance_to_win']:.0%}."
    )


def _compare_all(df: pd.DataFrame, spec: ExperimentSpec, control: str, metrics: list[MetricSpec], settings: Settings) -> tuple[list[dict], list[str]]:
    rows, notes = [], []
    variants = [v for v in spec.variants if v != control]
    for metric in metrics:
        arms, info = _arm_stats(df, spec, metric, spec.variants, settings.cuped, settings.cap_percentile)
        if arms[control].n == 0:
            raise InputError(f"the control group '{control}' has no units with a value for '{metric.name}'.", column=str(metric.column), fix="check the export or pick another control.")
        if info["missing"]:
            notes.append(f"{info['missing']:,} rows have no value for '{metric.name}' and are left out of that metric.")
        if settings.cuped and isinstance(arms[control], CupedStats):
            pass
        zero_var = all(a.variance == 0 for a in arms.values() if a.n)
        if zero_var:
            raise InputError(
                f"'{metric.name}' has the same value for everyone, so there is nothing to compare.",
                column=str(metric.column), fix="choose a metric that varies between people, or check the export.",
            )
        for v in variants:
            sc, st = arms[control], arms[v]
            if st.n == 0:
                raise InputError(f"the variant '{v}' has no units with a value for '{metric.name}'.", column=str(spec.variant_col), fix="check the export, or remove that variant.")
            if st.n < 2 or sc.n < 2:
                raise InputError(f"'{v}' or '{control}' has fewer than 2 units; a test needs more.", column=str(spec.variant_col), fix="wait until the test has more traffic.")
            vr = None
            if isinstance(sc, CupedStats):
                theta = cuped_theta(sc, st)
                sc, st = replace(sc, theta=theta), replace(st, theta=theta)
                raw = (sc.post.variance / sc.n + st.post.variance / st.n)
                adj = (sc.variance / sc.n + st.variance / st.n)
                vr = 1 - adj / raw if raw > 0 else 0.0
            r = compare(sc, st, metric.kind, settings)
            r.update(metric=metric.name, kind=metric.kind, variant=v, control=control, variance_reduction=vr, capped_units=info["capped_units"])
            rows.append(r)
        if info["capped_units"]:
            notes.append(f"'{metric.name}': {info['capped_units']:,} people above {info['cap_value']:,.4g} were capped at that value.")
    return rows, notes


def analyze(
    df: pd.DataFrame,
    spec: ExperimentSpec | None = None,
    control: str | None = None,
    metrics: list[str] | None = None,
    settings: Settings = Settings(),
    exclude: bool = False,
    weights: dict | None = None,
) -> ABResult:
    """Full review: data quality, then every metric and variant against control."""
    df = prepare_frame(df)
    spec = spec or detect_experiment(df)
    if len(spec.variants) < 2:
        raise InputError(
            f"only one variant ('{spec.variants[0] if spec.variants else ''}') is in the data; a test needs at least two.",
            column=str(spec.variant_col), fix="export the data of every variant, including control.",
        )
    control = control if control is not None else (spec.control or default_control(spec.variants))
    control = str(control)
    if control not in spec.variants:
        raise InputError(f"there is no variant called '{control}'.", column=str(spec.variant_col), fix=f"choose one of: {', '.join(spec.variants)}.")
    chosen = spec.metrics
    if metrics:
        by_name = {str(m.column): m for m in spec.metrics if m.kind != "ratio"} | {m.name: m for m in spec.metrics}
        chosen = []
        for name in metrics:
            num, _, den = str(name).partition("/")
            if name in by_name:
                chosen.append(by_name[name])
            elif den and num.strip() in df.columns and den.strip() in df.columns and not spec.aggregated:
                chosen.append(MetricSpec(name=f"{num.strip()} per {den.strip()}", kind="ratio", column=num.strip(), denominator=den.strip()))
            elif name in df.columns and not spec.aggregated:
                s = _numeric(df[name], str(name), strict=True)
                kind = "conversion" if _as_binary(df[name]) is not None else "mean"
                chosen.append(MetricSpec(name=str(name), kind=kind, column=name))
                del s
            else:
                raise InputError(f"there is no metric '{name}'.", fix=f"choose one of: {', '.join(m.name for m in spec.metrics)}.")
    quality_raw = check_quality(df, spec, weights)
    data = df
    quality = quality_raw
    if exclude and not spec.aggregated:
        data = exclude_problems(df, spec)
        quality = check_quality(data, spec, weights)
        quality.excluded = True
        quality.excluded_rows = len(df) - len(data)
    counts = quality.units_per_variant
    empty = [v for v, n in counts.items() if n == 0]
    if empty:
        raise InputError(f"the variant '{empty[0]}' has no units.", column=str(spec.variant_col), fix="check the export; every variant needs traffic.")
    rows, notes = _compare_all(data, spec, control, chosen, settings)
    table = pd.DataFrame(rows)
    if len(table):
        table["p_holm"] = holm(table.p_value)
        table["p_bh"] = benjamini_hochberg(table.p_value)
        decide = {"holm": "p_holm", "bh": "p_bh"}.get(settings.correction, "p_value")
        table["significant"] = table[decide] < settings.alpha
        table["explanation"] = [_explain(r, settings.confidence) for r in table.to_dict("records")]
    table = table.reindex(columns=RESULT_COLUMNS)
    days = upd = None
    if spec.date_col and not spec.aggregated:
        d = parse_loose(data[spec.date_col])
        from ecom_models.core.dates import guard_daily

        d = d.where(guard_daily(d, "the test duration")[0])
        if d.notna().any():
            days = float((d.max().normalize() - d.min().normalize()).days + 1)
            upd = len(data) / days
    return ABResult(spec=spec, control=control, settings=settings, quality=quality, table=table, notes=spec.notes + notes,
                    quality_raw=quality_raw if exclude else None, days=days, units_per_day=upd)


# --------------------------------------------------------------------------------------------
# Slices and time
# --------------------------------------------------------------------------------------------


def segment_results(df: pd.DataFrame, spec: ExperimentSpec, segment_col: str, metric: str, control: str, settings: Settings = Settings()) -> pd.DataFrame:
    """The metric by segment value (each slice is its own look: expect false alarms)."""
    df = prepare_frame(df)
    m = next((x for x in spec.metrics if x.name == metric), None)
    if m is None:
        raise InputError(f"there is no metric '{metric}'.")
    rows = []
    for value, part in df.groupby(df[segment_col].astype(str)):
        counts = part[spec.variant_col].astype(str).value_counts()
        if any(counts.get(v, 0) < 20 for v in spec.variants):
            continue
        try:
            r, _ = _compare_all(part, spec, control, [m], settings)
        except InputError:
            continue
        for x in r:
            x["segment"] = value
            rows.append(x)
    out = pd.DataFrame(rows)
    if len(out):
        out["p_holm"] = holm(out.p_value)
        out["significant"] = out.p_value < settings.alpha
    return out


def cumulative_lift(df: pd.DataFrame, spec: ExperimentSpec, metric: str, control: str, variant: str, settings: Settings = Settings()) -> pd.DataFrame:
    """Relative lift and its fixed and sequential intervals using all units up to each day.

    Columns: date, units_control, units_variant, rel_lift, ci_low, ci_high, seq_ci_low, seq_ci_high.
    """
    df = prepare_frame(df)
    if not spec.date_col:
        raise InputError("the file has no date column, so lift over time cannot be shown.")
    m = next((x for x in spec.metrics if x.name == metric), None)
    if m is None or m.kind == "ratio":
        raise InputError(f"lift over time is available for conversion and average metrics, not '{metric}'.")
    y = _metric_values(df, m, m.column)
    from ecom_models.core.dates import guard_daily

    d = parse_loose(df[spec.date_col])
    plausible, _ = guard_daily(d, "lift over time")
    d = d.where(plausible).dt.normalize()
    v = df[spec.variant_col].astype(str)
    keep = v.isin([control, variant]) & d.notna() & y.notna()
    frame = pd.DataFrame({"d": d[keep], "v": v[keep], "y": y[keep]})
    frame["yy"] = frame.y**2
    g = frame.groupby(["d", "v"]).agg(n=("y", "size"), s=("y", "sum"), ss=("yy", "sum")).unstack("v", fill_value=0).sort_index().cumsum()
    alpha = settings.alpha
    a_seq = alpha if settings.two_sided else 2 * alpha
    q = 1 - alpha / 2 if settings.two_sided else 1 - alpha
    rows = []
    binary = m.kind == "conversion"
    for date, r in g.iterrows():
        sc = MeanStats(int(r[("n", control)]), float(r[("s", control)]), float(r[("ss", control)]), binary)
        st = MeanStats(int(r[("n", variant)]), float(r[("s", variant)]), float(r[("ss", variant)]), binary)
        if sc.n < 2 or st.n < 2 or sc.mean == 0:
            continue
        var_rel = relative_variance(sc.mean, sc.variance, sc.n, st.mean, st.variance, st.n)
        rel = st.mean / sc.mean - 1
        se = math.sqrt(var_rel)
        hw = sequential_halfwidth(var_rel, sc.n + st.n, a_seq, settings.tuning)
        rows.append({"date": date, "units_control": sc.n, "units_variant": st.n, "rel_lift": rel,
                     "ci_low": rel - _z(q) * se, "ci_high": rel + _z(q) * se, "seq_ci_low": rel - hw, "seq_ci_high": rel + hw})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Verdict and money
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    call: str  # ship | do not ship | keep running | inconclusive
    reason: str
    variant: str | None = None
    metric: str | None = None
    days_needed: float | None = None


def verdict(result: ABResult, metric: str | None = None) -> Verdict:
    """A plain-language call on the primary metric (the first one unless named)."""
    t = result.table
    if t.empty:
        return Verdict("inconclusive", "No metric could be analysed.")
    metric = metric or t.metric.iloc[0]
    rows = t[t.metric == metric]
    q = result.quality
    if q.srm_status == "warning":
        return Verdict("inconclusive", "The traffic split is off (sample-ratio mismatch), so the groups may not be comparable. Find the cause before trusting any lift.", metric=metric)
    mde = result.settings.mde
    wins = rows[rows.significant & (rows.rel_lift > 0)]
    if len(wins):
        best = wins.sort_values("rel_lift", ascending=False).iloc[0]
        others = t[(t.variant == best.variant) & (t.metric != metric) & t.significant & (t.rel_lift < 0)]
        warn = f" But watch: {', '.join(others.metric)} got significantly worse." if len(others) else ""
        return Verdict("ship", f"'{best.variant}' lifts {metric} by {best.rel_lift:+.1%} (likely between {best.rel_ci_low:+.1%} and "
                       + (f"{best.rel_ci_high:+.1%}" if math.isfinite(best.rel_ci_high) else "no upper limit")
                       + f"), with a {best.chance_to_win:.0%} chance of being better than control.{warn}", variant=best.variant, metric=metric)
    if len(rows) and (rows.significant & (rows.rel_lift < 0)).all():
        w = rows.iloc[0]
        return Verdict("do not ship", f"'{w.variant}' lowers {metric} by {w.rel_lift:+.1%}; the drop is unlikely to be chance.", variant=w.variant, metric=metric)
    under = rows[rows.power < 0.8]
    if len(under):
        r = under.iloc[0]
        days = None
        if result.units_per_day and result.units_per_day > 0 and r.units_needed_per_arm == r.units_needed_per_arm:
            arms = len(result.spec.variants)
            remaining = max(0.0, float(r.units_needed_per_arm) * arms - (r.units_control + r.units_variant * (arms - 1)))
            days = math.ceil(remaining / result.units_per_day)
        more = f" About {days} more days at the current traffic would get there." if days else ""
        return Verdict("keep running", f"No clear winner yet, and the test has only a {r.power:.0%} chance of spotting a {mde:.0%} lift at its current size.{more}",
                       variant=r.variant, metric=metric, days_needed=days)
    return Verdict("inconclusive", f"The test is large enough to spot a {mde:.0%} lift and found none on {metric}. Keep whichever version is simpler or cheaper.", metric=metric)


def monthly_extra_conversions(result: ABResult, monthly_visitors: float, metric: str | None = None, variant: str | None = None) -> tuple[float, float, float]:
    t = result.table
    conv = t[t.kind == "conversion"] if metric is None else t[t.metric == metric]
    if metric is None and len(conv):
        conv = conv[conv.metric == conv.metric.iloc[0]]
    if variant:
        conv = conv[conv.variant == variant]
    r = conv.sort_values("rel_lift", ascending=False).iloc[0]
    base = monthly_visitors * float(r.value_control)
    hi = float(r.rel_ci_high) if math.isfinite(r.rel_ci_high) else float(2 * r.rel_lift - r.rel_ci_low)
    return base * float(r.rel_lift), base * float(r.rel_ci_low), base * hi


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def results_csv(result: ABResult) -> str:
    from ecom_models.core.safe_export import csv_text

    return csv_text(result.table)


def html_summary(result: ABResult, title: str = "A/B test summary", source: str = "") -> str:
    """A self-contained HTML page (no scripts, no external files); all text is escaped."""
    e = html.escape
    v = verdict(result)
    s = result.settings
    mode = "sequential (always valid, safe to look every day)" if s.sequential else "fixed-horizon (look once, at the planned end)"
    rows = []
    for r in result.table.to_dict("records"):
        hi = f"{r['rel_ci_high']:+.1%}" if math.isfinite(r["rel_ci_high"]) else "∞"
        fmt = (lambda x: f"{x:.2%}") if r["kind"] == "conversion" else (lambda x: f"{x:,.4g}")
        rows.append(
            "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in [
                r["metric"], r["variant"], f"{r['units_control']:,} / {r['units_variant']:,}", fmt(r["value_control"]), fmt(r["value_variant"]),
                f"{r['rel_lift']:+.1%}", f"{r['rel_ci_low']:+.1%} to {hi}", _fmt_p(r["p_value"]).lstrip("= "), f"{r['chance_to_win']:.0%}",
                "yes" if r["significant"] else "no",
            ]) + "</tr>"
        )
    quality = "".join(f"<li class='{e(level)}'>{e(text)}</li>" for level, text in result.quality.messages())
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child,td:nth-child(2),th{{text-align:left}}.error{{color:#b00}}.warning{{color:#a60}}.ok{{color:#070}}
.verdict{{font-size:1.3em;padding:.6em;background:#f3f3f3;border-left:6px solid #36c}}</style></head><body>
<h1>{e(title)}</h1><p>{e(source)}</p>
<p class="verdict"><b>{e(v.call.upper())}</b> — {e(v.reason)}</p>
<h2>Data quality</h2><ul>{quality}</ul>
<h2>Results (control: {e(result.control)})</h2>
<p>{s.confidence:.0%} intervals, {'two' if s.two_sided else 'one'}-sided, {e(mode)}{', CUPED on' if s.cuped and result.spec.covariate_col else ''}.</p>
<table><tr><th>Metric</th><th>Variant</th><th>People (control / variant)</th><th>Control</th><th>Variant</th><th>Lift</th><th>Likely range</th><th>p-value</th><th>Chance better</th><th>Significant</th></tr>
{''.join(rows)}</table>
<h2>Notes</h2><ul>{notes or '<li>None.</li>'}</ul>
<p><small>Lift: how much higher the variant is than control. Likely range: where the true lift most probably lies. p-value: how surprising the difference would be if the variant changed nothing. Chance better: probability the variant truly beats control (flat prior).</small></p>
</body></html>"""
