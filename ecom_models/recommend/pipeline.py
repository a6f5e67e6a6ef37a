"""Recommendations computed once per (data, settings) and kept in the results store.

The shape every capability's `pipeline.py` shares (keys, versions, progress) is described in
ecom_models/workspace/results.py ("Capability pipelines"). Kind: `recommend.report`, stored
after each stage so the page shows the fast models first.
"""

from __future__ import annotations

from ecom_models.workspace.results import ResultsStore, result_key
from ecom_models.workspace.runs import say as _say

RECOMMEND_VERSION = 1
# The page's default settings: what a background run computes before anyone asks.
RECOMMEND_DEFAULTS = {"k": 10, "split": "random", "half_life": None, "deep": True}
VALIDATION_SAMPLE = 1500  # customers scored on the validation split (the page says so)


def recommend_key(data_key: str, k: int, split: str, half_life: float | None, deep: bool) -> str:
    return result_key("recommend.report", [data_key, int(k), split, half_life, bool(deep)], RECOMMEND_VERSION)


def recommendations_document(store: ResultsStore, key: str) -> dict | None:
    """The stored report as kept (decode it with `report_from_document`), or None."""
    return store.get("recommend.report", key)


def recommendations_complete(store: ResultsStore, key: str) -> bool:
    """Every model of the plan is in the stored report (its last stage is "full")."""
    doc = recommendations_document(store, key)
    return doc is not None and doc["stage"] == "full"


def stored_recommendations(store: ResultsStore, key: str):
    """The stored report (maybe a partial stage: see `.stage` / `.pending`), or None."""
    from ecom_models.recommend.documents import report_from_document

    doc = recommendations_document(store, key)
    return None if doc is None else report_from_document(doc)


def recommendations(store: ResultsStore, key: str, df, kind: str, k: int, split: str, half_life: float | None,
                    deep: bool, run=None, max_stages: int | None = None):
    """Fit in stages (fast models, then EASE, then the deep model), storing the report after
    each stage so a page can show the leaderboard as soon as the fast models are scored.
    `max_stages`: stop after fitting this many stages (the rest on a later call, which starts
    from the stored report). `df` may be a function that reads the data (called only when no
    stage is stored yet)."""
    from ecom_models.recommend.documents import report_document
    from ecom_models.recommend.interactions import interactions_from_orders, interactions_from_table
    from ecom_models.recommend.leaderboard import build_recommender, staged_plan
    from ecom_models.recommend.models import MODEL_LABELS

    previous = stored_recommendations(store, key)
    if previous is not None and previous.stage == "full":
        return previous
    _say(run, 0.02, "Reading customers and products")
    if previous is not None:
        inter = previous.inter
    elif kind == "table":
        inter = interactions_from_table(df() if callable(df) else df, half_life_days=half_life)
    else:
        inter = interactions_from_orders(df() if callable(df) else df, half_life_days=half_life)
    plan = staged_plan(inter, include_deep=deep)
    report = previous
    fitted = 0
    for i, stage in enumerate(plan):
        wanted = sorted({m for s in plan[: i + 1] for m in s})
        if report is not None and set(wanted) <= set(report.test_evals):
            continue
        if max_stages is not None and fitted >= max_stages:
            break
        fitted += 1
        share, start = 1.0 / len(plan), i / len(plan)

        def progress(fraction, text, start=start, share=share):
            _say(run, start + fraction * share, text.rstrip("…"))

        report = build_recommender(inter, k=k, split=split, include_deep=deep, only=wanted, reuse=report,
                                     max_validation_users=VALIDATION_SAMPLE, progress=progress)
        pending = [m for s in plan[i + 1:] for m in s]
        report.stage, report.pending = ("full" if not pending else "+".join(wanted)), pending
        store.put("recommend.report", key, report_document(report, report.stage, pending))
        if pending:  # shown while the run waits for its next turn in the queue
            _say(run, (i + 1) / len(plan), "Next: " + ", ".join(MODEL_LABELS[m] for m in pending))
        if run is not None:
            run.reached(report.stage)
        if report.leaderboard.empty:  # too little data to compare: nothing more to add
            report.stage, report.pending = "full", []
            store.put("recommend.report", key, report_document(report, "full", []))
            break
    return report


def _enough_for_value(report) -> bool:
    """A stored report whose only missing model is the deep one is good enough for the value."""
    return report is not None and not (set(report.pending) - {"deep_ae"})


def recommendations_for_value(store: ResultsStore, data_key: str, orders, wait_seconds: float = 900.0):
    """The report the Business value page prices: the Recommendations page's (default settings,
    with or without the deep model) if kept or being made, else one without the deep model."""
    import time

    from ecom_models.workspace import runs

    d = RECOMMEND_DEFAULTS
    keys = [recommend_key(data_key, d["k"], d["split"], d["half_life"], deep) for deep in (True, False)]
    deadline = time.time() + wait_seconds
    while True:
        for key in keys:
            report = stored_recommendations(store, key)
            if _enough_for_value(report):
                return report
        going = [runs.get(key) for key in keys]
        if not any(r is not None and r.active for r in going) or time.time() > deadline:
            break
        time.sleep(0.5)  # the background run started by the Data page stores EASE soon
    if recommendations_document(store, keys[0]) is not None:
        # the page's staged report has begun (a worker process sees no run to wait for): add its
        # next stages up to the deep model, kept for the Recommendations page too, not a second fit
        report = None
        for _ in range(4):  # stages: fast models, EASE, deep (one more turn at most, as a guard)
            if report is not None and (_enough_for_value(report) or report.stage == "full"):
                break
            report = recommendations(store, keys[0], orders, "orders", d["k"], d["split"], d["half_life"], True,
                                     max_stages=1)
        return report
    return recommendations(store, keys[1], orders, "orders", d["k"], d["split"], d["half_life"], False)


def recommendations_task(ws, key: str, df, kind: str, k: int, split: str, half_life: float | None, deep: bool):
    """The staged fit as picklable work for a worker process (ecom_models/workspace/tasks.py):
    one stage per turn, then back at the end of the workers' queue (`tasks.MORE`). `df`: a frame,
    or a saved dataset's id (the worker reads it)."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.recommend.pipeline:recommend_in_worker",
                (ws.name, str(ws.folder), key, df, kind, k, split, half_life, deep))


def recommend_in_worker(ws_name: str, ws_folder: str, key: str, df, kind: str, k: int, split: str,
                        half_life: float | None, deep: bool, run=None):
    """Runs in a worker process: fit and store the next stage; MORE while stages remain."""
    from ecom_models.workspace.tasks import MORE
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    # a later stage starts from the stored interactions: the data is read for the first one only
    report = recommendations(ResultsStore(ws), key, lambda: ws.frame(df), kind, k, split, half_life, deep,
                             run=run, max_stages=1)
    return None if report.stage == "full" else MORE
