"""Bench: big exports with bounded memory, and risk scoring on a Dask LocalCluster.

1. Generates an invoice-style export of N lines (InvoiceNo / StockCode / Description /
   Quantity / InvoiceDate / UnitPrice / CustomerID / Country, with cancellations, postage
   lines and guest checkouts), then ingests it in chunks into DuckDB (ecom_models.intake.big)
   in a fresh process and prints rows/s and the peak RSS of ingest and of the KPIs.
2. Times risk scoring (`anomalies`) of the same lines in one process and on a LocalCluster of
   1 worker and of 2 workers (processes, one thread each): the canonical lines are written
   once as Parquet (untimed, what `ingest` stores), one process reads and scores them, on the
   cluster each worker reads its own row groups. Prints every run, the ratio (best runs), the
   time no worker was computing (the client's share) and whether the orders, flags, scores
   and reasons are those of one process.

Usage: python bench/scale.py [--rows 200000] [--skip-dask] [--skip-ingest] [--keep DIR]
                             [--repeat 2] [--from-frame]
       python bench/scale.py --rows 5000000 --skip-ingest --keep /tmp/scale
                                                 (the risk figures quoted in docs/scale.md)
The machine is shared: `uptime` load is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland",
              "Portugal", "Australia", "Norway", "Italy"]
_COUNTRY_P = np.array([0.89, 0.02, 0.02, 0.015, 0.01, 0.01, 0.008, 0.007, 0.006, 0.005, 0.004, 0.005])


def make_export(path: str, rows: int, seed: int = 1, chunk: int = 1_000_000, invoice_offset: int = 0) -> None:
    """Write an invoice-style CSV of `rows` lines (about 20 lines per invoice, two years of
    dates as m/d/Y H:M, 2% cancellation lines prefixed C, 1% postage, 25% guest lines).
    Written in chunks, so 20M lines need no more memory than 1M."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n_products = 4000
    base_price = np.round(rng.lognormal(1.0, 0.8, n_products), 2) + 0.15
    stock_codes = np.array([str(20000 + i) for i in range(n_products)])
    descriptions = np.array([f"ITEM {i} {w}" for i, w in zip(range(n_products), rng.choice(
        ["MUG", "LANTERN", "CANDLE", "BAG", "CARD", "FRAME", "SIGN", "BOX"], n_products))])
    n_customers = max(50, rows // 120)
    minutes_span = 2 * 365 * 24 * 60
    written, invoice_next = 0, 536365 + invoice_offset
    writer = None
    try:
        while written < rows:
            n = min(chunk, rows - written)
            n_inv = max(1, n // 20)
            inv_of_line = np.sort(rng.integers(0, n_inv, n))
            invoice = (invoice_next + inv_of_line).astype(str)
            cancelled_inv = rng.random(n_inv) < 0.02
            cancel = cancelled_inv[inv_of_line]
            invoice = np.where(cancel, np.char.add("C", invoice), invoice)
            # time moves forward with the invoice number, within a working day's hours
            start_minute = int(written / rows * minutes_span)
            end_minute = int((written + n) / rows * minutes_span)
            t_inv = np.sort(rng.integers(start_minute, max(start_minute + 1, end_minute), n_inv))
            day = t_inv // 1440
            minute_of_day = 8 * 60 + (t_inv % 1440) * (10 * 60) // 1440  # 08:00 to 18:00
            stamp = (np.datetime64("2010-12-01T00:00") + (day * 1440 + minute_of_day).astype("timedelta64[m]"))
            dates = _us_dates(stamp)[inv_of_line]
            product = rng.zipf(1.3, n) % n_products
            postage = rng.random(n) < 0.01
            stock = np.where(postage, "POST", stock_codes[product])
            desc = np.where(postage, "POSTAGE", descriptions[product])
            quantity = np.maximum(1, rng.geometric(0.15, n))
            quantity = np.where(cancel, -quantity, quantity)
            price = np.where(postage, 18.0, base_price[product] * np.where(rng.random(n) < 0.05, 0.8, 1.0)).round(2)
            cust_of_inv = rng.integers(12346, 12346 + n_customers, n_inv).astype(str)
            cust_of_inv[rng.random(n_inv) < 0.25] = ""
            country_of_inv = rng.choice(_COUNTRIES, n_inv, p=_COUNTRY_P / _COUNTRY_P.sum())
            table = pa.table({
                "InvoiceNo": invoice, "StockCode": stock, "Description": desc, "Quantity": quantity,
                "InvoiceDate": dates, "UnitPrice": price, "CustomerID": cust_of_inv[inv_of_line],
                "Country": country_of_inv[inv_of_line],
            })
            if writer is None:
                writer = pacsv.CSVWriter(path, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed"))
            writer.write_table(table)
            written += n
            invoice_next += n_inv
    finally:
        if writer is not None:
            writer.close()


def make_year_copies(year_path: str, out_path: str, copies: int = 10) -> None:
    """The acceptance input: a year of invoice lines (bench/invoices.py, the public Online Retail
    data set's shape, 541,909 lines) written `copies` times with the invoice numbers offset by
    1,000,000 per copy (cancellations keep their C prefix)."""
    from invoices import make_invoices

    year = make_invoices()
    year.to_csv(year_path, index=False)
    inv = year["InvoiceNo"].astype(str)
    prefix = np.where(inv.str.startswith("C"), "C", "")
    number = inv.str.lstrip("C").astype(np.int64).to_numpy()
    with open(out_path, "w", encoding="utf-8", newline="") as fh:
        for k in range(copies):
            part = year.copy()
            part["InvoiceNo"] = prefix + (number + k * 1_000_000).astype(str)
            part.to_csv(fh, index=False, header=(k == 0))


def _us_dates(stamp: np.ndarray) -> np.ndarray:
    """'12/1/2010 8:26' (month/day/year, no leading zeros), as the real invoice export writes them."""
    import pandas as pd

    ts = pd.DatetimeIndex(stamp)
    return (ts.month.astype(str) + "/" + ts.day.astype(str) + "/" + ts.year.astype(str) + " "
            + ts.hour.astype(str) + ":" + pd.Index(ts.minute).map("{:02d}".format)).to_numpy()


def _load() -> str:
    try:
        return open("/proc/loadavg").read().split()[:3].__str__()
    except OSError:
        return "unknown"


_INGEST_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from ecom_models.intake import big as intake_big
t0 = time.perf_counter()
res = intake_big.ingest_big({path!r}, kind="orders")
t1 = time.perf_counter()
kpis = res.summary()
t2 = time.perf_counter()
res.close()
print(json.dumps({{"rows_in": res.report.rows_in, "rows_usable": res.report.rows_usable, "ingest_s": t1 - t0,
                  "kpi_s": t2 - t1, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "gross_revenue": kpis["gross_revenue"], "orders": kpis["orders"],
                  "quirks": res.report.quirk_counts, "encoding": res.report.read.get("encoding"),
                  "examples": {{q.key: q.examples for q in res.report.quirks
                                if q.key in ("implausible_dates", "malformed_lines")}}}}, default=str))
"""


def bench_ingest(path: str) -> dict:
    """Ingest in a fresh process, so its peak RSS is the ingest's own, not the generator's."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = _INGEST_CHILD.format(root=root, path=path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _busy(stream: list, t0: float, wall: float) -> dict:
    """From a Dask task stream: compute seconds per worker, and the seconds of the run when no
    worker was computing (the client's own work, waiting for data, scheduling)."""
    spans, per_worker = [], {}
    for task in stream:
        for ss in task["startstops"]:
            if ss["action"] == "compute":
                spans.append((ss["start"] - t0, ss["stop"] - t0))
                per_worker[task["worker"]] = per_worker.get(task["worker"], 0.0) + ss["stop"] - ss["start"]
    covered, end = 0.0, 0.0
    for a, b in sorted(spans):
        a, b = max(a, end, 0.0), min(b, wall)
        if b > a:
            covered += b - a
        end = max(end, b)
    return {"workers_busy_s": sorted(per_worker.values(), reverse=True), "no_worker_busy_s": wall - covered}


def bench_dask(path: str, contamination: float = 0.01, repeat: int = 2, from_frame: bool = False) -> dict:
    """Risk scoring of the same lines: one process, then LocalClusters of 1 and 2 worker
    processes (one thread each). The input is the canonical lines as Parquet (what `ingest`
    stores; written once, untimed): one process reads it and scores; on the cluster each worker
    reads its own row groups. Imports happen before the clock starts (warm-up, reported)."""
    from distributed import Client, LocalCluster, get_task_stream

    from ecom_models.risk import scoring as anomaly
    from ecom_models.core import cluster as distributed
    from ecom_models.risk import cluster as risk_cluster
    from ecom_models.intake import big as intake_big

    parquet = path + ".lines.parquet"
    if not os.path.exists(parquet):
        t = time.perf_counter()
        res = intake_big.ingest_big(path, kind="orders")
        res.to_parquet(parquet)
        res.close()
        print(f"  (canonical lines written to Parquet once, untimed: {time.perf_counter() - t:.1f} s)")

    import pyod.models.copod  # noqa: F401  (imports are not part of the timing: workers are warmed up too)
    import pyod.models.ecod  # noqa: F401
    import pyod.models.iforest  # noqa: F401

    out = {"single": [], 1: [], 2: [], "load": {}}
    single = orders = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        orders = risk_cluster.read_lines(parquet)
        t1 = time.perf_counter()
        single = anomaly.score_orders(orders, contamination=contamination)
        out["single"].append({"read_s": t1 - t0, "score_s": time.perf_counter() - t1, "wall": time.perf_counter() - t0})
    out["load"]["single"] = _load()
    base = single.orders
    same = {}
    sources = [("parquet", parquet)] + ([("frame", orders)] if from_frame else [])
    for n_workers in (1, 2):
        with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          env=distributed.SINGLE_THREAD_ENV) as cluster, Client(cluster) as client:
            t = time.perf_counter()
            risk_cluster.warm_up(client)
            out[f"warm_up_{n_workers}"] = time.perf_counter() - t
            for kind, source in sources:
                runs = out.setdefault((kind, n_workers), [])
                for _ in range(repeat):
                    with get_task_stream(client=client) as ts:
                        t0, clock0 = time.perf_counter(), time.time()  # the task stream uses time.time()
                        result = risk_cluster.score_orders(source, client, contamination=contamination)
                        wall = time.perf_counter() - t0
                    runs.append({"wall": wall, **_busy(ts.data, clock0, wall)})
                r = result.orders
                same[(kind, n_workers)] = {
                    "same_orders": r["order_id"].tolist() == base["order_id"].tolist(),
                    "same_flagged": r.loc[r["flag"], "order_id"].tolist() == base.loc[base["flag"], "order_id"].tolist(),
                    "same_scores": bool(np.allclose(r["score"].to_numpy(), base["score"].to_numpy(), rtol=0, atol=1e-12)),
                    "same_reasons": r["reasons"].tolist() == base["reasons"].tolist(),
                }
            out["load"][n_workers] = _load()
    out.update({"orders": len(base), "lines": len(orders), "flagged": int(base["flag"].sum()), "same": same,
                "sources": [k for k, _ in sources]})
    return out


def _print_dask(r: dict) -> None:
    best = lambda runs: min(x["wall"] for x in runs)  # noqa: E731
    print(f"anomalies {r['orders']:,} orders from {r['lines']:,} lines (best of {len(r['single'])} runs; every run listed)")
    runs = ", ".join(f"{x['wall']:.1f} s (read {x['read_s']:.1f} + score {x['score_s']:.1f})" for x in r["single"])
    print(f"  one process, no Dask      {best(r['single']):6.1f} s   runs: {runs}   load {r['load']['single']}")
    for kind in r["sources"]:
        label = "workers read the Parquet file" if kind == "parquet" else "lines sent from the client's frame"
        print(f"  LocalCluster, {label}:")
        for n in (1, 2):
            runs = r[(kind, n)]
            detail = "; ".join(f"{x['wall']:.1f} s (workers busy {'/'.join(f'{b:.1f}' for b in x['workers_busy_s'])} s, "
                               f"no worker busy {x['no_worker_busy_s']:.1f} s)" for x in runs)
            print(f"    {n} worker{'s' if n > 1 else ' '}  {best(runs):6.1f} s   runs: {detail}   "
                  f"warm-up {r[f'warm_up_{n}']:.1f} s, load {r['load'][n]}")
        ratio = best(r[(kind, 1)]) / best(r[(kind, 2)])
        med = float(np.median([x["wall"] for x in r[(kind, 1)]]) / np.median([x["wall"] for x in r[(kind, 2)]]))
        print(f"    ratio 1 worker / 2 workers = {ratio:.2f}x (best runs), {med:.2f}x (median runs)")
        for n in (1, 2):
            print(f"    {n} worker{'s' if n > 1 else ''}: same as one process: {r['same'][(kind, n)]}")


def make_damaged(src: str, dst: str, clock_reset=range(1_000_001, 1_000_011),
                 broken=range(2_000_001, 2_000_006), accented: int = 3_000_001) -> None:
    """A copy of an export with what merchants' big files carry (line numbers as an editor shows
    them, header = 1): a clock reset to 2003 on ten lines, a stray Windows-1252 byte on five lines
    of a UTF-8 file, and one real accented product name (what makes the file UTF-8)."""
    import re

    clock, bad = set(clock_reset), set(broken)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for n, line in enumerate(fin, 1):
            if n in clock:
                line = re.sub(rb"/20\d\d ", b"/2003 ", line, count=1)
            elif n in bad:
                line = line.replace(b"GIFT", b"GIFT \xe8", 1)
            elif n == accented:
                line = line.replace(b"GIFT", "CAFÉ".encode(), 1)
            fout.write(line)


def year_copies(k: int, keep: str | None, damage: bool = False) -> None:
    folder = keep or tempfile.mkdtemp(prefix="ecom-scale-")
    os.makedirs(folder, exist_ok=True)
    year, big = os.path.join(folder, "year.csv"), os.path.join(folder, f"year_x{k}.csv")
    print(f"load before: {_load()} (2 cores shared with other jobs)")
    if not os.path.exists(big):
        make_year_copies(year, big, k)
    one, many = bench_ingest(year), bench_ingest(big)
    ratio = many["gross_revenue"] / one["gross_revenue"]
    print(f"one year  {one['rows_in']:>10,} lines  {one['ingest_s'] + one['kpi_s']:6.1f} s  peak RSS {one['peak_mb']:6,.0f} MB"
          f"  gross revenue {one['gross_revenue']:,.2f}")
    print(f"{k} copies {many['rows_in']:>10,} lines  {many['ingest_s'] + many['kpi_s']:6.1f} s  peak RSS "
          f"{many['peak_mb']:6,.0f} MB  gross revenue {many['gross_revenue']:,.2f}")
    print(f"gross revenue ratio {ratio:.6f} (expected {k}; off by {abs(ratio / k - 1):.2e}); "
          f"orders {many['orders']:,} = {many['orders'] / max(one['orders'], 1):.3f} x")
    if damage:
        damaged = os.path.join(folder, f"year_x{k}_damaged.csv")
        if not os.path.exists(damaged):
            make_damaged(big, damaged)
        d = bench_ingest(damaged)
        extra = {q: n - many["quirks"].get(q, 0) for q, n in d["quirks"].items() if n != many["quirks"].get(q, 0)}
        print(f"damaged   {d['rows_in']:>10,} lines  {d['ingest_s'] + d['kpi_s']:6.1f} s  peak RSS {d['peak_mb']:6,.0f} MB"
              f"  encoding {d['encoding']}  quirks added {extra}  usable lines {d['rows_usable'] - many['rows_usable']:+,}")
        for key, examples in d["examples"].items():
            print(f"  {key}: " + "; ".join(f"line/row {e.get('line', e.get('row'))}" for e in examples))
    print(f"load after: {_load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="lines to generate (e.g. 1000000, 5000000, 20000000)")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--keep", help="folder to write the generated export to (kept)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each risk-scoring setup (best is quoted)")
    parser.add_argument("--from-frame", action="store_true",
                        help="also time the cluster fed from the client's frame (the CLI's way) instead of the file")
    parser.add_argument("--damage", action="store_true",
                        help="with --year-copies: also ingest a copy with a clock reset on 10 lines and broken "
                             "bytes on 5 (the chunks holding them are cleaned twice: the cost is printed)")
    parser.add_argument("--year-copies", type=int, default=0, metavar="K",
                        help="instead: K copies of a generated year (541,909 lines) with invoice numbers offset; "
                             "checks gross revenue = K x the year's and prints peak RSS (the acceptance test: K=10)")
    args = parser.parse_args()
    if args.year_copies:
        return year_copies(args.year_copies, args.keep, args.damage)
    folder = args.keep or tempfile.mkdtemp(prefix="ecom-scale-")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"invoices_{args.rows}.csv")
    print(f"load before: {_load()} (2 cores shared with other jobs)")
    if not os.path.exists(path):
        t = time.perf_counter()
        make_export(path, args.rows)
        print(f"generated {args.rows:,} lines ({os.path.getsize(path) / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s")
    if not args.skip_ingest:
        r = bench_ingest(path)
        print(f"ingest    {r['ingest_s']:7.1f} s  {r['rows_in'] / r['ingest_s']:>10,.0f} rows/s  "
              f"({r['rows_usable']:,} usable of {r['rows_in']:,})")
        print(f"kpis      {r['kpi_s']:7.2f} s  {r['rows_usable'] / max(r['kpi_s'], 1e-9):>10,.0f} rows/s  "
              f"(orders {r['orders']:,}, gross revenue {r['gross_revenue']:,.2f})")
        print(f"peak RSS  {r['peak_mb']:7,.0f} MB (ingest + KPIs, fresh process)")
    if not args.skip_dask:
        _print_dask(bench_dask(path, repeat=args.repeat, from_frame=args.from_frame))
    print(f"load after: {_load()}")


if __name__ == "__main__":
    main()
