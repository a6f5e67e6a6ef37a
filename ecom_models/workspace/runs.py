"""Background runs inside the app's own process: model fits that start when data arrives and
fill the results store while the merchant looks around.

- Work given as a `Task` (every model run of the app: recommendations, reviews, customer
  service, product photos, risk scores, forecasts and what-ifs, customers, Business value)
  runs in a small pool of worker processes (ecom_models/workspace/tasks.py; `ECOM_RUN_WORKERS`,
  default cores - 1): Python-bound model work in threads of the web server starved its loop.
- Other work (a callable; the app no longer submits any, scripts and tests may) runs in a few
  daemon threads (`ECOM_RUN_WORKERS`, default 2) in submission order.
- One run per id at a time: a run id is the results key it fills (data hash + settings +
  version), so two sessions asking for the same result share one run, whichever came first.
- A run reports progress (`fraction`, `message`) and what it has stored so far (`stage`);
  pages poll it. Work that returns a callable has stored a partial result and continues with
  that callable at the back of the queue (the slow deep model never holds up the first
  results of other pages). A crash is kept as `error` (a plain sentence) for the page to show; it is not
  retried by itself (no crash loop): `submit(..., retry=True)` starts it again.
- `ECOM_RUNS_INLINE=1` runs the work in the caller's thread instead (the AppTest page tests
  set it, so a page is drawn finished in one script run; tests/test_runs.py and the browser
  tests cover the background path).
- Finished runs are kept in memory (the last 200) so pages can say "done"; the results
  themselves are in the workspace, so a restart loses only the progress display.
- Work given as a `Task` (ecom_models/workspace/tasks.py: a picklable "module:function" and
  its arguments) runs in a worker process instead of a thread: the heavy model work of
  reviews, customer service and product images, which store what they make. What a task
  returns (a value the results store cannot hold: over its size cap) is kept on the run, for
  the last few runs only (`_KEEP_VALUES`).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
_KEEP = 200
_KEEP_VALUES = 6  # finished runs whose returned value stays in memory (analyses with photos are large)


@dataclass
class Run:
    id: str
    label: str
    group: str = ""  # e.g. the data key: the Data page lists the runs of the active dataset
    status: str = QUEUED
    fraction: float = 0.0
    message: str = "Waiting for a free worker…"
    stage: str = ""  # the last partial result stored (e.g. "quick" before "full")
    error: str | None = None
    detail: str | None = None  # traceback, for the logs only (never shown to the merchant)
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    value: object = field(default=None, repr=False)  # what a Task returned (None once dropped)
    has_value: bool = False

    @property
    def active(self) -> bool:
        return self.status in (QUEUED, RUNNING)

    @property
    def seconds(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Called by the work: how far it is (0..1) and what it is doing, in plain words."""
        self.fraction = float(min(max(fraction, 0.0), 1.0))
        if message:
            self.message = message

    def reached(self, stage: str) -> None:
        """Called by the work when a partial result has been stored (pages may show it)."""
        self.stage = stage


_runs: dict[str, Run] = {}
_lock = threading.Lock()
_queue: "queue.Queue[tuple[Run, Callable[[Run], None]]]" = queue.Queue()
_workers: list[threading.Thread] = []


def _worker() -> None:
    while True:
        run, work = _queue.get()
        try:
            _execute(run, work)
        finally:
            _queue.task_done()


def _start_workers() -> None:
    """Daemon threads (not a ThreadPoolExecutor, whose threads are joined at exit): stopping the
    server must not wait for a deep model to finish training; an interrupted run leaves only
    the stages already stored, and the next visit continues from there."""
    with _lock:
        if _workers:
            return
        try:
            n = max(1, int(os.environ.get("ECOM_RUN_WORKERS") or 2))
        except ValueError:
            n = 2
        for i in range(n):
            thread = threading.Thread(target=_worker, name=f"ecom-run-{i}", daemon=True)
            thread.start()
            _workers.append(thread)


