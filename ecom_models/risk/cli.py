"""`python -m ecom_models anomalies FILE [--level order|daily] [--contamination 0.01] --json`

Order level prints one document with `level` ("order"), `file`, `orders`, `flagged`,
`contamination`, `reliable`, `warnings`, `detectors`, `ensemble_of` (the detectors averaged
into `score`), `currency`, and `rows`: one row per order, riskiest first, with `order_id`,
`score` (0..1: the share of the store's orders that look less unusual), `flag`, `reasons`
(sentences; empty for orders not flagged), `order_date`, `customer_id`, `order_value`,
`score_iforest`, `score_ecod`, `score_tail`, `score_copod`, `score_baseline`. With
`--truth IDS_FILE` (one fraudulent order id per line) it adds `evaluation`: per detector
`roc_auc` (with `roc_auc_low`, `roc_auc_high`), `precision_at_k`, `k`, `n_fraud`.

Daily level prints `level` ("daily"), `file`, `days`, `flagged`, `threshold`, `notes` (rows left out of the daily index: implausible dates, or history beyond ten years), and `rows`:
one row per day with `date`, `score` (0..1: share of days less unusual), `flag`,
`max_abs_z`, `deviation_money` (revenue minus expected revenue), `reasons`; plus `alerts`:
one row per flagged metric with `date`, `segment`, `metric`, `actual`, `expected`, `lower`,
`upper`, `z`, `deviation_money`, `direction`, `explanation`. See docs/risk.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="orders export (CSV, Excel, Parquet or JSON lines)")
    parser.add_argument("--level", choices=["order", "daily"], default="order",
                        help="score each order (default) or each day")
    parser.add_argument("--contamination", type=float, default=0.01,
                        help="share of orders to flag, e.g. 0.01 for the riskiest 1%% (order level)")
    parser.add_argument("--traffic", help="optional traffic file (date, sessions) for conversion alerts (daily level)")
    parser.add_argument("--segment", choices=["country", "channel"], default=None,
                        help="also check the largest countries or channels (daily level)")
    parser.add_argument("--threshold", type=float, default=4.0,
                        help="robust standard deviations from the expected value that raise a daily alert (default 4)")
    parser.add_argument("--top", type=int, default=None, help="print only the N riskiest orders or days")
    parser.add_argument("--truth", help="file with known fraudulent order ids, one per line, to evaluate the scores")
    from ecom_models.core.cluster import add_argument

    add_argument(parser)  # --dask-scheduler: the detectors run on a Dask cluster (order level)


def _path(name: str) -> Path:
    path = Path(name)
    if not path.exists():
        raise InputError("the file does not exist.", file=str(path), fix="check the path.")
    return path


def run(args: argparse.Namespace) -> dict:
    from ecom_models.intake import ingest, load_orders
    from ecom_models.risk.daily import daily_anomalies, daily_scores
    from ecom_models.risk.scoring import score_orders

    from ecom_models.core import cluster as distributed
    from ecom_models.risk import cluster as risk_cluster
    from ecom_models.intake import big as intake_big

    path = _path(args.file)
    if args.top is not None and args.top < 1:
        raise InputError("--top must be at least 1.", fix="e.g. --top 50.")
    address = distributed.scheduler_address(getattr(args, "dask_scheduler", None)) if args.level == "order" else None
    if address and intake_big.wants_big(path):
        # read in chunks into Parquet, which workers on this host or a shared disk read themselves
        with distributed.connect(address) as client:
            return _order_document(path, risk_cluster.score_big_file(path, client, contamination=args.contamination),
                                   args)
    # a folder, zip or very big export is read in chunks (same lines as load_orders)
    orders = intake_big.load_orders(path) if intake_big.wants_big(path) else load_orders(str(path))
    if args.level == "daily":
        traffic = ingest(str(_path(args.traffic)), kind="traffic").df if args.traffic else None
        if args.threshold <= 0:
            raise InputError("--threshold must be positive.", fix="use e.g. 4.")
        anomalies = daily_anomalies(orders, traffic, segment=args.segment, threshold=args.threshold)
        days = daily_scores(anomalies).sort_values("score", ascending=False, kind="stable")
        alerts = anomalies[anomalies["flag"]].sort_values(["date", "segment", "metric"])
        rows = days if args.top is None else days.head(args.top)
        return {
            "level": "daily",
            "file": path.name,
            "days": int(len(days)),
            "flagged": int(days["flag"].sum()),
            "threshold": args.threshold,
            "notes": list(anomalies.attrs.get("notes", [])),
            "rows": [
                {"date": r.date.date().isoformat(), "score": round(float(r.score), 4), "flag": bool(r.flag),
                 "max_abs_z": float(r.max_abs_z), "deviation_money": float(r.deviation_money),
                 "reasons": list(r.reasons)}
                for r in rows.itertuples(index=False)
            ],
            "alerts": [
                {"date": r.date.date().isoformat(), "segment": r.segment, "metric": r.metric, "actual": float(r.actual),
                 "expected": float(r.expected), "lower": float(r.lower), "upper": float(r.upper), "z": float(r.z),
                 "deviation_money": float(r.deviation_money), "direction": r.direction,
                 "explanation": r.explanation}
                for r in alerts.itertuples(index=False)
            ],
        }

    if address:
        with distributed.connect(address) as client:
            result = risk_cluster.score_orders(orders, client, contamination=args.contamination)
    else:
        result = score_orders(orders, contamination=args.contamination)
    return _order_document(path, result, args)


def _order_document(path: Path, result, args: argparse.Namespace) -> dict:
    from ecom_models.risk.evaluation import evaluate

    df = result.orders if args.top is None else result.orders.head(args.top)
    cols = ["order_id", "score", "flag", "reasons", "order_date", "customer_id", "order_value",
            *[f"score_{d}" for d in result.detectors], "score_baseline"]
    out = df[cols].copy()
    out["order_date"] = out["order_date"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    for c in [c for c in cols if c.startswith("score")]:
        out[c] = out[c].round(5)
    document = {
        "level": "order",
        "file": path.name,
        "orders": int(len(result.orders)),
        "flagged": int(result.orders["flag"].sum()),
        "contamination": result.contamination,
        "reliable": result.reliable,
        "warnings": result.warnings,
        "detectors": ["ensemble", *result.detectors],
        "ensemble_of": list(result.ensemble_of),
        "currency": result.currency,
        "rows": out.astype(object).where(out.notna(), None).to_dict("records"),
    }
    if args.truth:
        ids = [line.strip() for line in _path(args.truth).read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        ev = evaluate(result, ids, k=50)
        document["evaluation"] = ev[["detector", "roc_auc", "roc_auc_low", "roc_auc_high", "precision_at_k", "k",
                                     "n_fraud"]].to_dict("records")
    return document
