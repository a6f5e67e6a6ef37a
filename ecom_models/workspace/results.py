"""The results store: every model result a page shows, kept in the workspace file.

One mechanism for every capability (leaderboards, scores, forecasts, analyses, value rows,
embeddings), so a reload, a server restart or another browser session reuses a result instead
of fitting the model again, and a result computed from other data is never shown.

Key
    `result_key(kind, parts, version)`: a SHA-256 of the result kind, the caller's key parts
    (the content hash of the input data, every setting that changes the result), the
    caller's model version and the app version (`ecom_models.__version__`). Changed data, a
    changed setting or a new model version gives a new key, so a stale result can never be
    found. Old results are not deleted at once: they age out through the size cap.

Values (nothing stored is ever unpickled)
    A value is a JSON document that may hold, at any depth:
    - `pandas.DataFrame` / `pandas.Series`: stored as Parquet (index and dtypes kept); a frame's
      columns of lists or dicts as JSON text, back as lists and dicts;
    - `numpy.ndarray` of numbers, booleans, dates or fixed-width text: stored as `.npy`
      read back with `allow_pickle=False`; arrays of Python objects (say ids) as JSON lists;
    - `scipy.sparse` CSR/CSC matrices: their three arrays and shape;
    - `pandas.Timestamp`, `datetime`, `date`, NaN and infinities, numpy scalars;
    - `bytes` (say a thumbnail): stored and returned as they are, never interpreted.
    Tuples come back as lists and dict keys as strings. Dataclasses and fitted models are
    not stored as such: the caller turns them into such a document (`to_store`) and back
    (`from_store`), which keeps every stored byte plain data.

Capability pipelines (`<capability>/pipeline.py`)
    What each model page shows, computed once per (data, settings) through this store. Pages
    and the background runs started by the Data page call the same functions with the same
    default settings, so a run started when data arrives fills exactly the result the page
    will ask for. `<thing>_key(...)` gives the results key; `<thing>(store, ..., run=None)`
    returns the stored result or computes and stores it, reporting progress to `run` (an
    `ecom_models.workspace.runs.Run`) if given. A pipeline bumps its version when the code
    behind it changes what it returns. Kind strings are persisted data and never change.

Size
    A cap per workspace (`ECOM_RESULTS_MAX_MB`, default 512 MB). After each write the least
    recently used results are dropped until the total fits; a single result larger than the
    cap is not stored at all (it is recomputed when needed). `usage()` gives the figures shown
    on the Data page.

Concurrency
    Writes are one workspace transaction each. `get_or_compute` holds a lock per key, so two
    sessions asking for the same missing result compute it once: the second waits and reads.
    A small in-process memory layer avoids re-reading Parquet on every page rerun; values it
    returns are shared between callers, so treat them as read-only. It keeps at most 32 results
    and `ECOM_RESULTS_MEMORY_MB` (default 768) of them decoded, least recently used out first.

API
    store = ResultsStore(workspace)
    key = store.key("recommend.report", [data_hash, k, split], version=3)
    store.put("recommend.report", key, {"board": df, "scores": array, "chosen": "ease"})
    store.get("recommend.report", key)                  # the value, or None
    store.get_or_compute("recommend.report", [data_hash, k, split], compute,
                         to_store=..., from_store=..., version=3)
    store.usage(); store.clear()
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import threading
import time
from collections import OrderedDict
from datetime import date, datetime
from typing import Any, Callable

import numpy as np
import pandas as pd

from ecom_models import __version__ as APP_VERSION

DEFAULT_MAX_MB = 512
_MEMORY_ENTRIES = 32
# The memory layer is bounded by size as well as count: the demo store's results take ~100 MB decoded, but
# a big store's scores are 20-50x that, and 32 of them would not fit a small server (ECOM_RESULTS_MEMORY_MB).
DEFAULT_MEMORY_MB = 768
_TOUCH_EVERY_S = 30.0  # last-used time is rewritten at most this often per result

_key_locks: dict[tuple[str, str, str], threading.Lock] = {}
_key_locks_guard = threading.Lock()
_memory: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_memory_sizes: dict[tuple[str, str, str], int] = {}
_memory_guard = threading.Lock()
_MISSING = object()
# separate from _key_locks: get_or_compute holds a key's compute lock while it calls get
_read_locks: dict[tuple[str, str, str], threading.Lock] = {}


def _env_bytes(name: str, default_mb: float) -> int:
    try:
        mb = float(os.environ.get(name) or default_mb)
    except ValueError:
        mb = default_mb
    return int(mb * 1024 * 1024)


def max_bytes_default() -> int:
    return _env_bytes("ECOM_RESULTS_MAX_MB", DEFAULT_MAX_MB)


def memory_bytes_default() -> int:
    return _env_bytes("ECOM_RESULTS_MEMORY_MB", DEFAULT_MEMORY_MB)


def approx_bytes(value: Any) -> int:
    """Roughly what a decoded value takes in memory (frames with their text, arrays, nested documents):
    the memory layer's budget, not an exact figure."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, np.ndarray):
        return int(value.nbytes) if value.dtype != object else 64 * int(value.size)
    if isinstance(value, dict):
        return 64 * len(value) + sum(approx_bytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        if len(value) > 1000 and not isinstance(value[0], (dict, list, tuple, pd.DataFrame, np.ndarray)):
            return 64 * len(value)  # a long list of scalars: not worth walking
        return 8 * len(value) + sum(approx_bytes(v) for v in value)
    if isinstance(value, (bytes, str)):
        return len(value) + 49
    data = getattr(value, "data", None)  # scipy.sparse
    if isinstance(data, np.ndarray):
        return sum(int(getattr(value, a).nbytes) for a in ("data", "indices", "indptr") if hasattr(value, a))
    return 32


def result_key(kind: str, parts: Any, version: Any = 1) -> str:
    """The key of a result: kind + the caller's parts + model version + app version."""
    payload = json.dumps([kind, _plain_key(parts), _plain_key(version), APP_VERSION], sort_keys=True,
                         ensure_ascii=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _plain_key(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_key(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_key(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class ResultsStore:
    """Results of one workspace (see the module docstring)."""

    def __init__(self, workspace, max_bytes: int | None = None):
        self.ws = workspace
        self.max_bytes = max_bytes_default() if max_bytes is None else int(max_bytes)

    # -- keys ------------------------------------------------------------------------------
    @staticmethod
    def key(kind: str, parts: Any, version: Any = 1) -> str:
        return result_key(kind, parts, version)

    def _mem_key(self, kind: str, key: str) -> tuple[str, str, str]:
        return (self.ws._key, kind, key)

    # -- read / write ------------------------------------------------------------------------
    def get(self, kind: str, key: str, default: Any = None) -> Any:
        """The stored value, or `default` when there is none."""
        mem_key = self._mem_key(kind, key)
        found = self._from_memory(mem_key, kind, key)
        if found is not _MISSING:
            return found
        # one reader decodes, the others wait for it and take what it remembered: five sessions opening
        # a page at once decoded a 40 MB result five times over, and the server's loop waited behind them
        with _key_lock(*mem_key, locks=_read_locks):
            found = self._from_memory(mem_key, kind, key)
            if found is not _MISSING:
                return found
            return self._read_and_remember(mem_key, kind, key, default)

    def _from_memory(self, mem_key, kind: str, key: str) -> Any:
        with _memory_guard:
            if mem_key not in _memory:
                return _MISSING
            _memory.move_to_end(mem_key)
            value = _memory[mem_key]
        self._touch(kind, key)
        return value

    def _read_and_remember(self, mem_key, kind: str, key: str, default: Any) -> Any:
        rows = self.ws._read("SELECT doc, used_at FROM results WHERE kind = ? AND key = ?", [kind, key])
        if rows.empty:
            return default
        blobs = self.ws._read("SELECT name, fmt, data FROM result_blobs WHERE kind = ? AND key = ?", [kind, key])
        parts = {r["name"]: (r["fmt"], bytes(r["data"])) for r in blobs.to_dict("records")}
        try:
            value = _decode(json.loads(rows.iloc[0]["doc"]), parts)
        except (KeyError, ValueError, TypeError, OSError):
            # a damaged entry is a miss, not a crash: it is recomputed and overwritten
            return default
        self._remember(mem_key, value)
        self._touch(kind, key, float(rows.iloc[0]["used_at"]))
        return value

    def get_as(self, kind: str, key: str, decode: Callable[[Any], Any]) -> Any:
        """The stored value turned into its object by `decode`, or None. An entry that no longer
        decodes (stored by code whose object had other fields) is dropped, so the next run computes
        it again instead of finding it ready."""
        doc = self.get(kind, key)
        if doc is None:
            return None
        try:
            return decode(doc)
        except (KeyError, TypeError, ValueError):
            self.delete(kind, key)
            return None

    def has(self, kind: str, key: str) -> bool:
        if self._mem_key(kind, key) in _memory:
            return True
        return not self.ws._read("SELECT 1 FROM results WHERE kind = ? AND key = ?", [kind, key]).empty

    def put(self, kind: str, key: str, value: Any) -> bool:
        """Store a value (replacing any under the same key). False when it is over the cap."""
        blobs: dict[str, tuple[str, bytes]] = {}
        doc = json.dumps(_encode(value, blobs), ensure_ascii=False, allow_nan=False)
        size = len(doc.encode()) + sum(len(b) for _, b in blobs.values())
        self._remember(self._mem_key(kind, key), value)
        if size > self.max_bytes:
            return False
        now = time.time()

        def work(cur):
            cur.execute("DELETE FROM result_blobs WHERE kind = ? AND key = ?", [kind, key])
            cur.execute("DELETE FROM results WHERE kind = ? AND key = ?", [kind, key])
            cur.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)", [kind, key, doc, size, now, now])
            for name, (fmt, data) in blobs.items():
                cur.execute("INSERT INTO result_blobs VALUES (?, ?, ?, ?, ?)", [kind, key, name, fmt, data])
            _evict(cur, self.max_bytes, keep=(kind, key))

        self.ws._transaction(work)
        return True

    def delete(self, kind: str, key: str) -> None:
        with _memory_guard:
            _memory.pop(self._mem_key(kind, key), None)
            _memory_sizes.pop(self._mem_key(kind, key), None)

        def work(cur):
            cur.execute("DELETE FROM result_blobs WHERE kind = ? AND key = ?", [kind, key])
            cur.execute("DELETE FROM results WHERE kind = ? AND key = ?", [kind, key])

        self.ws._transaction(work)

    def clear(self) -> None:
        """Drop every stored result of this workspace (they are recomputed when needed)."""
        with _memory_guard:
            for mem_key in [k for k in _memory if k[0] == self.ws._key]:
                del _memory[mem_key]
                _memory_sizes.pop(mem_key, None)

        def work(cur):
            cur.execute("DELETE FROM result_blobs")
            cur.execute("DELETE FROM results")

        self.ws._transaction(work)

    def get_or_compute(
        self,
        kind: str,
        key_parts: Any,
        compute: Callable[[], Any],
        *,
        to_store: Callable[[Any], Any] | None = None,
        from_store: Callable[[Any], Any] | None = None,
        version: Any = 1,
    ) -> Any:
        """The result under (kind, key_parts, version): stored, else computed once and stored.

        `compute()` makes the result; `to_store(result)` turns it into a storable document
        and `from_store(document)` back (both default to identity). Two callers asking for
        the same missing key at once compute it once.
        """
        key = result_key(kind, key_parts, version)
        to_store = to_store or (lambda value: value)
        from_store = from_store or (lambda doc: doc)
        missing = object()
        doc = self.get(kind, key, missing)
        if doc is not missing:
            return from_store(doc)
        with _key_lock(self.ws._key, kind, key):
            doc = self.get(kind, key, missing)
            if doc is not missing:
                return from_store(doc)
            result = compute()
            self.put(kind, key, to_store(result))
            return result

    # -- size -------------------------------------------------------------------------------
    def usage(self) -> dict:
        """{'bytes', 'entries', 'max_bytes', 'by_kind': {kind: bytes}} for the Data page."""
        rows = self.ws._read("SELECT kind, count(*) AS n, sum(bytes) AS b FROM results GROUP BY kind ORDER BY kind")
        total = int(rows["b"].sum()) if not rows.empty else 0
        return {"bytes": total, "entries": int(rows["n"].sum()) if not rows.empty else 0,
                "max_bytes": self.max_bytes, "by_kind": {r["kind"]: int(r["b"]) for r in rows.to_dict("records")}}

    # -- internals ---------------------------------------------------------------------------
    def _remember(self, mem_key, value) -> None:
        size = approx_bytes(value)  # outside the guard: a big frame takes a few tens of ms to measure
        budget = memory_bytes_default()
        with _memory_guard:
            _memory[mem_key] = value
            _memory_sizes[mem_key] = size
            _memory.move_to_end(mem_key)
            for gone in [k for k in _memory_sizes if k not in _memory]:
                del _memory_sizes[gone]
            # over the byte budget the newest entry still stays, alone: the sessions reading it now share it
            while _memory and (len(_memory) > _MEMORY_ENTRIES
                               or (len(_memory) > 1 and sum(_memory_sizes.values()) > budget)):
                old, _ = _memory.popitem(last=False)
                _memory_sizes.pop(old, None)

    def _touch(self, kind: str, key: str, used_at: float | None = None) -> None:
        """Mark a result as used (for the least-recently-used eviction), cheaply."""
        now = time.time()
        stamp = _touched.get((self.ws._key, kind, key), used_at or 0.0)
        if now - stamp < _TOUCH_EVERY_S:
            return
        _touched[(self.ws._key, kind, key)] = now
        try:
            self.ws._transaction(lambda cur: cur.execute(
                "UPDATE results SET used_at = ? WHERE kind = ? AND key = ?", [now, kind, key]))
        except Exception:  # noqa: BLE001 - a missed touch only makes eviction slightly less exact
            pass


_touched: dict[tuple[str, str, str], float] = {}


def _key_lock(ws_key: str, kind: str, key: str, locks: dict = _key_locks) -> threading.Lock:
    with _key_locks_guard:
        return locks.setdefault((ws_key, kind, key), threading.Lock())


def _evict(cur, max_bytes: int, keep: tuple[str, str]) -> None:
    total = cur.execute("SELECT coalesce(sum(bytes), 0) FROM results").fetchone()[0]
    if total <= max_bytes:
        return
    rows = cur.execute("SELECT kind, key, bytes FROM results ORDER BY used_at ASC").fetchall()
    for kind, key, size in rows:
        if total <= max_bytes:
            break
        if (kind, key) == keep:
            continue
        cur.execute("DELETE FROM result_blobs WHERE kind = ? AND key = ?", [kind, key])
        cur.execute("DELETE FROM results WHERE kind = ? AND key = ?", [kind, key])
        total -= size


# -- encoding: plain documents with Parquet / npy parts ---------------------------------------
def _encode(value: Any, blobs: dict[str, tuple[str, bytes]]) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (bytes, bytearray)):  # e.g. thumbnails: kept as they are, never interpreted
        return {"__bytes__": _add_blob(blobs, "raw", bytes(value))}
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, dict):
        return {str(k): _encode(v, blobs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, blobs) for v in value]
    if isinstance(value, pd.DataFrame):
        frame, nested = _nested_as_json(value)
        doc = {"__frame__": _add_blob(blobs, "parquet", _frame_bytes(frame))}
        if nested:
            doc["json"] = nested
        return doc
    if isinstance(value, pd.Series):
        frame = value.to_frame(name="__value__")
        return {"__series__": _add_blob(blobs, "parquet", _frame_bytes(frame)), "name": _encode(value.name, blobs)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"__objarray__": [_encode(v, blobs) for v in value.tolist()], "shape": list(value.shape)}
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        return {"__array__": _add_blob(blobs, "npy", buffer.getvalue())}
    if isinstance(value, pd.Index):
        return {"__index__": _encode(np.asarray(value), blobs), "name": _encode(value.name, blobs)}
    if pd.api.types.is_scalar(value) and value is pd.NaT:
        return {"__nat__": True}
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": value.isoformat()}
    if isinstance(value, datetime):
        return {"__timestamp__": pd.Timestamp(value).isoformat()}
    if isinstance(value, date):
        return {"__date__": value.isoformat()}
    if type(value).__name__ in {"csr_matrix", "csc_matrix", "csr_array", "csc_array"}:
        fmt = "csr" if "csr" in type(value).__name__ else "csc"
        return {"__sparse__": fmt, "shape": list(value.shape), "data": _encode(value.data, blobs),
                "indices": _encode(value.indices, blobs), "indptr": _encode(value.indptr, blobs)}
    if value is pd.NA:
        return {"__na__": True}
    raise TypeError(f"results store: cannot store a {type(value).__name__}; turn it into plain data first")


def _add_blob(blobs: dict, fmt: str, data: bytes) -> str:
    name = f"p{len(blobs)}"
    blobs[name] = (fmt, data)
    return name


def _nested_as_json(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Columns holding lists or dicts (an intent's telling words, a photo's problems) as JSON text.

    Parquet would give them back as NumPy arrays (where `.str.len()` and `== []` behave otherwise)
    or, for mixed rows, the store's fallback would turn them into their repr; as JSON they come back
    as the lists and dicts they were."""
    nested: list[str] = []
    out = df
    for i, col in enumerate(df.columns):
        column = df.iloc[:, i]
        if column.dtype != object:
            continue
        values = column.to_numpy()
        if not any(isinstance(v, (list, tuple, dict, np.ndarray)) for v in values):
            continue
        if out is df:
            out = df.copy()
        out.iloc[:, i] = pd.Series([None if v is None else json.dumps(v, ensure_ascii=False, default=_json_default)
                                    for v in values], index=df.index, dtype=object)
        nested.append(str(col))
    return out, nested


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _frame_bytes(df: pd.DataFrame) -> bytes:
    frame = df.copy()
    frame.columns = [str(c) for c in frame.columns]
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, engine="pyarrow")
    except (TypeError, ValueError, ImportError, Exception) as first:  # mixed object columns
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: v if v is None or isinstance(v, str) or
                                            (not isinstance(v, (list, dict)) and pd.isna(v)) else str(v))
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer, engine="pyarrow")
        except Exception:  # noqa: BLE001
            raise TypeError(f"results store: a DataFrame could not be stored ({first})") from None
    return buffer.getvalue()


def _decode(doc: Any, parts: dict[str, tuple[str, bytes]]) -> Any:
    if isinstance(doc, list):
        return [_decode(v, parts) for v in doc]
    if not isinstance(doc, dict):
        return doc
    if "__frame__" in doc:
        frame = pd.read_parquet(io.BytesIO(parts[doc["__frame__"]][1]), engine="pyarrow")
        for col in doc.get("json") or ():
            # only None was left out of the JSON (Parquet may give it back as NaN)
            frame[col] = pd.Series([json.loads(v) if isinstance(v, str) else None for v in frame[col]],
                                   index=frame.index, dtype=object)
        return frame
    if "__series__" in doc:
        series = pd.read_parquet(io.BytesIO(parts[doc["__series__"]][1]), engine="pyarrow")["__value__"]
        series.name = _decode(doc.get("name"), parts)
        return series
    if "__bytes__" in doc:
        return parts[doc["__bytes__"]][1]
    if "__array__" in doc:
        return np.load(io.BytesIO(parts[doc["__array__"]][1]), allow_pickle=False)
    if "__objarray__" in doc:
        out = np.empty(len(doc["__objarray__"]), dtype=object)
        out[:] = [_decode(v, parts) for v in doc["__objarray__"]]
        return out.reshape(doc.get("shape") or (len(out),))
    if "__index__" in doc:
        return pd.Index(_decode(doc["__index__"], parts), name=_decode(doc.get("name"), parts))
    if "__float__" in doc:
        return float(doc["__float__"])
    if "__timestamp__" in doc:
        return pd.Timestamp(doc["__timestamp__"])
    if "__date__" in doc:
        return date.fromisoformat(doc["__date__"])
    if "__nat__" in doc:
        return pd.NaT
    if "__na__" in doc:
        return pd.NA
    if "__sparse__" in doc:
        from scipy import sparse

        build = sparse.csr_matrix if doc["__sparse__"] == "csr" else sparse.csc_matrix
        return build((_decode(doc["data"], parts), _decode(doc["indices"], parts), _decode(doc["indptr"], parts)),
                     shape=tuple(doc["shape"]))
    return {k: _decode(v, parts) for k, v in doc.items()}


def format_size(n_bytes: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:,.0f} {unit}" if unit == "bytes" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:,.1f} GB"


def dataclass_to_doc(obj) -> dict:
    """A result dataclass as a plain document for the store (fields by name)."""
    from dataclasses import fields

    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def dataclass_from_doc(cls, doc: dict, tuples: tuple[str, ...] = ()):
    """A stored document back as `cls`: unknown keys ignored, `tuples` fields back to tuples."""
    from dataclasses import fields

    kwargs = {f.name: doc[f.name] for f in fields(cls) if f.name in doc}
    for name in tuples:
        if isinstance(kwargs.get(name), list):
            kwargs[name] = tuple(kwargs[name])
    return cls(**kwargs)
