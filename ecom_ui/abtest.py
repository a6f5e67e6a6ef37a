"""What the A/B tests page draws: charts, formatting, the data checks, the results per metric and
the planning figures, plus the Streamlit caching around the A/B library (no user text is rendered
as HTML). The statistics and every decision are in ecom_models.abtest; this only words and draws.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ecom_models.abtest import (
    COLUMN_HELP,
    CUPED_WINS_AT,
    ABResult,
    DataQuality,
    ExperimentSpec,
    Settings,
    ValueChoice,
    Verdict,
    analyze,
    capped_summary,
    control_sd,
    cumulative_lift,
    cuped_summary,
    days_still_needed,
    days_to_run,
    detect_experiment,
    exclude_problems,
    mde_two_proportions,
    prepare_frame,
    recent_store_figures,
    sample_size_mean,
    sample_size_per_arm,
    segment_results,
    shown_metric_name,
)
from ecom_ui.common import guarded, number, pct

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


# -- cached work ----------------------------------------------------------------------------------
# Keyed on the data's content hash (`key`) and the settings; the frames themselves are not hashed.
@st.cache_data(show_spinner=False, max_entries=8)
def prepared(key: str, _df: pd.DataFrame) -> pd.DataFrame:
    return prepare_frame(_df)


@st.cache_data(show_spinner=False, max_entries=8)
def detected(key: str, _df: pd.DataFrame, variant_col: str | None) -> ExperimentSpec:
    return detect_experiment(_df, variant_col=variant_col)


@st.cache_data(show_spinner="Analysing the test…", max_entries=32)
def analysed(key: str, _df: pd.DataFrame, _spec: ExperimentSpec, spec_key: str, control: str, metrics: tuple,
             settings: tuple, exclude: bool, weights: tuple) -> ABResult:
    return analyze(_df, _spec, control=control, metrics=list(metrics), settings=Settings(*settings),
                   exclude=exclude, weights=dict(weights) or None)


@st.cache_data(show_spinner=False, max_entries=16)
def segments(key: str, _df: pd.DataFrame, _spec, spec_key: str, segment: str, metric: str, control: str, settings: tuple,
             exclude: bool):
    df = exclude_problems(_df, _spec) if exclude else _df
    return segment_results(df, _spec, segment, metric, control, Settings(*settings))


@st.cache_data(show_spinner=False, max_entries=16)
def cumulative(key: str, _df: pd.DataFrame, _spec, spec_key: str, metric: str, control: str, variant: str, settings: tuple,
               exclude: bool):
    df = exclude_problems(_df, _spec) if exclude else _df
    return cumulative_lift(df, _spec, metric, control, variant, Settings(*settings))


@st.cache_data(show_spinner=False, max_entries=4)
def store_figures(traffic_key: str, _traffic, orders_key: str, _orders) -> tuple[float | None, float | None]:
    return recent_store_figures(_traffic, _orders)


# -- drawing --------------------------------------------------------------------------------------
def table_config() -> dict:
    """Column names and help texts of the results tables, in the merchant's words."""
    num = st.column_config.NumberColumn
    return {
        "units_control": num("people (control)", format="localized", help="People in the control group."),
        "units_variant": num("people (variant)", format="localized", help="People in the variant."),
        "value_control": num("control", format="%.4g", help=COLUMN_HELP["value_control"]),
        "value_variant": num("variant value", format="%.4g", help=COLUMN_HELP["value_variant"]),
        "abs_lift": num("difference", format="%.4g", help=COLUMN_HELP["abs_lift"]),
        "rel_lift": num("lift", format="percent", help=COLUMN_HELP["rel_lift"]),
        "rel_ci_low": num("lift, low", format="percent", help=COLUMN_HELP["rel_ci_low"]),
        "rel_ci_high": num("lift, high", format="percent", help=COLUMN_HELP["rel_ci_high"]),
        "p_value": num("p-value", format="%.3g", help=COLUMN_HELP["p_value"]),
        "p_holm": num("p (Holm)", format="%.3g", help=COLUMN_HELP["p_holm"]),
        "p_bh": num("p (BH)", format="%.3g", help=COLUMN_HELP["p_bh"]),
        "chance_to_win": num("chance better", format="percent", help=COLUMN_HELP["chance_to_win"]),
        "risk_variant": num("risk if shipped", format="percent", help=COLUMN_HELP["risk_variant"]),
        "power": num("power", format="percent", help=COLUMN_HELP["power"]),
        "variance_reduction": num("CUPED noise removed", format="percent", help=COLUMN_HELP["variance_reduction"]),
        "capped_units": num("capped people", help=COLUMN_HELP["capped_units"]),
    }


