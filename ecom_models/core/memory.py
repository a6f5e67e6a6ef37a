"""Giving freed memory back to the system, for a server that runs for days.

pandas and numpy free their buffers with the C library's `free()`. glibc keeps the freed pages in
its heaps for reuse, and each thread that allocates may get a heap (an "arena") of its own: up to
8 per core. Streamlit runs every session's page in a thread of its own, so five sessions leave
pages spread over many arenas, and the server's resident memory crept from one walk of every page
to the next (docs/speed.md) though nothing kept the objects.

- `limit_arenas(n)`: at most n arenas for the threads started from now on (glibc's M_ARENA_MAX;
  `ECOM_MALLOC_ARENAS`, default 2, 0 leaves glibc's default).
- `release()`: `malloc_trim(0)`, which hands every wholly free page of every arena back.
- `start_trimmer(every_s)`: a daemon thread that collects Python's cyclic garbage and then calls
  `release()` every so often (`ECOM_TRIM_EVERY_S`, default 30, 0 = off). ctypes lets go of the GIL
  during the trim, so pages keep running. The collection stands in for Streamlit's own after every
  script run (turned off in .streamlit/config.toml): a full collection of the server holds the GIL
  for 0.1-0.3 s, and after every run of every session's page it kept the health check waiting.

Elsewhere than glibc (macOS, Windows, musl) `limit_arenas` and `release` do nothing and say so by
returning False; the trimmer still collects.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os
import sys
import threading
import time

_M_ARENA_MAX = -8  # glibc's malloc.h
_started = False
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _glibc():
    """The C library, looked up once. Not with `ctypes.util.find_library` on every call: it runs
    `ldconfig` in a subprocess, and forking a 1.5 GB worker after every task (or the server every
    30 s) briefly doubled the memory counted for it and stalled the health check."""
    if not sys.platform.startswith("linux"):
        return None
    for name in ("libc.so.6", None):
        try:
            libc = ctypes.CDLL(name or ctypes.util.find_library("c"))
        except (OSError, TypeError):
            continue
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    return None


def limit_arenas(n: int | None = None) -> bool:
    if n is None:
        try:
            n = int(os.environ.get("ECOM_MALLOC_ARENAS", "2"))
        except ValueError:
            n = 2
    libc = _glibc()
    if libc is None or n <= 0:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, int(n)))


def release() -> bool:
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def _trim_forever(every_s: float) -> None:
    while True:
        time.sleep(every_s)
        gc.collect()  # first, so that what it frees can be handed back by the trim
        release()


def start_trimmer(every_s: float | None = None) -> bool:
    """Once per process; True when a trimmer runs (started now or before)."""
    global _started
    if every_s is None:
        try:
            every_s = float(os.environ.get("ECOM_TRIM_EVERY_S", "30"))
        except ValueError:
            every_s = 30.0
    if every_s <= 0:
        return False
    with _lock:
        if not _started:
            threading.Thread(target=_trim_forever, args=(every_s,), name="ecom-malloc-trim", daemon=True).start()
            _started = True
    return True
