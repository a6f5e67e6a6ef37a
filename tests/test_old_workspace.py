"""A workspace written by the code before the `ecom_models` restructure (commit e73157b) still opens and
reads the same: datasets, kept model results, risk decisions, saved scenarios, support edits,
assumptions, image rules.

Fixture: tests/fixtures/old_workspace/old.duckdb.gz (the workspace file exactly as e73157b's app keeps
it, gzipped) and expected.json (what e73157b read back from it), both written once on e73157b by
tests/fixtures/old_workspace/make.py. The test unzips a copy into a tmp workspace folder
(ECOM_WORKSPACE_DIR) and never opens the fixture in place.

Only public, stable names are used: `ecom_models.workspace.Workspace` (opened as the app does:
ecom_ui/common.py builds `Workspace(name, folder)`; here the name and folder come from ECOM_WORKSPACE /
ECOM_WORKSPACE_DIR as at app start) and the results store's `ResultsStore(workspace).get(kind, key)`.
The stored result keys are taken from expected.json, not
recomputed (a key includes the app version, which may change without the stored results changing).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecom_models.workspace import ResultsStore, Workspace, list_workspaces

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "old_workspace"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())
NAME = EXPECTED["workspace"]


# -- the same checksums as tests/fixtures/old_workspace/make.py ---------------------------------------
def frame_checksum(df: pd.DataFrame) -> str:
    df = df.copy()
    for col in df.columns:  # cells holding lists (say reasons): the same text whether list or array
        if df[col].dtype == object:
            df[col] = df[col].map(lambda v: json.dumps(np.asarray(v).tolist(), default=str)
                                  if isinstance(v, (list, tuple, np.ndarray)) else v)
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return hashlib.sha256(buf.getvalue().encode()).hexdigest()


def value_checksum(value) -> str:
    h = hashlib.sha256()

    def feed(v) -> None:
        if isinstance(v, pd.DataFrame):
            h.update(b"frame" + json.dumps(list(map(str, v.columns))).encode() + frame_checksum(v).encode())
        elif isinstance(v, pd.Series):
            feed(v.to_frame(name=str(v.name)))
        elif isinstance(v, np.ndarray):
            h.update(b"array" + str(v.shape).encode())
            feed(v.tolist())
        elif isinstance(v, dict):
            h.update(b"{")
            for k in sorted(v, key=str):
                h.update(json.dumps(str(k)).encode() + b":")
                feed(v[k])
            h.update(b"}")
        elif isinstance(v, (list, tuple)):
            h.update(b"[")
            for x in v:
                feed(x)
                h.update(b",")
            h.update(b"]")
        elif isinstance(v, (bool, np.bool_)):
            h.update(b"true" if v else b"false")
        elif isinstance(v, (int, np.integer)):
            h.update(repr(int(v)).encode())
        elif isinstance(v, (float, np.floating)):
            h.update(repr(float(v)).encode())
        else:
            h.update(repr(v).encode())

    feed(value)
    return h.hexdigest()


def structure(value):
    if isinstance(value, pd.DataFrame):
        return {"frame": [str(c) for c in value.columns], "rows": len(value)}
    if isinstance(value, np.ndarray):
        return {"array": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return f"list[{len(value)}]"
    return type(value).__name__


# -- opening ------------------------------------------------------------------------------------------
@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    """The old workspace, unzipped into a tmp ECOM_WORKSPACE_DIR and opened as the app opens it."""
    folder = tmp_path / "workspaces"
    folder.mkdir()
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(folder))
    raw = gzip.decompress((FIXTURE / f"{NAME}.duckdb.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == EXPECTED["file_sha256"], "the fixture is not the file make.py wrote"
    (folder / f"{NAME}.duckdb").write_bytes(raw)
    monkeypatch.setenv("ECOM_WORKSPACE", NAME)
    workspace = Workspace()  # name from ECOM_WORKSPACE, folder from ECOM_WORKSPACE_DIR
    assert workspace.path == folder / f"{NAME}.duckdb"
    yield workspace
    workspace.close()


def test_the_old_file_is_listed_and_opens(ws):
    assert NAME in list_workspaces()
    assert ws.name == NAME


def test_datasets_are_all_there_with_the_same_rows(ws):
    infos = sorted(ws.datasets(), key=lambda i: i.name)
    assert [(i.name, i.kind) for i in infos] == [(d["name"], d["kind"]) for d in EXPECTED["datasets"]]
    assert {d["kind"] for d in EXPECTED["datasets"]} >= {"orders", "reviews"}
    for info, want in zip(infos, EXPECTED["datasets"]):
        assert info.id == want["id"] and info.source_file == want["source_file"], want["name"]
        assert info.rows == want["rows"] and info.active == want["active"], want["name"]
        assert info.content_hash == want["content_hash"] and info.created_at == want["created_at"], want["name"]
        assert info.mapping == want["mapping"], want["name"]
        assert sorted(info.report) == want["report_keys"], want["name"]
        df = ws.load_dataset(info.id)
        assert [str(c) for c in df.columns] == want["columns"], want["name"]
        assert len(df) == want["loaded_rows"] == want["rows"], want["name"]
        assert frame_checksum(df) == want["checksum"], f"{want['name']}: the loaded rows differ"
    for want in EXPECTED["datasets"]:  # each is the active dataset of its kind, as the pages ask for it
        active = ws.active_dataset(want["kind"])
        assert active is not None and active.name == want["name"]
    orders = ws.load_dataset(ws.active_dataset("orders").id)
    assert orders["customer_id"].dropna().str.fullmatch(r"c-[0-9a-f]{16}").all()  # pseudonyms, as saved


def test_kept_results_are_found_under_their_keys(ws):
    store = ResultsStore(ws)
    kinds = set()
    for want in EXPECTED["results"]:
        assert store.has(want["kind"], want["key"]), want["kind"]
        value = store.get(want["kind"], want["key"])
        assert value is not None, want["kind"]
        assert structure(value) == want["structure"], want["kind"]
        assert value_checksum(value) == want["checksum"], f"{want['kind']}: the stored result reads differently"
        kinds.add(want["kind"])
    assert kinds == {"risk.scores", "recommend.report"}
    usage = store.usage()
    assert usage["entries"] == EXPECTED["results_usage"]["entries"]
    assert sorted(usage["by_kind"]) == EXPECTED["results_usage"]["kinds"]


def test_decisions_scenarios_edits_and_assumptions_read_the_same(ws):
    docs = EXPECTED["documents"]
    for namespace, items in docs.items():
        assert ws.items(namespace) == items, namespace
    labels = ws.items("risk.labels")
    assert len(labels) == 12 and set(labels.values()) <= {"fraud", "fine"} and "fraud" in labels.values()
    scenarios = ws.items("forecast.scenarios")
    assert set(scenarios) == {"10% off in November", "Closed for stock-taking"}
    assert scenarios["10% off in November"]["scenario"]["price_change"] == -0.10
    assert {"units_diff", "revenue_diff"} <= set(scenarios["10% off in November"]["totals"])
    (edits,) = ws.items("support.edits").values()
    assert [e["op"] for e in edits] == ["rename", "merge", "split"]
    tickets = ws.active_dataset("support")
    assert ws.get("support.edits", tickets.content_hash) == edits  # keyed by the tickets' content hash
    assert set(ws.items("value.assumptions")) == {"costs", "overrides", "ab_replaces"}
    assert ws.get("value.assumptions", "costs")["monthly_cost"] == 250.0
    assert ws.get("images.rules", "default")["min_longest_side"] == 800
    assert ws.get("images.settings", "same_product") == 0.93


def test_frames_read_the_same(ws):
    for namespace, frames in EXPECTED["frames"].items():
        assert sorted(ws.frame_keys(namespace)) == sorted(frames)
        for key, want in frames.items():
            df = ws.get_frame(namespace, key)
            assert [str(c) for c in df.columns] == want["columns"] and len(df) == want["rows"]
            assert frame_checksum(df) == want["checksum"], f"{namespace}/{key}"


def test_the_old_workspace_still_takes_writes(ws):
    ws.put("risk.labels", "999999", "fine")
    assert ws.get("risk.labels", "999999") == "fine"
    info = ws.save_dataset("Extra traffic", "traffic", pd.DataFrame({"date": pd.to_datetime(["2026-11-01"]),
                                                                    "sessions": [10]}))
    assert ws.active_dataset("traffic").id == info.id
    assert len(ws.datasets()) == len(EXPECTED["datasets"]) + 1
    store = ResultsStore(ws)
    assert store.put("test.kind", "k", {"x": 1.5}) and store.get("test.kind", "k") == {"x": 1.5}
