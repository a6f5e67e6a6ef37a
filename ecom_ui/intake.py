"""Showing an intake quality report (a dict from QualityReport.to_dict())."""

import pandas as pd
import streamlit as st


def show_report(report: dict) -> None:
    usable, rows_in = report.get("rows_usable", 0), report.get("rows_in", 0)
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows read", f"{rows_in:,}", help="Data rows in the file, blank and malformed lines included.")
    c2.metric("Rows usable", f"{usable:,}", help="Rows the app can use. Cancellations and returns are usable: they lower net revenue.")
    c3.metric("Left out", f"{rows_in - usable:,}", help="Blank, malformed or unreadable rows; see below.")
    mapping = report.get("mapping", {})
    confidence = report.get("confidence", {})
    if mapping:
        st.markdown("**Columns used**")
        st.dataframe(pd.DataFrame([{"field": k.replace("_", " "), "your column": v, "confidence": confidence.get(k)}
                                   for k, v in mapping.items()]),
                     hide_index=True, width="stretch",
                     column_config={"confidence": st.column_config.ProgressColumn("confidence", min_value=0, max_value=1,
                                                                                   format="percent")})
    quirks = report.get("quirks", [])
    if quirks:
        st.markdown("**What we found, and what you can do**")
        st.dataframe(pd.DataFrame([{"finding": q["label"], "rows": q["count"], "what to do": q["advice"]} for q in quirks]),
                     hide_index=True, width="stretch")
        for q in quirks:
            if q.get("examples"):
                with st.expander(f"Examples: {q['label'].lower()}"):
                    st.dataframe(pd.DataFrame(q["examples"]).astype("str"), hide_index=True, width="stretch")
    else:
        st.success("No quirks found.")
    show_privacy(report)
    for note in report.get("notes", []):
        st.caption("ℹ️ " + note)


def show_privacy(report: dict) -> None:
    """What personal data the file holds and what was done with it."""
    from ecom_models.intake.pii import LABELS

    found = report.get("pii") or {}
    actions = report.get("privacy")
    if not found and not actions:
        return
    st.markdown("**Personal data**")
    if found:
        st.dataframe(pd.DataFrame([{"column": c, "holds": LABELS.get(k, k)} for c, k in found.items()]),
                     hide_index=True, width="stretch")
    if actions:
        for action in actions:
            st.caption("🔒 " + action)
        st.caption("🔒 Columns the app does not use are not stored at all; examples in this report are masked.")
    else:
        st.caption("🔒 On saving, customer identifiers are stored as pseudonyms, personal columns the app does not "
                   "use are not stored, and e-mails and phone numbers inside text are masked.")


def currency_choice(ws, dataset) -> None:
    """The currency of a saved orders dataset whose file names none: read from its countries or
    the default, and the merchant can choose another one (kept in the workspace, used by every page)."""
    from ecom_models.intake import COMMON_CURRENCIES, DEFAULT_CURRENCY, chosen_currency, choose_currency

    read = (dataset.report or {}).get("currency") or {}
    if dataset.kind != "orders" or ((dataset.report or {}).get("mapping", {}).get("currency") and not read):
        return  # the file has a currency column: it wins
    as_read = read.get("code") or DEFAULT_CURRENCY
    chosen = chosen_currency(ws, dataset.id)
    options = list(dict.fromkeys([as_read] + COMMON_CURRENCIES + ([chosen] if chosen else [])))
    why = {"country": "read from where most sale lines are from", "given": "given when the file was saved",
           "default": "the default: the file names no currency and no country holds 80% of the lines"}
    pick = st.selectbox(f"Currency of the amounts in {dataset.name}", options, index=options.index(chosen or as_read),
                        key=f"currency-{dataset.id}",
                        format_func=lambda c: f"{c} (as read: {why.get(read.get('from'), 'the default')})"
                        if c == as_read else c,
                        help="The file names no currency. Every page, download and estimate shows amounts in "
                             "the one chosen here; you can change it later.")
    if pick != (chosen or as_read):
        choose_currency(ws, dataset.id, None if pick == as_read else pick)
        st.rerun()
