"""Customers: fit time, backtest figures and peak memory on generated stores of 4k, 20k and 100k
customers, a seasonal wholesaler-like store, a growing seasonal one seen through an export window
(several seeds), and CDNOW when its file is at hand.

Generated stores follow the BG/NBD story (each customer buys at their own rate and may drop out
after any purchase), with spend per purchase from Gamma-Gamma, plus optional yearly seasonality
(busy autumn, as a gift wholesaler's) and guest checkouts. CDNOW (the public CD retailer's
purchases, 23,570 customers, 1997-01 to 1998-06) is not shipped; point CDNOW at its
CDNOW_master.txt (e.g. unzipped from the Lifetimes wheel) to add its figures.

Usage: nice python bench/customers.py [--sizes 4000,20000,100000] [--cdnow PATH]
Each size runs in a fresh process (fresh-process time and peak memory are its own).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def simulate_orders(customers: int = 4000, seed: int = 0, start: str = "2021-01-01", end: str = "2023-12-31",
                    seasonal: float = 0.0, guests: float = 0.0, r: float = 0.6, alpha: float = 60.0, a: float = 0.9,
                    b: float = 6.0, lapsing: int = 0, growth: float = 0.0) -> pd.DataFrame:
    """Canonical order lines (one line per order). `seasonal`: amplitude of the yearly cycle
    (0.6 = autumn 1.6x, spring 0.4x the average rate); `guests`: share of extra orders without a
    customer id; `lapsing`: customers who bought often and then stopped (planted, ids LAPSE-*);
    `growth`: a growing store (acquisitions at a rate rising with time^growth; 0 = even)."""
    rng = np.random.default_rng(seed)
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    span = (end_ts - start_ts).days
    lam = rng.gamma(r, 1.0 / alpha, customers)
    p = rng.beta(a, b, customers)
    t = span * 0.8 * rng.uniform(0, 1, customers) ** (1.0 / (1.0 + growth))  # acquisition: the first purchase
    smax = 1.0 + seasonal

    def season(day):
        doy = (start_ts.dayofyear + day) % 365
        return 1.0 + seasonal * np.cos(2 * np.pi * (doy - 320) / 365)

    ids, days = [np.arange(customers)], [t.copy()]
    alive = np.ones(customers, dtype=bool)  # BG/NBD: dropout only after a repeat purchase
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0 / (lam[idx] * smax))
        past = t[idx] > span
        alive[idx[past]] = False
        idx = idx[~past]
        accept = rng.random(len(idx)) < season(t[idx]) / smax
        bought = idx[accept]
        ids.append(bought)
        days.append(t[bought].copy())
        alive[bought[rng.random(len(bought)) < p[bought]]] = False
    cust = np.concatenate(ids)
    day = np.concatenate(days)
    nu = rng.gamma(3.0, 1.0 / 60.0, customers)
    spend = np.round(rng.gamma(4.0, 1.0 / nu[cust]), 2)
    frame = pd.DataFrame({"customer_id": np.char.add("C", cust.astype(str)).astype(object),
                          "order_date": start_ts + pd.to_timedelta(np.floor(day), unit="D"), "revenue": spend})
    if lapsing:
        # bought every 2-3 weeks for a year, nothing in the last 5 months
        stop = end_ts - pd.Timedelta(days=150)
        rows = []
        for k in range(lapsing):
            when = pd.date_range(stop - pd.Timedelta(days=365), stop, freq=f"{int(rng.integers(14, 22))}D")
            rows.append(pd.DataFrame({"customer_id": f"LAPSE-{k:03d}", "order_date": when,
                                      "revenue": np.round(rng.gamma(6.0, 25.0, len(when)), 2)}))
        frame = pd.concat([frame, *rows], ignore_index=True)
    if guests:
        g = int(len(frame) * guests)
        frame = pd.concat([frame, pd.DataFrame({
            "customer_id": [None] * g, "order_date": start_ts + pd.to_timedelta(rng.integers(0, span, g), unit="D"),
            "revenue": np.round(rng.gamma(4.0, 15.0, g), 2)})], ignore_index=True)
    frame = frame.sort_values("order_date", kind="stable").reset_index(drop=True)
    frame["order_id"] = [f"O{i}" for i in range(len(frame))]
    frame["product_id"] = "P1"
    frame["quantity"] = 1.0
    frame["unit_price"] = frame["revenue"]
    frame["line_type"] = "sale"
    frame["is_duplicate"] = False
    frame["currency"] = "GBP"
    return frame


def cdnow_orders(path: str) -> pd.DataFrame:
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["customer_id", "date", "cds", "spend"],
                      dtype={"customer_id": str, "date": str})
    raw = raw[raw["date"].str.fullmatch(r"\d{8}")]
    return pd.DataFrame({"order_id": [f"O{i}" for i in range(len(raw))], "customer_id": raw["customer_id"].to_numpy(),
                         "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
                         "revenue": raw["spend"].astype(float).to_numpy(), "line_type": "sale", "is_duplicate": False})


def _one(kind: str, size: int, cdnow: str | None, cutoff: str | None) -> dict:
    """Runs in its own process: times a fresh import + analysis."""
    t0 = time.perf_counter()
    from ecom_models.customers import analyse_customers

    if kind == "cdnow":
        orders = cdnow_orders(cdnow)
    elif kind == "seasonal":
        orders = simulate_orders(size, seed=3, start="2021-09-01", end="2023-12-31", seasonal=0.6)
    elif kind.startswith("wholesaler"):
        # a growing store with a Q4 peak, exported from Sep 2021 on (its older customers seen mid-life)
        orders = simulate_orders(size, seed=int(kind.rsplit("-", 1)[1]), start="2020-09-01", end="2023-12-31",
                                 seasonal=0.6, growth=2.0)
        orders = orders[orders["order_date"] >= "2021-09-01"].reset_index(drop=True)
    else:
        orders = simulate_orders(size, seed=1)
    t1 = time.perf_counter()
    global _cpu0
    _cpu0 = _cpu()
    result = analyse_customers(orders, cutoff=cutoff)
    t2 = time.perf_counter()
    bt = result.backtest
    return {"store": kind, "customers": len(result.customers), "analysis_s": round(t2 - t1, 2),
            "fresh_process_s": round(t2 - t0 + _startup, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
            "cpu_s": round(_cpu() - _cpu0, 2),
            "cutoff": bt["cutoff"], "holdout_days": bt["holdout_days"], "winner": bt["winner"],
            "models": bt["models"], "seasonal_factor": round(result.seasonal_factor, 3)}


_startup = 0.0
_cpu0 = 0.0


def _cpu() -> float:
    """CPU seconds of this process: on a machine shared with other jobs, wall time is inflated."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    global _startup
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="4000,20000,100000")
    parser.add_argument("--cdnow", default=os.environ.get("CDNOW"))
    parser.add_argument("--wholesalers", type=int, default=3, help="seeds of the growing seasonal store")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _startup = time.perf_counter() - float(os.environ.get("_BENCH_T0", time.perf_counter()))
        kind, size, cutoff = args.one
        print(json.dumps(_one(kind, int(size), args.cdnow, None if cutoff == "-" else cutoff)))
        return
    jobs = ([("generated", int(s), "-") for s in args.sizes.split(",")] + [("seasonal", 3400, "2023-08-31")]
            + [(f"wholesaler-{seed}", 6000, "2023-08-31") for seed in range(1, args.wholesalers + 1)])
    if args.cdnow and Path(args.cdnow).exists():
        jobs.append(("cdnow", 0, "1997-09-30"))
    for kind, size, cutoff in jobs:
        env = dict(os.environ, PYTHONPATH=str(ROOT), _BENCH_T0=repr(time.perf_counter()))
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--one", kind, str(size), cutoff]
                             + (["--cdnow", args.cdnow] if args.cdnow else []),
                             capture_output=True, text=True, env=env, check=False)
        if out.returncode:
            print(kind, size, "failed:", out.stderr[-2000:])
            continue
        doc = json.loads(out.stdout.strip().splitlines()[-1])
        doc["fresh_process_s"] = round(time.perf_counter() - started, 2)
        print(f"\n{doc['store']}: {doc['customers']:,} customers, analysis {doc['analysis_s']} s wall "
              f"({doc.get('cpu_s')} s CPU), fresh process "
              f"{doc['fresh_process_s']} s, peak {doc['peak_mb']:.0f} MB; backtest cut-off {doc['cutoff']} "
              f"({doc['holdout_days']} days held out), seasonal factor {doc['seasonal_factor']}, winner {doc['winner']}")
        for m in doc["models"]:
            tp = m["total_purchases_predicted"] / m["total_purchases_actual"] - 1
            ts = m["total_spend_predicted"] / m["total_spend_actual"] - 1
            print(f"  {m['name']:<10} purchases {tp:+.1%}  spend {ts:+.1%}  MAE {m['mae_purchases']:.3f}  "
                  f"Spearman {m['spearman_spend']:.3f}  top-decile {m['top_decile_capture']:.3f}  "
                  f"churn AUC {m['churn_auc']:.3f}")


if __name__ == "__main__":
    main()
