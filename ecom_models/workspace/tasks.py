"""Heavy background runs in worker processes, not in threads of the web server.

Model work holds the GIL for long stretches (tokenising, k-means loops, pandas), and in threads
of the Streamlit process it starved the server's own loop (health checks took 9 s with five
sessions). So a run made of a `Task` executes in a small pool of worker processes:

- `concurrent.futures.ProcessPoolExecutor` with a `forkserver` context (no copy of the server's
  threads and locks; the fork server preloads the light modules so a new worker starts in
  well under a second). Size: `ECOM_RUN_WORKERS`, default cores − 1, at least 1. `ECOM_RUN_NICE`
  (default 0) lowers the workers' CPU priority (on a machine shared with other programs a
  positive value starves them). Workers run under the SCHED_BATCH policy (`ECOM_RUN_BATCH=0`
  turns it off): same share of the CPU, but no wake-up preference over the web server.
- A `Task` is picklable: a function named as "module:function" and plain arguments (a
  workspace name and folder, a dataset id or a small frame, settings). The worker opens the
  workspace itself (ecom_models/workspace/lock.py lets processes take turns on the file) and
  stores its result in the results store; it may also return a value, pickled back to the
  server (only values the store cannot hold; the server keeps a few of them, see runs.py).
- Progress: the worker writes `{fraction, message, stage}` to a small JSON file per run
  (atomic replace); one monitor thread of the server reads it into the `Run` every 0.25 s.
- A worker that dies (killed, out of memory) breaks the pool: the monitor marks the run that
  had started FAILED with a plain sentence (the page offers "Try again"), resubmits the runs
  that had not started yet, and the next submission gets a fresh pool. The server keeps running.
"""

from __future__ import annotations

import heapq
import importlib
import json
import os
import sys
import tempfile
import threading
import time
import traceback
import types
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing.context import ForkServerContext, ForkServerProcess
from pathlib import Path
from typing import Any

MORE = "__ecom_run_more__"  # a task's answer: "stored a stage, send me again" (to the back of the queue)

# what the fork server imports once, so every worker starts with them loaded
_PRELOAD = ["numpy", "pandas", "ecom_models.workspace.results", "ecom_models.workspace.workspace"]


@dataclass(frozen=True)
class Task:
    """Work a worker process can run: `func` ("package.module:function") called as
    `func(*args, run=<progress reporter>, **kwargs)`. Everything must pickle."""

    func: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def resolve(self):
        module, name = self.func.split(":")
        return getattr(importlib.import_module(module), name)

    def call(self, run) -> Any:
        return self.resolve()(*self.args, run=run, **self.kwargs)


def workers() -> int:
    try:
        return max(1, int(os.environ["ECOM_RUN_WORKERS"]))
    except (KeyError, ValueError):
        return max(1, (os.cpu_count() or 2) - 1)


