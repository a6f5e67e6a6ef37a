"""Customer service: what customers ask, which questions the FAQ already answers, and what answering them is worth."""

from __future__ import annotations

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import streamlit as st

from ecom_models.support import (DEFAULT_COST_PER_HOUR, DEFAULT_TARGET_PRECISION, UNSURE, ab_test_plan, add_edit,
                                 answered_at, deflection, faq_usage, forget_intents, has_upload, load_checks,
                                 load_settings, operating_point, remove_upload, save_intents, save_settings, save_upload, tickets_per_month, undo_edit,
                                 with_checks)
from ecom_models.value import save_page_estimate
from ecom_ui import support as U
from ecom_ui.common import (data_source_note, empty_state, guarded, md_escape, money, number, page_header, pct,
                            store_currency, workspace)

page_header("Customer service", "What your customers ask about and how often, which questions your FAQ already "
            "answers (and when it should keep quiet), and what answering them automatically is worth. Read offline by "
            "the text models shipped with the app.")

ws = workspace()
data = U.tickets_data()
if data is None:
    empty_state("support", "(tickets or chat messages: a text column, ideally with date, handling time and satisfaction)")
    st.stop()
data_source_note(data)

with st.expander("Your FAQ and labelled tickets (optional)", expanded=False):
    st.markdown("**FAQ**: a file with `faq_id,question,answer`. Several rows with the same `faq_id` are other ways of "
                "asking the same question; more phrasings make better matches. **Labelled tickets**: a file with "
                "`text,intent`, about ten per intent, to sort every ticket into *your* intents.")
    c1, c2 = st.columns(2)
    up_faq = c1.file_uploader("FAQ file", type=["csv", "xlsx", "parquet", "jsonl"], key="support_faq_upload")
    up_ex = c2.file_uploader("Labelled tickets", type=["csv", "xlsx", "parquet", "jsonl"], key="support_examples_upload")
    # A file is read and saved once, when it is dropped: the uploader keeps it on every rerun.
    for upload, namespace, column, saved_as in (
            (up_faq, "support.faq", c1, lambda f: f"FAQ saved: {f['faq_id'].nunique()} entries, {len(f)} phrasings."),
            (up_ex, "support.examples", c2,
             lambda f: f"Labelled tickets saved: {len(f)} for {f['intent'].nunique()} intents.")):
        if upload is None or st.session_state.get(f"{namespace}.file_id") == upload.file_id:
            continue
        cleaned = guarded(save_upload, ws, namespace, upload, upload.name)
        if cleaned is not None:
            st.session_state[f"{namespace}.file_id"] = upload.file_id
            column.success(saved_as(cleaned))
    for namespace, column, label in (("support.faq", c1, "Remove the FAQ"),
                                     ("support.examples", c2, "Remove the labelled tickets")):
        if has_upload(ws, namespace) and column.button(label, key=namespace.replace(".", "_") + "_remove"):
            remove_upload(ws, namespace)
            st.rerun()

faq, faq_source = U.faq_frame(data)
examples = U.examples_frame()
saved = U.saved_frame()
use_saved = saved is not None and examples is None and st.toggle(
    "Use my saved intents", value=True, key="support_use_saved",
    help="Sort these tickets into the intents you named and edited before (saved below, under Edit intents).")

base = guarded(U.analysis, data, faq, examples, saved, use_saved)
if base is None:
    st.stop()
a, edits = U.edited(base, data.key)
for note in a.notes:
    st.info(note, icon="ℹ️")

t = a.tickets
n_unsure = int((t["intent"] == UNSURE).sum())
c1, c2, c3, c4 = st.columns(4) if a.mode != "discovered" else (*st.columns(3), None)
c1.metric("Tickets read", number(len(t)), help="Tickets (or chat conversations) with text.")
c2.metric("Intents", number(int((a.intents["intent"] != UNSURE).sum())),
          help={"discovered": "Groups of tickets asking the same thing, found without labels; how many was chosen from "
                              "your data (how well the groups separate and how stable they are).",
                "examples": "The intents of your labelled tickets.",
                "saved": "The intents you named and saved before."}[a.mode])
c3.metric("Tickets per month", number(tickets_per_month(t)), help="Over the span of dates in the file.")
if c4 is not None:
    c4.metric("Unsure", number(n_unsure), help="Tickets the model could not place with at least 35% confidence: read them by hand "
                   "or label a few like them.")
st.caption(f"Read with {a.encoder} in {a.seconds:.0f} s. "
           + {"discovered": f"Intents found without labels: {a.k} groups.",
              "examples": "Intents from your labelled tickets.", "saved": "Intents from your saved, edited intents."}[a.mode]
           + (f" {len(edits)} edit(s) applied." if edits else ""))

tabs = st.tabs(["What customers ask", "Trends", "Edit intents", "Intents from examples", "FAQ answers", "Value"])

