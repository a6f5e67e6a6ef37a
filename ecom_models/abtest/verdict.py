"""What the review means for the merchant: a plain-language call on the main metric (ship, do not
ship, keep running, inconclusive), what a winning conversion lift is worth per month, what the
page's summaries and planning start from, and the exports (results CSV, a self-contained HTML
summary).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from ecom_models.abtest.analysis import ABResult
from ecom_models.abtest.quality import _fmt_p


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


# --------------------------------------------------------------------------------------------
# What the page summarises and plans from
# --------------------------------------------------------------------------------------------

CUPED_WINS_AT = 0.02  # share of the noise CUPED must remove on some metric to be worth mentioning as a win


def cuped_summary(table: pd.DataFrame) -> dict[str, float]:
    """Metric -> mean share of the noise CUPED removed (over its variants); empty without CUPED."""
    if "variance_reduction" not in table:
        return {}
    rows = table[table.variance_reduction.notna()]
    return rows.groupby("metric", sort=False).variance_reduction.mean().to_dict()


def capped_summary(table: pd.DataFrame) -> dict[str, int]:
    """Metric -> people whose extreme values were capped; only metrics with any."""
    capped = table[table.capped_units.fillna(0) > 0]
    return {m: int(n) for m, n in capped.groupby("metric", sort=False).capped_units.first().items()}


@dataclass(frozen=True)
class ValueChoice:
    """Which conversion metric and variants a money estimate can be made for."""

    metric: str  # the main metric if it is a conversion, else the first conversion metric
    variants: list  # the variants of that metric, in table order
    best_variant: str  # the one with the largest lift


def value_choice(result: ABResult, primary: str) -> ValueChoice | None:
    """What the money estimate is made for; None without a conversion metric."""
    conv = result.table[result.table.kind == "conversion"]
    if conv.empty:
        return None
    metric = primary if primary in set(conv.metric) else conv.metric.iloc[0]
    rows = conv[conv.metric == metric]
    return ValueChoice(metric, list(rows.variant), rows.sort_values("rel_lift", ascending=False).variant.iloc[0])


def days_still_needed(result: ABResult, row, call: str) -> float | None:
    """Days the test must still run for 80% power on the planning lift, at the traffic it has had
    (None without a date column); 0 once the verdict is ship or do not ship."""
    if call in ("ship", "do not ship"):
        return 0
    if not result.units_per_day or row.units_needed_per_arm != row.units_needed_per_arm:
        return None
    arms = len(result.spec.variants)
    have = min(row.units_control, row.units_variant)
    return max(0.0, math.ceil((row.units_needed_per_arm - have) * arms / result.units_per_day))


def days_to_run(n_per_arm: float, arms: int, per_day: float) -> int:
    """Days for every group to reach n_per_arm people at per_day people entering the test."""
    return math.ceil(n_per_arm * arms / per_day)


def control_sd(df: pd.DataFrame, result: ABResult, metric: str) -> float | None:
    """Standard deviation of an average metric between people in the control group (a planning
    default); None for other metrics, aggregated data, or no spread."""
    spec = result.spec
    if spec.aggregated or metric not in {m.name for m in spec.metrics if m.kind == "mean"}:
        return None
    col = next(m.column for m in spec.metrics if m.name == metric)
    vals = pd.to_numeric(df.loc[df[spec.variant_col].astype(str) == result.control, col], errors="coerce").dropna()
    if len(vals) > 1 and vals.std() > 0:
        return float(vals.std())
    return None


def recent_store_figures(traffic: pd.DataFrame | None, orders: pd.DataFrame | None) -> tuple[float | None, float | None]:
    """(visitors per month from the last 30 days of sessions, average order value of the last 90
    days of orders): the defaults of the money estimate, the store's own figures from
    intake.orders; None where the data is missing."""
    from ecom_models.intake.orders import recent_order_value, recent_visitors

    return recent_visitors(traffic), recent_order_value(orders)

