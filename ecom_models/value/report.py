"""The business case as files a merchant can hand on: HTML (offline), PDF and CSV.

Every figure comes from one `ValueSummary` (ecom_models.value.summary.summarise), the same object the
Business value page draws, so the report's numbers are the page's numbers. Charts are built
here once (`waterfall_figure`, `tornado_figure`, `rows_figure`) and used by both.

Everything the merchant typed or uploaded (file names, variant names, notes) is escaped
with html.escape before it goes into the HTML; the HTML embeds plotly.js so it works offline.
"""

from __future__ import annotations

import html
import io
from datetime import datetime

import pandas as pd

from ecom_models.core.evidence import KIND_LABELS
from ecom_models.value.format import KIND_COLOURS, fmt_assumption, fmt_figure, fmt_interval, fmt_money
from ecom_models.value.levers import TITLES
from ecom_models.value.summary import MODELS_COUNTED_LABEL, ValueSummary

GREEN, RED, GREY, BLUE = "#2e7d32", "#c62828", "#757575", "#1565c0"


# --------------------------------------------------------------------------------------------
# Tables (shared by the page, the CSV and the PDF)
# --------------------------------------------------------------------------------------------
def fmt_share(share) -> str:
    """A share of revenue as the page and the report print it."""
    if share is None or not pd.notna(share):
        return "–"
    return f"{share:.2%}" if abs(share) < 0.001 else f"{share:.1%}"


KIND_MARKS = {"measured": "🟢", "backtest": "🟢", "labels": "🟢", "offline": "🟠", "assumption": "🔴"}


def rows_table(summary: ValueSummary) -> pd.DataFrame:
    """One line per row, ordered by evidence: Model, Based on, Status, Per month, Share of revenue,
    90% interval, Per year, What changes, Evidence, Note, Flag."""
    out = []
    for r in summary.rows:
        e = r.estimate
        out.append({
            "Model": r.title,
            "Based on": f"{KIND_MARKS.get(e.evidence_kind, '')} {KIND_LABELS.get(e.evidence_kind, e.evidence_kind)}" if e else "",
            "Status": {"counted": "counted", "replaced": "replaced by A/B test", "not computed": "not computed yet"}[r.status],
            "Per month": fmt_money(e.monthly_value, summary.currency) if e else "–",
            "Share of revenue": fmt_share(r.share_of_revenue) if e else "–",
            "90% interval": fmt_interval(e.monthly_low, e.monthly_high, summary.currency, summary.currency) if e else "",
            "Per year": fmt_money(e.yearly_value, summary.currency) if e else "–",
            "What changes": e.lever if e else "",
            "Evidence": e.evidence if e else r.needs,
            "Note": "; ".join(x for x in (r.note, e.note if e else "") if x),
            "Flag": ("⚠ " + r.flag) if r.flag else "",
        })
    return pd.DataFrame(out)


def row_colours(summary: ValueSummary) -> list[str]:
    """The evidence colour of each row of `rows_table` (grey when not computed)."""
    return [KIND_COLOURS.get(r.evidence_kind, GREY) if r.estimate is not None else GREY for r in summary.rows]


def figures_table(summary: ValueSummary) -> pd.DataFrame:
    """The headline figures, formatted as on the page."""
    f = summary.figures
    f = f[~f["key"].str.startswith("row.")]
    return pd.DataFrame({
        "Figure": f["figure"],
        "Share of revenue": [fmt_share(x) for x in f["share_of_revenue"]],
        "Value": [fmt_figure(v, u, summary.currency) for v, u in zip(f["value"], f["unit"])],
        "90% interval": [fmt_interval(lo, hi, u, summary.currency) for lo, hi, u in zip(f["low"], f["high"], f["unit"])],
        "What it means": f["explanation"],
    })


def assumptions_view(summary: ValueSummary) -> pd.DataFrame:
    a = summary.assumptions
    return pd.DataFrame({
        "Model": [TITLES.get(m, "Your costs") for m in a["model"]],
        "Assumption": a["label"],
        "Value": [fmt_money(v, summary.currency) if u == summary.currency else fmt_assumption(v, u)
                  for v, u in zip(a["value"], a["unit"])],
        "Plausible range": [f"{fmt_assumption(lo, u)} to {fmt_assumption(hi, u)}" if pd.notna(lo) and pd.notna(hi) else ""
                            for lo, hi, u in zip(a["low"], a["high"], a["unit"])],
        "Where it comes from": a["help"],
    })