# -- intents -------------------------------------------------------------------------------------
with tabs[0]:
    st.header("What customers ask about")
    signals = a.intents.dropna(subset=["new_since"]) if "new_since" in a.intents else a.intents.iloc[0:0]
    for r in signals.itertuples():
        st.warning(f"**New since {r.new_since:%d %b %Y}**: {md_escape(r.intent)} ({r.size} tickets). Something began "
                   "then: a product defect, a policy or a delivery problem?", icon=":material/new_releases:")
    spikes = a.intents.dropna(subset=["spike_week"]) if "spike_week" in a.intents else a.intents.iloc[0:0]
    for r in spikes.itertuples():
        st.info(f"**Spike in the week of {r.spike_week:%d %b %Y}**: {md_escape(r.intent)}, {int(r.spike_tickets)} "
                "tickets (3× its usual week or more). A sale or a carrier delay?", icon=":material/trending_up:")
    st.plotly_chart(U.volume_chart(a), width="stretch")
    U.show_intent_table(a)

# -- trends --------------------------------------------------------------------------------------
with tabs[1]:
    st.header("Tickets per week")
    if a.weekly.empty:
        st.info("The tickets have no dates, so there is no timeline. Add a created-at column to see trends.")
    else:
        names = list(a.intents["intent"])
        default = list(dict.fromkeys(list(spikes["intent"]) + list(signals["intent"]) + names[:3]))[:5]
        pick = st.multiselect("Intents", names, default=default, key="support_trend_pick")
        st.plotly_chart(U.weekly_chart(a, pick or names[:3]), width="stretch")
        st.caption("Weekly tickets per intent. Spikes and new intents are flagged on the first tab.")

# -- edits ---------------------------------------------------------------------------------------
with tabs[2]:
    st.header("Rename, merge and split intents")
    st.caption("Edits are saved with this file. Save the result to sort your next file into the same intents.")
    names = [n for n in a.intents["intent"] if n != UNSURE]
    e1, e2, e3 = st.columns(3)
    with e1.form("support_rename"):
        old = st.selectbox("Intent", names, key="support_rename_from")
        new = st.text_input("New name", max_chars=60, key="support_rename_to")
        if st.form_submit_button("Rename") and new.strip():
            add_edit(ws, data.key, {"op": "rename", "intent": old, "to": new.strip()})
            st.rerun()
    with e2.form("support_merge"):
        group = st.multiselect("Intents to merge", names, key="support_merge_pick")
        name = st.text_input("Name of the merged intent", max_chars=60, key="support_merge_to")
        if st.form_submit_button("Merge") and len(group) >= 2 and name.strip():
            add_edit(ws, data.key, {"op": "merge", "intents": group, "to": name.strip()})
            st.rerun()
    with e3.form("support_split"):
        which = st.selectbox("Intent to split in two", names, key="support_split_pick")
        if st.form_submit_button("Split"):
            add_edit(ws, data.key, {"op": "split", "intent": which})
            st.rerun()
    b1, b2, b3 = st.columns(3)
    if edits and b1.button("Undo the last edit", key="support_undo"):
        undo_edit(ws, data.key)
        st.rerun()
    if b2.button("Save these intents for my next file", key="support_save_intents", type="primary"):
        save_intents(ws, a)
        st.success("Saved: the next file's tickets will be sorted into these intents.")
    if saved is not None and b3.button("Forget my saved intents", key="support_forget_intents"):
        forget_intents(ws)
        st.rerun()

# -- examples ------------------------------------------------------------------------------------
with tabs[3]:
    st.header("Intents from a few labelled tickets")
    comp = a.comparison
    if comp is None or not comp.accuracy:
        st.markdown("Upload **labelled tickets** (`text,intent`, about ten per intent) in *Your FAQ and labelled tickets* "
                    "above: every ticket is then sorted into your intents, with a confidence, and tickets the model is "
                    "not sure about go to an **unsure** bucket. The model is checked against a simple baseline on "
                    "labelled tickets it did not learn from." + (f" ({comp.reason}.)" if comp is not None else ""))
    else:
        U.show_comparison(comp)
        winner = {"self-trained": "The self-trained model wins", "baseline": "The TF-IDF baseline wins",
                  "tie": "Neither model wins"}[comp.winner]
        st.markdown(f"**{winner}** on {comp.n_held_out} labelled tickets held out in {comp.folds} rounds: {comp.reason}.")
        st.metric("Tickets in the unsure bucket", pct(n_unsure / max(len(t), 1)),
                  help="Best intent below 35% confidence: read these by hand, or label a few more like them.")
        unsure = t[t["intent"] == UNSURE][["ticket_id", "text", "confidence"]].head(100)
        st.dataframe(unsure.rename(columns={"ticket_id": "Ticket", "text": "Ticket text", "confidence": "Best confidence"}),
                     hide_index=True, width="stretch",
                     column_config={"Best confidence": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})
    st.dataframe(t[["ticket_id", "intent", "confidence", "text"]].head(500).rename(columns={
        "ticket_id": "Ticket", "intent": "Intent", "confidence": "Confidence", "text": "Ticket text"}),
        hide_index=True, width="stretch",
        column_config={"Confidence": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})

