"""Workspace: persistence across reopen, atomic writes, concurrent sessions, export/import."""

import threading

import pandas as pd
import pytest

from ecom_models.core.errors import InputError
from ecom_models.workspace.workspace import Workspace, create_workspace, delete_workspace, import_workspace


def test_datasets_survive_a_restart(tmp_path):
    ws = Workspace("shop", tmp_path)
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None], "d": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    info = ws.save_dataset("orders.csv", "orders", df, mapping={"order_id": "a"}, report={"rows_in": 2})
    ws.put("forecast.scenarios", "black friday", {"price": -0.1})
    ws.close()  # a restart: new connection to the same file
    again = Workspace("shop", tmp_path)
    assert again.active_dataset("orders").id == info.id
    restored = again.load_dataset(info.id)
    assert restored["a"].tolist() == [1, 2] and restored["d"].iloc[1] == pd.Timestamp("2024-02-01")
    assert again.get("forecast.scenarios", "black friday") == {"price": -0.1}
    assert again.active_dataset("orders").mapping == {"order_id": "a"}


def test_interrupted_write_leaves_previous_state(tmp_path, monkeypatch):
    ws = Workspace("shop", tmp_path)
    ws.save_dataset("orders", "orders", pd.DataFrame({"a": [1]}))
    before = ws.datasets()
    original = Workspace._transaction

    def crash_before_commit(self, work):
        def work_then_crash(cur):
            work(cur)  # the new table and rows are written…
            raise RuntimeError("power cut")  # …and the process dies before COMMIT
        return original(self, work_then_crash)

    monkeypatch.setattr(Workspace, "_transaction", crash_before_commit)
    with pytest.raises(RuntimeError):
        ws.save_dataset("orders", "orders", pd.DataFrame({"a": [2, 3]}))
    monkeypatch.undo()
    assert [d.id for d in ws.datasets()] == [d.id for d in before]
    assert ws.load_dataset(before[0].id)["a"].tolist() == [1]
    tables = ws._read("SELECT table_name FROM information_schema.tables")["table_name"].tolist()
    assert len([t for t in tables if t.startswith("data_")]) == 1


def test_two_sessions_writing_at_once(tmp_path):
    a, b = Workspace("shop", tmp_path), Workspace("shop", tmp_path)
    errors = []

    def writer(ws, prefix):
        try:
            for i in range(20):
                ws.put("labels", f"{prefix}{i}", {"label": prefix})
                ws.put_frame("results", prefix, pd.DataFrame({"i": range(i + 1)}))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(a, "a")), threading.Thread(target=writer, args=(b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(a.items("labels")) == 40
    assert len(b.get_frame("results", "a")) == 20 and len(b.get_frame("results", "b")) == 20


def test_create_switch_export_import_delete(tmp_path):
    ws = create_workspace("first", tmp_path)
    ws.put("value.assumptions", "cost", 100)
    with pytest.raises(InputError):
        create_workspace("first", tmp_path)
    with pytest.raises(InputError):
        Workspace("../escape", tmp_path)
    data = ws.export_bytes()
    copy = import_workspace("second", data, tmp_path)
    assert copy.get("value.assumptions", "cost") == 100
    assert sorted(p.stem for p in tmp_path.glob("*.duckdb")) == ["first", "second"]
    with pytest.raises(InputError):
        import_workspace("third", b"not a database", tmp_path)
    delete_workspace("second", tmp_path)
    assert not (tmp_path / "second.duckdb").exists()
