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
    costs = summary.costs
    title = "What AI is worth to " + (store_name if store_name else "your store")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>Ecom Value Lab business case · generated {html.escape(generated.strftime('%Y-%m-%d %H:%M'))} · "
        f"amounts in {html.escape(c)} · computed on this machine from your own data</p>",
        f"<div class='cards'>{cards}</div>",
        (f"<div class='flags'><b>Check before you count on it</b><ul>{flags}</ul></div>" if flags else ""),
        "<p class='note'>Your net revenue: " + html.escape(fmt_money(summary.monthly_net_revenue, c)) + " a month. "
        "Green rows rest on your own data (an A/B test, a backtest, your decisions); orange rows on an offline metric "
        "mapped through a published prior; red rows mostly on an assumption.</p>",
        "<p class='note'>Intervals are 90% ranges from a simulation of "
        f"{summary.n_sims:,} outcomes, treating each model's low/high as its own 90% range. Measured A/B results replace "
        "offline estimates of the same lever. Your costs: "
        f"{html.escape(fmt_money(costs.monthly_cost, c))} per month to run, {html.escape(fmt_money(costs.setup_cost, c))} "
        f"to set up, gross margin {html.escape(fmt_assumption(costs.gross_margin, '%'))} on extra sales.</p>",
        "<h2>Headline figures</h2>", _table_html(figures_table(summary)),
        "<h2>Each model</h2>", rows_html,
        "<h2>Charts</h2>", *charts,
        "<h2>Assumptions</h2>", _table_html(assumptions_view(summary)),
        "<p class='note'>Estimates, not promises: offline metrics and assumptions are labelled as such. Confirm the "
        "largest ones with an A/B test before counting on them.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# PDF (matplotlib, no extra dependency)
# --------------------------------------------------------------------------------------------
def pdf_figures(summary: ValueSummary, store_name: str = "", generated: datetime | None = None) -> list:
    """The PDF's pages as matplotlib figures (A4 landscape); `report_pdf` writes them.

    Built with `matplotlib.figure.Figure`, not pyplot, so concurrent page sessions are safe."""
    from matplotlib.figure import Figure

    generated = generated or datetime.now()
    c = summary.currency
    title = "What AI is worth to " + (store_name if store_name else "your store")
    pages = []
    # page 1: headline and rows
    fig = Figure(figsize=(11.69, 8.27))
    fig.text(0.05, 0.94, title, fontsize=18, weight="bold")
    fig.text(0.05, 0.91, f"Ecom Value Lab business case · {generated:%Y-%m-%d %H:%M} · amounts in {c}", fontsize=9,
             color="#555")
    y = 0.85
    for label, value, interval in headline(summary):
        fig.text(0.05, y, label, fontsize=10, color="#555")
        fig.text(0.40, y, value, fontsize=12, weight="bold")
        if interval:
            fig.text(0.58, y, "90% interval " + interval, fontsize=9, color="#555")
        y -= 0.04
    fig.text(0.05, y, f"Your net revenue: {fmt_money(summary.monthly_net_revenue, c)} a month. "
             + "; ".join(f"{lab.split(',')[0]}: {share_text(summary, v)}" for lab, v in
                         (("Shown by your data,", summary.measured.mid), ("If the assumptions hold,", summary.assumed.mid))
                         if share_text(summary, v)), fontsize=8, color="#555")
    for flag in summary.flags[:3]:
        y -= 0.03
        fig.text(0.05, y, "Check: " + (flag if len(flag) <= 190 else flag[:187] + "…"), fontsize=7, color="#ef6c00")
    rt = rows_table(summary)[["Model", "Based on", "Per month", "Share of revenue", "90% interval", "Evidence"]].copy()
    rt["Based on"] = [r.evidence_kind or "–" for r in summary.rows]
    rt["Evidence"] = [e if len(e) <= 90 else e[:87] + "…" for e in rt["Evidence"]]
    ax = fig.add_axes([0.03, 0.03, 0.94, 0.45])
    ax.axis("off")
    tab = ax.table(cellText=rt.values, colLabels=list(rt.columns), loc="upper center", cellLoc="left",
                   colWidths=[0.17, 0.09, 0.08, 0.08, 0.15, 0.43])
    tab.auto_set_font_size(False)
    tab.set_fontsize(7)
    tab.scale(1, 1.5)
    for i, colour in enumerate(row_colours(summary), start=1):
        tab[i, 0].set_edgecolor(colour)
        tab[i, 1].get_text().set_color(colour)
    pages.append(fig)

    # page 2: waterfall and tornado
    fig = Figure(figsize=(11.69, 8.27))
    ax1, ax2 = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.2]})
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
    ax1.bar(range(len(w)), heights, bottom=bottoms, color=colors)
    for i, (b, h, a) in enumerate(zip(bottoms, heights, w["amount"])):
        ax1.text(i, b + h, fmt_money(a, c), ha="center", va="bottom", fontsize=7)
    ax1.set_xticks(range(len(w)))
    ax1.set_xticklabels(list(w["step"]), fontsize=7, rotation=15, ha="right")
    ax1.set_title("Where the monthly value comes from", fontsize=11)
    ax1.set_ylabel(f"{c} per month", fontsize=8)
    t = summary.tornado
    base = summary.first_year_net.mid
    if len(t):
        t = t.iloc[::-1]
        lows = t[["low_net", "high_net"]].min(axis=1).to_numpy()
        highs = t[["low_net", "high_net"]].max(axis=1).to_numpy()
        ypos = range(len(t))
        ax2.barh(ypos, lows - base, left=base, color=RED)
        ax2.barh(ypos, highs - base, left=base, color=GREEN)
        ax2.axvline(base, color=GREY, linestyle="--")
        ax2.set_yticks(list(ypos))
        ax2.set_yticklabels([lab if len(lab) <= 70 else lab[:67] + "…" for lab in t["label"]], fontsize=7)
    ax2.set_title("Which assumptions move the first-year net gain most (red: the worse end of the range, green: the better end)", fontsize=11)
    ax2.set_xlabel(f"First-year net gain ({c})", fontsize=8)
    fig.tight_layout()
    pages.append(fig)

    # page 3: assumptions
    av = assumptions_view(summary)[["Model", "Assumption", "Value", "Plausible range"]]
    per_page = 32
    for start in range(0, max(len(av), 1), per_page):
        fig = Figure(figsize=(11.69, 8.27))
        fig.text(0.05, 0.95, "Assumptions (edit them on the Business value page)", fontsize=13, weight="bold")
        ax = fig.add_axes([0.03, 0.03, 0.94, 0.88])
        ax.axis("off")
        chunk = av.iloc[start:start + per_page]
        if len(chunk):
            tab = ax.table(cellText=chunk.values, colLabels=list(chunk.columns), loc="upper center", cellLoc="left",
                           colWidths=[0.14, 0.52, 0.14, 0.20])
            tab.auto_set_font_size(False)
            tab.set_fontsize(7)
            tab.scale(1, 1.4)
        pages.append(fig)
    return pages


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
