"""Figures as the Business value page, its report and the CLI's text print them.

`fmt_money` is `ecom_models.core.formatting.format_money` (the same output as ecom_ui.common.money);
`fmt_figure` adds the units of the summary's figures (months, ratio, %); `fmt_interval` a 90% range;
`fmt_assumption` an assumption's value with its unit. `KIND_COLOURS` colours each evidence kind the same
way on the page and in the report. Imports only core.
"""

from __future__ import annotations

import math

from ecom_models.core.formatting import format_money, format_money_range
from ecom_models.core.stats import finite as _finite

KIND_COLOURS = {"measured": "#1b5e20", "backtest": "#2e7d32", "labels": "#558b2f", "offline": "#ef6c00",
                "assumption": "#c62828"}


def fmt_money(value, currency: str = "USD") -> str:
    return format_money(value, currency)


def fmt_figure(value, unit: str, currency: str = "USD") -> str:
    """One figure as the page and the report print it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "months":
        return "never at this net gain" if value == float("inf") else ("0 months" if value <= 0 else f"{value:,.1f} months")
    if unit == "ratio":
        return f"{value * 100:+,.0f}%"
    if unit == "%":
        return f"{value * 100:.0f}%"
    return fmt_money(value, currency)


def fmt_interval(low, high, unit: str, currency: str = "USD") -> str:
    if low is None or high is None or not (_finite(low) and _finite(high)):
        return ""
    if unit not in ("months", "ratio", "%"):
        return format_money_range(low, high, currency)
    return f"{fmt_figure(low, unit, currency)} to {fmt_figure(high, unit, currency)}"


def fmt_assumption(value, unit: str) -> str:
    if not _finite(value):
        return "–"
    if unit in ("%", "share"):
        return f"{float(value) * 100:.3g}%"
    v = float(value)
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"
    return text + (f" {unit}" if unit else "")



SPLIT_START, SPLIT_END = "Confirmed ", " queue orders you have not decided."


def risk_split(estimate) -> str:
    """The risk row's one line "Confirmed X a month (measured ...) + extrapolated Y (range) for the N
    queue orders you have not decided." when it is priced from the merchant's decisions
    (ecom_models.value.risk_decisions writes it first in the note), else ""."""
    note = getattr(estimate, "note", "") or ""
    if not note.startswith(SPLIT_START) or SPLIT_END not in note:
        return ""
    return note[:note.index(SPLIT_END) + len(SPLIT_END)]
