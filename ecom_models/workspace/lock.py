"""Sharing one workspace file between processes: the app, a scheduled import, a second CLI.

DuckDB lets one process at a time open a file for writing, and a process that keeps the
file open shuts every other process out. So no process keeps it open: each workspace
operation (a read or one write transaction)

1. takes the threads' lock of this process (sessions of the app take turns),
2. takes an OS lock (`fcntl.flock`) on `<name>.duckdb.lock` beside the file, waiting up to
   `ECOM_WORKSPACE_TIMEOUT` seconds (default 30) for another process to finish,
3. opens DuckDB, does its work, closes DuckDB (which checkpoints), and releases the locks.

Opening costs tens of milliseconds, and a page makes dozens of small reads, so a process
keeps the file open for a short while after its last operation (`ECOM_WORKSPACE_LINGER`
seconds, default 0.5), unless another process is waiting: waiters hold a shared lock on
`<name>.duckdb.queue`, and the holder checks it after every operation and lets go at once.

A process that is killed, even with SIGKILL, loses its OS lock with its file descriptors, so
a crashed import never leaves the workspace locked. A write is one DuckDB transaction: killed
before COMMIT it leaves no trace, and the next open replays every committed transaction.
A process that cannot get the lock in time raises `WorkspaceBusy` (an InputError: the CLI
prints it and exits 2; the app shows it).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ecom_models.core.errors import InputError

DEFAULT_TIMEOUT = 30.0
DEFAULT_LINGER = 0.5


def linger_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("ECOM_WORKSPACE_LINGER", DEFAULT_LINGER)))
    except ValueError:
        return DEFAULT_LINGER


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("ECOM_WORKSPACE_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


_all_gates: "weakref.WeakSet[FileGate]" = weakref.WeakSet()
_inherited: list = []  # connections a forked child must neither use nor close


def _after_fork_in_child() -> None:
    """A forked worker (multiprocessing, Dask) must not keep its parent's workspace lock alive:
    the lock is shared with the parent's descriptor and would outlive the parent's release."""
    for gate in list(_all_gates):
        if gate._fd is not None:
            try:
                os.close(gate._fd)  # closes the child's copy only; the parent keeps its lock
            except OSError:
                pass
        if gate._con is not None:
            _inherited.append(gate._con)
        gate._fd, gate._con, gate._depth, gate._timer = None, None, 0, None
        gate._threads = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class WorkspaceBusy(InputError):
    """Another process kept the workspace for longer than the timeout."""


class FileGate:
    """Per workspace file and process: who may open it now, and the open connection."""

    def __init__(self, path: Path, on_first_open=None):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.queue_path = self.path.with_name(self.path.name + ".queue")
        self._threads = threading.RLock()
        self._last_used = 0.0
        self._timer: threading.Timer | None = None
        self._depth = 0
        self._fd: int | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._on_first_open = on_first_open
        self._prepared = False
        _all_gates.add(self)

    @contextmanager
    def connection(self):
        """An open connection, held by this thread alone until the block ends (re-entrant)."""
        deadline = time.monotonic() + lock_timeout()
        if not self._threads.acquire(timeout=max(lock_timeout(), 0.001)):
            raise self._busy()
        try:
            if self._depth == 0 and self._con is None:
                self._fd = self._lock_file(deadline)
                try:
                    self._con = self._open(deadline)
                    if not self._prepared and self._on_first_open is not None:
                        self._on_first_open(self._con)
                        self._prepared = True
                except BaseException:
                    self._close()
                    raise
            self._depth += 1
            try:
                yield self._con
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release_or_linger()
        finally:
            self._threads.release()

    def release(self) -> None:
        """Close the file now (end of process, or before handing the file to someone else)."""
        with self._threads:
            if self._depth == 0:
                self._close()

    def _release_or_linger(self) -> None:
        linger = linger_seconds()
        if linger <= 0 or self._others_waiting():
            self._close()
            return
        self._last_used = time.monotonic()
        if self._timer is None:
            self._timer = threading.Timer(linger, self._idle_check)
            self._timer.daemon = True
            self._timer.start()

    def _idle_check(self) -> None:
        with self._threads:
            self._timer = None
            if self._depth or self._con is None:
                return
            idle = time.monotonic() - self._last_used
            if idle >= linger_seconds() or self._others_waiting():
                self._close()
            else:
                self._timer = threading.Timer(max(linger_seconds() - idle, 0.01), self._idle_check)
                self._timer.daemon = True
                self._timer.start()

    def _others_waiting(self) -> bool:
        try:
            fd = os.open(self.queue_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the lock we may have taken
        return False

    @contextmanager
    def exclusive(self):
        """The OS lock without opening DuckDB (to delete or replace the file)."""
        deadline = time.monotonic() + lock_timeout()
        with self._threads:
            self._close()
            fd = self._lock_file(deadline)
            try:
                yield
            finally:
                _unlock(fd)

    def _lock_file(self, deadline: float) -> int:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        queue_fd = None
        delay = 0.005
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(fd)
                        raise self._busy() from None
                    if queue_fd is None:  # tell the holder someone is waiting
                        queue_fd = os.open(self.queue_path, os.O_RDWR | os.O_CREAT, 0o600)
                        fcntl.flock(queue_fd, fcntl.LOCK_SH)
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
        finally:
            if queue_fd is not None:
                os.close(queue_fd)

    def _open(self, deadline: float) -> duckdb.DuckDBPyConnection:
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                # A program that does not use our lock (an older app still running) holds the file.
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise self._busy(str(exc)) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        con, self._con = self._con, None
        fd, self._fd = self._fd, None
        try:
            if con is not None:
                con.close()
        finally:
            if fd is not None:
                _unlock(fd)

    def _busy(self, detail: str = "") -> WorkspaceBusy:
        return WorkspaceBusy(
            f"workspace busy: another program (the app, or an import from the command line) is using "
            f"'{self.path}' and did not finish within {lock_timeout():g} s" + (f" ({detail})" if detail else "") + ".",
            fix="try again in a moment; for long imports raise ECOM_WORKSPACE_TIMEOUT (seconds).")


def _unlock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
