"""Bench: many-series forecasting, sequential Prophet loop vs the parallel path.

    .venv/bin/python bench/forecast.py [--series 500] [--days 730] [--horizon 28] [--jobs 2]

Builds N synthetic daily series of two years (trend, weekly and yearly pattern, noise, a
closed weekday on some), then forecasts them all with Prophet (fit + 28-day forecast with
intervals), first one after the other, then with `forecast_many` over local processes (or a
Dask cluster if ECOM_DASK_SCHEDULER is set). Prints series per second side by side, the
speed-up, and peak memory. Also times the single-series backtest on the demo store.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecom_models import forecast as F  # noqa: E402


def synthetic(n_series: int, days: int, seed: int = 0) -> F.SeriesData:
    rng = np.random.default_rng(seed)
    ds = pd.date_range(end="2026-10-31", periods=days, freq="D")
    t = np.arange(days)
    wd = ds.day_of_week.to_numpy()
    doy = ds.day_of_year.to_numpy()
    frames = []
    for i in range(n_series):
        level = rng.uniform(5, 200)
        weekly = rng.uniform(0.7, 1.3, 7)
        closed = rng.random() < 0.2
        if closed:
            weekly[6] = 0.0
        yearly = 1 + rng.uniform(0, 0.4) * np.sin(2 * np.pi * (doy - rng.uniform(0, 365)) / 365.25)
        trend = 1 + rng.uniform(-0.3, 0.5) * t / days
        lam = level * weekly[wd] * yearly * trend
        y = rng.poisson(np.maximum(lam, 0)).astype(float)
        open_ = weekly[wd] > 0
        frames.append(pd.DataFrame({"key": f"S{i:04d}", "ds": ds, "y_raw": y, "open": open_, "log_price": 0.0,
                                    "promo": 0, "outlier": False, "y": np.where(open_, y, np.nan)}))
    return F.SeriesData(frame=pd.concat(frames, ignore_index=True), metric="units", by="product_id", freq="D")


def cpu_seconds() -> float:
    """CPU time of this process and of every finished child (workers, Stan runs)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=500)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--rounds", type=int, default=5, help="alternate sequential and parallel runs this many times")
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args()
    F.quiet_prophet()
    series = synthetic(args.series, args.days)
    print(f"{args.series} daily series of {args.days} days, horizon {args.horizon}, {os.cpu_count()} CPU cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    # warm up (imports, Stan model load) so neither timing pays it
    F.forecast_many(F.SeriesData(frame=series.frame[series.frame["key"] == "S0000"], metric="units", by="x", freq="D"),
                    args.horizon, models=(F.MODEL_PROPHET,), backtest=False, n_jobs=1, scheduler="")

    # The machine is shared, so its load drifts: time the two paths in alternating rounds over
    # the same series and add the rounds up, so that both see the same conditions.
    keys = series.keys
    rounds = max(1, min(args.rounds, len(keys)))
    t_seq = t_par = c_seq = c_par = 0.0
    seq_parts, par_parts = [], []
    for r in range(rounds):
        part_keys = keys[r::rounds]
        part = F.SeriesData(frame=series.frame[series.frame["key"].isin(part_keys)], metric="units", by="x", freq="D")
        t, c = time.perf_counter(), cpu_seconds()
        seq = F.forecast_many(part, args.horizon, models=(F.MODEL_PROPHET,), backtest=False, n_jobs=1, scheduler="")
        t_seq += time.perf_counter() - t
        c_seq += cpu_seconds() - c
        t, c = time.perf_counter(), cpu_seconds()
        par = F.forecast_many(part, args.horizon, models=(F.MODEL_PROPHET,), backtest=False, n_jobs=args.jobs)
        t_par += time.perf_counter() - t
        c_par += cpu_seconds() - c
        seq_parts.append(seq.forecast)
        par_parts.append(par.forecast)
        print(f"  round {r + 1}/{rounds}: {len(part_keys)} series, sequential {t_seq:.0f} s, parallel {t_par:.0f} s so far",
              flush=True)
    same = np.allclose(pd.concat(seq_parts)["yhat"].to_numpy(), pd.concat(par_parts)["yhat"].to_numpy(),
                       rtol=1e-6, atol=1e-6)
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if autogroup.exists() and autogroup.read_text().strip() == "1" and os.getloadavg()[0] > (os.cpu_count() or 1):
        print("note: this machine is busy and the kernel shares CPU per session (autogroup), so the worker "
              "processes together get no more CPU than the single sequential process; the wall-clock "
              f"speed-up then understates the parallel path. From CPU per series, an idle {args.jobs}-core "
              f"machine would give about {args.jobs * c_seq / c_par:.2f}x (an estimate, not a measurement).")
    own, kids = peak_mb()
    print(f"{'path':<28}{'seconds':>10}{'series/s':>10}{'CPU s/series':>14}")
    print(f"{'sequential Prophet loop':<28}{t_seq:>10.1f}{args.series / t_seq:>10.2f}{c_seq / args.series:>14.3f}")
    print(f"{par.backend:<28}{t_par:>10.1f}{args.series / t_par:>10.2f}{c_par / args.series:>14.3f}")
    print(f"speed-up: {t_seq / t_par:.2f}x (wall clock)   CPU per series parallel/sequential: {c_par / c_seq:.2f}   "
          f"identical forecasts: {same}   load average now {os.getloadavg()[0]:.1f}")
    print(f"peak memory: main process {own:.0f} MB, largest worker {kids:.0f} MB")

    if not args.skip_demo:
        from ecom_models.demo.store import demo_store

        store = demo_store()
        t = time.perf_counter()
        s = F.build_series(store.orders, "units")
        t_series = time.perf_counter() - t
        t = time.perf_counter()
        res = F.backtest_and_forecast(s, 28, country="US")
        t_bt = time.perf_counter() - t
        t = time.perf_counter()
        w = F.WhatIf(country="US").fit(s)
        r = w.run(F.parse_scenario("price=-10%"), 28)
        t_wi = time.perf_counter() - t
        print(f"demo store: series {t_series:.1f} s, backtest (8-point Prophet grid + 2 windows x 3 models) and "
              f"forecast {t_bt:.1f} s, what-if fit + scenario {t_wi:.1f} s")
        print("demo leaderboard (held-out MAE, units/day): " + ", ".join(
            f"{m} {v:.1f}" for m, v in zip(res.leaderboard["model"], res.leaderboard["mae"])) + f"; chosen {res.chosen}")
        print(f"demo what-if: elasticity {w.elasticity:.3f} (planted {store.truth['price_elasticity']}), promo lift "
              f"{w.promo_lift:.3f} (planted {store.truth['promo_lift']}), -10% price -> {r.totals['units_diff']:+.0f} units")


if __name__ == "__main__":
    main()
