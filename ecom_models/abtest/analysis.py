"""The review of a test: every metric and variant against control (`analyze` -> `ABResult`, one
row of RESULT_COLUMNS per metric and variant, with plain-language explanations), after reducing
per-person or per-variant rows to sufficient statistics (with CUPED and capping when asked), plus
the same comparison by segment and the lift day by day (`segment_results`, `cumulative_lift`).
The formulas are in ecom_models.abtest.stats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from ecom_models.abtest.detect import (
    ExperimentSpec,
    MetricSpec,
    _as_binary,
    _numeric,
    default_control,
    detect_experiment,
    prepare_frame,
    ratio_name,
)
from ecom_models.abtest.quality import DataQuality, check_quality, exclude_problems
from ecom_models.abtest.stats import (
    SEQUENTIAL_TUNING,
    CupedStats,
    MeanStats,
    RatioStats,
    bayes_relative,
    benjamini_hochberg,
    cuped_theta,
    holm,
    relative_variance,
    sequential_halfwidth,
    sequential_p_value,
    two_proportion_z,
    welch_t,
)
from ecom_models.core.dates import parse_loose
from ecom_models.core.errors import InputError
from ecom_models.core.stats import _z, power_mean, power_two_proportions, sample_size_mean, sample_size_per_arm


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
                chosen.append(MetricSpec(name=ratio_name(num.strip(), den.strip()), kind="ratio", column=num.strip(), denominator=den.strip()))
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