# -- worker side ----------------------------------------------------------------------------------
class _Reporter:
    """The `run` a task sees in a worker: progress goes to the run's JSON file."""

    def __init__(self, path: str):
        self.path, self.fraction, self.message, self.stage, self._last = path, 0.0, "Starting…", "", 0.0
        self._write(force=True)

    def progress(self, fraction: float, message: str | None = None) -> None:
        self.fraction = float(min(max(fraction, 0.0), 1.0))
        if message:
            self.message = message
        self._write()

    def reached(self, stage: str) -> None:
        self.stage = stage
        self._write(force=True)

    def _write(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            json.dump({"fraction": self.fraction, "message": self.message, "stage": self.stage,
                       "pid": os.getpid()}, fh)
        os.replace(tmp, self.path)


# what a worker imports as it starts, before its first task: the model libraries the analyses
# need (TensorFlow alone takes 5-10 s to import on a busy 2-core machine). The server starts its
# pool when it starts (`warm`), so the first analysis does not pay for them.
_WORKER_IMPORTS = ("onnxruntime", "tokenizers", "sklearn.linear_model", "sklearn.cluster", "tensorflow", "keras")


def _watch_server(server_pid: int) -> None:
    """A worker outlives a server that was stopped (its queue pipe is not closed while the
    worker imports or computes): it leaves when the server's process is gone."""
    while True:
        time.sleep(2.0)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except OSError:
            continue


def _init_worker(server_pid: int | None = None) -> None:
    from ecom_models.core import memory

    memory.limit_arenas()
    if server_pid is not None:
        threading.Thread(target=_watch_server, args=(server_pid,), name="ecom-server-watch", daemon=True).start()
    try:
        os.nice(int(os.environ.get("ECOM_RUN_NICE", "0")))
    except (OSError, ValueError):
        pass
    if os.environ.get("ECOM_RUN_BATCH", "1") != "0" and hasattr(os, "sched_setscheduler"):
        # SCHED_BATCH: the same CPU share as any other program (a nice value starved the workers
        # behind other programs), but a waking web server is not made to wait behind a worker's
        # long computation: its health check and page runs get the core first.
        try:
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        except OSError:
            pass
    if os.environ.get("ECOM_RUN_WARM", "1") != "0":
        for name in _WORKER_IMPORTS:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a missing optional library fails later, in the task, with a message
                continue


def _noop() -> None:
    return None


def warm() -> None:
    """Start the worker processes now (server start), so they have loaded the model libraries
    before the first analysis is asked for."""
    pool = _executor()
    for _ in range(workers()):
        pool.submit(_noop)


def _run_in_worker(task: Task, progress_path: str):
    """Never raises: an error comes back as ("error", plain message, traceback), since an
    exception object of the task may not survive pickling."""
    reporter = _Reporter(progress_path)
    try:
        return ("ok", task.call(reporter))
    except BaseException as exc:  # noqa: BLE001 - reported to the page as a sentence
        from ecom_models.core.errors import InputError

        message = exc.message if isinstance(exc, InputError) else None
        return ("error", message, f"{type(exc).__name__}: {str(exc)[:200]}", traceback.format_exc())
    finally:
        # a worker lives for the server's lifetime: what a task freed goes back to the system, not
        # kept in its heap until a later task happens to need as much
        from ecom_models.core import memory

        memory.release()


# -- server side ----------------------------------------------------------------------------------
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.RLock()
_progress_dir: Path | None = None
_watched: dict[str, tuple] = {}  # run id -> (run, task, future, progress path, attempt, pool, hooks): at a worker
_waiting: list[tuple] = []  # heap of (priority, order, run, task, hooks, attempt): for a free worker
_seq = 0
_monitor: threading.Thread | None = None
dispatched: dict[str, int] = {}  # run id -> times sent to a worker (tests check "computed once")


_main_swap = threading.Lock()


class _WorkerProcess(ForkServerProcess):
    """A forkserver process that never re-runs the server's `__main__`.

    multiprocessing makes a new process import the parent's main module first. In the app that
    is whatever Streamlit set as `__main__` for the page script running at that moment (app.py):
    a worker would run the app's script, start a pool of its own and die. So while a worker is
    being started, `__main__` is briefly a blank module (the worker needs nothing from it)."""

    @staticmethod
    def _Popen(process_obj):
        with _main_swap:
            saved = sys.modules.get("__main__")
            sys.modules["__main__"] = types.ModuleType("__main__")
            try:
                return ForkServerProcess._Popen(process_obj)
            finally:
                sys.modules["__main__"] = saved


class _WorkerContext(ForkServerContext):
    Process = _WorkerProcess


def _context() -> _WorkerContext:
    import multiprocessing as mp

    mp.get_context("forkserver").set_forkserver_preload(_PRELOAD)
    return _WorkerContext()


def _executor() -> ProcessPoolExecutor:
    global _pool, _progress_dir
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=workers(), mp_context=_context(), initializer=_init_worker,
                                        initargs=(os.getpid(),))
            if _progress_dir is None:
                _progress_dir = Path(tempfile.mkdtemp(prefix="ecom-runs-"))
        return _pool


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001 - a broken pool may fail to shut down cleanly; it is gone anyway
        pass


def worker_pids() -> list[int]:
    """The live worker processes (tests kill one; the load bench adds their memory)."""
    with _pool_lock:
        pool = _pool
    return [] if pool is None else [p.pid for p in list((pool._processes or {}).values()) if p.is_alive()]


