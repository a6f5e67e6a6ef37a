"""A/B test engine: speed, memory and statistical honesty, on simulated data.

Run: python bench/abtest.py   (about a minute on a small machine)

Prints:
- time and throughput for detect + analyse of a 300k-row per-user file (two metrics, CUPED),
  of the same file read from CSV through the CLI path, and peak memory;
- coverage of the 95% interval on the relative lift (should be close to 95%);
- A/A false-positive rate when a merchant looks every day for 20 days and stops at the
  first 'significant' result: fixed-horizon p < 0.05 versus the sequential mode;
- chance-to-win calibration: among A/B tests where chance to win is 90-99%, how often the
  variant really was better.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecom_models import abtest as ab  # noqa: E402


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = rng.choice(["control", "treatment"], n)
    pre = rng.gamma(2.0, 10.0, n)
    conv = (rng.random(n) < np.where(v == "treatment", 0.11, 0.10)).astype(int)
    rev = conv * (pre + rng.gamma(2.0, 20.0, n))
    return pd.DataFrame({"user_id": np.arange(n).astype(str), "variant": v, "converted": conv, "revenue": rev,
                         "pre_revenue": pre, "device": rng.choice(["mobile", "desktop", "tablet"], n),
                         "exposure_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 21, n), "D")})


def speed(n: int) -> None:
    df = make_frame(n)
    t0 = time.perf_counter()
    spec = ab.detect_experiment(df)
    res = ab.analyze(df, spec)
    dt = time.perf_counter() - t0
    tracemalloc.start()  # a second, slower run to measure memory
    ab.analyze(df, ab.detect_experiment(df))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"analyse {n:,} rows in memory: {dt:.2f} s ({n / dt:,.0f} rows/s), peak Python memory {peak / 1e6:.0f} MB, "
          f"{len(res.table)} results")
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    data = buf.getvalue().encode()
    from ecom_models.intake import read_table

    t0 = time.perf_counter()
    raw = read_table(data, name="bench.csv")
    t1 = time.perf_counter()
    res = ab.analyze(raw)
    t2 = time.perf_counter()
    print(f"same file as CSV ({len(data) / 1e6:.0f} MB): read {t1 - t0:.2f} s + detect/analyse {t2 - t1:.2f} s")
    t0 = time.perf_counter()
    ab.cumulative_lift(df, spec, "converted", "control", "treatment")
    ab.segment_results(df, spec, "device", "converted", "control")
    print(f"cumulative lift over 21 days + 3 segments: {time.perf_counter() - t0:.2f} s")


def coverage(sims: int, rng) -> None:
    n, p, lift = 5000, 0.10, 0.10
    xc = rng.binomial(n, p, sims)
    xt = rng.binomial(n, p * (1 + lift), sims)
    hit = 0
    for a, b in zip(xc, xt):
        r = ab.compare(ab.MeanStats(n, a, a, True), ab.MeanStats(n, b, b, True), "conversion")
        hit += r["rel_ci_low"] <= lift <= r["rel_ci_high"]
    print(f"coverage of the 95% relative-lift interval ({sims} simulated tests, 5,000 users/arm, true lift +10%): {hit / sims:.1%}")


def peeking(sims: int, rng) -> None:
    days, per_day, p = 20, 500, 0.10
    fixed_fp = seq_fp = 0
    for _ in range(sims):
        xc = np.cumsum(rng.binomial(per_day, p, days))
        xt = np.cumsum(rng.binomial(per_day, p, days))
        n = per_day * np.arange(1, days + 1)
        f = s = False
        for i in range(days):
            sc, st = ab.MeanStats(int(n[i]), xc[i], xc[i], True), ab.MeanStats(int(n[i]), xt[i], xt[i], True)
            if sc.mean == 0:
                continue
            f = f or ab.compare(sc, st, "conversion")["p_value"] < 0.05
            s = s or ab.compare(sc, st, "conversion", ab.Settings(sequential=True))["p_value"] < 0.05
        fixed_fp += f
        seq_fp += s
    print(f"A/A tests checked daily for {days} days ({sims} sims): false wins with fixed-horizon p<0.05 {fixed_fp / sims:.1%}, "
          f"with sequential mode {seq_fp / sims:.1%} (target at most 5%)")


def calibration(sims: int, rng) -> None:
    n, p = 4000, 0.10
    true_lifts = rng.normal(0, 0.05, sims)
    xc = rng.binomial(n, p, sims)
    xt = rng.binomial(n, np.clip(p * (1 + true_lifts), 0, 1))
    bucket = right = 0
    for a, b, tl in zip(xc, xt, true_lifts):
        r = ab.compare(ab.MeanStats(n, a, a, True), ab.MeanStats(n, b, b, True), "conversion")
        if 0.90 <= r["chance_to_win"] < 0.99:
            bucket += 1
            right += tl > 0
    if bucket:
        print(f"chance to win between 90% and 99%: variant truly better in {right / bucket:.1%} of {bucket} tests "
              "(true lifts drawn from N(0, 5%))")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--sims", type=int, default=400)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    speed(args.rows)
    coverage(args.sims * 2, rng)
    peeking(args.sims, rng)
    calibration(args.sims * 5, rng)
    print(f"max resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; total bench time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