def report_csv(summary: ValueSummary) -> bytes:
    """Figures and assumptions in one CSV (section, key, label, value, low, high, unit, note)."""
    parts = []
    f = summary.figures
    parts.append(pd.DataFrame({"section": "figure", "model": "", "key": f["key"], "label": f["figure"], "value": f["value"],
                               "low": f["low"], "high": f["high"], "unit": f["unit"], "note": f["explanation"],
                               "evidence_kind": f["evidence_kind"], "share_of_revenue": f["share_of_revenue"]}))
    a = summary.assumptions
    parts.append(pd.DataFrame({"section": "assumption", "model": a["model"], "key": a["key"], "label": a["label"],
                               "value": a["value"], "low": a["low"], "high": a["high"], "unit": a["unit"], "note": a["help"]}))
    t = summary.tornado
    if len(t):
        parts.append(pd.DataFrame({"section": "sensitivity", "model": t["model"], "key": t["key"], "label": t["label"],
                                   "value": t["swing"], "low": t["low_net"], "high": t["high_net"],
                                   "unit": summary.currency, "note": "first-year net gain at the low and high end"}))
    for flag in summary.flags:
        parts.append(pd.DataFrame({"section": ["flag"], "model": [""], "key": ["flag"], "label": ["above a plausibility bound"],
                                   "value": [None], "low": [None], "high": [None], "unit": [""], "note": [flag]}))
    df = pd.concat(parts, ignore_index=True)
    from ecom_models.core.safe_export import csv_bytes

    return csv_bytes(df)


# --------------------------------------------------------------------------------------------
# Charts (plotly; the page and the HTML report)
# --------------------------------------------------------------------------------------------
def waterfall_figure(summary: ValueSummary):
    import plotly.graph_objects as go

    w = summary.waterfall
    fig = go.Figure(go.Waterfall(
        x=list(w["step"]), y=[a if k == "relative" else 0 for a, k in zip(w["amount"], w["kind"])],
        measure=list(w["kind"]), text=[fmt_money(a, summary.currency) for a in w["amount"]], textposition="outside",
        increasing={"marker": {"color": GREEN}}, decreasing={"marker": {"color": RED}}, totals={"marker": {"color": BLUE}},
        connector={"line": {"color": GREY, "width": 1}},
    ))
    fig.update_layout(title="Where the monthly value comes from", yaxis_title=f"{summary.currency} per month",
                      showlegend=False, height=420, margin={"t": 50, "b": 40, "l": 60, "r": 20})
    return fig


def tornado_figure(summary: ValueSummary):
    import plotly.graph_objects as go

    t = summary.tornado.iloc[::-1] if len(summary.tornado) else summary.tornado
    base = summary.first_year_net.mid
    fig = go.Figure()
    if len(t):
        lows = t[["low_net", "high_net"]].min(axis=1)
        highs = t[["low_net", "high_net"]].max(axis=1)
        labels = [f"{lab} ({fmt_assumption(lo, u)}–{fmt_assumption(hi, u)})" if u != summary.currency
                  else f"{lab} ({fmt_money(lo, u)}–{fmt_money(hi, u)})"
                  for lab, lo, hi, u in zip(t["label"], t["low_input"], t["high_input"], t["unit"])]
        fig.add_trace(go.Bar(y=labels, x=lows - base, base=base, orientation="h", name="worse end", marker_color=RED,
                             hovertemplate="%{y}<br>first-year net %{x:,.0f}<extra></extra>"))
        fig.add_trace(go.Bar(y=labels, x=highs - base, base=base, orientation="h", name="better end", marker_color=GREEN,
                             hovertemplate="%{y}<br>first-year net %{x:,.0f}<extra></extra>"))
        fig.add_vline(x=base, line_color=GREY, line_dash="dash")
    fig.update_layout(barmode="overlay", title="Which assumptions move the first-year net gain most",
                      xaxis_title=f"First-year net gain ({summary.currency})", height=max(300, 40 * len(t) + 120),
                      margin={"t": 50, "b": 40, "l": 20, "r": 20}, legend={"orientation": "h", "y": -0.2})
    return fig


