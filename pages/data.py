"""Data & workspace: upload exports, check and correct the column mapping, read the quality
report, choose which dataset each page uses, and manage workspaces."""

import ecom_ui  # noqa: F401  (first: a deep link before any other page runs app.py's navigation)
import hashlib

import streamlit as st

from ecom_models.core.errors import InputError
from ecom_models.intake import (KIND_HELP, KINDS, PII_LABELS, SYNONYM_INDEX, ReadInfo, check_and_save, detect_pii,
                                guess_kind, map_columns, masked_preview, read_table, remembered_mapping)
from ecom_models.workspace import (IDENTITIES_MISSING_NOTE, create_workspace, delete_workspace, format_size,
                                   identities_status, import_workspace, list_workspaces)
from ecom_ui.common import md_escape, page_header, workspace

page_header("Data & workspace", "Upload your exports; they are checked, mapped and kept on this machine only.")

ws = workspace()


@st.cache_data(show_spinner=False, max_entries=8)
def _read(data: bytes, name: str):
    info = ReadInfo(format="")
    return read_table(data, name=name, info=info), info


runs_slot = st.container()  # filled at the end, so runs started by a save below show at once
tab_upload, tab_datasets, tab_workspace = st.tabs(["Upload", "Your datasets", "Workspace"])

with tab_upload:
    st.markdown("Accepted: **CSV** (any separator; UTF-8 or Windows/Latin-1), **Excel .xlsx**, **Parquet**, "
                "**JSON Lines**, or a **zip** of daily exports with the same columns. Product photos go on the "
                "*Product images* page.")
    files = st.file_uploader("Drop one or more exports", accept_multiple_files=True,
                             type=["csv", "tsv", "txt", "xlsx", "parquet", "jsonl", "ndjson", "json", "zip"],
                             key="data_upload")
    for upload in files or []:
        if upload.name.lower().endswith(".zip"):
            from ecom_ui.big_upload import zip_upload

            zip_upload(ws, upload, KIND_HELP)
            continue
        data = upload.getvalue()
        file_key = hashlib.sha1(data).hexdigest()[:12]
        with st.container(border=True):
            st.markdown(f"#### {upload.name}")
            try:
                raw, read_info = _read(data, upload.name)
            except InputError as exc:
                st.error(exc.message, icon=":material/error:")
                continue
            detected = guess_kind(raw)
            kinds = list(KINDS)
            kind = st.selectbox("What does this file hold?", kinds, index=kinds.index(detected), key=f"kind-{file_key}",
                                format_func=lambda k: f"{k} — {KIND_HELP.get(k, k)}",
                                help="Detected from the column names and their values; change it if it is wrong.")
            remembered = remembered_mapping(ws, raw.columns, kind)
            auto = map_columns(raw, kind, remembered or None)
            st.caption(f"{len(raw):,} rows, {len(raw.columns)} columns, read as {read_info.format}"
                       + (f" ({read_info.encoding}, separator '{read_info.delimiter}')" if read_info.format == "csv" else "")
                       + (" — using the mapping you chose for files with these columns." if remembered else ""))
            personal = detect_pii(raw)
            if personal:
                st.info("Personal data in this file: " + ", ".join(f"**{md_escape(c)}** ({PII_LABELS[k]})" for c, k in personal.items())
                        + ". It stays on this machine; on saving, customer identifiers are stored as pseudonyms, personal "
                          "columns the app does not use are not stored, and e-mails and phone numbers inside text are "
                          "masked. The preview below masks them too.", icon=":material/lock:")
            with st.expander("Column mapping (check it; change any field)", expanded=not remembered):
                st.caption("Each field of the app on the left; the column of your file it is read from on the right. "
                           "The confidence says how sure the automatic match is.")
                options = ["(none)"] + list(raw.columns)
                override = {}
                grid = st.columns(3)
                for i, canonical in enumerate(SYNONYM_INDEX[kind]):
                    current = auto.mapping.get(canonical)
                    conf = auto.confidence.get(canonical)
                    label = canonical.replace("_", " ") + (f" · {conf:.0%}" if conf is not None else "")
                    choice = grid[i % 3].selectbox(label, options, index=options.index(current) if current in options else 0,
                                                   key=f"map-{file_key}-{kind}-{canonical}")
                    override[canonical] = "" if choice == "(none)" else choice
                st.dataframe(masked_preview(raw), width="stretch", hide_index=True)
            changed = {k: v for k, v in override.items() if auto.mapping.get(k, "") != v}
            name = st.text_input("Dataset name", value=upload.name, key=f"name-{file_key}")
            if st.button("Check and save to workspace", type="primary", key=f"save-{file_key}"):
                try:
                    with st.spinner("Checking every row…"):
                        # the same check and save as `python -m ecom_models ingest FILE --save`
                        result, saved = check_and_save(ws, raw, kind=kind, mapping_override=override,
                                                       name=upload.name, dataset_name=name, read_info=read_info,
                                                       remember=bool(changed or remembered))
                    if kind == "orders":  # the model pages' results start now, in the background
                        from ecom_ui.common import active_data
                        from ecom_ui.jobs import start_for_orders

                        start_for_orders(ws, saved, result.df, traffic=active_data("traffic"))
                    elif kind in ("reviews", "support"):  # their analysis starts now too, in a worker process
                        from ecom_ui.background import start_for_saved

                        start_for_saved(ws, kind, saved)
                except InputError as exc:
                    st.error(exc.message, icon=":material/error:")
                else:
                    st.success(f"Saved **{name}**: {result.report.rows_usable:,} of {result.report.rows_in:,} rows usable. "
                               f"Every page now uses it for {kind}.", icon=":material/check_circle:")
                    st.session_state[f"report-{file_key}"] = saved.report  # as stored: masked, with what was protected
                    # the "Dataset used for" radio below must show the new dataset, not switch back to the
                    # one it remembered from before this save
                    st.session_state.pop(f"active-{kind}", None)
            report = st.session_state.get(f"report-{file_key}")
            if report:
                from ecom_ui.intake import show_report

                show_report(report)

