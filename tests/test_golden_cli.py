"""Golden test of the command line: every `python -m ecom_models <command> ... --json` on small demo-store
files gives the same JSON document as the code before the `ecom_models` restructure (commit e73157b).

Inputs: tests/fixtures/golden/inputs/ (written once from the demo store by
tests/fixtures/golden/make_inputs.py on e73157b; committed, so the test never calls the generators).
Expected outputs: tests/fixtures/golden/<case>.json, written by this module on e73157b with

    ECOM_GOLDEN_UPDATE=1 python -m pytest -q tests/test_golden_cli.py

Each command runs in a fresh `python -m ecom_models` process (the stable entry point; this module
imports nothing from `ecom_models`), in a temporary copy of the inputs folder (so every `file` key
is a plain relative name), with ECOM_WORKSPACE_DIR in tmp. The documents are compared recursively:
the same keys, the same strings, booleans and nulls, numbers within 1e-6 (relative or absolute), lists
of the same length; a failure names the path of the first difference.

Determinism: on e73157b every case was run three times, in fresh processes, and gave identical
documents apart from the keys listed in `varies` below (wall-clock timings, the workspace folder,
save times, and what depends on the workspace's random pseudonym salt). Those keys are stored as
"<varies>" in the golden files and must only exist. The Keras/TensorFlow parts that are covered
(the image category head of `images`; the deep recommender and the sentiment fine-tune are skipped
for time with --no-deep / --no-fine-tune) gave identical numbers run after run.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
INPUTS = GOLDEN / "inputs"
UPDATE = os.environ.get("ECOM_GOLDEN_UPDATE") == "1"
VARIES = "<varies>"
TOLERANCE = 1e-6


@dataclass
class Case:
    name: str
    args: list[str]
    # paths of keys whose values legitimately change from run to run ('*' = any key or list index)
    varies: list[str] = field(default_factory=list)


# Run in this order: the workspace cases read what the two `ingest --save` cases saved.
CASES = [
    Case("ingest_orders_save", ["ingest", "orders.csv", "--save", "--as", "Demo orders"]),
    Case("ingest_reviews_save", ["ingest", "reviews.csv", "--save", "--as", "Demo reviews"]),
    Case("ingest_experiment", ["ingest", "experiment.csv"]),
    Case("ingest_traffic", ["ingest", "traffic.csv"]),
    Case("ingest_tickets", ["ingest", "tickets.csv"]),
    # saved_at: the clock; content_hash: a hash of the stored frame, whose customer ids are pseudonyms
    # salted with a random per-workspace salt; folder: the tmp path
    Case("workspace_list", ["workspace", "list"],
         varies=["folder", "datasets.*.saved_at", "datasets.*.content_hash"]),
    # bytes: the DuckDB file's size depends on its storage layout (and the random salt in the rows)
    Case("workspace_export", ["workspace", "export", "backup.duckdb"], varies=["bytes"]),
    Case("workspace_import", ["workspace", "import", "backup.duckdb", "--as", "restored"]),
    Case("workspace_list_restored", ["workspace", "list", "--workspace", "restored"],
         varies=["folder", "datasets.*.saved_at", "datasets.*.content_hash"]),
    Case("abtest", ["abtest", "experiment.csv"]),
    Case("abtest_sequential", ["abtest", "experiment.csv", "--sequential", "--cap", "99.5", "--prior-sd", "0.2",
                               "--split", "50,50", "--mde", "0.1"]),
    Case("forecast", ["forecast", "orders.csv", "--horizon", "14",
                      "--scenario", "price=-10%,promo=2026-11-05:2026-11-10,closed=2026-11-12"],
         varies=["seconds"]),
    Case("forecast_by_category", ["forecast", "orders.csv", "--by", "category", "--max-series", "3", "--jobs", "1",
                                  "--freq", "W", "--horizon", "4"],
         varies=["seconds"]),
    Case("recommend", ["recommend", "orders.csv", "--top", "5", "--no-deep"],
         varies=["leaderboard.*.fit_seconds"]),
    Case("sentiment", ["sentiment", "reviews.csv", "--no-fine-tune"], varies=["seconds"]),
    Case("images", ["images", "photos.zip", "--products", "products.csv"], varies=["seconds.*"]),
    Case("anomalies", ["anomalies", "orders.csv", "--truth", "fraud_ids.txt", "--top", "200"]),
    Case("anomalies_daily", ["anomalies", "orders.csv", "--level", "daily", "--traffic", "traffic.csv",
                             "--segment", "country", "--top", "60"]),
    Case("customers", ["customers", "orders.csv", "--top", "40"]),
    Case("support", ["support", "tickets.csv", "--faq", "faq.csv"], varies=["seconds"]),
    Case("support_examples", ["support", "tickets.csv", "--faq", "faq.csv", "--examples", "examples.csv"],
         varies=["seconds"]),
    Case("value", ["value", "orders.csv", "--experiment", "experiment.csv", "--traffic", "traffic.csv",
                   "--reviews", "reviews.csv", "--labels", "labels.csv", "--fast", "--simulations", "2000",
                   "--monthly-cost", "300", "--setup-cost", "1500", "--set", "recommendations.widget_share=0.3"],
         varies=["rows.*.seconds"]),
]


def _env(folder: Path) -> dict:
    env = dict(os.environ)
    for name in ("ECOM_DASK_SCHEDULER", "ECOM_DEBUG", "ECOM_RUNS_INLINE"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["ECOM_WORKSPACE_DIR"] = str(folder / "workspaces")
    env["ECOM_WORKSPACE"] = "golden"
    env["ECOM_CACHE_DIR"] = str(folder / "cache")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict:
    """Every case run once, in order, each in a fresh process: name -> (returncode, stdout, stderr, seconds).
    Prints the wall-clock and CPU seconds of each (pytest -s shows them)."""
    folder = tmp_path_factory.mktemp("golden")
    work = folder / "inputs"
    shutil.copytree(INPUTS, work)
    env = _env(folder)
    done = {}
    started, cpu_started = time.perf_counter(), _children_cpu()
    lines = []
    for case in CASES:
        t0, cpu0 = time.perf_counter(), _children_cpu()
        proc = subprocess.run([sys.executable, "-m", "ecom_models", *case.args, "--json"], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        done[case.name] = (proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t0)
        lines.append(f"  {case.name:<26} {done[case.name][3]:6.1f} s wall {_children_cpu() - cpu0:6.1f} s CPU")
    print(f"\ngolden CLI: {len(CASES)} commands, {time.perf_counter() - started:.1f} s wall, "
          f"{_children_cpu() - cpu_started:.1f} s CPU\n" + "\n".join(lines))
    return done


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- comparing ------------------------------------------------------------------------------------
def _matches(path: list[str], pattern: str) -> bool:
    parts = pattern.split(".")
    return len(parts) == len(path) and all(fnmatch.fnmatchcase(p, q) for p, q in zip(path, parts))


def blank_varying(doc, patterns: list[str], path: list[str] | None = None):
    """The document with every value under a `varies` pattern replaced by "<varies>"."""
    path = path or []
    if path and any(_matches(path, p) for p in patterns):
        return VARIES
    if isinstance(doc, dict):
        return {k: blank_varying(v, patterns, path + [str(k)]) for k, v in doc.items()}
    if isinstance(doc, list):
        return [blank_varying(v, patterns, path + [str(i)]) for i, v in enumerate(doc)]
    return doc


def first_difference(expected, actual, path: str = "") -> str | None:
    """None when equal (numbers within TOLERANCE), else 'path: what differs'."""
    where = path or "<root>"
    if isinstance(expected, str) and expected == VARIES:
        return None  # a key that may vary: it only has to be there
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {type(actual).__name__}"
        missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
        if missing or extra:
            return f"{where}: keys differ (missing {missing}, unexpected {extra})"
        for key in expected:
            found = first_difference(expected[key], actual[key], f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected a list, got {type(actual).__name__}"
        if len(expected) != len(actual):
            return f"{where}: list of {len(actual)} items, expected {len(expected)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = first_difference(e, a, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return None if expected is actual or (expected == actual and type(expected) is type(actual)) else \
            f"{where}: {actual!r}, expected {expected!r}"
    if isinstance(expected, (int, float)):
        if not isinstance(actual, (int, float)):
            return f"{where}: {actual!r}, expected the number {expected!r}"
        if math.isnan(expected) and math.isnan(actual):
            return None
        if expected == actual:
            return None
        diff = abs(expected - actual)
        if diff <= TOLERANCE or diff <= TOLERANCE * max(abs(expected), abs(actual)):
            return None
        return f"{where}: {actual!r}, expected {expected!r} (difference {diff:.3g})"
    if expected != actual:
        return f"{where}: {actual!r}, expected {expected!r}"
    return None


def pretty(doc, indent: int = 0) -> str:
    """JSON with one line per small object or list (short enough to read and diff, small on disk)."""
    flat = json.dumps(doc, ensure_ascii=False, allow_nan=True)
    if len(flat) <= 160 or not isinstance(doc, (dict, list)) or not doc:
        return flat
    pad = " " * (indent + 1)
    if isinstance(doc, dict):
        items = [f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {pretty(v, indent + 1)}" for k, v in doc.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + pretty(v, indent + 1) for v in doc]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


# -- the test ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_output_matches_golden(case: Case, outputs):
    code, stdout, stderr, _ = outputs[case.name]
    assert code == 0, f"`{' '.join(case.args)}` exited {code}: {stderr[-2000:]}"
    actual = blank_varying(json.loads(stdout), case.varies)
    golden = GOLDEN / f"{case.name}.json"
    if UPDATE:
        golden.write_text(pretty(actual) + "\n")
    assert golden.exists(), f"no golden file {golden.name}: run with ECOM_GOLDEN_UPDATE=1 on commit e73157b"
    expected = json.loads(golden.read_text())
    problem = first_difference(expected, actual)
    assert problem is None, f"`python -m ecom_models {' '.join(case.args)} --json` differs from {golden.name} at {problem}"


def test_comparer_finds_and_names_differences():
    base = {"a": [1.0, {"b": "x", "c": None, "d": True}], "n": 1000.0, "t": VARIES}
    assert first_difference(base, {"a": [1.0 + 1e-9, {"b": "x", "c": None, "d": True}], "n": 1000.0005, "t": 3}) is None
    assert first_difference(base, {"a": [1.1, {"b": "x", "c": None, "d": True}], "n": 1000.0, "t": 1}).startswith("a[0]")
    assert first_difference(base, {"a": [1.0, {"b": "y", "c": None, "d": True}], "n": 1000.0, "t": 1}).startswith("a[1].b")
    assert first_difference(base, {"a": [1.0, {"b": "x", "c": 0, "d": True}], "n": 1000.0, "t": 1}).startswith("a[1].c")
    assert first_difference(base, {"a": [1.0, {"b": "x", "c": None, "d": 1}], "n": 1000.0, "t": 1}).startswith("a[1].d")
    assert first_difference(base, {"a": [1.0], "n": 1000.0, "t": 1}).startswith("a: list")
    assert "missing ['t']" in first_difference(base, {"a": base["a"], "n": 1000.0})
    assert first_difference(base, {"a": base["a"], "n": 1000.01, "t": 1}).startswith("n:")
    assert blank_varying({"rows": [{"s": 1, "k": 2}]}, ["rows.*.s"]) == {"rows": [{"s": VARIES, "k": 2}]}
