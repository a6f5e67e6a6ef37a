"""Fuzz bench: mangled real-looking exports into the commands, as real processes.

    python bench/fuzz.py [--files 100] [--seed 7] [--timeout 90] [--jobs 1]

Each file is a demo-store export (orders, A/B test or reviews) with one kind of damage (see
ecom_models/fuzz.py). Orders go to ingest, anomalies and forecast; A/B files to ingest and
abtest; reviews to ingest and sentiment. A run fails when a command prints a traceback,
exits with anything but 0 or 2, or takes longer than --timeout seconds. Prints a table of
outcomes per command and per damage, and the slowest runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecom_models.demo.fuzz import mangle, seed_files  # noqa: E402

COMMANDS = {
    "orders": [["ingest"], ["anomalies"], ["forecast", "--horizon", "14"]],
    "experiment": [["ingest"], ["abtest"]],
    "reviews": [["ingest"], ["sentiment"]],
}
KIND_CYCLE = ["orders", "experiment", "orders", "reviews"]


def run_one(cmd: list[str], path: Path, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-m", "ecom_models", cmd[0], str(path), *cmd[1:], "--json"],
                             capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        code, err = out.returncode, out.stderr
    except subprocess.TimeoutExpired:
        code, err = "timeout", ""
    seconds = time.perf_counter() - started
    ok = code in (0, 2) and "Traceback" not in err and "Exception ignored" not in err
    return {"command": cmd[0], "code": code, "seconds": seconds, "ok": ok, "stderr": err.strip().splitlines()[-1:] if err else []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=90.0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    seeds = seed_files(work / "seed", rows=1500)
    jobs = []
    for i in range(args.files):
        kind = KIND_CYCLE[i % len(KIND_CYCLE)]
        data, how = mangle(seeds[kind].read_bytes(), rng)
        path = work / f"{i:03d}-{kind}-{how}.csv"
        path.write_bytes(data)
        jobs += [(kind, how, cmd, path) for cmd in COMMANDS[kind]]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda j: {**run_one(j[2], j[3], args.timeout), "kind": j[0], "how": j[1],
                                           "file": j[3].name}, jobs))
    total = time.perf_counter() - started
    print(f"{args.files} mangled files, {len(results)} command runs in {total:.0f} s (seed {args.seed}, "
          f"{args.jobs} job(s); the machine may be shared, so times are upper bounds)")
    by_command = defaultdict(Counter)
    for r in results:
        by_command[r["command"]][str(r["code"])] += 1
    print("\ncommand      exit 0  exit 2  other  max s  median s")
    for cmd, counts in by_command.items():
        secs = [r["seconds"] for r in results if r["command"] == cmd]
        other = sum(v for k, v in counts.items() if k not in ("0", "2"))
        print(f"{cmd:<12} {counts['0']:>6}  {counts['2']:>6}  {other:>5}  {max(secs):>5.1f}  {np.median(secs):>8.1f}")
    by_how = defaultdict(Counter)
    for r in results:
        by_how[r["how"]][str(r["code"])] += 1
    print("\ndamage             exit 0  exit 2  other")
    for how, counts in sorted(by_how.items()):
        other = sum(v for k, v in counts.items() if k not in ("0", "2"))
        print(f"{how:<18} {counts['0']:>6}  {counts['2']:>6}  {other:>5}")
    bad = [r for r in results if not r["ok"] or r["seconds"] > args.timeout]
    print(f"\nfailures (traceback, exit other than 0/2, or over {args.timeout:.0f} s): {len(bad)}")
    for r in bad[:20]:
        print(f"  {r['file']} {r['command']}: exit {r['code']} in {r['seconds']:.0f} s {r['stderr']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
