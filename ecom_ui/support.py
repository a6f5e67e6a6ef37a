"""Cached work, inputs and charts for the Customer service page.

What the page keeps in the workspace (FAQ, labelled tickets, edits, saved intents, settings) is read
and written by `ecom_models.support.store`; the money estimate by `ecom_models.value.save_page_estimate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.support import apply_edits, load_edits, load_examples, load_faq, load_saved_intents
from ecom_ui.common import ActiveData, active_data, pct, workspace


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
    faq = load_faq(workspace())
    if faq is not None:
        return faq, "your FAQ"
    if data.is_demo:
        return _demo().faq, "the demo store's FAQ"
    return None, ""


def examples_frame() -> pd.DataFrame | None:
    return load_examples(workspace())


def saved_frame() -> pd.DataFrame | None:
    return load_saved_intents(workspace())


def analysis(data: ActiveData, faq: pd.DataFrame | None, examples: pd.DataFrame | None, saved: pd.DataFrame | None,
             use_saved: bool):
    """The analysis for these inputs: made once by a background run in a worker process, shared by
    every session; until it is done the page shows its progress and stops."""
    from ecom_ui.background import support_analysis

    return support_analysis(workspace(), data, faq, examples, saved if use_saved else None)


def edited(a, data_key: str):
    """The analysis with the merchant's saved edits of this file's intents applied, and the edits."""
    edits = load_edits(workspace(), data_key)
    return (apply_edits(a, edits) if edits else a), edits


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


def show_intent_table(a) -> None:
    """The intents table, with a one-line explanation of every column."""
    st.dataframe(intent_table(a), hide_index=True, width="stretch", column_config={
        "Share": st.column_config.NumberColumn(format="%.1f%%", help="Share of all tickets"),
        "Telling words": st.column_config.TextColumn(help="Words and phrases far more common in this intent than in the others."),
        "Typical tickets": st.column_config.TextColumn(help="The three tickets closest to the intent's centre."),
        "Avg minutes": st.column_config.NumberColumn(format="%.1f", help="Average handling time, where the file has it."),
        "Avg satisfaction": st.column_config.NumberColumn(format="%.2f", help="Average satisfaction score, where given."),
        "Trend (8 weeks)": st.column_config.NumberColumn(format="%+.0f%%", help="Tickets per week in the last 8 weeks vs the 8 before."),
        "Spike week": st.column_config.DateColumn(format="YYYY-MM-DD", help="A week with 3× the usual tickets or more."),
        "New since": st.column_config.DateColumn(format="YYYY-MM-DD", help="The week this intent began, after 8+ quiet weeks."),
    })


def show_comparison(comp) -> None:
    """The self-trained intent model against the TF-IDF baseline on held-out labelled tickets."""
    rows = [{"Model": "Self-trained (text models + your unlabelled tickets)", "Accuracy": comp.accuracy["self-trained"],
             "90% interval": "{:.0%} – {:.0%}".format(*comp.interval["self-trained"])},
            {"Model": "TF-IDF words + logistic regression (baseline)", "Accuracy": comp.accuracy["baseline"],
             "90% interval": "{:.0%} – {:.0%}".format(*comp.interval["baseline"])}]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"Accuracy": st.column_config.NumberColumn(format="%.2f")})


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
    """Expected precision against coverage on the merchant's tickets, the target, and where they stand."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["coverage"], y=curve["precision"], mode="lines", line=dict(color="#1565c0"),
                             name="your tickets: answered vs expected right",
                             hovertemplate="answers %{x:.0%} · expected right %{y:.0%}<extra></extra>"))
    fig.add_hline(y=target, line=dict(color="#9e9e9e", dash="dot"), annotation_text=f"target {target:.0%}")
    if chosen.get("answered"):
        fig.add_trace(go.Scatter(x=[chosen["coverage"]], y=[chosen["precision"]], mode="markers",
                                 marker=dict(size=14, color="#c62828"), name="you are here",
                                 hovertemplate="answers %{x:.0%} · expected right %{y:.0%}<extra></extra>"))
    low = float(min(curve["precision"].min(), target)) if len(curve) else 0.0
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="Share of your tickets answered (coverage)", tickformat=".0%", range=[0, 1]),
                      yaxis=dict(title="Expected share answered right (precision)", tickformat=".0%",
                                 range=[max(0.0, low - 0.05), 1.01]),
                      legend=dict(orientation="h", y=1.12))
    return fig