with tab_datasets:
    datasets = ws.datasets()
    if not datasets:
        st.info("No uploads yet: every page shows the **demo store**. Upload your exports in the first tab.", icon=":material/science:")
    for kind in KINDS:
        of_kind = [d for d in datasets if d.kind == kind]
        if not of_kind:
            continue
        st.markdown(f"**{kind.capitalize()}**")
        active = next((d.id for d in of_kind if d.active), None)
        labels = {d.id: f"{d.name} — {d.rows:,} rows, saved {d.created_at[:16].replace('T', ' ')}" for d in of_kind}
        ids = [None] + [d.id for d in of_kind]
        choice = st.radio(f"Dataset used for {kind}", ids, index=ids.index(active),
                          format_func=lambda i: "Demo store" if i is None else labels[i], key=f"active-{kind}")
        if choice != active:
            ws.set_active(choice, kind)
            st.rerun()
        for d in of_kind:
            if kind == "orders":
                from ecom_ui.intake import currency_choice

                currency_choice(ws, d)
            with st.expander(f"Quality report: {d.name}"):
                from ecom_ui.intake import show_report

                show_report(d.report)
                if st.button("Delete this dataset", key=f"del-{d.id}"):
                    ws.delete_dataset(d.id)
                    st.rerun()
    st.toggle("Show the demo store where I have no data of my own", key="use_demo",
              help="Off: pages without your data say which file they need instead of showing the demo store.")

with tab_workspace:
    st.markdown(f"Current workspace: **{ws.name}** (`{ws.path}`)")
    st.caption("A workspace is one file on this machine holding your uploads, settings, labels and scenarios.")
    from ecom_ui.common import results

    usage = results().usage()
    r1, r2 = st.columns([3, 1])
    r1.caption(f"Kept model results: **{format_size(usage['bytes'])}** in {usage['entries']:,} results "
               f"(limit {format_size(usage['max_bytes'])}; the least recently used are dropped first and "
               "recomputed when needed).")
    if usage["entries"] and r2.button("Clear kept results", help="Frees the space; every page fits its models again "
                                                                 "on its next visit."):
        results().clear()
        st.rerun()
    names = list_workspaces() or [ws.name]
    c1, c2 = st.columns(2)
    switch_to = c1.selectbox("Switch to", names, index=names.index(ws.name) if ws.name in names else 0)
    if switch_to != ws.name and c1.button("Switch"):
        st.session_state["workspace_name"] = switch_to
        st.rerun()
    new_name = c2.text_input("New workspace name")
    if c2.button("Create and switch") and new_name:
        try:
            create_workspace(new_name)
            st.session_state["workspace_name"] = new_name.strip()
            st.rerun()
        except InputError as exc:
            st.error(exc.message)
    with_ids = st.checkbox("Include the key to your customers' own ids", key="workspace_export_ids",
                           help="Off: the file holds pseudonyms only, safe to share. On: whoever has the file sees "
                                "your customers' ids, e-mails, names and phones.")
    if st.button("Export this workspace", help="Makes a single file you can back up or import on another machine."):
        st.session_state["workspace_export"] = (ws.export_bytes(with_identities=with_ids), with_ids)
    if st.session_state.get("workspace_export"):
        exported, had_ids = st.session_state["workspace_export"]
        st.caption("🔑 This export includes the key to your customers' own ids." if had_ids else
                   "🔒 This export leaves out the key to your customers' own ids: it shows pseudonyms only.")
        st.download_button("Download the workspace file", data=exported, file_name=f"{ws.name}.duckdb")
    with st.expander("Import or delete a workspace"):
        imported = st.file_uploader("Workspace file (.duckdb) exported from Ecom Value Lab", type=["duckdb"],
                                    key="workspace_import")
        import_name = st.text_input("Name for the imported workspace")
        if imported is not None and import_name and st.button("Import"):
            try:
                ids = identities_status(import_workspace(import_name, imported.getvalue()))
                st.success(f"Imported as '{import_name}'." + (" " + IDENTITIES_MISSING_NOTE if ids == "missing" else ""))
            except InputError as exc:
                # the library does not know the file's name: the message names the file the merchant chose
                st.error(InputError(exc.problem, file=imported.name, fix=exc.fix).message, icon=":material/error:")
        others = [n for n in names if n != ws.name]
        if others:
            victim = st.selectbox("Delete workspace", others)
            if st.checkbox(f"Yes, delete '{victim}' and everything in it") and st.button("Delete workspace"):
                delete_workspace(victim)
                st.rerun()
        else:
            st.caption("The workspace you are in cannot be deleted; switch to another first.")

active_orders = ws.active_dataset("orders")
if active_orders is not None:
    from ecom_ui.jobs import data_page_panel

    with runs_slot:
        data_page_panel(active_orders.content_hash)
