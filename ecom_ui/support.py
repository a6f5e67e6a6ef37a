"""Cached work, inputs and charts for the Customer service page.

Workspace namespaces (docs/support.md):
- `support.faq` / `support.examples` (frames, key "current"): the FAQ and labelled tickets uploaded here;
- `support.edits` (key: the tickets' content hash): the rename/merge/split edits of that file's intents;
- `support.intents` (frame, key "saved"): typical tickets per edited intent, reused for the next file;
- `support.settings` (key "current"): target precision, minutes per ticket, cost per hour;
- `support.value` (key "latest"): the deflection evidence and estimate for Business value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.support import analyse_tickets, apply_edits
from ecom_models.workspace.workspace import content_hash
from ecom_ui.common import ActiveData, active_data, workspace


@st.cache_resource(show_spinner=False)
def _demo():
    from ecom_models.demo.support import demo_support

    return demo_support()


def tickets_data() -> ActiveData | None:
    """The merchant's active support dataset, else the demo store's tickets (unless the demo is off)."""
    if workspace().active_dataset("support") is not None:
        return active_data("support")  # loaded once and kept, not re-read from the workspace on every rerun
    if not st.session_state.get("use_demo", True):
        return None
    d = _demo()
    return ActiveData(df=d.tickets, source="demo store", is_demo=True, key=f"demo-support-{d.seed}")


def faq_frame(data: ActiveData) -> tuple[pd.DataFrame | None, str]:
    """The uploaded FAQ, else the demo FAQ on the demo tickets."""
    faq = workspace().get_frame("support.faq", "current")
    if faq is not None and len(faq):
        return faq, "your FAQ"
    if data.is_demo:
        return _demo().faq, "the demo store's FAQ"
    return None, ""


def examples_frame() -> pd.DataFrame | None:
    ex = workspace().get_frame("support.examples", "current")
    return ex if ex is not None and len(ex) else None


def saved_frame() -> pd.DataFrame | None:
    s = workspace().get_frame("support.intents", "saved")
    return s if s is not None and len(s) else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _memory() -> dict:
    return {}


def analysis(data: ActiveData, faq: pd.DataFrame | None, examples: pd.DataFrame | None, saved: pd.DataFrame | None,
             use_saved: bool):
    """The analysis for these inputs: from memory, else computed with a progress bar."""
    key = "|".join([data.key, content_hash(faq) if faq is not None else "-",
                    content_hash(examples) if examples is not None else "-",
                    content_hash(saved) if (saved is not None and use_saved) else "-"])
    mem = _memory()
    if key in mem:
        return mem[key]
    bar = st.progress(0.0, text="Reading your tickets…")
    result = analyse_tickets(data.df, examples=examples, faq=faq, saved=saved if use_saved else None,
                             progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
    bar.empty()
    while len(mem) >= 4:
        mem.pop(next(iter(mem)))
    mem[key] = result
    return result


def edited(a, data_key: str):
    edits = workspace().get("support.edits", data_key, []) or []
    return (apply_edits(a, edits) if edits else a), edits


def add_edit(data_key: str, op: dict) -> None:
    ws = workspace()
    edits = ws.get("support.edits", data_key, []) or []
    ws.put("support.edits", data_key, edits + [op])


def intent_table(a) -> pd.DataFrame:
    t = a.intents.copy()
    out = pd.DataFrame({
        "Intent": t["intent"],
        "Tickets": t["size"],
        "Share": t["share"] * 100,
        "Telling words": t["top_terms"].map(lambda v: ", ".join(v)),
        "Typical tickets": t["examples"].map(lambda v: "  |  ".join(v)),
        "Avg minutes": t["mean_minutes"],
        "Avg satisfaction": t["mean_satisfaction"],
        "Trend (8 weeks)": t["trend"] * 100 if "trend" in t else np.nan,
        "Spike week": t.get("spike_week"),
        "New since": t.get("new_since"),
    })
    return out


def volume_chart(a, top: int = 15) -> go.Figure:
    d = a.intents.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=d["size"], y=d["intent"].astype(str), orientation="h", marker_color="#1565c0",
                           text=[f"{s:.0%}" for s in d["share"]], textposition="outside",
                           hovertemplate="%{y}: %{x} tickets<extra></extra>"))
    fig.update_layout(height=max(260, 26 * len(d) + 60), margin=dict(l=10, r=40, t=10, b=10), xaxis_title="Tickets")
    return fig


def weekly_chart(a, intents: list[str]) -> go.Figure:
    fig = go.Figure()
    w = a.weekly
    for name in intents:
        d = w[w["intent"] == name]
        fig.add_trace(go.Scatter(x=d["week"], y=d["tickets"], name=str(name), mode="lines"))
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="Tickets per week",
                      legend=dict(orientation="h", y=1.15))
    return fig


def tradeoff_chart(curve: pd.DataFrame, chosen: dict, target: float) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["coverage"], y=curve["precision"], mode="lines", line=dict(color="#1565c0"),
                             name="held-out matches", hovertemplate="answers %{x:.0%} · right %{y:.0%}<extra></extra>"))
    fig.add_hline(y=target, line=dict(color="#9e9e9e", dash="dot"), annotation_text=f"target {target:.0%}")
    if chosen.get("answered"):
        fig.add_trace(go.Scatter(x=[chosen["coverage"]], y=[chosen["precision"]], mode="markers",
                                 marker=dict(size=14, color="#c62828"), name="your operating point"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="Share of questions answered (coverage)", tickformat=".0%", range=[0, 1]),
                      yaxis=dict(title="Share answered right (precision)", tickformat=".0%", range=[0, 1.02]),
                      legend=dict(orientation="h", y=1.12))
    return fig


def answered_at(a, threshold: float) -> pd.DataFrame:
    t = a.tickets
    ok = t["faq_confidence"].to_numpy(dtype=float) >= threshold if np.isfinite(threshold) else np.zeros(len(t), bool)
    return t.assign(faq_id=np.where(ok, t["best_faq_id"], None))


def support_estimate(d: dict, currency: str):
    """The money row, priced by the one valuation module from the deflection evidence."""
    from ecom_models.value.valuation import support_value

    return support_value(d, cost_per_hour=d["cost_per_hour"], minutes_per_ticket=d["minutes_per_ticket"],
                         tickets_per_month=d["tickets_per_month"], currency=currency)
