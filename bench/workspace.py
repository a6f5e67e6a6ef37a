"""Workspace bench: how much the cross-process lock costs, and how long a second process waits.

    python bench/workspace.py [--rows 100000]

Prints: a read and a small write with the file already open (warm) and opened for the
operation (cold, ECOM_WORKSPACE_LINGER=0); saving a dataset; and the wait of a command-line
`workspace list` while another process reads the workspace in a tight loop (an app with
busy pages), which must let go between its reads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecom_models.workspace.workspace import Workspace  # noqa: E402

BUSY_READER = """
import sys, time
sys.path.insert(0, {root!r})
from ecom_models.workspace.workspace import Workspace
ws = Workspace("bench", {folder!r})
end = time.time() + {seconds}
while time.time() < end:
    ws.get("ns", "k")
"""


def timed(fn, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="wsbench-")
    os.environ["ECOM_WORKSPACE_DIR"] = folder
    ws = Workspace("bench", folder)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"order_id": rng.integers(0, 10**6, args.rows).astype(str), "revenue": rng.random(args.rows) * 50,
                       "order_date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, args.rows), unit="D")})
    started = time.perf_counter()
    ws.save_dataset("orders", "orders", df)
    save_s = time.perf_counter() - started
    ws.put("ns", "k", {"a": 1})
    warm_get = timed(lambda: ws.get("ns", "k"), 200)
    warm_put = timed(lambda: ws.put("ns", "k", {"a": 2}), 50)
    os.environ["ECOM_WORKSPACE_LINGER"] = "0"
    cold_get = timed(lambda: ws.get("ns", "k"), 30)
    cold_put = timed(lambda: ws.put("ns", "k", {"a": 3}), 20)
    os.environ.pop("ECOM_WORKSPACE_LINGER")
    ws.close()

    reader = subprocess.Popen([sys.executable, "-c", BUSY_READER.format(root=str(ROOT), folder=folder, seconds=20)])
    time.sleep(3)  # the reader is up and reading
    waits = []
    for _ in range(3):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ecom_models", "workspace", "list", "--workspace", "bench", "--json"],
                             capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, ECOM_WORKSPACE_DIR=folder))
        waits.append(time.perf_counter() - started)
        assert out.returncode == 0, out.stderr
    reader.kill()
    idle = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ecom_models", "workspace", "list", "--workspace", "bench", "--json"],
                       capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, ECOM_WORKSPACE_DIR=folder))
        idle.append(time.perf_counter() - started)
    print(f"save {args.rows:,} rows: {save_s:.2f} s")
    print(f"read (warm / cold open): {warm_get:.1f} / {cold_get:.1f} ms; small write: {warm_put:.1f} / {cold_put:.1f} ms")
    print(f"'workspace list' as a second process: {np.median(idle):.2f} s alone, {np.median(waits):.2f} s while another "
          f"process reads in a tight loop (median of 3; process start included)")
    print("(figures on a shared machine: upper bounds)")


if __name__ == "__main__":
    main()