def quality_checks(q: DataQuality, aggregated: bool) -> None:
    """The data checks as metrics, then as sentences coloured by how serious they are."""
    c = st.columns(4)
    c[0].metric("Traffic split check (p)", fmt_p(q.srm_p_value),
                help="Chance of a split at least this uneven if the set-up worked. Below 0.001 the set-up is probably broken (sample-ratio mismatch).")
    if aggregated:
        st.caption("This file has one row per variant, so repeated or mixed-up people cannot be checked; only the traffic split can.")
    else:
        c[1].metric("People in several variants", number(q.multi_variant_units), help="People who saw more than one version; they blur the comparison.")
        c[2].metric("Repeated people", number(q.repeated_units), help="People who appear on more than one row of the file.")
        c[3].metric("Rows contradicting the variant", number(q.exposure_mismatch_rows),
                    help=(f"Rows whose '{q.exposure_col}' does not match the variant they were assigned (e.g. a control user shown the new page)."
                          if q.exposure_col else "No column was found that should agree with the variant (such as a landing page)."))
    for level, text in q.messages():
        {"error": st.error, "warning": st.warning, "ok": st.success}[level](text)


def both_ways_table(as_given: ABResult, left_out: ABResult, primary: str) -> pd.DataFrame:
    """The main metric with and without the affected people (first variant)."""
    rows = []
    for label, res in (("as given", as_given), ("affected people left out", left_out)):
        r = res.row(primary)
        rows.append({"data": label, "people": int(r.units_control + r.units_variant), "lift": pct(r.rel_lift, signed=True),
                     "likely range": fmt_range(r.rel_ci_low, r.rel_ci_high), "p-value": fmt_p(r.p_value)})
    return pd.DataFrame(rows)


def result_rows(result: ABResult, metrics: list[str], primary: str) -> None:
    """Each asked-for metric and variant against control: values, lift, range, chance, p, risk."""
    t, settings = result.table, result.settings
    for name in metrics:
        name = shown_metric_name(name, set(t.metric))
        rows = t[t.metric == name]
        for r in rows.itertuples():
            st.markdown(f"**{name}**" + (" (main metric)" if name == primary else "") + f": {r.variant} vs {result.control}")
            cc = st.columns([1, 1, 2])
            cc[0].metric("Control", fmt_value(r.kind, r.value_control),
                         help=("Conversion rate in the control group (share of people who did it)." if r.kind == "conversion"
                               else "Average per person (or ratio) in the control group."))
            cc[1].metric("Variant", fmt_value(r.kind, r.value_variant), delta=pct(r.rel_lift, signed=True),
                         help="The same figure in this variant; the small number is the relative lift over control.")
            cc[2].metric("Likely range of the lift", fmt_range(r.rel_ci_low, r.rel_ci_high),
                         help=f"The true relative lift lies in this range with {settings.confidence:.0%} confidence"
                              + (" (always valid, however often you look)." if settings.sequential else "."))
            cc = st.columns([1, 1, 2])
            cc[0].metric("Chance it is better", pct(r.chance_to_win, 0),
                         help="Bayesian probability that the variant truly beats control, given the data"
                              + (" and a sceptical prior." if settings.prior_sd else " (flat prior)."))
            cc[1].metric("p-value", fmt_p(r.p_value),
                         help="How surprising this difference would be if the variant changed nothing; below "
                              f"{settings.alpha:.2g} counts as a real difference. Test: {r.test}.")
            cc[2].metric("Risk if you ship it", pct(r.risk_variant, 2),
                         help="Expected relative loss if you ship the variant and it is in fact worse (chance it is worse × how much worse on average).")
            winner = (f"**{r.variant} wins**" if r.significant and r.rel_lift > 0 else f"**{result.control} (control) wins**" if r.significant
                      else "**no clear winner**")
            st.caption(f"{winner}. {r.explanation}")


