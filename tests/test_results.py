"""Results store: values survive a restart, keys change with data/settings/version, the size
cap drops the least recently used, one computation per key, nothing pickled."""

import threading
import time

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from ecom_models.workspace import results as RS
from ecom_models.workspace.results import ResultsStore, result_key
from ecom_models.workspace.workspace import Workspace


@pytest.fixture(autouse=True)
def _fresh_memory():
    RS._memory.clear()
    RS._touched.clear()
    yield
    RS._memory.clear()


def _value():
    board = pd.DataFrame({"model": ["ease", "popularity"], "precision": [0.12, np.nan],
                          "when": pd.to_datetime(["2024-01-01", "2024-02-03"]), "n": [3, 4]})
    return {
        "board": board,
        "scores": np.arange(12, dtype=np.float32).reshape(3, 4),
        "ids": np.array(["u1", "u2", None], dtype=object),
        "series": pd.Series([1.5, 2.5], index=["a", "b"], name="s"),
        "matrix": sparse.random(5, 7, density=0.3, format="csr", random_state=0),
        "chosen": "ease", "gain": float("nan"), "upper": float("inf"), "n": np.int64(7),
        "date": pd.Timestamp("2024-05-01 10:00"), "nested": [{"a": (1, 2)}], "thumb": b"\xff\xd8jpeg",
    }


def test_values_survive_a_restart_and_are_not_pickled(tmp_path):
    ws = Workspace("shop", tmp_path)
    store = ResultsStore(ws)
    key = store.key("recommend.report", ["hash1", 10, "random"], version=2)
    assert store.put("recommend.report", key, _value())
    ws.close()
    RS._memory.clear()  # a new process: nothing in memory
    again = ResultsStore(Workspace("shop", tmp_path)).get("recommend.report", key)
    want = _value()
    pd.testing.assert_frame_equal(again["board"], want["board"])
    np.testing.assert_array_equal(again["scores"], want["scores"])
    assert again["scores"].dtype == np.float32
    assert again["ids"].tolist() == ["u1", "u2", None]
    pd.testing.assert_series_equal(again["series"], want["series"])
    assert (again["matrix"] != want["matrix"]).nnz == 0
    assert again["chosen"] == "ease" and np.isnan(again["gain"]) and again["upper"] == float("inf")
    assert again["n"] == 7 and again["date"] == want["date"] and again["nested"] == [{"a": [1, 2]}]
    assert again["thumb"] == b"\xff\xd8jpeg"
    blobs = Workspace("shop", tmp_path)._read("SELECT fmt FROM result_blobs")["fmt"]
    assert set(blobs) == {"parquet", "npy", "raw"}  # plain formats only


def test_frame_columns_of_lists_and_dicts_come_back_as_lists_and_dicts(tmp_path):
    frame = pd.DataFrame({"words": [["late", "parcel"], [], None],
                          "labels": [[{"label": "shoe", "probability": np.float32(0.5)}], [], [{"label": "bag"}]],
                          "mixed": ["text", ["a"], None], "n": [1, 2, 3]})
    ws = Workspace("shop", tmp_path)
    assert ResultsStore(ws).put("k", "x", {"frame": frame})
    RS._memory.clear()
    back = ResultsStore(Workspace("shop", tmp_path)).get("k", "x")["frame"]
    assert back["words"].tolist() == [["late", "parcel"], [], None]
    assert back["labels"].tolist() == [[{"label": "shoe", "probability": 0.5}], [], [{"label": "bag"}]]
    assert back["mixed"].tolist() == ["text", ["a"], None] and back["n"].tolist() == [1, 2, 3]
    assert (back["words"].str.len().fillna(0) > 0).tolist() == [True, False, False]


def test_key_changes_with_data_settings_and_version():
    base = result_key("forecast", ["hash1", "revenue", 90], version=1)
    assert base == result_key("forecast", ["hash1", "revenue", 90], version=1)
    assert base != result_key("forecast", ["hash2", "revenue", 90], version=1)
    assert base != result_key("forecast", ["hash1", "revenue", 30], version=1)
    assert base != result_key("forecast", ["hash1", "revenue", 90], version=2)
    assert base != result_key("risk", ["hash1", "revenue", 90], version=1)


def test_get_or_compute_reuses_and_never_shows_stale(tmp_path):
    store = ResultsStore(Workspace("shop", tmp_path))
    calls = []

    def fit(data_hash):
        calls.append(data_hash)
        return {"rows": pd.DataFrame({"x": [len(calls)]}), "hash": data_hash}

    first = store.get_or_compute("demo.kind", ["h1"], lambda: fit("h1"))
    RS._memory.clear()
    again = store.get_or_compute("demo.kind", ["h1"], lambda: fit("h1"))
    assert calls == ["h1"] and again["hash"] == "h1" and again["rows"]["x"].iloc[0] == first["rows"]["x"].iloc[0]
    changed = store.get_or_compute("demo.kind", ["h2"], lambda: fit("h2"))
    assert calls == ["h1", "h2"] and changed["hash"] == "h2"