# -- FAQ -----------------------------------------------------------------------------------------
settings = load_settings(ws)
a, checks = with_checks(a, load_checks(ws, data.key))  # answers the merchant marked right or wrong correct the curve
with tabs[4]:
    st.header("Which questions your FAQ already answers")
    if not a.has_faq:
        st.info("Upload your FAQ (`faq_id,question,answer`) in *Your FAQ and labelled tickets* above to see which tickets "
                "it answers.")
        target, threshold, chosen = None, float("inf"), {}
    else:
        target = st.slider("Target precision: how often an answer must be right", 0.70, 0.99,
                           float(settings.get("target_precision", DEFAULT_TARGET_PRECISION)), 0.01, key="support_target",
                           format="percent",
                           help="Higher means fewer, safer answers. The bot keeps quiet on every ticket below the matching "
                                f"confidence. The default {DEFAULT_TARGET_PRECISION:.0%} keeps a margin: without checked answers, "
                                "the precision delivered can land about 3 points either side of the target.")
        threshold, chosen = operating_point(a, target)
        answered = answered_at(a, threshold)
        share = float(answered["faq_id"].notna().mean())
        f1, f2, f3 = st.columns(3)
        f1.metric("Tickets the FAQ answers", pct(share), help="Share of your tickets matched with confidence at or above the threshold.")
        f2.metric("Expected precision", pct(chosen.get("precision")) if chosen else "–",
                  help="Share of the answered tickets expected to be right: the mean confidence of the tickets answered "
                       f"at this threshold, with a confidence from {a.tradeoff.source}.")
        f3.metric("Confidence threshold", "–" if threshold == float("inf") else f"{threshold:.2f}",
                  help="A ticket is answered only when its match is at least this sure.")
        st.markdown(U.standing_line(chosen, target, a.tradeoff.n))
        st.plotly_chart(U.tradeoff_chart(a.tradeoff.curve, chosen, target), width="stretch")
        st.caption(U.tradeoff_caption(a.tradeoff, faq_source))
        U.check_answers(ws, data.key, a, threshold, checks)
        st.dataframe(faq_usage(a, answered).rename(columns={
            "faq_id": "FAQ entry", "tickets_answered": "Tickets answered", "question": "Question", "answer": "Answer"}),
            hide_index=True, width="stretch")
        show = answered[["ticket_id", "text", "faq_id", "faq_confidence", "best_faq_id", "intent"]].head(500)
        st.dataframe(show.rename(columns={"ticket_id": "Ticket", "text": "Ticket text", "faq_id": "Answered with",
                                          "faq_confidence": "Confidence", "best_faq_id": "Closest entry", "intent": "Intent"}),
                     hide_index=True, width="stretch",
                     column_config={"Confidence": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})

# -- value ---------------------------------------------------------------------------------------
with tabs[5]:
    st.header("What answering them is worth")
    currency = store_currency()
    if not a.has_faq:
        st.info("The value comes from the tickets your FAQ answers: upload the FAQ first.")
    else:
        d0 = deflection(a, threshold=threshold)
        with st.form("support_value_form"):
            v1, v2, v3 = st.columns(3)
            per_month = v1.number_input("Tickets per month", min_value=0.0, value=float(settings.get("tickets_per_month", round(d0["tickets_per_month"]))),
                                        step=10.0, format="%.0f", help="From the span of dates in your file; change it for next year's volume.")
            minutes = v2.number_input("Agent minutes per ticket", min_value=0.0, max_value=600.0, step=0.5,
                                      value=float(settings.get("minutes", round(d0["minutes_per_ticket"], 1))),
                                      help=f"Prefilled: {d0['minutes_source']}.")
            cost = v3.number_input(f"Agent cost per hour ({currency})", min_value=0.0, step=1.0,
                                   value=float(settings.get("cost_per_hour", DEFAULT_COST_PER_HOUR)),
                                   help="Wage plus overheads of one support agent hour.")
            if st.form_submit_button("Save"):
                settings = {"target_precision": target, "tickets_per_month": per_month, "minutes": minutes, "cost_per_hour": cost}
                save_settings(ws, settings)
        d = deflection(a, threshold=threshold, minutes_per_ticket=minutes, cost_per_hour=cost, monthly_tickets=per_month)
        est = U.support_estimate(d, currency)
        m1, m2, m3 = st.columns(3)
        m1.metric("Tickets answered right", pct(d["share"]),
                  help="Share answered at your operating point × its expected precision: wrong answers still reach an agent.")
        m2.metric("Agent hours saved per month", number(d["hours_saved_per_month"], 1),
                  help="Tickets per month × share answered right × minutes per ticket.")
        m3.metric("Saved per month (estimate)", money(est.monthly_value, currency),
                  help="Hours saved × agent cost per hour. The range combines the uncertainty of the answered share and of the precision.")
        st.caption(f"Range {money(est.monthly_low, currency)} – {money(est.monthly_high, currency)} per month. "
                   f"Evidence ({est.evidence_kind}): {d['evidence']}.")
        save_page_estimate(ws, "support.value", est)  # a write only when the estimate changed, not on every rerun
        st.subheader("The A/B test that would confirm it")
        st.markdown(U.ab_plan_text(ab_test_plan(d)))