def submit(run_id: str, label: str, work: Callable[[Run], None], *, group: str = "", retry: bool = False) -> Run:
    """Start `work(run)` in the background unless a run with this id is queued, running or
    finished (a failed one only with retry=True). Returns the run either way."""
    with _lock:
        run = _runs.get(run_id)
        if run is not None and (run.active or run.status == DONE or (run.status == FAILED and not retry)):
            return run
        run = Run(id=run_id, label=label, group=group)
        _runs[run_id] = run
        _trim()
    from ecom_models.workspace import tasks
    from ecom_models.workspace.tasks import Task, dispatch

    if isinstance(work, Task):
        if os.environ.get("ECOM_RUNS_INLINE"):
            task = work

            def inline(r):
                value = task.call(r)
                while value == tasks.MORE:  # staged work: every stage now
                    value = task.call(r)
                _keep_value(r, value)

            _execute(run, inline)
        else:
            import sys

            dispatch(run, work, sys.modules[__name__])
        return run
    if os.environ.get("ECOM_RUNS_INLINE"):
        _execute(run, work)  # page tests (AppTest) draw the finished page in one script run
    else:
        _start_workers()
        _queue.put((run, work))
    return run


def get(run_id: str) -> Run | None:
    return _runs.get(run_id)


def runs(group: str | None = None) -> list[Run]:
    """Runs of a group (all when None), newest first."""
    with _lock:
        found = [r for r in _runs.values() if group is None or r.group == group]
    return sorted(found, key=lambda r: r.submitted_at, reverse=True)


def forget(run_id: str) -> None:
    with _lock:
        run = _runs.get(run_id)
        if run is not None and not run.active:
            del _runs[run_id]


def wait(run_id: str, timeout: float | None = None) -> Run | None:
    """Block until the run has finished (for scripts and tests)."""
    deadline = None if timeout is None else time.time() + timeout
    while True:
        run = _runs.get(run_id)
        if run is None or not run.active:
            return run
        if deadline is not None and time.time() > deadline:
            return run
        time.sleep(0.05)


def _execute(run: Run, work: Callable[[Run], None]) -> None:
    if run.started_at is None:
        run.started_at, run.message = time.time(), "Starting…"
    run.status = RUNNING
    try:
        more = work(run)
    except BaseException as exc:  # noqa: BLE001 - a run must never die silently
        from ecom_models.core.errors import InputError

        run.error = exc.message if isinstance(exc, InputError) else (
            f"{run.label} stopped with an unexpected error ({type(exc).__name__}: {str(exc)[:200]}).")
        run.detail = traceback.format_exc()
        run.status = FAILED
        run.finished_at = time.time()
        return
    if callable(more) and not os.environ.get("ECOM_RUNS_INLINE"):
        # The work stored a partial result and has more to do: it goes to the back of the queue,
        # so the other pages' first results (queued meanwhile) are not held up by a slow model.
        run.status = QUEUED
        _queue.put((run, more))
        return
    if callable(more):  # inline: finish here
        return _execute(run, more)
    run.status, run.fraction, run.message = DONE, 1.0, "Done"
    run.finished_at = time.time()


def _keep_value(run: Run, value) -> None:
    run.value, run.has_value = value, value is not None
    with _lock:
        kept = sorted((r for r in _runs.values() if r.has_value and r is not run), key=lambda r: r.finished_at or 0)
        for old in kept[: max(0, len(kept) - (_KEEP_VALUES - 1))]:
            old.value, old.has_value = None, False


def started(run: Run) -> None:
    """A worker process has begun the run (tasks.py)."""
    if run.status == QUEUED:
        run.status, run.started_at = RUNNING, run.started_at or time.time()


def finish_done(run: Run, value=None) -> None:
    """A worker process finished the run (tasks.py)."""
    if value is not None:
        _keep_value(run, value)
    run.status, run.fraction, run.message = DONE, 1.0, "Done"
    run.finished_at = time.time()


def finish_failed(run: Run, error: str, detail: str | None = None) -> None:
    run.error, run.detail, run.status = error, detail, FAILED
    run.finished_at = time.time()


def _trim() -> None:
    finished = sorted((r for r in _runs.values() if not r.active), key=lambda r: r.submitted_at)
    for r in finished[: max(0, len(_runs) - _KEEP)]:
        del _runs[r.id]


def say(run, fraction: float, message: str) -> None:
    """Report progress to `run` if the work runs as a background run (None: called directly)."""
    if run is not None:
        run.progress(fraction, message)
