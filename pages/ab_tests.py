"""A/B tests: did the change work, how sure are we, what is it worth, how long to keep it running."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import math
from dataclasses import asdict

import pandas as pd
import streamlit as st

from ecom_models import abtest as ab
from ecom_models import valuation as VAL
from ecom_models.errors import InputError
from ecom_ui.abtest import VERDICT_STYLE, cumulative_chart, fmt_p, fmt_range, fmt_value, forest_chart
from ecom_ui.common import (active_data, data_source_note, empty_state, guarded, money, number, page_header, pct,
                            show_input_error, store_currency)

page_header("A/B tests", "Did the change work, how sure can you be, what is it worth per month, and how long to keep the test "
            "running. Each variant is compared with the control group, the version you have today.")


# -- cached work ------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def _prepared(key: str, _df: pd.DataFrame) -> pd.DataFrame:
    return ab.prepare_frame(_df)


@st.cache_data(show_spinner=False, max_entries=8)
def _detect(key: str, _df: pd.DataFrame, variant_col: str | None) -> ab.ExperimentSpec:
    return ab.detect_experiment(_df, variant_col=variant_col)


@st.cache_data(show_spinner="Analysing the test…", max_entries=32)
def _analyse(key: str, _df: pd.DataFrame, _spec: ab.ExperimentSpec, spec_key: str, control: str, metrics: tuple,
             settings: tuple, exclude: bool, weights: tuple) -> ab.ABResult:
    return ab.analyze(_df, _spec, control=control, metrics=list(metrics), settings=ab.Settings(*settings),
                      exclude=exclude, weights=dict(weights) or None)


@st.cache_data(show_spinner=False, max_entries=16)
def _segments(key: str, _df: pd.DataFrame, _spec, spec_key: str, segment: str, metric: str, control: str, settings: tuple, exclude: bool):
    df = ab.exclude_problems(_df, _spec) if exclude else _df
    return ab.segment_results(df, _spec, segment, metric, control, ab.Settings(*settings))


@st.cache_data(show_spinner=False, max_entries=16)
def _cumulative(key: str, _df: pd.DataFrame, _spec, spec_key: str, metric: str, control: str, variant: str, settings: tuple, exclude: bool):
    df = ab.exclude_problems(_df, _spec) if exclude else _df
    return ab.cumulative_lift(df, _spec, metric, control, variant, ab.Settings(*settings))


@st.cache_data(show_spinner=False, max_entries=4)
def _store_figures(traffic_key: str, _traffic, orders_key: str, _orders) -> tuple[float | None, float | None]:
    visitors = aov = None
    if _traffic is not None and "sessions" in _traffic and "date" in _traffic and len(_traffic):
        t = _traffic.dropna(subset=["date"]).sort_values("date")
        last = t[t["date"] > t["date"].max() - pd.Timedelta(days=30)]
        days = max(1, (last["date"].max() - last["date"].min()).days + 1)
        visitors = float(pd.to_numeric(last["sessions"], errors="coerce").sum()) / days * 30.4
    if _orders is not None and len(_orders):
        from ecom_models.intake import sales_lines

        s = sales_lines(_orders)
        s = s[s["order_date"] > s["order_date"].max() - pd.Timedelta(days=90)]
        if s["order_id"].nunique():
            aov = float(s["revenue"].sum() / s["order_id"].nunique())
    return visitors, aov


# -- data ---------------------------------------------------------------------------------------
data = active_data("experiment")
with st.expander("Analyse another experiment file (optional)"):
    st.caption("One row per person (a variant column, and columns such as converted 0/1 or revenue), or one row per "
               "variant with the number of people and conversions. CSV, Excel, Parquet or JSON Lines. The file is "
               "analysed while it is in the box below and is not saved: to keep it as your experiment, upload it on "
               "the **Data** page.")
    upload = st.file_uploader("Experiment file", type=["csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "json"], key="ab_upload")
source_df = source_key = source_name = None
if upload is not None:
    from ecom_models.intake import read_table
    from ecom_models.workspace import content_hash

    raw = guarded(read_table, upload, name=upload.name)
    if raw is not None:
        source_df, source_key, source_name = raw, "upload-" + content_hash(raw), upload.name
        st.caption(f"Using **{upload.name}** ({len(raw):,} rows) instead of the active experiment.")
if source_df is None:
    if data is None:
        empty_state("experiment", "(one row per person with the variant they saw and what they did)")
        st.stop()
    data_source_note(data)
    source_df, source_key, source_name = data.df, data.key, data.source

df = guarded(_prepared, source_key, source_df)
if df is None:
    st.stop()

# -- settings -----------------------------------------------------------------------------------
try:
    auto = _detect(source_key, df, None)
except InputError as exc:
    auto, auto_error = None, exc
with st.sidebar:
    st.subheader("A/B test settings")
    col_options = [str(c) for c in df.columns]
    variant_col = st.selectbox("Variant column", col_options, key=f"ab_variant_col_{source_key[:16]}",
                               index=col_options.index(str(auto.variant_col)) if auto else 0,
                               help="The column saying which version each person saw. Detected automatically; change it if it is wrong.")
if auto is not None and variant_col == str(auto.variant_col):
    spec = auto
else:
    spec = guarded(_detect, source_key, df, variant_col)
    if spec is None:
        if auto is None:
            show_input_error(auto_error)
        st.stop()

with st.sidebar:
    control = st.selectbox("Control group (today's version)", spec.variants, index=spec.variants.index(spec.control),
                           help="The group everything is compared with. Detected from names like control, A, baseline or original.")
    names = [m.name for m in spec.metrics]
    metrics = st.multiselect("Metrics", names, default=names,
                             help="Conversion metrics are 0/1 per person (bought or not); average metrics are numbers per person (revenue).")
    if not metrics:
        st.warning("Pick at least one metric.")
        st.stop()
    primary = st.selectbox("Main metric (decides the verdict)", metrics, help="The one number the decision rests on; the others are guardrails.")
    metrics = [primary] + [m for m in metrics if m != primary]
    numeric_cols = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and c not in (spec.unit_col, spec.variant_col)]
    if not spec.aggregated and len(numeric_cols) >= 2:
        with st.expander("Add a ratio metric (optional)"):
            st.caption("For example revenue per order: the total of one column divided by the total of another, per group.")
            num = st.selectbox("Numerator", ["–"] + numeric_cols, key="ab_ratio_num", help="What is counted, e.g. revenue.")
            den = st.selectbox("Denominator", ["–"] + numeric_cols, key="ab_ratio_den", help="What it is divided by, e.g. orders or sessions.")
            if num != "–" and den != "–" and num != den and f"{num} per {den}" not in metrics:
                metrics.append(f"{num}/{den}")
    confidence = st.select_slider("Confidence level", options=[0.80, 0.90, 0.95, 0.99], value=0.95, format_func=lambda x: f"{x:.0%}",
                                  help="How sure you want to be before calling a difference real. 95% is the usual choice.")
    sided = st.radio("Question asked", ["Is the variant different? (two-sided)", "Is the variant better? (one-sided)"],
                     help="One-sided tests only look for improvements: a bit more sensitive, but blind to harm.")
    mode = st.radio("How you look at results", ["Once, at the planned end (fixed horizon)", "Any time, e.g. every day (sequential)"],
                    help="Checking a normal test every day and stopping when it looks good gives false wins. Sequential mode "
                         "widens the ranges so that looking often is safe.")
    cuped = st.toggle("Use pre-test figures (CUPED)", value=bool(spec.covariate_col), disabled=not spec.covariate_col,
                      help=(f"Uses '{spec.covariate_col}' from before the test to remove noise, giving sharper results." if spec.covariate_col
                            else "Needs a column with each person's figure from before the test (e.g. pre_revenue)."))
    cap_label = st.selectbox("Cap extreme values", ["No cap", "99th percentile", "99.9th percentile"],
                             help="A few huge spenders can swing an average. Capping sets everyone above the chosen percentile to that value.")
    cap = {"No cap": None, "99th percentile": 0.99, "99.9th percentile": 0.999}[cap_label]
    prior_label = st.radio("Prior belief (chance to win)", ["None (flat prior)", "Sceptical: most changes move little"],
                           help="Flat: let the data speak alone. Sceptical: a normal prior on the lift centred on 0, which pulls small tests towards 'no change'.")
    prior_sd = None
    if prior_label.startswith("Sceptical"):
        prior_sd = st.slider("Typical size of a real lift (prior spread)", 0.05, 0.5, 0.3, 0.05, format="%.2f",
                             help="Standard deviation of the normal prior on the relative lift: 0.3 means lifts beyond ±60% are very unlikely.")
    correction = st.radio("Correction for many comparisons", ["none", "holm", "bh"],
                          format_func={"none": "None", "holm": "Holm (strict)", "bh": "Benjamini-Hochberg (balanced)"}.get,
                          help="Testing many metrics and variants raises the chance of a false win. A correction makes 'significant' harder to reach.")
    mde = st.slider("Smallest lift worth detecting", 1, 30, 5, 1, format="%d%%",
                    help="Relative lift below which the change is not worth it (5% = 5% more conversions); used for power and 'keep running'.") / 100

settings = ab.Settings(confidence=confidence, two_sided=sided.startswith("Is the variant different"), sequential=mode.startswith("Any time"),
                       cuped=cuped, cap_percentile=cap, prior_sd=prior_sd, correction=correction, mde=mde)
settings_t = tuple(asdict(settings).values())
spec_key = repr(spec.to_dict())
weights = tuple(st.session_state.get("ab_weights", {}).items())

exclude = st.session_state.get("ab_exclude", False)
result = guarded(_analyse, source_key, df, spec, spec_key, control, tuple(metrics), settings_t, exclude, weights)
if result is None:
    st.stop()
other = None
q0 = result.quality_raw or result.quality
if not spec.aggregated and (q0.multi_variant_units or q0.repeated_units or q0.exposure_mismatch_rows):
    try:
        other = _analyse(source_key, df, spec, spec_key, control, tuple(metrics), settings_t, not exclude, weights)
    except InputError:
        other = None

# -- verdict -------------------------------------------------------------------------------------
v = ab.verdict(result, primary)
kind, icon, title = VERDICT_STYLE[v.call]
getattr(st, kind)(f"**{title}.** {v.reason}", icon=icon)
mode_text = ("**Sequential mode is on**: the ranges stay valid however often you look." if settings.sequential
             else "**Fixed-horizon mode**: read the result once, at the planned end; switch to sequential mode in the sidebar if you check every day.")
st.caption(f"{mode_text} Control: **{result.control}**. {settings.confidence:.0%} confidence, "
           f"{'two' if settings.two_sided else 'one'}-sided. Prior: {'flat' if not prior_sd else f'normal, spread {prior_sd:.2f}'}.")

# -- 1. data quality -----------------------------------------------------------------------------
_section = iter(range(1, 20))
st.subheader(f"{next(_section)}. Can you trust the data?")
q = result.quality_raw or result.quality
c = st.columns(4)
c[0].metric("Traffic split check (p)", fmt_p(q.srm_p_value),
            help="Chance of a split at least this uneven if the set-up worked. Below 0.001 the set-up is probably broken (sample-ratio mismatch).")
if spec.aggregated:
    st.caption("This file has one row per variant, so repeated or mixed-up people cannot be checked; only the traffic split can.")
else:
    c[1].metric("People in several variants", number(q.multi_variant_units), help="People who saw more than one version; they blur the comparison.")
    c[2].metric("Repeated people", number(q.repeated_units), help="People who appear on more than one row of the file.")
    c[3].metric("Rows contradicting the variant", number(q.exposure_mismatch_rows),
            help=(f"Rows whose '{q.exposure_col}' does not match the variant they were assigned (e.g. a control user shown the new page)."
                  if q.exposure_col else "No column was found that should agree with the variant (such as a landing page)."))
for level, text in q.messages():
    {"error": st.error, "warning": st.warning, "ok": st.success}[level](text)
if not spec.aggregated and (q.multi_variant_units or q.repeated_units or q.exposure_mismatch_rows):
    st.toggle("Leave out the affected people", key="ab_exclude",
              help="Drops rows that contradict their variant, people seen in several variants, and repeats (keeping each person's first row).")
    if other is not None:
        a, b = (other, result) if exclude else (result, other)
        both = pd.DataFrame([
            {"data": "as given", "people": int(a.row(primary).units_control + a.row(primary).units_variant),
             "lift": pct(a.row(primary).rel_lift, signed=True), "likely range": fmt_range(a.row(primary).rel_ci_low, a.row(primary).rel_ci_high),
             "p-value": fmt_p(a.row(primary).p_value)},
            {"data": "affected people left out", "people": int(b.row(primary).units_control + b.row(primary).units_variant),
             "lift": pct(b.row(primary).rel_lift, signed=True), "likely range": fmt_range(b.row(primary).rel_ci_low, b.row(primary).rel_ci_high),
             "p-value": fmt_p(b.row(primary).p_value)},
        ])
        st.caption(f"The main metric both ways (first variant, {primary}):")
        st.dataframe(both, hide_index=True, width="stretch")
with st.expander("Planned traffic split"):
    st.caption("The split the test was set up with. Equal by default.")
    wcols = st.columns(min(len(spec.variants), 6))
    new_w = {}
    for i, name in enumerate(spec.variants):
        new_w[name] = wcols[i % len(wcols)].number_input(f"{name} (%)", 1.0, 99.0, float(dict(weights).get(name, round(100 / len(spec.variants), 2))),
                                                         key=f"ab_w_{i}", help="Share of traffic this variant should get.")
    if st.button("Apply split"):
        st.session_state["ab_weights"] = new_w
        st.rerun()

TABLE_CONFIG = {
    "units_control": st.column_config.NumberColumn("people (control)", format="localized", help="People in the control group."),
    "units_variant": st.column_config.NumberColumn("people (variant)", format="localized", help="People in the variant."),
    "value_control": st.column_config.NumberColumn("control", format="%.4g", help=ab.COLUMN_HELP["value_control"]),
    "value_variant": st.column_config.NumberColumn("variant value", format="%.4g", help=ab.COLUMN_HELP["value_variant"]),
    "abs_lift": st.column_config.NumberColumn("difference", format="%.4g", help=ab.COLUMN_HELP["abs_lift"]),
    "rel_lift": st.column_config.NumberColumn("lift", format="percent", help=ab.COLUMN_HELP["rel_lift"]),
    "rel_ci_low": st.column_config.NumberColumn("lift, low", format="percent", help=ab.COLUMN_HELP["rel_ci_low"]),
    "rel_ci_high": st.column_config.NumberColumn("lift, high", format="percent", help=ab.COLUMN_HELP["rel_ci_high"]),
    "p_value": st.column_config.NumberColumn("p-value", format="%.3g", help=ab.COLUMN_HELP["p_value"]),
    "p_holm": st.column_config.NumberColumn("p (Holm)", format="%.3g", help=ab.COLUMN_HELP["p_holm"]),
    "p_bh": st.column_config.NumberColumn("p (BH)", format="%.3g", help=ab.COLUMN_HELP["p_bh"]),
    "chance_to_win": st.column_config.NumberColumn("chance better", format="percent", help=ab.COLUMN_HELP["chance_to_win"]),
    "risk_variant": st.column_config.NumberColumn("risk if shipped", format="percent", help=ab.COLUMN_HELP["risk_variant"]),
    "power": st.column_config.NumberColumn("power", format="percent", help=ab.COLUMN_HELP["power"]),
    "variance_reduction": st.column_config.NumberColumn("CUPED noise removed", format="percent", help=ab.COLUMN_HELP["variance_reduction"]),
    "capped_units": st.column_config.NumberColumn("capped people", help=ab.COLUMN_HELP["capped_units"]),
}

# -- 2. results ----------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Results")
t = result.table
for name in metrics:
    name = name.replace("/", " per ") if name not in set(t.metric) else name
    rows = t[t.metric == name]
    if rows.empty:
        continue
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
                          + (" and a sceptical prior." if prior_sd else " (flat prior)."))
        cc[1].metric("p-value", fmt_p(r.p_value),
                     help="How surprising this difference would be if the variant changed nothing; below "
                          f"{settings.alpha:.2g} counts as a real difference. Test: {r.test}.")
        cc[2].metric("Risk if you ship it", pct(r.risk_variant, 2),
                     help="Expected relative loss if you ship the variant and it is in fact worse (chance it is worse × how much worse on average).")
        winner = (f"**{r.variant} wins**" if r.significant and r.rel_lift > 0 else f"**{result.control} (control) wins**" if r.significant
                  else "**no clear winner**")
        st.caption(f"{winner}. {r.explanation}")
if len(t) > 1:
    chart = t.assign(label=t.metric + " · " + t.variant)
    st.plotly_chart(forest_chart(chart), width="stretch")
    st.caption("Each dot is a lift; the bar is its likely range. Green: a real gain, red: a real loss, grey: could be chance.")
cuped_rows = t[t.variance_reduction.notna()] if "variance_reduction" in t else t.iloc[0:0]
if len(cuped_rows):
    vr = cuped_rows.groupby("metric", sort=False).variance_reduction.mean()
    st.caption("CUPED (plain estimate as the baseline): using the pre-test column removed "
               + ", ".join(f"{x:.1%} of the noise on {m}" for m, x in vr.items())
               + ". " + ("CUPED wins: sharper ranges." if vr.max() >= 0.02 else "Little gain here: the pre-test figures barely predict the results."))
with st.expander("How these figures were computed"):
    for line in result.notes:
        st.text(line)
    st.caption("Conversion metrics: two-proportion z-test. Averages: Welch's t-test. Ratios: delta method. "
               "Relative ranges: delta method. Chance to win: normal posterior on the relative lift, as GrowthBook does. "
               "Sequential mode: asymptotic confidence sequences (Waudby-Smith et al.), as GrowthBook does.")
capped = t[t.capped_units.fillna(0) > 0]
if len(capped):
    st.caption("Extreme values capped: " + ", ".join(f"{int(n):,} {'person' if int(n) == 1 else 'people'} on {m}" for m, n in capped.groupby("metric", sort=False).capped_units.first().items()) + ".")
with st.expander("Full results table"):
    show = t.drop(columns=["explanation"])
    st.dataframe(show, hide_index=True, width="stretch", column_config=TABLE_CONFIG)

# -- 3. money ------------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. What it is worth")
conv_rows = t[t.kind == "conversion"]
if conv_rows.empty:
    st.info("Money impact needs a conversion metric (0/1 per person, such as 'converted').")
else:
    traffic, orders = active_data("traffic"), active_data("orders")
    visitors, aov = _store_figures(traffic.key if traffic else "", traffic.df if traffic else None, orders.key if orders else "", orders.df if orders else None)
    currency = store_currency()
    experiment_is_demo = data is not None and data.is_demo and source_key == data.key
    if not experiment_is_demo and ((traffic is not None and traffic.is_demo) or (orders is not None and orders.is_demo)):
        st.caption("Visitors and order value below come from the **demo store**, not your shop: enter your own figures, "
                   "or upload your traffic and orders on the Data page.")
    cc = st.columns(3)
    visitors = cc[0].number_input("Visitors per month", min_value=0, value=int(round(visitors or 100000)), step=1000,
                                  help="From your traffic data (last 30 days of sessions), if uploaded; change it freely.")
    aov = cc[1].number_input(f"Average order value ({currency})", min_value=0.0, value=float(round(aov or 50.0, 2)), step=1.0,
                             help="From your orders of the last 90 days, if uploaded.")
    conv_metric = primary if primary in set(conv_rows.metric) else conv_rows.metric.iloc[0]
    best_variant = conv_rows[conv_rows.metric == conv_metric].sort_values("rel_lift", ascending=False).variant.iloc[0]
    variant_for_money = cc[2].selectbox("Variant to value", list(conv_rows[conv_rows.metric == conv_metric].variant), index=0,
                                        help="The variant you are thinking of shipping.") if len(spec.variants) > 2 else best_variant
    est = VAL.abtest_value(result, visitors, aov, metric=conv_metric, variant=variant_for_money, currency=currency)
    conv_mid, conv_lo, conv_hi = ab.monthly_extra_conversions(result, visitors, conv_metric, variant_for_money)
    m = st.columns(2)
    m[0].metric("Extra conversions per month", number(conv_mid), help=f"Likely between {number(conv_lo)} and {number(conv_hi)}: visitors × today's rate × the lift and its range.")
    m[1].metric("Extra revenue per month", money(est.monthly_value, currency), help="Extra conversions × average order value. Negative means the variant loses money.")
    st.caption(f"Likely range: {money(est.monthly_low, currency)} to {money(est.monthly_high, currency)} per month "
               f"({number(conv_lo)} to {number(conv_hi)} conversions). Assumes every visitor would see the change, and each extra conversion is one average order.")

# -- 4. planning ---------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Planning")
tab_now, tab_new = st.tabs(["This test so far", "Plan a new test"])
with tab_now:
    r = t[t.metric == primary].iloc[0]
    cc = st.columns(3)
    cc[0].metric("Power reached", pct(r.power, 0), help=f"Chance this test, at its current size, would detect a {mde:.0%} lift on {primary}. 80% is the usual target.")
    cc[1].metric("People needed per group", number(r.units_needed_per_arm), help=f"For an 80% chance of detecting a {mde:.0%} lift at {settings.confidence:.0%} confidence.")
    days_left = None
    if result.units_per_day and r.units_needed_per_arm == r.units_needed_per_arm:
        arms = len(spec.variants)
        have = min(r.units_control, r.units_variant)
        days_left = max(0.0, math.ceil((r.units_needed_per_arm - have) * arms / result.units_per_day))
    if v.call in ("ship", "do not ship"):
        days_left = 0
    cc[2].metric("Days still needed", "–" if days_left is None else number(days_left),
                 help="At the traffic the test has had so far (people per day over its running days)." if result.days else "Needs a date column in the file.")
    if v.call in ("ship", "do not ship"):
        st.caption(f"The test has already found a clear difference on {primary}, so it can stop; power and people needed refer to "
                   f"a {mde:.0%} lift, smaller than the one found.")
    if result.days:
        st.caption(f"The test has run {result.days:.0f} days with about {number(result.units_per_day)} people per day.")
with tab_new:
    first_conv = conv_rows[conv_rows.metric == conv_metric].iloc[0] if not conv_rows.empty else None
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
        sd_default = 2.0 * avg
        if mr is not None and mr.metric in {m.name for m in spec.metrics if m.kind == "mean"} and not spec.aggregated:
            col = next(m.column for m in spec.metrics if m.name == mr.metric)
            vals = pd.to_numeric(df.loc[df[spec.variant_col].astype(str) == result.control, col], errors="coerce").dropna()
            if len(vals) > 1 and vals.std() > 0:
                sd_default = float(vals.std())
        sd = st.number_input("Spread between people (standard deviation)", 0.01, 1e9, float(round(sd_default, 2)),
                             help="How much the figure varies from person to person; taken from your test's control group when available.")
    lift = cc[1].number_input("Smallest lift worth detecting (%)", 0.5, 200.0, float(mde * 100), help="Relative: 5 means 5% more.") / 100
    power = cc[2].select_slider("Power", [0.7, 0.8, 0.9, 0.95], value=0.8, format_func=lambda x: f"{x:.0%}",
                                help="Chance of detecting the lift if it is real.")
    per_day = cc[3].number_input("Visitors per day in the test", 1.0, 1e8, float(round(result.units_per_day or 1000.0)),
                                 help="How many people would enter the test each day.")
    if kind_choice == "A conversion rate":
        n = guarded(ab.sample_size_per_arm, base, lift, 1 - confidence, power, settings.two_sided)
    else:
        n = guarded(ab.sample_size_mean, avg, sd, lift, 1 - confidence, power, settings.two_sided)
    if n:
        arms = len(spec.variants)
        m = st.columns(3)
        m[0].metric("People per group", number(n), help="Each variant and control need this many people.")
        m[1].metric("People in total", number(n * arms), help=f"For {arms} groups.")
        m[2].metric("Days to run", number(math.ceil(n * arms / per_day)), help="Total people ÷ visitors per day; run whole weeks to cover weekday patterns.")
        if kind_choice == "A conversion rate":
            st.caption(f"With {number(n)} people per group, a {lift:.0%} lift on a {base:.2%} rate is detected {power:.0%} of the time; "
                       f"the smallest lift detectable with the current test's size is "
                       f"{pct(ab.mde_two_proportions(base, min(r.units_control, r.units_variant), 1 - confidence, power, settings.two_sided))}.")
        else:
            st.caption(f"With {number(n)} people per group, a {lift:.0%} lift on an average of {avg:,.2f} is detected {power:.0%} of the time.")

# -- 5. slices -----------------------------------------------------------------------------------
if spec.segment_cols and not spec.aggregated:
    st.subheader(f"{next(_section)}. By segment")
    seg = st.selectbox("Segment column", spec.segment_cols, help="Look at the main metric within groups such as device or country.")
    sres = guarded(_segments, source_key, df, spec, spec_key, seg, primary, control, settings_t, exclude)
    if sres is not None and len(sres):
        n_looks = len(sres)
        st.warning(f"{n_looks} slices means {n_looks} extra looks: by chance alone about 1 in {round(1 / settings.alpha)} shows a 'real' "
                   "difference. Treat slice results as ideas to test next, not as findings.", icon="🔎")
        sres = sres.assign(label=sres["segment"].astype(str) + " · " + sres["variant"].astype(str))
        st.plotly_chart(forest_chart(sres), width="stretch")
        st.dataframe(sres[["segment", "variant", "units_control", "units_variant", "value_control", "value_variant", "rel_lift", "rel_ci_low",
                           "rel_ci_high", "p_value", "p_holm", "chance_to_win"]], hide_index=True, width="stretch",
                     column_config=TABLE_CONFIG)
    else:
        st.caption("No segment has at least 20 people in every group.")

# -- 6. over time --------------------------------------------------------------------------------
if spec.date_col and not spec.aggregated and t[t.metric == primary].kind.iloc[0] != "ratio":
    st.subheader(f"{next(_section)}. Lift over time")
    var_choice = st.selectbox("Variant", [x for x in spec.variants if x != control], help="Which variant to follow.") if len(spec.variants) > 2 else \
        [x for x in spec.variants if x != control][0]
    cum = guarded(_cumulative, source_key, df, spec, spec_key, primary, control, var_choice, settings_t, exclude)
    if cum is not None and len(cum):
        st.plotly_chart(cumulative_chart(cum, settings.sequential), width="stretch")
        st.caption("The lift using everyone who entered the test up to each day, with its likely range"
                   + (" (always valid: safe to read every day)." if settings.sequential else
                      ". Early days swing a lot; in fixed-horizon mode only the last day's range is valid."))

# -- 7. export -----------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Export")
cc = st.columns(2)
cc[0].download_button("Results table (CSV)", ab.results_csv(result).encode("utf-8"), file_name="ab_test_results.csv", mime="text/csv",
                      help="One row per metric and variant, with every figure on this page.")
cc[1].download_button("Summary (HTML)", ab.html_summary(result, source=f"Data: {source_name}").encode("utf-8"), file_name="ab_test_summary.html",
                      mime="text/html", help="A single page to share: verdict, data checks and results.")
