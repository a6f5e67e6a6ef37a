"""Background model runs as the pages see them: start the runs for a dataset, show a run's
progress live, rerun the page when a new partial result is stored, show a crash as a message.

The run machinery itself (worker processes, one run per key) is `ecom_models.workspace.runs`; what each run
computes and stores is each capability's `pipeline` module. Pages stay thin: they ask for the stored
result, and call `follow()` while it is being made.
"""

from __future__ import annotations

import streamlit as st

from ecom_models.workspace import runs

LABELS = {"recommend": "Recommendations", "risk": "Risk scores", "forecast": "Forecast", "value": "Business value",
          "customers": "Customers"}


# -- what runs when data arrives ------------------------------------------------------------------
def start_for_orders(ws, info, df, traffic=None) -> list[runs.Run]:
    """Start the model runs for a saved orders dataset (the pages' default settings) in the
    worker processes: the same Tasks under the same run ids the pages use, so a page visited
    meanwhile follows its run instead of starting another. `info`: the dataset's DatasetInfo;
    `df`: the frame just saved (used only for the holiday country, a cheap choice that is part of
    the forecast's key); `traffic`: the active traffic ActiveData or None. The workers read the
    stored dataset themselves: the server neither loads nor pickles it here."""
    from ecom_models import forecast as F
    from ecom_models.customers import pipeline as CP
    from ecom_models.forecast import pipeline as FP
    from ecom_models.recommend import pipeline as RP
    from ecom_models.risk import pipeline as KP
    from ecom_models.workspace.results import ResultsStore

    store = ResultsStore(ws)
    data_key, orders = info.content_hash, info.id
    started = []
    d = RP.RECOMMEND_DEFAULTS
    rec_key = RP.recommend_key(data_key, d["k"], d["split"], d["half_life"], d["deep"])
    started.append(ensure(rec_key, LABELS["recommend"], RP.recommendations_task(
        ws, rec_key, orders, "orders", d["k"], d["split"], d["half_life"], d["deep"]), group=data_key,
        ready=lambda: RP.recommendations_complete(store, rec_key)))
    started.append(ensure(KP.risk_key(data_key), LABELS["risk"], KP.risk_task(ws, data_key, orders), group=data_key,
                          ready=lambda: KP.risk_is_stored(store, data_key)))
    f = FP.FORECAST_DEFAULTS
    traffic_key = traffic.key if traffic is not None else "none"
    traffic_source = None if traffic is None else (traffic.dataset_id or traffic.df)
    try:
        country = F.main_country(df)  # the page's default choice, on the same data
    except Exception:  # noqa: BLE001 - the page decides the same way; no holidays then
        country = None
    parts = FP.forecast_key(data_key, traffic_key, f["metric"], f["by"], f["series_key"], f["horizon"], country, f["tune"])
    started.append(ensure(FP.forecast_result_key(parts), LABELS["forecast"], FP.orders_forecast_task(
        ws, parts, orders, traffic_source, f["metric"], f["by"], f["horizon"], f["series_key"], country, f["tune"]),
        group=data_key, ready=lambda: FP.forecast_ready(store, parts)))
    h = CP.CUSTOMERS_DEFAULTS["horizon_days"]
    started.append(ensure(CP.customers_key(data_key, h), LABELS["customers"], CP.customers_task(ws, data_key, orders, h),
                          group=data_key, ready=lambda: CP.customers_is_stored(store, data_key, h)))
    return started


def ensure(run_id: str, label: str, work, *, group: str, ready) -> runs.Run:
    """The run filling this result: the one going, or a new one. `ready()` says whether its
    result is stored; a finished run whose result is gone (dropped by the size cap) starts again."""
    run = runs.submit(run_id, label, work, group=group)
    if run.status == runs.DONE and not ready():
        runs.forget(run_id)
        run = runs.submit(run_id, label, work, group=group)
    return run


# -- following a run on a page ---------------------------------------------------------------------
# Every rerun of a fragment starts a script thread from the server's event loop, which waits for
# it to start: with five sessions following runs, a poll every second meant five such waits per
# second on a busy machine. Every 2 s is still live enough for a progress bar.
POLL_S = 2.0


@st.fragment(run_every=POLL_S)
def _watch(run_id: str, seen_stage: str) -> None:
    run = runs.get(run_id)
    if run is None:
        return
    # a new partial result, the end, or a crash: draw the page again. A run that resumes after
    # a restart has reached no stage yet ("") while the page shows the stored one: not new.
    if (run.stage and run.stage != seen_stage) or not run.active:
        st.rerun(scope="app")
    # a queued run's message already says it waits for a worker; messages may end in "…" themselves
    text = run.message.rstrip("…. ")
    if run.status == runs.QUEUED:
        text = f"{text} (another model run is using it)"
    st.progress(run.fraction, text=f"{text}… {run.seconds:.0f} s")


def follow(run: runs.Run, seen_stage: str = "") -> None:
    """Show the run's progress live; the page reruns by itself when there is more to show."""
    if run.status == runs.FAILED:
        show_failure(run)
        return
    _watch(run.id, seen_stage)


def show_failure(run: runs.Run) -> None:
    st.error(f"{run.label} could not be computed: {run.error}", icon=":material/error:")
    if st.button("Try again", key=f"retry-{run.id}"):
        runs.forget(run.id)
        st.rerun()


def data_page_panel(group: str) -> None:
    """The Data page's list of model runs for the active orders, live while any is going."""

    @st.fragment(run_every=POLL_S)
    def panel():
        found = runs.runs(group)
        if not found:
            return
        st.markdown("**Models running on your data**")
        st.caption("Each model page shows its results as soon as they are ready; they are kept in this workspace, "
                   "so a reload or a restart does not fit them again.")
        for run in sorted(found, key=lambda r: r.label):
            if run.status == runs.FAILED:
                st.error(f"{run.label}: {run.error}", icon=":material/error:")
            elif run.status == runs.DONE:
                st.progress(1.0, text=f"{run.label}: ready ({run.seconds:.0f} s)")
            else:
                st.progress(run.fraction, text=f"{run.label}: {run.message}… ({run.seconds:.0f} s)")

    panel()
