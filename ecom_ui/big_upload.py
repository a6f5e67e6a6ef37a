"""The Data page's zip upload: a zip of daily exports with the same columns, unpacked safely,
checked in chunks and saved to the workspace without holding it all in memory."""

import hashlib
import shutil
import tempfile
from pathlib import Path

import streamlit as st

from ecom_models import intake
from ecom_models.intake import big as intake_big
from ecom_models.core.errors import InputError
from ecom_models.intake import remembered_mapping, workspace_salt


def _unpacked(data: bytes, name: str, key: str) -> list[tuple[str, Path]]:
    """Unpack once per upload (kept for the session in a private temporary folder)."""
    state = st.session_state.get(f"zip-{key}")
    if state and all(p.exists() for _, p in state):
        return state
    folder = Path(tempfile.mkdtemp(prefix="ecom-zip-"))
    try:
        files = intake_big.extract_zip(data, folder)
    except InputError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    st.session_state[f"zip-{key}"] = files
    return files


def zip_upload(ws, upload, kind_help: dict[str, str]) -> None:
    data = upload.getvalue()
    key = hashlib.sha1(data).hexdigest()[:12]
    with st.container(border=True):
        st.markdown(f"#### {upload.name}")
        try:
            files = _unpacked(data, upload.name, key)
            sample, detected = intake_big.peek(files)
        except InputError as exc:
            st.error(exc.message, icon=":material/error:")
            return
        names = [n for n, _ in files]
        shown = ", ".join(Path(n).name for n in names[:6]) + (f" and {len(names) - 6:,} more" if len(names) > 6 else "")
        st.caption(f"{len(names):,} export file{'s' if len(names) != 1 else ''} in the zip ({shown}), "
                   f"{sum(p.stat().st_size for _, p in files) / 1e6:,.1f} MB unpacked. They are read as one dataset, "
                   "a chunk at a time, so large archives fit in memory.")
        kinds = list(intake.KINDS)
        kind = st.selectbox("What do these files hold?", kinds, index=kinds.index(detected or "orders"),
                            key=f"kind-{key}", format_func=lambda k: f"{k} — {kind_help.get(k, k)}",
                            help="Detected from the column names of the first file; change it if it is wrong.")
        remembered = remembered_mapping(ws, sample.columns, kind)
        auto = intake.map_columns(sample, kind, remembered or None)
        with st.expander("Columns used (from the first file)"):
            st.caption("Every file must have the same columns. To change a column, upload one daily file on its "
                       "own first and correct it there: the choice is remembered for files with these columns "
                       "and used for the whole zip."
                       + (" Using the mapping you chose before." if remembered else ""))
            st.dataframe([{"field": f.replace("_", " "), "your column": c, "confidence": auto.confidence.get(f)}
                          for f, c in auto.mapping.items()], hide_index=True, width="stretch")
        name = st.text_input("Dataset name", value=upload.name, key=f"name-{key}")
        if st.button("Check and save to workspace", type="primary", key=f"save-{key}"):
            bar = st.progress(0.0, text="Checking every row…")
            try:
                res = intake_big.ingest_big(files, kind=kind, mapping_override=remembered or None,
                                            name=upload.name, salt=workspace_salt(ws),
                                            progress=lambda done, total, f: bar.progress(
                                                done / total, text=f"Checked {done:,} of {total:,} files"))
                try:
                    bar.progress(1.0, text="Saving to the workspace…")
                    res.save(ws, name, source_file=upload.name)
                    report = res.report.to_dict()
                finally:
                    res.close()
            except InputError as exc:
                bar.empty()
                st.error(exc.message, icon=":material/error:")
            else:
                bar.empty()
                st.success(f"Saved **{name}**: {report['rows_usable']:,} of {report['rows_in']:,} rows usable, "
                           f"from {len(names):,} files. Every page now uses it for {kind}.",
                           icon=":material/check_circle:")
                st.session_state[f"report-{key}"] = report
        report = st.session_state.get(f"report-{key}")
        if report:
            from ecom_ui.intake import show_report

            show_report(report)