def standing_line(chosen: dict, target: float, n: int) -> str:
    """Where the merchant stands on the curve, in one sentence."""
    if not chosen.get("answered"):
        return (f"**You are here:** no setting is expected to be right {target:.0%} of the time, so the FAQ answers none "
                "of your tickets. Lower the target or add phrasings to the FAQ.")
    right = round(chosen["precision"] * 10)
    return (f"**You are here:** the FAQ answers **{pct(chosen['coverage'])}** of your tickets ({chosen['answered']:,} of "
            f"{n:,}) and about **{right} in 10** of those answers are expected to be right "
            f"({pct(chosen['precision'])}); "
            + ("wrong answers still reach an agent." if chosen["answered"] >= n else "the other tickets go to an agent as today."))


def check_answers(ws, data_key: str, a, threshold: float, checks: dict | None) -> None:
    """One answered ticket at a time to mark right or wrong; the marks correct the confidence curve."""
    from ecom_models.support import add_check, answers_to_check, forget_checks, precision_range
    from ecom_ui.common import md_escape

    with st.expander("Check a few answers" + (f" ({checks['checked']} checked)" if checks else ""), expanded=False):
        if a.tradeoff.n_calibration:
            st.caption("The curve is fitted on your labelled tickets already.")
            return
        if checks:
            lo, hi = precision_range(a, checks, threshold)
            st.markdown(f"{checks['right']} of your {checks['checked']} checked answers were right. The curve is "
                        f"corrected by them: expected precision at your setting {pct(lo, 0)} – {pct(hi, 0)} "
                        "(90% range; more checks narrow it).")
        else:
            st.markdown("The expected precision comes from a curve learnt on example support messages. Mark a few "
                        "answers right or wrong (10–20 is plenty) and the curve is corrected for your store.")
        checked = set() if checks is None else set(_checked_ids(ws, data_key))
        nxt = answers_to_check(a, threshold, checked)
        if nxt.empty:
            st.caption("No answered ticket left to check at this setting.")
        else:
            r = nxt.iloc[0]
            question = a.faq.loc[a.faq["faq_id"] == r["faq_id"], "question"].head(1)
            st.markdown(f"**Ticket:** {md_escape(str(r['text'])[:500])}  \n**Answered with:** "
                        f"{md_escape(str(question.iloc[0]) if len(question) else str(r['faq_id']))}")
            c1, c2, c3 = st.columns(3)
            if c1.button("Right answer", key="support_check_right"):
                add_check(ws, data_key, r["ticket_id"], True)
                st.rerun()
            if c2.button("Wrong answer", key="support_check_wrong"):
                add_check(ws, data_key, r["ticket_id"], False)
                st.rerun()
            if checks and c3.button("Forget my checks", key="support_check_forget"):
                forget_checks(ws, data_key)
                st.rerun()


def _checked_ids(ws, data_key: str) -> list[str]:
    from ecom_models.support import load_checks

    c = load_checks(ws, data_key)
    return [] if c is None else list(c["ticket_id"])


def tradeoff_caption(tradeoff, faq_source: str) -> str:
    """One line on what the curve rests on."""
    from ecom_models.support import TRANSFER_ERROR

    basis = (f"a confidence curve fitted on {tradeoff.n_calibration} of your labelled tickets" if tradeoff.n_calibration
             else tradeoff.source if "corrected" in tradeoff.source
             else "the bundled confidence curve (learnt on labelled example support messages that ship with the app; "
                  f"on questions it never saw it delivered within {TRANSFER_ERROR:.0%} of the target when the FAQ "
                  "covers the questions asked, and below it when many tickets ask something the FAQ has no entry for)")
    return (f"Each point: the bot answers those of your {tradeoff.n:,} tickets at least this sure; the precision is "
            f"expected, the mean confidence of the answered tickets, from {basis}. Label a few tickets to check it. "
            f"FAQ: {faq_source}.")


def support_estimate(d: dict, currency: str):
    """The money row, priced by the one valuation module from the deflection evidence."""
    from ecom_models.value import support_value

    return support_value(d, cost_per_hour=d["cost_per_hour"], minutes_per_ticket=d["minutes_per_ticket"],
                         tickets_per_month=d["tickets_per_month"], currency=currency)


def ab_plan_text(plan: dict) -> str:
    """The A/B test that would confirm the deflection, in the merchant's words (`support.ab_test_plan`)."""
    if not plan["per_arm"]:
        return "At this operating point the FAQ answers too few tickets for a test to measure."
    return (f"Put the bot on **half of the incoming tickets** (randomly, per customer) and let the other half reach agents "
            f"as today. Measure the share **resolved without an agent** and **satisfaction** in both halves. To see "
            f"a {plan['detectable_lift']:.0%} rise in resolution without an agent (half the offline estimate, to be safe) "
            f"with 80% power, you need about **{plan['per_arm']:,} tickets per half**"
            + (f", about **{plan['weeks']} week(s)** at your volume." if plan["weeks"] else ".")
            + " Stop the test if satisfaction of the bot half falls clearly below the agent half.")