def cuped_and_capping_notes(table: pd.DataFrame) -> tuple[str | None, str | None]:
    """The captions on CUPED's gain and on capped values, or None where there is nothing to say."""
    cuped, capped = cuped_summary(table), capped_summary(table)
    cuped_text = capped_text = None
    if cuped:
        cuped_text = ("CUPED (plain estimate as the baseline): using the pre-test column removed "
                      + ", ".join(f"{x:.1%} of the noise on {m}" for m, x in cuped.items())
                      + ". " + ("CUPED wins: sharper ranges." if max(cuped.values()) >= CUPED_WINS_AT
                                else "Little gain here: the pre-test figures barely predict the results."))
    if capped:
        capped_text = "Extreme values capped: " + ", ".join(f"{n:,} {'person' if n == 1 else 'people'} on {m}" for m, n in capped.items()) + "."
    return cuped_text, capped_text


def plan_this_test(result: ABResult, primary: str, call: str) -> None:
    """Power, people needed and days still to run for the main metric of the test so far."""
    settings, mde = result.settings, result.settings.mde
    r = result.table[result.table.metric == primary].iloc[0]
    cc = st.columns(3)
    cc[0].metric("Power reached", pct(r.power, 0), help=f"Chance this test, at its current size, would detect a {mde:.0%} lift on {primary}. 80% is the usual target.")
    cc[1].metric("People needed per group", number(r.units_needed_per_arm), help=f"For an 80% chance of detecting a {mde:.0%} lift at {settings.confidence:.0%} confidence.")
    days_left = days_still_needed(result, r, call)
    cc[2].metric("Days still needed", "–" if days_left is None else number(days_left),
                 help="At the traffic the test has had so far (people per day over its running days)." if result.days else "Needs a date column in the file.")
    if call in ("ship", "do not ship"):
        st.caption(f"The test has already found a clear difference on {primary}, so it can stop; power and people needed refer to "
                   f"a {mde:.0%} lift, smaller than the one found.")
    if result.days:
        st.caption(f"The test has run {result.days:.0f} days with about {number(result.units_per_day)} people per day.")


def plan_new_test(df: pd.DataFrame, result: ABResult, choice: ValueChoice | None, primary: str) -> None:
    """People and days a new test needs, starting from this test's figures."""
    t, settings = result.table, result.settings
    r = t[t.metric == primary].iloc[0]
    first_conv = t[(t.kind == "conversion") & (t.metric == choice.metric)].iloc[0] if choice is not None else None
    mean_rows = t[t.kind == "mean"]
    kind_choice = st.radio("What will the test measure?", ["A conversion rate", "An average per person (e.g. revenue)"], horizontal=True,
                           index=0 if first_conv is not None or mean_rows.empty else 1,
                           help="Conversion: did each person buy (yes/no). Average: a number per person, such as revenue.")
    cc = st.columns(4)
    if kind_choice == "A conversion rate":
        base = cc[0].number_input("Conversion rate today (%)", 0.01, 99.0, float(round(100 * (first_conv.value_control if first_conv is not None else 0.03), 2)),
                                  help="Share of visitors who convert today.") / 100
    else:
        mr = mean_rows.iloc[0] if len(mean_rows) else None
        avg = cc[0].number_input("Average per person today", 0.01, 1e9, float(round(mr.value_control, 2)) if mr is not None else 10.0,
                                 help="E.g. revenue per visitor in the control group.")
        sd_default = (control_sd(df, result, mr.metric) if mr is not None else None) or 2.0 * avg
        sd = st.number_input("Spread between people (standard deviation)", 0.01, 1e9, float(round(sd_default, 2)),
                             help="How much the figure varies from person to person; taken from your test's control group when available.")
    lift = cc[1].number_input("Smallest lift worth detecting (%)", 0.5, 200.0, float(settings.mde * 100), help="Relative: 5 means 5% more.") / 100
    power = cc[2].select_slider("Power", [0.7, 0.8, 0.9, 0.95], value=0.8, format_func=lambda x: f"{x:.0%}",
                                help="Chance of detecting the lift if it is real.")
    per_day = cc[3].number_input("Visitors per day in the test", 1.0, 1e8, float(round(result.units_per_day or 1000.0)),
                                 help="How many people would enter the test each day.")
    alpha = 1 - settings.confidence
    if kind_choice == "A conversion rate":
        n = guarded(sample_size_per_arm, base, lift, alpha, power, settings.two_sided)
    else:
        n = guarded(sample_size_mean, avg, sd, lift, alpha, power, settings.two_sided)
    if n:
        arms = len(result.spec.variants)
        m = st.columns(3)
        m[0].metric("People per group", number(n), help="Each variant and control need this many people.")
        m[1].metric("People in total", number(n * arms), help=f"For {arms} groups.")
        m[2].metric("Days to run", number(days_to_run(n, arms, per_day)), help="Total people ÷ visitors per day; run whole weeks to cover weekday patterns.")
        if kind_choice == "A conversion rate":
            st.caption(f"With {number(n)} people per group, a {lift:.0%} lift on a {base:.2%} rate is detected {power:.0%} of the time; "
                       f"the smallest lift detectable with the current test's size is "
                       f"{pct(mde_two_proportions(base, min(r.units_control, r.units_variant), alpha, power, settings.two_sided))}.")
        else:
            st.caption(f"With {number(n)} people per group, a {lift:.0%} lift on an average of {avg:,.2f} is detected {power:.0%} of the time.")


