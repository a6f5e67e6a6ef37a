"""A/B tests: did the change work, how sure are we, what is it worth, how long to keep it running."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
from dataclasses import asdict

import streamlit as st

from ecom_models.abtest import (
    Settings,
    html_summary,
    monthly_extra_conversions,
    ratio_candidates,
    ratio_name,
    ratio_request,
    results_csv,
    value_choice,
    verdict,
)
from ecom_models.core.errors import InputError
from ecom_models.value import abtest_value
from ecom_ui import abtest as ui
from ecom_ui.common import (active_data, data_source_note, empty_state, guarded, money, money_range, number, page_header,
                            show_input_error, store_currency)

page_header("A/B tests", "Did the change work, how sure can you be, what is it worth per month, and how long to keep the test "
            "running. Each variant is compared with the control group, the version you have today.")

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

df = guarded(ui.prepared, source_key, source_df)
if df is None:
    st.stop()

# -- settings -----------------------------------------------------------------------------------
try:
    auto = ui.detected(source_key, df, None)
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
    spec = guarded(ui.detected, source_key, df, variant_col)
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
    numeric_cols = ratio_candidates(df, spec)
    if numeric_cols:
        with st.expander("Add a ratio metric (optional)"):
            st.caption("For example revenue per order: the total of one column divided by the total of another, per group.")
            num = st.selectbox("Numerator", ["–"] + numeric_cols, key="ab_ratio_num", help="What is counted, e.g. revenue.")
            den = st.selectbox("Denominator", ["–"] + numeric_cols, key="ab_ratio_den", help="What it is divided by, e.g. orders or sessions.")
            if num != "–" and den != "–" and num != den and ratio_name(num, den) not in metrics:
                metrics.append(ratio_request(num, den))
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

settings = Settings(confidence=confidence, two_sided=sided.startswith("Is the variant different"), sequential=mode.startswith("Any time"),
                    cuped=cuped, cap_percentile=cap, prior_sd=prior_sd, correction=correction, mde=mde)
settings_t = tuple(asdict(settings).values())
spec_key = repr(spec.to_dict())
weights = tuple(st.session_state.get("ab_weights", {}).items())

exclude = st.session_state.get("ab_exclude", False)
result = guarded(ui.analysed, source_key, df, spec, spec_key, control, tuple(metrics), settings_t, exclude, weights)
if result is None:
    st.stop()
other = None
q = result.quality_raw or result.quality
if q.can_leave_out:
    try:
        other = ui.analysed(source_key, df, spec, spec_key, control, tuple(metrics), settings_t, not exclude, weights)
    except InputError:
        other = None

# -- verdict -------------------------------------------------------------------------------------
v = verdict(result, primary)
ui.verdict_banner(v, result)

# -- 1. data quality -----------------------------------------------------------------------------
_section = iter(range(1, 20))
st.subheader(f"{next(_section)}. Can you trust the data?")
ui.quality_checks(q, spec.aggregated)
if q.can_leave_out:
    st.toggle("Leave out the affected people", key="ab_exclude",
              help="Drops rows that contradict their variant, people seen in several variants, and repeats (keeping each person's first row).")
    if other is not None:
        st.caption(f"The main metric both ways (first variant, {primary}):")
        st.dataframe(ui.both_ways_table(*((other, result) if exclude else (result, other)), primary), hide_index=True, width="stretch")
ui.planned_split(spec.variants, dict(weights))

# -- 2. results ----------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Results")
t = result.table
ui.result_rows(result, metrics, primary)
if len(t) > 1:
    st.plotly_chart(ui.forest_chart(t.assign(label=t.metric + " · " + t.variant)), width="stretch")
    st.caption("Each dot is a lift; the bar is its likely range. Green: a real gain, red: a real loss, grey: could be chance.")
cuped_text, capped_text = ui.cuped_and_capping_notes(t)
if cuped_text:
    st.caption(cuped_text)
ui.method_notes(result.notes)
if capped_text:
    st.caption(capped_text)
with st.expander("Full results table"):
    st.dataframe(t.drop(columns=["explanation"]), hide_index=True, width="stretch", column_config=ui.table_config())

# -- 3. money ------------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. What it is worth")
choice = value_choice(result, primary)
if choice is None:
    st.info("Money impact needs a conversion metric (0/1 per person, such as 'converted').")
else:
    traffic, orders = active_data("traffic"), active_data("orders")
    visitors, aov = ui.store_figures(traffic.key if traffic else "", traffic.df if traffic else None, orders.key if orders else "", orders.df if orders else None)
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
    variant_for_money = cc[2].selectbox("Variant to value", choice.variants, index=0,
                                        help="The variant you are thinking of shipping.") if len(spec.variants) > 2 else choice.best_variant
    est = abtest_value(result, visitors, aov, metric=choice.metric, variant=variant_for_money, currency=currency)
    conv_mid, conv_lo, conv_hi = monthly_extra_conversions(result, visitors, choice.metric, variant_for_money)
    m = st.columns(2)
    m[0].metric("Extra conversions per month", number(conv_mid), help=f"Likely between {number(conv_lo)} and {number(conv_hi)}: visitors × today's rate × the lift and its range.")
    m[1].metric("Extra revenue per month", money(est.monthly_value, currency), help="Extra conversions × average order value. Negative means the variant loses money.")
    st.caption(f"Likely range: {money_range(est.monthly_low, est.monthly_high, currency)} per month "
               f"({number(conv_lo)} to {number(conv_hi)} conversions). Assumes every visitor would see the change, and each extra conversion is one average order.")

# -- 4. planning ---------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Planning")
tab_now, tab_new, tab_wb = st.tabs(["This test so far", "Plan a new test", "Win-back campaign test"])
with tab_now:
    ui.plan_this_test(result, primary, v.call)
with tab_new:
    ui.plan_new_test(df, result, choice, primary)
with tab_wb:
    ui.plan_winback_test()

# -- 5. slices -----------------------------------------------------------------------------------
if spec.segment_cols and not spec.aggregated:
    st.subheader(f"{next(_section)}. By segment")
    seg = st.selectbox("Segment column", spec.segment_cols, help="Look at the main metric within groups such as device or country.")
    sres = guarded(ui.segments, source_key, df, spec, spec_key, seg, primary, control, settings_t, exclude)
    if sres is not None and len(sres):
        st.warning(f"{len(sres)} slices means {len(sres)} extra looks: by chance alone about 1 in {round(1 / settings.alpha)} shows a 'real' "
                   "difference. Treat slice results as ideas to test next, not as findings.", icon="🔎")
        sres = sres.assign(label=sres["segment"].astype(str) + " · " + sres["variant"].astype(str))
        st.plotly_chart(ui.forest_chart(sres), width="stretch")
        st.dataframe(sres[["segment", "variant", "units_control", "units_variant", "value_control", "value_variant", "rel_lift", "rel_ci_low",
                           "rel_ci_high", "p_value", "p_holm", "chance_to_win"]], hide_index=True, width="stretch",
                     column_config=ui.table_config())
    else:
        st.caption("No segment has at least 20 people in every group.")

# -- 6. over time --------------------------------------------------------------------------------
if spec.date_col and not spec.aggregated and t[t.metric == primary].kind.iloc[0] != "ratio":
    st.subheader(f"{next(_section)}. Lift over time")
    var_choice = st.selectbox("Variant", [x for x in spec.variants if x != control], help="Which variant to follow.") if len(spec.variants) > 2 else \
        [x for x in spec.variants if x != control][0]
    cum = guarded(ui.cumulative, source_key, df, spec, spec_key, primary, control, var_choice, settings_t, exclude)
    if cum is not None and len(cum):
        st.plotly_chart(ui.cumulative_chart(cum, settings.sequential), width="stretch")
        st.caption("The lift using everyone who entered the test up to each day, with its likely range"
                   + (" (always valid: safe to read every day)." if settings.sequential else
                      ". Early days swing a lot; in fixed-horizon mode only the last day's range is valid."))

# -- 7. export -----------------------------------------------------------------------------------
st.subheader(f"{next(_section)}. Export")
cc = st.columns(2)
cc[0].download_button("Results table (CSV)", results_csv(result).encode("utf-8"), file_name="ab_test_results.csv", mime="text/csv",
                      help="One row per metric and variant, with every figure on this page.")
cc[1].download_button("Summary (HTML)", html_summary(result, source=f"Data: {source_name}").encode("utf-8"), file_name="ab_test_summary.html",
                      mime="text/html", help="A single page to share: verdict, data checks and results.")