def dispatch(run, task: Task, hooks, attempt: int = 0, later: bool = False) -> None:
    """Queue the run's task for a worker; the monitor thread follows it to the end and calls
    `hooks.started(run)`, `hooks.finish_done(run, value)` or `hooks.finish_failed(run, error, detail)`
    (ecom_models.workspace.runs; passed in, so this module does not import it).

    The queue is kept here, not in the pool (whose queue is first come, first served): a task
    goes to a worker only when one is free, and the next stage of a staged run (`later`: the
    leaderboard is already on its page) waits behind every first result someone is waiting for."""
    global _seq
    with _pool_lock:
        _seq += 1
        heapq.heappush(_waiting, (1 if later else 0, _seq, run, task, hooks, attempt))
        dispatched[run.id] = dispatched.get(run.id, 0) + 1
    _pump()
    _start_monitor()


_LATER_AFTER_S = 10.0  # a later stage starts only when no first result was asked for this long
_last_first = 0.0  # when a first result was last asked for or finished
_later_ids: set[str] = set()  # runs at a worker for a later stage


def _pump() -> None:
    """Send waiting tasks to the workers while some are free. A later stage (say the deep model
    after the leaderboard is shown) waits until no first result was asked for in the last
    `_LATER_AFTER_S` seconds: a merchant walking the pages gets each page's first result
    first, instead of waiting behind a training that cannot be interrupted."""
    global _last_first
    with _pool_lock:
        while _waiting and len(_watched) < workers():
            if _waiting[0][0] == 1 and time.time() - _last_first < _LATER_AFTER_S:
                break
            priority, _, run, task, hooks, attempt = heapq.heappop(_waiting)
            if priority == 0:
                _last_first = time.time()
            else:
                _later_ids.add(run.id)
            for _ in range(2):
                pool = _executor()
                path = _progress_dir / f"{run.id}.{attempt}.json"
                try:
                    future = pool.submit(_run_in_worker, task, str(path))
                    break
                except (BrokenProcessPool, RuntimeError):  # broken or shut down: a fresh pool
                    _drop_pool(pool)
            else:
                hooks.finish_failed(run, "No worker process could be started for the "
                                         f"{run.label.lower()}. Press Try again.", "pool could not start")
                continue
            _watched[run.id] = (run, task, future, path, attempt, pool, hooks)


def _start_monitor() -> None:
    global _monitor
    with _pool_lock:
        if _monitor is None or not _monitor.is_alive():
            _monitor = threading.Thread(target=_watch_loop, name="ecom-run-monitor", daemon=True)
            _monitor.start()


def _watch_loop() -> None:
    while True:
        with _pool_lock:
            items = list(_watched.items())
        for run_id, entry in items:
            try:
                _check(run_id, entry)
            except Exception:  # noqa: BLE001 - the monitor must outlive any one run
                traceback.print_exc()
        _pump()
        time.sleep(0.25)


def _read_progress(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _check(run_id: str, entry: tuple) -> None:
    run, task, future, path, attempt, pool, runs = entry
    state = _read_progress(path)
    if state is not None:
        runs.started(run)
        run.fraction, run.message = state["fraction"], state["message"]
        if state.get("stage") and state["stage"] != run.stage:
            run.reached(state["stage"])
    if not future.done():
        return
    global _last_first
    with _pool_lock:
        _watched.pop(run_id, None)
        if run_id in _later_ids:
            _later_ids.discard(run_id)
        else:  # the merchant's next page usually asks for its result within seconds
            _last_first = time.time()
    path.unlink(missing_ok=True)
    try:
        outcome = future.result()
    except BrokenProcessPool:
        _drop_pool(pool)
        if state is None and attempt < 2:  # had not started: it was only queued behind the one that died
            dispatch(run, task, runs, attempt + 1)
            return
        runs.finish_failed(run, f"The worker process computing the {run.label.lower()} stopped before it finished "
                                "(it was stopped, or the machine ran out of memory). The app itself is fine: "
                                "press Try again.", "worker process died (BrokenProcessPool)")
        return
    except Exception as exc:  # noqa: BLE001 - e.g. an argument that could not be pickled
        runs.finish_failed(run, f"{run.label} could not be sent to a worker process ({type(exc).__name__}).",
                           traceback.format_exc())
        return
    if outcome[0] == "ok" and outcome[1] == MORE:  # other runs queued meanwhile go first
        run.status = "queued"
        dispatch(run, task, runs, 0, later=True)
    elif outcome[0] == "ok":
        runs.finish_done(run, outcome[1])
    else:
        _, message, short, detail = outcome
        runs.finish_failed(run, message or f"{run.label} stopped with an unexpected error ({short}).", detail)