def test_to_store_and_from_store_round_trip_objects(tmp_path):
    class Report:
        def __init__(self, table):
            self.table = table

    store = ResultsStore(Workspace("shop", tmp_path))
    make = lambda: Report(pd.DataFrame({"a": [1, 2]}))  # noqa: E731
    kwargs = dict(to_store=lambda r: {"table": r.table}, from_store=lambda d: Report(d["table"]))
    store.get_or_compute("obj", ["k"], make, **kwargs)
    RS._memory.clear()
    got = store.get_or_compute("obj", ["k"], lambda: pytest.fail("recomputed"), **kwargs)
    assert isinstance(got, Report) and got.table["a"].tolist() == [1, 2]


def test_size_cap_drops_least_recently_used(tmp_path):
    ws = Workspace("shop", tmp_path)
    blob = lambda seed: {"a": np.random.default_rng(seed).random(20_000)}  # ~160 kB each  # noqa: E731
    store = ResultsStore(ws, max_bytes=500_000)
    for i, name in enumerate(["old", "middle", "new"]):
        store.put("k", name, blob(i))
        ws._transaction(lambda cur, n=name, t=i: cur.execute("UPDATE results SET used_at = ? WHERE key = ?", [t, n]))
    store.put("k", "newest", blob(9))
    keys = set(ws._read("SELECT key FROM results")["key"])
    assert keys == {"middle", "new", "newest"}
    usage = store.usage()
    assert usage["entries"] == 3 and usage["bytes"] <= 500_000 and usage["by_kind"]["k"] == usage["bytes"]
    too_big = ResultsStore(ws, max_bytes=1000)
    assert too_big.put("k", "huge", blob(3)) is False
    assert ws._read("SELECT count(*) AS n FROM results WHERE key = 'huge'")["n"].iloc[0] == 0


def test_two_sessions_compute_a_missing_result_once(tmp_path):
    a, b = ResultsStore(Workspace("shop", tmp_path)), ResultsStore(Workspace("shop", tmp_path))
    calls, out = [], []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return {"x": 1}

    threads = [threading.Thread(target=lambda s=s: out.append(s.get_or_compute("slow", ["h"], slow))) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and out == [{"x": 1}, {"x": 1}]


def test_unstorable_values_are_refused(tmp_path):
    store = ResultsStore(Workspace("shop", tmp_path))
    with pytest.raises(TypeError, match="plain data"):
        store.put("k", "x", {"model": object()})


def test_sessions_reading_a_stored_result_at_once_decode_it_once(tmp_path, monkeypatch):
    ws = Workspace("shop", tmp_path)
    store = ResultsStore(ws)
    store.put("risk.scores", "k", _value())
    RS._memory.clear()  # as in a server that did not compute it: the value is only on disk
    decodes = []
    real = ResultsStore._read_and_remember

    def slow_read(self, *a):
        decodes.append(1)
        time.sleep(0.05)  # a large result takes a while: the other readers arrive meanwhile
        return real(self, *a)

    monkeypatch.setattr(ResultsStore, "_read_and_remember", slow_read)
    got = []
    threads = [threading.Thread(target=lambda: got.append(ResultsStore(ws).get("risk.scores", "k"))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 5 and all(g is got[0] for g in got)  # one object, shared
    assert len(decodes) == 1
    assert got[0]["chosen"] == "ease"


def test_memory_layer_keeps_to_its_byte_budget(tmp_path, monkeypatch):
    # three 1 MB frames against a 2.5 MB budget: the oldest leaves memory (still stored on disk), the newest stays
    monkeypatch.setenv("ECOM_RESULTS_MEMORY_MB", "2.5")
    ws = Workspace("shop", tmp_path)
    store = ResultsStore(ws)
    frames = {k: pd.DataFrame({"x": np.full(131_072, i, dtype=np.float64)}) for i, k in enumerate("abc")}
    assert 1_000_000 < RS.approx_bytes(frames["a"]) < 1_100_000
    for k, df in frames.items():
        store.put("t", k, df)
    in_memory = {mk[2] for mk in RS._memory if mk[0] == ws._key}
    assert in_memory == {"b", "c"}
    pd.testing.assert_frame_equal(store.get("t", "a"), frames["a"])  # read back from the workspace file
    assert {mk[2] for mk in RS._memory if mk[0] == ws._key} == {"c", "a"}
    # one result alone over the budget is still kept: the sessions reading it now share one copy
    monkeypatch.setenv("ECOM_RESULTS_MEMORY_MB", "0.5")
    store.put("t", "big", frames["b"])
    assert [mk[2] for mk in RS._memory if mk[0] == ws._key] == ["big"]
