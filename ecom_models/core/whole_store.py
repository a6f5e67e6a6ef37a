"""Decisions a cleaner takes on a whole column, kept whole when a store is read in pieces.

intake decides some things from a column as a whole: which dates are far from the bulk, the
time-zone offset times are shown in, whether a discount column holds rates or money, the scale
of ratings, whether order ids are numbers. intake_big cleans a big store chunk by chunk with
intake itself; each chunk alone would decide these from its own rows. So, while a chunk is
cleaned inside `pieces(store)`:

- `whole_column(name, value)` records the chunk's own `value` in `store.seen` and returns the
  whole store's (from `store.forced`) when intake_big has found it, else the chunk's own. The
  chunks whose own value differs from the store's are then cleaned again with it.
- dates.implausible_dates hands its plausible dates to `store.collect` (the bulk is found over
  the whole store in DuckDB) or judges them against `store.bounds`.
- intake.parse_dates converts times to `store.offset_minutes`.

Outside `pieces()` (every small file) nothing changes.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Store:
    collect: object = None  # callable(plausible dates): the bulk is not known yet
    bounds: tuple | None = None  # the whole store's 1st and 99th date percentiles (None: too few)
    offset_minutes: float | None = None  # the whole store's most common time-zone offset
    forced: dict = field(default_factory=dict)  # {decision: the whole store's value}
    seen: dict = field(default_factory=dict)  # {decision: this piece's own value}


_CURRENT: contextvars.ContextVar = contextvars.ContextVar("whole_store", default=None)


@contextmanager
def pieces(store: Store | None):
    token = _CURRENT.set(store)
    try:
        yield store
    finally:
        _CURRENT.reset(token)


def current() -> Store | None:
    return _CURRENT.get()


def whole_column(name: str, value):
    """The value of a whole-column decision: the piece's own, or the whole store's."""
    store = _CURRENT.get()
    if store is None:
        return value
    store.seen[name] = value
    return store.forced.get(name, value)
