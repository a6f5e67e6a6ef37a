"""Bench: 1M invoice-style order lines parsed, mapped, validated and summarised.

Prints the time of each stage and the peak memory (RSS high-water mark) of the process.
Usage: python bench/ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ecom_models import intake  # noqa: E402
from ecom_models.overview.kpi import compute_kpis  # noqa: E402


def make_file(path: str, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n_orders = rows // 4
    order = np.sort(rng.integers(0, n_orders, rows))
    invoice = (500000 + order).astype(str)
    cancelled = rng.random(rows) < 0.02
    invoice = np.where(cancelled, np.char.add("C", invoice), invoice)
    start = np.datetime64("2023-01-01T00:00")
    minutes = (order * (2 * 365 * 24 * 60 // n_orders)).astype("timedelta64[m]")
    dates = pd.Series(start + minutes).dt.strftime("%m/%d/%Y %H:%M")
    stock = rng.integers(10000, 14000, rows).astype(str)
    stock[rng.random(rows) < 0.01] = "POST"
    quantity = rng.integers(1, 12, rows)
    quantity = np.where(cancelled, -quantity, quantity)
    price = np.round(rng.gamma(2, 2.5, rows), 2)
    customer = rng.integers(12000, 18000, rows).astype(str).astype(object)
    customer[rng.random(rows) < 0.2] = ""
    df = pd.DataFrame({"InvoiceNo": invoice, "StockCode": stock, "Description": np.char.add("ITEM ", stock),
                       "Quantity": quantity, "InvoiceDate": dates, "UnitPrice": price, "CustomerID": customer,
                       "Country": rng.choice(["United Kingdom", "France", "Germany", "EIRE"], rows, p=[0.85, 0.05, 0.05, 0.05])})
    df.to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("ECOM_MAX_UPLOAD_MB", "2000")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "orders.csv")
        t = time.perf_counter()
        make_file(path, args.rows)
        print(f"generated {args.rows:,} lines ({os.path.getsize(path) / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s (not counted)")
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        t0 = time.perf_counter()
        info = intake.ReadInfo(format="")
        raw = intake.read_table(path, info=info)
        t1 = time.perf_counter()
        mapping = intake.map_columns(raw, "orders")
        t2 = time.perf_counter()
        result = intake.ingest(raw, kind="orders", name="orders.csv")
        t3 = time.perf_counter()
        kpis = compute_kpis(result.df)
        summary = intake.summarise_orders(result.df)
        t4 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parse     {t1 - t0:6.2f} s")
    print(f"map       {t2 - t1:6.2f} s  ({len(mapping.mapping)} columns mapped)")
    print(f"validate  {t3 - t2:6.2f} s  (clean + quirks; {result.report.rows_usable:,} usable of {result.report.rows_in:,})")
    print(f"kpis      {t4 - t3:6.2f} s  ({len(kpis)} KPIs; orders {summary['orders']:,}, net revenue {summary['net_revenue']:,.0f})")
    print(f"total     {t4 - t0:6.2f} s")
    print(f"peak RSS  {peak:,.0f} MB (process; {base_rss:,.0f} MB before ingest)")


if __name__ == "__main__":
    main()