def verdict_banner(v: Verdict, result: ABResult) -> None:
    """The call in a coloured box, then how the figures were read (mode, control, confidence, prior)."""
    settings = result.settings
    kind, icon, title = VERDICT_STYLE[v.call]
    getattr(st, kind)(f"**{title}.** {v.reason}", icon=icon)
    mode_text = ("**Sequential mode is on**: the ranges stay valid however often you look." if settings.sequential
                 else "**Fixed-horizon mode**: read the result once, at the planned end; switch to sequential mode in the sidebar if you check every day.")
    prior_sd = settings.prior_sd
    st.caption(f"{mode_text} Control: **{result.control}**. {settings.confidence:.0%} confidence, "
               f"{'two' if settings.two_sided else 'one'}-sided. Prior: {'flat' if not prior_sd else f'normal, spread {prior_sd:.2f}'}.")


def planned_split(variants: list[str], weights: dict) -> None:
    """The traffic split the test was planned with (equal unless set); applying it reruns the page
    with the split in st.session_state["ab_weights"]."""
    with st.expander("Planned traffic split"):
        st.caption("The split the test was set up with. Equal by default.")
        wcols = st.columns(min(len(variants), 6))
        new_w = {}
        for i, name in enumerate(variants):
            new_w[name] = wcols[i % len(wcols)].number_input(f"{name} (%)", 1.0, 99.0, float(weights.get(name, round(100 / len(variants), 2))),
                                                             key=f"ab_w_{i}", help="Share of traffic this variant should get.")
        if st.button("Apply split"):
            st.session_state["ab_weights"] = new_w
            st.rerun()


def method_notes(notes: list[str]) -> None:
    with st.expander("How these figures were computed"):
        for line in notes:
            st.text(line)
        st.caption("Conversion metrics: two-proportion z-test. Averages: Welch's t-test. Ratios: delta method. "
                   "Relative ranges: delta method. Chance to win: normal posterior on the relative lift, as GrowthBook does. "
                   "Sequential mode: asymptotic confidence sequences (Waudby-Smith et al.), as GrowthBook does.")


def plan_winback_test() -> None:
    """The test that measures a win-back campaign (proposed from the Customers page's list and the
    response rate Business value assumes)."""
    from ecom_models.abtest import winback_test_plan
    from ecom_models.customers.pipeline import CUSTOMERS_DEFAULTS, customers_document
    from ecom_models.value.priors import prior
    from ecom_ui.common import active_data, results

    orders = active_data("orders")
    h = CUSTOMERS_DEFAULTS["horizon_days"]
    found = customers_document(results(), orders.key, h) if orders is not None else None
    if found is None:
        st.caption("Open the **Customers** page once: its win-back list is what this test would split.")
        return
    w = found.winback
    if w.empty:
        st.caption("The Customers page finds no valuable customer slipping away: no win-back test to plan.")
        return
    p = prior("winback", "response_rate")
    response = st.number_input("Customers the campaign brings back (%)", 0.1, 50.0, p.value * 100, 0.5,
                               help=f"The response Business value assumes. {p.source}") / 100
    plan = winback_test_plan(len(w), float(w["p_active"].mean()), response, h)
    m = st.columns(3)
    m[0].metric("Customers on the win-back list", number(plan.targeted), help="From the Customers page.")
    m[1].metric("Buying anyway (control)", pct(plan.base_rate), help=f"Their average chance of buying in {h} days.")
    m[2].metric("People per group", number(plan.per_arm) if plan.per_arm else "–",
                help="For an 80% chance of detecting the assumed response at 95% confidence.")
    (st.success if plan.feasible else st.warning)(plan.message)
