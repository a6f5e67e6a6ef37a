"""Charts and formatting for the A/B tests page (plotly; no user text is rendered as HTML)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

VERDICT_STYLE = {
    "ship": ("success", "✅", "Ship it"),
    "do not ship": ("error", "⛔", "Do not ship"),
    "keep running": ("info", "⏳", "Keep running"),
    "inconclusive": ("warning", "🤷", "Inconclusive"),
}


def fmt_value(kind: str, x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if kind == "conversion":
        return f"{x:.2%}"
    return f"{x:,.2f}" if abs(x) < 1e5 else f"{x:,.0f}"


def fmt_p(p: float) -> str:
    """p-values as merchants read them: '< 0.001' instead of 3.9e-15."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def fmt_range(lo: float, hi: float) -> str:
    hi_s = "no upper limit" if not math.isfinite(hi) else f"{hi:+.1%}"
    return f"{lo:+.1%} to {hi_s}"


def forest_chart(table: pd.DataFrame, label_col: str = "label", title: str = "") -> go.Figure:
    """Relative lift with its interval for each row; the zero line is 'no change'."""
    t = table.iloc[::-1]
    hi = t.rel_ci_high.where(t.rel_ci_high.map(math.isfinite), t.rel_lift + (t.rel_lift - t.rel_ci_low))
    colors = ["#2ca02c" if (s and r > 0) else "#d62728" if (s and r < 0) else "#7f7f7f" for s, r in zip(t.significant, t.rel_lift)]
    fig = go.Figure(go.Scatter(
        x=t.rel_lift * 100, y=t[label_col].astype(str), mode="markers",
        marker=dict(size=11, color=colors),
        error_x=dict(type="data", symmetric=False, array=(hi - t.rel_lift) * 100, arrayminus=(t.rel_lift - t.rel_ci_low) * 100, thickness=2),
        hovertemplate="%{y}<br>lift %{x:.1f}%<extra></extra>",
    ))
    fig.add_vline(x=0, line_dash="dash", line_color="#444")
    fig.update_layout(title=title, xaxis_title="Relative lift vs control (%) with its likely range",
                      height=max(180, 70 * len(t) + 90), margin=dict(l=10, r=10, t=40 if title else 10, b=40), showlegend=False)
    return fig


def cumulative_chart(cum: pd.DataFrame, sequential: bool) -> go.Figure:
    fig = go.Figure()
    lo, hi = ("seq_ci_low", "seq_ci_high") if sequential else ("ci_low", "ci_high")
    fig.add_trace(go.Scatter(x=cum.date, y=cum[hi] * 100, line=dict(width=0), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=cum.date, y=cum[lo] * 100, fill="tonexty", line=dict(width=0), fillcolor="rgba(31,119,180,0.2)",
                             name="likely range" + (" (always valid)" if sequential else ""), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=cum.date, y=cum.rel_lift * 100, mode="lines+markers", name="lift so far", line=dict(color="#1f77b4")))
    fig.add_hline(y=0, line_dash="dash", line_color="#444")
    fig.update_layout(yaxis_title="Relative lift (%)", xaxis_title="Day (everyone who entered the test up to that day)",
                      height=340, margin=dict(l=10, r=10, t=10, b=40), legend=dict(orientation="h", y=1.1))
    return fig
