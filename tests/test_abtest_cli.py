"""`python -m ecom_models abtest FILE --json`: keys, and bad input as a message with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _run(*args):
    return subprocess.run([sys.executable, "-m", "ecom_models", "abtest", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_json_keys(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    df = pd.DataFrame({"user_id": range(n), "variant": rng.choice(["A", "B", "C"], n), "converted": rng.integers(0, 2, n),
                       "revenue": rng.gamma(2, 5, n)})
    path = tmp_path / "exp.csv"
    df.to_csv(path, sep=";", index=False)
    out = _run(path, "--control", "B", "--metric", "converted", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    for key in ["srm_p_value", "srm_status", "units_per_variant", "multi_variant_units", "repeated_units", "exposure_mismatch_rows", "verdict", "results"]:
        assert key in doc
    assert doc["control"] == "B"
    assert {r["variant"] for r in doc["results"]} == {"A", "C"}
    for r in doc["results"]:
        for key in ["metric", "variant", "control", "units_control", "units_variant", "value_control", "value_variant", "abs_lift",
                    "rel_lift", "rel_ci_low", "rel_ci_high", "p_value", "chance_to_win"]:
            assert key in r
        assert r["metric"] == "converted" and r["control"] == "B"
        b = df[df.variant == "B"]
        assert r["units_control"] == len(b)
        assert abs(r["value_control"] - b.converted.mean()) < 1e-12


def test_cli_bad_input_is_a_message(tmp_path):
    path = tmp_path / "one.csv"
    pd.DataFrame({"user_id": range(10), "variant": ["control"] * 10, "converted": [0, 1] * 5}).to_csv(path, index=False)
    out = _run(path, "--json")
    assert out.returncode == 2
    assert "only one variant" in out.stderr and "Traceback" not in out.stderr
    agg = tmp_path / "agg.csv"
    pd.DataFrame({"variant": ["A", "B"], "visitors": [100, 100], "conversions": [20, 120]}).to_csv(agg, index=False)
    out = _run(agg, "--json")
    assert out.returncode == 2 and "impossible" in out.stderr and "row 3" in out.stderr
