"""The merchant's workspace: one embedded DuckDB file per workspace.

It holds uploaded datasets, column mappings, model results, labels and saved scenarios,
so a reload or a restart loses nothing.

Location: the folder named by ECOM_WORKSPACE_DIR (default `~/.ecom_value_lab`), one
`<name>.duckdb` file per workspace; ECOM_WORKSPACE picks the default workspace name.

Safety:
- Every write is one DuckDB transaction: a write interrupted half-way (crash, kill,
  exception, SIGKILL) rolls back and leaves the previous state intact; a dataset's rows
  and its catalogue entry are written in the same transaction, so it is listed only whole.
- Processes take turns (ecom_models/workspace_lock.py): each operation takes an OS lock
  on `<name>.duckdb.lock`, opens the file, works and closes it, so the app and a scheduled
  CLI import share one workspace. A process kept waiting longer than
  ECOM_WORKSPACE_TIMEOUT seconds gets a clear "workspace busy" error (CLI exit 2).

Storage layout (all tables created on open):
- `datasets`: one row per uploaded dataset (name, kind, source file, rows, content hash,
  mapping and data-quality report as JSON, active flag), data in table `data_<id>`.
- `kv`: JSON documents by (namespace, key): mappings remembered by header, assumptions,
  scenarios, labels, small results.
- `frames`: DataFrames by (namespace, key), data in table `frame_<id>`.
- `results` + `result_blobs`: model results by key with their Parquet/npy parts, under a
  size cap with least-recently-used eviction (see ecom_models/results.py).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.jsonio import dumps
from ecom_models.workspace.lock import FileGate, WorkspaceBusy  # noqa: F401 - WorkspaceBusy is re-exported

DEFAULT_DIR = Path.home() / ".ecom_value_lab"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")

_gates: dict[str, FileGate] = {}
_registry_lock = threading.Lock()


@atexit.register
def _release_all() -> None:
    """Close lingering connections at exit, so the file is checkpointed and free at once."""
    for gate in list(_gates.values()):
        try:
            gate.release()
        except Exception:  # noqa: BLE001 - exiting anyway
            pass


def workspace_dir() -> Path:
    return Path(os.environ.get("ECOM_WORKSPACE_DIR") or DEFAULT_DIR).expanduser()


def default_workspace_name() -> str:
    return os.environ.get("ECOM_WORKSPACE") or "default"


def list_workspaces() -> list[str]:
    folder = workspace_dir()
    if not folder.exists():
        return []
    return sorted(p.stem for p in folder.glob("*.duckdb"))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise InputError(
            f"'{name}' is not a usable workspace name.",
            fix="use 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.",
        )
    return name


def content_hash(df: pd.DataFrame) -> str:
    """A stable hash of a DataFrame's full content (used as a cache key for results)."""
    hashed = pd.util.hash_pandas_object(df, index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update("|".join(map(str, df.columns)).encode())
    return digest.hexdigest()[:20]


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    kind: str
    source_file: str
    rows: int
    content_hash: str
    created_at: str
    active: bool
    mapping: dict
    report: dict


class Workspace:
    """One workspace file. Cheap to construct: connections are shared per file."""

    def __init__(self, name: str | None = None, folder: str | Path | None = None):
        self.name = _check_name(name or default_workspace_name())
        self.folder = Path(folder).expanduser() if folder else workspace_dir()
        self.path = self.folder / f"{self.name}.duckdb"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._key = str(self.path.resolve())
        self._connect()

    # -- connection handling -------------------------------------------------------------
    def _connect(self) -> None:
        with _registry_lock:
            if self._key not in _gates:
                _gates[self._key] = FileGate(self.path, on_first_open=_create_schema)
        with self._gate.connection():
            pass  # creates the file and its tables now, and says "busy" now rather than later

    @property
    def _gate(self) -> FileGate:
        with _registry_lock:
            return _gates.setdefault(self._key, FileGate(self.path, on_first_open=_create_schema))

    def close(self) -> None:
        """Nothing stays open between operations; kept so callers can say they are done."""
        with _registry_lock:
            gate = _gates.pop(self._key, None)
        if gate is not None:
            gate.release()

    def _transaction(self, work):
        """Run `work(cursor)` in one transaction; on any failure nothing is changed."""
        with self._gate.connection() as con:
            cur = con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                result = work(cur)
                cur.execute("COMMIT")
                return result
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                cur.close()

    def _read(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self._gate.connection() as con:
            cur = con.cursor()
            try:
                return cur.execute(sql, params or []).df()
            finally:
                cur.close()

    # -- datasets ------------------------------------------------------------------------
    def save_dataset(
        self,
        name: str,
        kind: str,
        df: pd.DataFrame,
        *,
        source_file: str = "",
        mapping: dict | None = None,
        report: dict | None = None,
        activate: bool = True,
    ) -> DatasetInfo:
        """Store a dataset; with activate, it becomes the one pages use for its kind.

        A dataset with the same name and kind is replaced, atomically.
        """
        name = (name or "").strip() or source_file or kind
        frame = _storable(df)
        dataset_id = uuid.uuid4().hex[:12]
        digest = content_hash(frame)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")

        def work(cur):
            cur.register("incoming_frame", frame)
            cur.execute(f"CREATE TABLE data_{dataset_id} AS SELECT * FROM incoming_frame")
            cur.unregister("incoming_frame")
            _list_replacing(cur, [dataset_id, name, kind, source_file, len(frame), digest, now, activate,
                                  _to_json(mapping or {}), _to_json(report or {})])

        self._transaction(work)
        return self.dataset_info(dataset_id)

    def save_dataset_parquet(self, name: str, kind: str, parquet_path: str | Path, *, source_file: str = "",
                             mapping: dict | None = None, report: dict | None = None,
                             activate: bool = True) -> DatasetInfo:
        """save_dataset for data too big to hold in memory: DuckDB copies a Parquet file
        (written by intake_big) straight into the workspace. Content hash: of the file."""
        name = (name or "").strip() or source_file or kind
        dataset_id = uuid.uuid4().hex[:12]
        digest = hashlib.sha256()
        with open(parquet_path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")

        def work(cur):
            cur.execute(f"CREATE TABLE data_{dataset_id} AS SELECT * FROM read_parquet(?)", [str(parquet_path)])
            rows = cur.execute(f"SELECT count(*) FROM data_{dataset_id}").fetchone()[0]
            _list_replacing(cur, [dataset_id, name, kind, source_file, rows, digest.hexdigest()[:20], now, activate,
                                  _to_json(mapping or {}), _to_json(report or {})])

        self._transaction(work)
        return self.dataset_info(dataset_id)

    def datasets(self, kind: str | None = None) -> list[DatasetInfo]:
        sql = "SELECT * FROM datasets" + (" WHERE kind = ?" if kind else "") + " ORDER BY created_at DESC, name"
        rows = self._read(sql, [kind] if kind else [])
        return [_info(r) for r in rows.to_dict("records")]

    def dataset_info(self, dataset_id: str) -> DatasetInfo:
        rows = self._read("SELECT * FROM datasets WHERE id = ?", [dataset_id])
        if rows.empty:
            raise KeyError(dataset_id)
        return _info(rows.iloc[0].to_dict())

    def active_dataset(self, kind: str) -> DatasetInfo | None:
        rows = self._read("SELECT * FROM datasets WHERE kind = ? AND active ORDER BY created_at DESC LIMIT 1", [kind])
        return None if rows.empty else _info(rows.iloc[0].to_dict())

    def load_dataset(self, dataset_id: str) -> pd.DataFrame:
        self.dataset_info(dataset_id)  # raises KeyError for unknown ids, before SQL sees the id
        if not re.fullmatch(r"[0-9a-f]{12}", dataset_id):
            raise KeyError(dataset_id)
        return _restored(self._read(f"SELECT * FROM data_{dataset_id}"))

    def frame(self, source) -> pd.DataFrame:
        """`source` as a frame: a saved dataset's id is read here (a worker process reads the
        data itself, so the web server neither loads nor pickles it), a frame is used as is."""
        return self.load_dataset(source) if isinstance(source, str) else source

    def set_active(self, dataset_id: str | None, kind: str) -> None:
        def work(cur):
            cur.execute("UPDATE datasets SET active = FALSE WHERE kind = ?", [kind])
            if dataset_id:
                cur.execute("UPDATE datasets SET active = TRUE WHERE id = ? AND kind = ?", [dataset_id, kind])

        self._transaction(work)

    def delete_dataset(self, dataset_id: str) -> None:
        info = self.dataset_info(dataset_id)

        def work(cur):
            cur.execute(f"DROP TABLE IF EXISTS data_{info.id}")
            cur.execute("DELETE FROM datasets WHERE id = ?", [info.id])

        self._transaction(work)

    # -- JSON documents ------------------------------------------------------------------
    def put(self, namespace: str, key: str, value: Any) -> None:
        payload = _to_json(value)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")

        def work(cur):
            cur.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", [namespace, key])
            cur.execute("INSERT INTO kv VALUES (?, ?, ?, ?)", [namespace, key, payload, now])

        self._transaction(work)

    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM kv WHERE namespace = ? AND key = ?", [namespace, key])
        return default if rows.empty else json.loads(rows.iloc[0]["value"])

    def items(self, namespace: str) -> dict[str, Any]:
        rows = self._read("SELECT key, value FROM kv WHERE namespace = ? ORDER BY key", [namespace])
        return {r["key"]: json.loads(r["value"]) for r in rows.to_dict("records")}

    def delete(self, namespace: str, key: str) -> None:
        self._transaction(lambda cur: cur.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", [namespace, key]))

    # -- DataFrames (results, labels, forecasts) -------------------------------------------
    def put_frame(self, namespace: str, key: str, df: pd.DataFrame) -> None:
        frame = _storable(df)
        frame_id = uuid.uuid4().hex[:12]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")

        def work(cur):
            old = cur.execute("SELECT id FROM frames WHERE namespace = ? AND key = ?", [namespace, key]).fetchall()
            cur.register("incoming_frame", frame)
            cur.execute(f"CREATE TABLE frame_{frame_id} AS SELECT * FROM incoming_frame")
            cur.unregister("incoming_frame")
            for (old_id,) in old:
                cur.execute(f"DROP TABLE IF EXISTS frame_{old_id}")
            cur.execute("DELETE FROM frames WHERE namespace = ? AND key = ?", [namespace, key])
            cur.execute("INSERT INTO frames VALUES (?, ?, ?, ?)", [namespace, key, frame_id, now])

        self._transaction(work)

    def get_frame(self, namespace: str, key: str) -> pd.DataFrame | None:
        rows = self._read("SELECT id FROM frames WHERE namespace = ? AND key = ?", [namespace, key])
        if rows.empty:
            return None
        return _restored(self._read(f"SELECT * FROM frame_{rows.iloc[0]['id']}"))

    def frame_keys(self, namespace: str) -> list[str]:
        return self._read("SELECT key FROM frames WHERE namespace = ? ORDER BY key", [namespace])["key"].tolist()

    def delete_frame(self, namespace: str, key: str) -> None:
        def work(cur):
            for (old_id,) in cur.execute("SELECT id FROM frames WHERE namespace = ? AND key = ?", [namespace, key]).fetchall():
                cur.execute(f"DROP TABLE IF EXISTS frame_{old_id}")
            cur.execute("DELETE FROM frames WHERE namespace = ? AND key = ?", [namespace, key])

        self._transaction(work)

    # -- whole workspace -------------------------------------------------------------------
    def export(self, destination: str | Path, with_identities: bool = False) -> Path:
        """Write a consistent single-file copy of this workspace. The key to the customers' own
        ids (workspace.identities) stays out unless `with_identities`."""
        destination = Path(destination)
        with self._gate.connection() as con:
            cur = con.cursor()
            try:
                cur.execute("CHECKPOINT")
            finally:
                cur.close()
            if with_identities:
                from ecom_models.workspace.identities import embed_in_export

                tmp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.tmp")
                try:
                    shutil.copyfile(self.path, tmp)
                    embed_in_export(self, tmp)
                    tmp.replace(destination)
                finally:
                    tmp.unlink(missing_ok=True)
            else:
                shutil.copyfile(self.path, destination)
        return destination

    def export_bytes(self, with_identities: bool = False) -> bytes:
        tmp = self.folder / f".export-{uuid.uuid4().hex}.duckdb"
        try:
            self.export(tmp, with_identities=with_identities)
            return tmp.read_bytes()
        finally:
            tmp.unlink(missing_ok=True)


def create_workspace(name: str, folder: str | Path | None = None) -> Workspace:
    name = _check_name(name)
    target = (Path(folder).expanduser() if folder else workspace_dir()) / f"{name}.duckdb"
    if target.exists():
        raise InputError(f"a workspace named '{name}' already exists.", fix="pick another name or switch to it.")
    return Workspace(name, folder)


def delete_workspace(name: str, folder: str | Path | None = None) -> None:
    ws_path = (Path(folder).expanduser() if folder else workspace_dir()) / f"{_check_name(name)}.duckdb"
    key = str(ws_path.resolve())
    with _registry_lock:
        gate = _gates.pop(key, None) or FileGate(ws_path)
    with gate.exclusive():
        ws_path.unlink(missing_ok=True)
        Path(str(ws_path) + ".wal").unlink(missing_ok=True)
        from ecom_models.workspace.identities import remove_files

        remove_files(ws_path.parent, ws_path.stem)
    Path(str(ws_path) + ".lock").unlink(missing_ok=True)


def import_workspace(name: str, data: bytes, folder: str | Path | None = None) -> Workspace:
    """Install an exported workspace file under a new name, after checking it is one of ours.
    A key to the customers' own ids exported with it (`export(..., with_identities=True)`) is
    put back beside the workspace, out of its file."""
    name = _check_name(name)
    base = Path(folder).expanduser() if folder else workspace_dir()
    base.mkdir(parents=True, exist_ok=True)
    target = base / f"{name}.duckdb"
    if target.exists():
        raise InputError(f"a workspace named '{name}' already exists.", fix="pick another name.")
    tmp = base / f".import-{uuid.uuid4().hex}.duckdb"
    tmp.write_bytes(data)
    try:
        con = duckdb.connect(str(tmp), read_only=True)
        try:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        finally:
            con.close()
        if not {"datasets", "kv", "frames"} <= tables:
            raise InputError("this file is not an Ecom Value Lab workspace.", fix="choose a file made with 'Export workspace'.")
    except duckdb.Error:
        tmp.unlink(missing_ok=True)
        raise InputError("this file is not a workspace file (it could not be opened as one).",
                         fix="choose a file made with 'Export workspace'.") from None
    except InputError:
        tmp.unlink(missing_ok=True)
        raise
    from ecom_models.workspace.identities import adopt_from_import, take_from_import

    try:
        key = take_from_import(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)
    ws = Workspace(name, base)
    adopt_from_import(ws, key)
    return ws


def _list_replacing(cur, row: list) -> None:
    """Inside the save's transaction, once its table is written: drop the dataset of the same name
    and kind, and list the new one (active if asked). Until COMMIT nobody sees either change."""
    dataset_id, name, kind, activate = row[0], row[1], row[2], row[7]
    old = cur.execute("SELECT id FROM datasets WHERE name = ? AND kind = ? AND id <> ?",
                      [name, kind, dataset_id]).fetchall()
    for (old_id,) in old:
        cur.execute(f"DROP TABLE IF EXISTS data_{old_id}")
        cur.execute("DELETE FROM datasets WHERE id = ?", [old_id])
    if activate:
        cur.execute("UPDATE datasets SET active = FALSE WHERE kind = ?", [kind])
    cur.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE IF NOT EXISTS datasets (
            id VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR, source_file VARCHAR, rows BIGINT,
            content_hash VARCHAR, created_at VARCHAR, active BOOLEAN, mapping VARCHAR, report VARCHAR)"""
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS kv (namespace VARCHAR, key VARCHAR, value VARCHAR, updated_at VARCHAR, PRIMARY KEY (namespace, key))"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS frames (namespace VARCHAR, key VARCHAR, id VARCHAR, updated_at VARCHAR, PRIMARY KEY (namespace, key))"
    )
    # model results by key, with their Parquet/npy parts (ecom_models.workspace.results)
    con.execute(
        "CREATE TABLE IF NOT EXISTS results (kind VARCHAR, key VARCHAR, doc VARCHAR, bytes BIGINT, created_at DOUBLE, used_at DOUBLE, PRIMARY KEY (kind, key))"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS result_blobs (kind VARCHAR, key VARCHAR, name VARCHAR, fmt VARCHAR, data BLOB, PRIMARY KEY (kind, key, name))"
    )


def _info(row: dict) -> DatasetInfo:
    return DatasetInfo(
        id=row["id"], name=row["name"], kind=row["kind"], source_file=row["source_file"], rows=int(row["rows"]),
        content_hash=row["content_hash"], created_at=row["created_at"], active=bool(row["active"]),
        mapping=json.loads(row["mapping"] or "{}"), report=json.loads(row["report"] or "{}"),
    )


def _to_json(value: Any) -> str:
    return dumps(value)


def _storable(df: pd.DataFrame) -> pd.DataFrame:
    """DuckDB wants plain column names and no object columns of mixed types."""
    frame = df.copy()
    frame.columns = [str(c) for c in frame.columns]
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].map(_text_or_none)
    return frame.reset_index(drop=True)


def _text_or_none(value):
    """Missing stays missing (pd.NA, NaN, NaT, None), never the text '<NA>'."""
    if value is None or (not isinstance(value, (str, bytes, list, dict)) and pd.isna(value)):
        return None
    return str(value)


def _restored(df: pd.DataFrame) -> pd.DataFrame:
    return df
