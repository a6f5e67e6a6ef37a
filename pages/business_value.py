"""Business value: every model's effect added up into one editable, honest business case,
with totals and intervals, a waterfall, a sensitivity chart, ROI and a report to hand on."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)

import streamlit as st

from ecom_models.core.stats import finite
from ecom_models.value import (KIND_LABELS, MODELS, MODELS_COUNTED_HELP, MODELS_COUNTED_LABEL, TITLES,
                               WHAT_IT_MEASURES, ab_lever_guess, ab_replaced_lever, all_page_assumptions,
                               changed_overrides, effective_overrides, fill_from_saved, fmt_assumption, fmt_figure, fmt_share, load_settings, row_colours, rows_figure, rows_table,
                               save_ab_choice, save_costs, save_overrides, tornado_figure, waterfall_figure)
from ecom_ui import value as U
from ecom_ui.common import (
    active_data,
    money,
    money_range,
    page_header,
    require_data,
    workspace,
)

page_header("Business value", "What AI is worth to your store: each model's effect on your own data, added up into one "
            "business case with honest ranges. Edit any assumption; your edits are saved in this workspace.")

orders = require_data("orders", "(an order-lines export) to put a money value on each model")


def _companion(kind: str):
    """Another dataset to go with the orders: never the demo store's next to the merchant's own orders."""
    found = active_data(kind)
    if found is not None and found.is_demo and not orders.is_demo:
        return None
    return found


experiment = _companion("experiment")
traffic = _companion("traffic")
reviews = _companion("reviews")
ws = workspace()
overrides, costs, ab_choice = load_settings(ws)  # overrides: the edits made on this page
page_values = all_page_assumptions(ws)  # numbers set on the models' own pages
effective = effective_overrides(ws, overrides)  # ... updated with the edits made here

# -- each model's lever (computed once per dataset, then cached) -------------------------------
jobs, ready_key = U.lever_inputs(ws, orders, reviews=reviews, experiment=experiment, traffic=traffic)
levers = U.all_levers(ws, jobs, ready_key, reviews)
levers = fill_from_saved(levers, ws)  # estimates saved by the models' own pages fill the rows not computed here
ab_guess = ab_lever_guess(levers.get("abtest"), experiment.source if experiment else "")
ab_replaces = ab_replaced_lever(ab_choice, ab_guess)
summary_key, summary = U.summary_for(ready_key, levers, effective, ab_replaces, costs,
                                    U.net_revenue(orders.key, orders.df))
cur = summary.currency

# -- headline ------------------------------------------------------------------------------------
st.subheader("The business case")
c1, c2, c3, c4 = st.columns(4)
with c1.container(border=True):
    st.metric("Shown by your data", money(summary.measured.mid, cur),
              help="Rows resting on your own data: an A/B test on your store, a backtest on held-out days of your "
                   "history, or the orders you marked. Before your margin and costs.")
    st.caption(f"a month · 90% range {money_range(summary.measured.low, summary.measured.high, cur)} · "
               f"{fmt_share(summary.share(summary.measured.mid))} of your net revenue")
with c2.container(border=True):
    st.metric("If the assumptions hold", money(summary.assumed.mid, cur),
              help="Rows resting on an offline metric mapped through a published prior, or mostly on an assumption. "
                   "Confirm the largest ones with an A/B test before counting on them.")
    st.caption(f"a month · 90% range {money_range(summary.assumed.low, summary.assumed.high, cur)} · "
               f"{fmt_share(summary.share(summary.assumed.mid))} of your net revenue")
c3.metric("Your net revenue per month", money(summary.monthly_net_revenue, cur),
          help="Sales minus cancellations and returns, per month of your order history. Every share of revenue on "
               "this page is of this figure.")
c3.caption("Every row says what share of it it claims.")
if summary.costs_entered:
    c4.metric("Chance it pays off", fmt_figure(summary.chance_positive, "%", cur),
              help="Share of the simulated outcomes in which the first-year net gain (after your costs) is above zero.")
else:
    c4.info("**Chance it pays off**: enter your monthly running cost and setup cost under *Your costs* below to see "
            "it.", icon="✏️")
for flag in summary.flags:
    st.warning(flag, icon="⚠️")
c5, c9, c6, c7, c8 = st.columns(5)
c5.metric("Net gain in the first year", money(summary.first_year_net.mid, cur),
          help="Twelve months of (value x your margin on extra sales, minus the running cost), minus the one-off setup "
               "cost. Both kinds of rows together.")
c5.caption(f"90% range {money_range(summary.first_year_net.low, summary.first_year_net.high, cur)}")
c9.metric("Profit per month", money(summary.monthly_profit.mid, cur),
          help="Monthly value after your gross margin on extra sales; costs avoided (forecasting, fraud) count in full.")
c6.metric("First-year ROI", fmt_figure(summary.roi_first_year, "ratio", cur),
          help="First-year net gain divided by what you spend in the first year (running cost x 12 + setup). "
               "Shows '–' until you enter your costs below.")
c7.metric("Payback time", fmt_figure(summary.payback_months, "months", cur),
          help="Months of net gain needed to earn back the one-off setup cost. Shows '–' until you enter your costs below.")
c8.metric(MODELS_COUNTED_LABEL, summary.models_counted_text, help=MODELS_COUNTED_HELP)
st.caption("Ranges: each row's low/high is read as its own 90% range; the totals add the rows up in "
           f"{summary.n_sims:,} simulated outcomes. Both together: {money(summary.monthly.mid, cur)} a month "
           f"({money_range(summary.monthly.low, summary.monthly.high, cur)}). Estimates, not promises: each row "
           "says what its evidence is.")

with st.expander("Your costs (for the net gain and the return on investment)", expanded=costs.monthly_cost == 0 and costs.setup_cost == 0):
    with st.form("value-costs"):
        k1, k2, k3 = st.columns(3)
        monthly_cost = k1.number_input(f"Monthly cost of running it ({cur})", min_value=0.0, value=float(costs.monthly_cost),
                                       step=100.0, help="Hosting, licences and staff time per month.")
        setup_cost = k2.number_input(f"One-off setup cost ({cur})", min_value=0.0, value=float(costs.setup_cost), step=500.0,
                                     help="Integration, design and training, paid once.")
        margin = k3.number_input("Gross margin on extra sales (%)", min_value=0.0, max_value=100.0,
                                 value=float(costs.gross_margin * 100), step=5.0,
                                 help="Share of an extra sale's revenue that is profit after the cost of goods.")
        if st.form_submit_button("Save costs"):
            save_costs(ws, monthly_cost, setup_cost, margin / 100)
            st.rerun()

# -- rows --------------------------------------------------------------------------------------------
st.subheader("Each model")
st.caption("Ordered by evidence: 🟢 your own data (A/B test, backtest, your decisions), 🟠 an offline metric mapped "
           "through a published prior, 🔴 mostly an assumption. Share of revenue: of your net revenue per month.")
st.dataframe(U.styled_rows(rows_table(summary), row_colours(summary)), hide_index=True, width="stretch",
             column_config={"Evidence": st.column_config.TextColumn(width="large"),
                            "What changes": st.column_config.TextColumn(width="medium"),
                            "Flag": st.column_config.TextColumn(width="medium")})
st.plotly_chart(rows_figure(summary), width="stretch")
st.plotly_chart(waterfall_figure(summary), width="stretch")
st.caption("Green adds value, red takes it away: the cost of goods on extra sales (1 minus your margin) and the running cost.")

# -- A/B precedence ----------------------------------------------------------------------------------
ab_row = next(r for r in summary.rows if r.model == "abtest")
if ab_row.estimate is not None:
    options = ["auto", "none"] + [m for m in MODELS if m not in ("abtest",)]

    def _label(o: str) -> str:
        if o == "auto":
            return f"Detect from the test's names (now: {TITLES[ab_guess].lower() if ab_guess else 'a change of its own'})"
        if o == "none":
            return "A change of its own (count it on top of the others)"
        return TITLES[o]

    choice = st.selectbox("What did your A/B test measure?", options, index=options.index(ab_choice) if ab_choice in options else 0,
                          format_func=_label,
                          help="A measured A/B result outranks an offline estimate of the same lever: that offline row is "
                               "then shown but not counted, so nothing is counted twice.")
    if choice != ab_choice:
        save_ab_choice(ws, choice)
        st.rerun()

# -- assumptions -------------------------------------------------------------------------------------
st.subheader("Assumptions behind each row")
st.caption("Change a number and press Save: the row and the totals are recomputed with the model already fitted. "
           "Percentages are entered as percent.")
for row in summary.rows:
    lever = levers.get(row.model)
    title = f"{row.title}: " + (money(row.monthly, cur) + " per month" if row.estimate else "not computed yet")
    with st.expander(title + (" (not counted)" if row.status == "replaced" else "")):
        if row.estimate is None:
            st.info(row.needs, icon="📂")
            continue
        e = row.estimate
        st.markdown(f"**What changes:** {WHAT_IT_MEASURES[row.model]}.")
        st.text(f"Evidence ({KIND_LABELS.get(e.evidence_kind, e.evidence_kind)}): {e.evidence}")
        if _share_ok := finite(row.share_of_revenue):
            st.caption(f"{fmt_share(row.share_of_revenue)} of your net revenue; plausible for this lever: up to "
                       f"{row.bound:.0%}.")
        if row.flag:
            st.warning(row.flag, icon="⚠️")
        if e.note:
            st.text(e.note)
        if row.note:
            st.caption("ℹ️ " + row.note)
        if lever is not None and lever.source == "saved":
            st.caption("This estimate was saved by the model's own page; edits scale it in proportion.")
        defaults = {a.key: a.value for a in (lever.estimate.assumptions if lever and lever.estimate else [])}
        defaults.update(page_values.get(row.model, {}))  # the model page's numbers are the defaults here
        with st.form(f"value-assumptions-{row.model}"):
            new = {}
            cols = st.columns(2)
            for i, a in enumerate(e.assumptions):
                percent = a.unit in ("%", "share")
                shown = float(a.value) * 100 if percent else float(a.value)
                unit = "%" if percent else a.unit
                rng = ""
                if finite(a.low) and finite(a.high):
                    rng = f" Plausible range: {fmt_assumption(a.low, a.unit)} to {fmt_assumption(a.high, a.unit)}."
                value = cols[i % 2].number_input(f"{a.label} ({unit})" if unit else a.label, value=shown,
                                                 format="%.4g" if abs(shown) < 1000 else "%.0f",
                                                 help=(a.help or "An assumption of this estimate.") + rng,
                                                 key=f"value-{row.model}-{a.key}")
                new[a.key] = value / 100 if percent else value
            s1, s2 = st.columns(2)
            save = s1.form_submit_button("Save assumptions")
            reset = s2.form_submit_button("Back to the defaults", help="The model's own figures, or the numbers "
                                          "set on its own page.")
        if save:
            overrides[row.model] = changed_overrides(new, defaults)
            save_overrides(ws, {m: d for m, d in overrides.items() if d})
            st.rerun()
        if reset:
            overrides.pop(row.model, None)
            save_overrides(ws, overrides)
            for a in e.assumptions:
                st.session_state.pop(f"value-{row.model}-{a.key}", None)
            st.rerun()

# -- sensitivity ---------------------------------------------------------------------------------------
st.subheader("Which assumptions matter most")
if len(summary.tornado):
    st.plotly_chart(tornado_figure(summary), width="stretch")
    n_default = int(summary.tornado["default_range"].sum())
    st.caption("Each bar: the first-year net gain with one assumption at the worse (red) and the better (green) end of "
               "its plausible range, all else as it is; the dashed line is today's figure. Check the top ones first."
               + (f" {n_default} assumption(s) without a stated range vary by ±20%." if n_default else ""))
else:
    st.info("No counted row has an assumption to vary yet.")

# -- report --------------------------------------------------------------------------------------------
st.subheader("Hand it on")
st.caption("The report holds exactly the figures on this page. The HTML works offline (charts included); "
           "the CSV has every figure and assumption for your own spreadsheet.")
store_name = "the demo store" if orders.is_demo else ""


def _pdf():
    # the PDF is slow to draw, so it is made on click (in a separate thread), from the very summary
    # drawn on this page, without Streamlit's cache (which belongs to the script's own thread)
    return U.make_report(summary, store_name, "pdf")


d1, d2, d3 = st.columns(3)
d1.download_button("Download report (HTML)", U.report_file(summary_key, summary, store_name, "html"),
                   file_name="business_value_report.html", mime="text/html",
                   help="One file with the figures, tables and interactive charts; opens in any browser, no internet needed.")
d2.download_button("Download report (PDF)", _pdf, file_name="business_value_report.pdf", mime="application/pdf",
                   help="Printable version with the same figures and charts.")
d3.download_button("Download figures and assumptions (CSV)", U.report_file(summary_key, summary, store_name, "csv"), file_name="business_value_figures.csv",
                   mime="text/csv", help="Every figure, its 90% range and every assumption, one per line.")