def rows_figure(summary: ValueSummary):
    """Each counted model's monthly value with its 90% interval."""
    import plotly.graph_objects as go

    rows = [r for r in summary.rows if r.estimate is not None]
    fig = go.Figure()
    if rows:
        fig.add_trace(go.Scatter(
            x=[r.estimate.monthly_value for r in rows], y=[r.title for r in rows], mode="markers",
            marker={"size": 12, "color": [KIND_COLOURS.get(r.evidence_kind, GREY) if r.counted else GREY for r in rows]},
            error_x={"type": "data", "symmetric": False,
                     "array": [r.estimate.monthly_high - r.estimate.monthly_value for r in rows],
                     "arrayminus": [r.estimate.monthly_value - r.estimate.monthly_low for r in rows]},
            hovertemplate="%{y}: %{x:,.0f} per month<extra></extra>"))
    fig.update_layout(title="Each row per month, with its 90% interval (green: your data, orange: offline + prior, "
                            "red: assumption, grey: not counted)",
                      xaxis_title=f"{summary.currency} per month", height=max(260, 50 * len(rows) + 120),
                      margin={"t": 50, "b": 40, "l": 20, "r": 20})
    return fig


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def share_text(summary: ValueSummary, amount: float) -> str:
    s = summary.share(amount)
    return f"{fmt_share(s)} of your net revenue" if pd.notna(s) else ""


def headline(summary: ValueSummary) -> list[tuple[str, str, str]]:
    """(label, formatted value, formatted 90% interval) for the headline figures, page and report.

    The two totals come first and side by side; "chance it pays off" only once costs are in."""
    c = summary.currency
    m, a = summary.measured, summary.assumed
    out = [
        ("Shown by your data, per month", fmt_money(m.mid, c), fmt_interval(m.low, m.high, c, c)),
        ("If the assumptions hold, per month", fmt_money(a.mid, c), fmt_interval(a.low, a.high, c, c)),
        ("Net gain in the first year", fmt_money(summary.first_year_net.mid, c),
         fmt_interval(summary.first_year_net.low, summary.first_year_net.high, c, c)),
        ("Return on investment, first year", fmt_figure(summary.roi_first_year, "ratio", c), ""),
        ("Payback time", fmt_figure(summary.payback_months, "months", c), ""),
    ]
    if summary.costs_entered:
        out.append(("Chance the first year pays off", fmt_figure(summary.chance_positive, "%", c), ""))
    else:
        out.append(("Chance the first year pays off", "enter your costs", ""))
    out.append((MODELS_COUNTED_LABEL, summary.models_counted_text, ""))  # the page's count, said the same way
    return out


CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.7rem 1rem;min-width:200px;flex:1}
.card .l{color:#666;font-size:.85rem}.card .v{font-size:1.6rem;font-weight:600}.card .i{color:#666;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0 1.5rem}
th,td{border-bottom:1px solid #e5e5e5;text-align:left;padding:.35rem .5rem;vertical-align:top}
th{background:#f6f6f6}
.note{color:#555;font-size:.85rem}
.flags{border-left:6px solid #ef6c00;background:#fff3e0;padding:.5rem 1rem;margin:1rem 0;color:#222}
@media (prefers-color-scheme: dark){body{background:#111;color:#eee}th{background:#222}.card{border-color:#444}}
"""


def report_notes(summary: ValueSummary) -> list[str]:
    """The report's three notes, in plain text, for the HTML and the PDF alike: what the store earns and what
    the row colours mean; how the intervals are made and the costs used; estimates, not promises."""
    c, costs = summary.currency, summary.costs
    return [
        f"Your net revenue: {fmt_money(summary.monthly_net_revenue, c)} a month. "
        "Green rows rest on your own data (an A/B test, a backtest, your decisions); orange rows on an offline metric "
        "mapped through a published prior; red rows mostly on an assumption.",
        f"Intervals are 90% ranges from a simulation of {summary.n_sims:,} outcomes, treating each model's low/high as "
        "its own 90% range. Measured A/B results replace offline estimates of the same lever. Your costs: "
        f"{fmt_money(costs.monthly_cost, c)} per month to run, {fmt_money(costs.setup_cost, c)} to set up, gross margin "
        f"{fmt_assumption(costs.gross_margin, '%')} on extra sales.",
        "Estimates, not promises: offline metrics and assumptions are labelled as such. Confirm the largest ones with "
        "an A/B test before counting on them.",
    ]


def report_html(summary: ValueSummary, store_name: str = "", generated: datetime | None = None) -> str:
    """A self-contained HTML page: works offline (plotly.js inline), every user text escaped."""
    import plotly.io as pio

    generated = generated or datetime.now()
    c = summary.currency
    shares = {"Shown by your data, per month": share_text(summary, summary.measured.mid),
              "If the assumptions hold, per month": share_text(summary, summary.assumed.mid)}
    cards = "".join(f"<div class='card'><div class='l'>{html.escape(l)}</div><div class='v'>{html.escape(v)}</div>"
                    f"<div class='i'>{html.escape(('90% interval ' + i) if i else '')}</div>"
                    f"<div class='i'>{html.escape(shares.get(l, ''))}</div></div>" for l, v, i in headline(summary))
    flags = "".join(f"<li>{html.escape(f)}</li>" for f in summary.flags)
    rt = rows_table(summary)
    head = "".join(f"<th>{html.escape(str(col))}</th>" for col in rt.columns)
    body = "".join(f"<tr style='border-left:6px solid {colour}'>" + "".join(
        f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
        for colour, row in zip(row_colours(summary), rt.itertuples(index=False)))
    rows_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    first = True
    charts = []
    for fig in (waterfall_figure(summary), rows_figure(summary), tornado_figure(summary)):
        charts.append(pio.to_html(fig, include_plotlyjs=True if first else False, full_html=False,
                                  config={"displaylogo": False}))
        first = False
    title = "What AI is worth to " + (store_name if store_name else "your store")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>Ecom Value Lab business case · generated {html.escape(generated.strftime('%Y-%m-%d %H:%M'))} · "
        f"amounts in {html.escape(c)} · computed on this machine from your own data</p>",
        f"<div class='cards'>{cards}</div>",
        (f"<div class='flags'><b>Check before you count on it</b><ul>{flags}</ul></div>" if flags else ""),
        *(f"<p class='note'>{html.escape(note, quote=False)}</p>" for note in report_notes(summary)[:2]),
        "<h2>Headline figures</h2>", _table_html(figures_table(summary)),
        "<h2>Each model</h2>", rows_html,
        "<h2>Charts</h2>", *charts,
        "<h2>Assumptions</h2>", _table_html(assumptions_view(summary)),
        f"<p class='note'>{html.escape(report_notes(summary)[2], quote=False)}</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# PDF (matplotlib, no extra dependency; page layout in pdf_layout)
# --------------------------------------------------------------------------------------------
def _chart_title(ax, title: str, sub: str = "", left: float | None = None) -> None:
    """A chart's title (bold) and a smaller explanation under it, above the axes, both wrapped to fit between
    `left` (inches from the page's left edge; the axes' left by default) and the axes' right edge."""
    from ecom_models.value import pdf_layout as L

    box = ax.get_position()
    x0 = box.x0 * L.PAGE_W if left is None else left
    width = box.x1 * L.PAGE_W - x0
    y = box.y1 * L.PAGE_H + 0.1  # inches from the bottom of the page, growing upwards
    fig = ax.get_figure()
    for text, size, weight, colour in ((sub, 8, "normal", L.MUTED), (title, 11, "bold", L.INK)):
        for line in L.wrap(text, width, size, weight)[::-1] if text else []:  # bottom line first, upwards
            fig.text(x0 / L.PAGE_W, y / L.PAGE_H, line,
                     **L.text_kw(fontsize=size, weight=weight, color=colour, va="baseline", ha="left"))
            y += size * L.LINE / 72
        y += 0.04


def _money_tick(currency: str):
    """Axis numbers as money, whole at the small end ("$0", "$5,000", "$20.0k", "$1.20M")."""
    from ecom_models.core.formatting import format_money

    return lambda v: format_money(v, currency, 0) if abs(v) < 1e4 else format_money(v, currency)


def _waterfall_axes(ax, summary: ValueSummary) -> None:
    from ecom_models.value import pdf_layout as L

    c = summary.currency
    w = summary.waterfall
    running, bottoms, heights, colors = 0.0, [], [], []
    for amount, kind in zip(w["amount"], w["kind"]):
        if kind == "total":
            bottoms.append(0.0)
            heights.append(amount)
            colors.append(BLUE)
            running = amount
        else:
            bottoms.append(running if amount >= 0 else running + amount)
            heights.append(abs(amount))
            colors.append(GREEN if amount >= 0 else RED)
            running += amount
    ax.bar(range(len(w)), heights, bottom=bottoms, color=colors, width=0.6)
    top = max([b + h for b, h in zip(bottoms, heights)] + [0])
    for i, (b, h, a) in enumerate(zip(bottoms, heights, w["amount"])):
        ax.text(i, b + h + 0.01 * top, fmt_money(a, c), **L.text_kw(ha="center", va="bottom", fontsize=7))
    ax.set_ylim(min(bottoms + [0]), top * 1.12 if top > 0 else 1)
    slot = ax.get_position().width * L.PAGE_W / max(len(w), 1) - 0.08
    ax.set_xticks(range(len(w)), [L.wrapped(s, slot, 7) for s in w["step"]], **L.text_kw(fontsize=7))
    L.fix_ticks(ax, "y", _money_tick(c))
    ax.set_ylabel(f"{c} per month", **L.text_kw(fontsize=8))
    ax.spines[["top", "right"]].set_visible(False)
    _chart_title(ax, "Where the monthly value comes from",
                 "Green: each counted model's monthly value; blue: totals; red: costs taken off.")


def _rows_axes(ax, summary: ValueSummary) -> None:
    from ecom_models.value import pdf_layout as L

    c = summary.currency
    rows = [r for r in summary.rows if r.estimate is not None][::-1]
    for k, r in enumerate(rows):
        e = r.estimate
        colour = KIND_COLOURS.get(r.evidence_kind, GREY) if r.counted else GREY
        ax.errorbar([e.monthly_value], [k], xerr=[[e.monthly_value - e.monthly_low], [e.monthly_high - e.monthly_value]],
                    fmt="o", color=colour, ecolor=colour, capsize=3, markersize=6)
    ax.set_yticks(range(len(rows)), [r.title for r in rows], **L.text_kw(fontsize=7))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.axvline(0, color=GREY, linewidth=0.6)
    L.fix_ticks(ax, "x", _money_tick(c))
    ax.set_xlabel(f"{c} per month", **L.text_kw(fontsize=8))
    ax.spines[["top", "right"]].set_visible(False)
    _chart_title(ax, "Each model per month, with its 90% interval",
                 "Green: your data; orange: offline metric + published prior; red: assumption; grey: not counted.")


def _tornado_axes(ax, summary: ValueSummary) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ecom_models.value import pdf_layout as L

    c = summary.currency
    t = summary.tornado
    base = summary.first_year_net.mid
    label_w = ax.get_position().x0 * L.PAGE_W - 0.2
    if len(t):
        t = t.iloc[::-1]
        lows = t[["low_net", "high_net"]].min(axis=1).to_numpy()
        highs = t[["low_net", "high_net"]].max(axis=1).to_numpy()
        ypos = list(range(len(t)))
        ax.barh(ypos, lows - base, left=base, color=RED, height=0.6)
        ax.barh(ypos, highs - base, left=base, color=GREEN, height=0.6)
        ax.axvline(base, color=GREY, linestyle="--", linewidth=1)
        # the label says which range was tried, as the HTML report's chart does
        labels = [f"{lab} ({fmt_assumption(lo, u)}–{fmt_assumption(hi, u)})" if u != c
                  else f"{lab} ({fmt_money(lo, u)}–{fmt_money(hi, u)})"
                  for lab, lo, hi, u in zip(t["label"], t["low_input"], t["high_input"], t["unit"])]
        ax.set_yticks(ypos, [L.wrapped(s, label_w, 7) for s in labels], **L.text_kw(fontsize=7))
        ax.set_ylim(-0.6, len(t) - 0.4)
        ax.legend(handles=[Patch(color=RED, label="worse end of the range"), Patch(color=GREEN, label="better end"),
                           Line2D([], [], color=GREY, linestyle="--", label=f"expected: {fmt_money(base, c)}")],
                  loc="lower right", fontsize=7, frameon=False, prop={"family": L.families(), "size": 7})
    L.fix_ticks(ax, "x", _money_tick(c))
    ax.set_xlabel(f"First-year net gain ({c})", **L.text_kw(fontsize=8))
    ax.spines[["top", "right"]].set_visible(False)
    _chart_title(ax, "Which assumptions move the first-year net gain most", left=L.MARGIN, sub=
                 "Each bar: the first-year net gain with one assumption at the low (red) or high (green) end of its "
                 "plausible range, all others as set. The dashed line is the expected net gain.")


def pdf_figures(summary: ValueSummary, store_name: str = "", generated: datetime | None = None) -> list:
    """The PDF's pages as matplotlib figures (A4 landscape, the HTML report's order); `report_pdf` writes them.

    Built with `matplotlib.figure.Figure`, not pyplot, so concurrent page sessions are safe. Every text is
    drawn with math parsing off ("$-105 to $713" prints as written) and wraps instead of being cut."""
    from ecom_models.value import pdf_layout as L

    generated = generated or datetime.now()
    c = summary.currency
    title = "What AI is worth to " + (store_name if store_name else "your store")
    flow = L.Flow()
    flow.text(title, size=18, weight="bold", after=0.04)
    flow.text(f"Ecom Value Lab business case · generated {generated:%Y-%m-%d %H:%M} · amounts in {c} · "
              "computed on this machine from your own data", size=9, color=L.MUTED, after=0.15)
    shares = {"Shown by your data, per month": share_text(summary, summary.measured.mid),
              "If the assumptions hold, per month": share_text(summary, summary.assumed.mid)}
    flow.table(["", "Value", "90% interval", "Share of revenue"],
               [[label, value, interval, shares.get(label, "")] for label, value, interval in headline(summary)],
               widths=[0.32, 0.16, 0.26, 0.26], size=9.5, weights={"Value": "bold"})
    if summary.flags:
        flow.text("Check before you count on it", size=10, weight="bold", color="#ef6c00", after=0.03)
        for flag in summary.flags:
            flow.text("• " + flag, size=8, indent=0.1, after=0.03)
        flow.space(0.08)
    for note in report_notes(summary)[:2]:
        flow.text(note, size=8, color=L.MUTED, after=0.04)
    flow.space(0.1)

    flow.text("Headline figures", size=12, weight="bold", after=0.05)
    ft = figures_table(summary)
    flow.table(list(ft.columns), ft.astype(str).values.tolist(), widths=[0.2, 0.09, 0.1, 0.17, 0.44], size=7.5,
               weights={"Value": "bold"})

    flow.text("Each model", size=12, weight="bold", after=0.05)
    rt = rows_table(summary)
    colours = row_colours(summary)
    # Evidence with the row's note and flag under it: the sentence a finance lead checks, never cut short
    evidence = ["\n".join(x for x in (ev, f"Note: {note}" if note else "", flag) if x)
                for ev, note, flag in zip(rt["Evidence"], rt["Note"], rt["Flag"])]
    based_on = [KIND_LABELS.get(r.evidence_kind, r.evidence_kind) if r.estimate else "–" for r in summary.rows]
    table = [[m, b, st, pm, sh, iv, py, ev] for m, b, st, pm, sh, iv, py, ev in
             zip(rt["Model"], based_on, rt["Status"], rt["Per month"], rt["Share of revenue"], rt["90% interval"],
                 rt["Per year"], evidence)]
    flow.table(["Model", "Based on", "Status", "Per month", "Share of revenue", "90% interval", "Per year", "Evidence"],
               table, widths=[0.11, 0.12, 0.08, 0.07, 0.07, 0.12, 0.07, 0.36], size=7, bar_colours=colours,
               text_colours={"Based on": colours}, weights={"Model": "bold"})

    # charts: the waterfall and each model's interval on one page, the sensitivity chart on the next
    fig = flow.chart_page()
    ax1 = fig.add_axes([0.08, 0.56, 0.88, 0.34])
    _waterfall_axes(ax1, summary)
    ax2 = fig.add_axes([0.16, 0.09, 0.80, 0.34])
    _rows_axes(ax2, summary)
    fig = flow.chart_page()
    ax3 = fig.add_axes([0.36, 0.1, 0.60, 0.76])
    _tornado_axes(ax3, summary)

    flow.new_page()
    flow.text("Assumptions (edit them on the Business value page)", size=12, weight="bold", after=0.05)
    av = assumptions_view(summary)
    flow.table(list(av.columns), av.astype(str).values.tolist(), widths=[0.11, 0.28, 0.11, 0.15, 0.35], size=7)
    flow.text(report_notes(summary)[2], size=8, color=L.MUTED)
    return flow.finish(f"{title} · {generated:%Y-%m-%d}")


def report_pdf(summary: ValueSummary, store_name: str = "", generated: datetime | None = None) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    buf = io.BytesIO()
    pages = pdf_figures(summary, store_name, generated)
    with PdfPages(buf) as pdf:
        for fig in pages:
            pdf.savefig(fig)
        info = pdf.infodict()
        info["Title"] = "What AI is worth to " + (store_name if store_name else "your store")
        info["Creator"] = "Ecom Value Lab"
    return buf.getvalue()
