"""`python -m ecom_models customers ORDERS [--horizon-days 90] [--cutoff DATE] --json`

Prints `file`, `as_of`, `horizon_days`, `guest_orders`, `notes`, `customers` (one row per
customer, most valuable first: `customer_id` as in the file, `segment`, `p_active`,
`expected_purchases`, `expected_spend`, `expected_spend_low`, `expected_spend_high` (80%
interval), `last_purchase`, `frequency` (purchases), `monetary` (total spend)), `backtest`
(`cutoff`, `holdout_days`, `models` [{`name`, `total_purchases_predicted`,
`total_purchases_actual`, `total_spend_predicted`, `total_spend_actual`, `mae_purchases`,
`spearman_spend`, `top_decile_capture`, `churn_auc`}], `winner`) and `cohorts` (`cohort`,
`months_since`, `customers`, `active`, `share`). See docs/customers.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="orders export (CSV, Excel, Parquet or JSON lines)")
    parser.add_argument("--horizon-days", type=int, default=90, help="days ahead to predict (default 90)")
    parser.add_argument("--cutoff", default=None,
                        help="backtest cut-off date YYYY-MM-DD (default: the last quarter held out)")
    parser.add_argument("--top", type=int, default=None, help="print only the N most valuable customers")


def _r(v, nd=4):
    return None if v is None or (isinstance(v, float) and not pd.notna(v)) else round(float(v), nd)


def run(args: argparse.Namespace) -> dict:
    from ecom_models.customers.analysis import analyse_customers
    from ecom_models.intake import load_orders

    path = Path(args.file)
    if not path.exists():
        raise InputError("the file does not exist.", file=str(path), fix="check the path.")
    cutoff = None
    if args.cutoff:
        try:
            cutoff = pd.Timestamp(args.cutoff)
        except (ValueError, TypeError):
            raise InputError(f"--cutoff {args.cutoff!r} is not a date.", fix="write it as YYYY-MM-DD.") from None
    # the file is read as it is (no pseudonyms in this path): customer_id is the file's own id
    orders = load_orders(str(path))
    result = analyse_customers(orders, horizon_days=args.horizon_days, cutoff=cutoff)
    h = result.horizon_days
    c = result.customers.sort_values([f"expected_spend_{h}", "customer_id"], ascending=[False, True], kind="stable")
    if args.top is not None:
        c = c.head(max(args.top, 0))
    rows = [{"customer_id": r["customer_id"], "segment": r["segment"], "p_active": _r(r["p_active"]),
             "expected_purchases": _r(r[f"expected_purchases_{h}"]), "expected_spend": _r(r[f"expected_spend_{h}"], 2),
             "expected_spend_low": _r(r[f"expected_spend_{h}_low"], 2),
             "expected_spend_high": _r(r[f"expected_spend_{h}_high"], 2),
             "last_purchase": pd.Timestamp(r["last_purchase"]).date().isoformat(), "frequency": int(r["purchases"]),
             "monetary": _r(r["total_spend"], 2)} for r in c.to_dict("records")]
    bt = result.backtest
    return {
        "file": path.name,
        "as_of": result.as_of,
        "horizon_days": h,
        "guest_orders": result.guest_orders,
        "notes": result.notes,
        "customers": rows,
        "backtest": None if bt is None else {"cutoff": bt["cutoff"], "holdout_days": bt["holdout_days"],
                                             "models": bt["models"], "winner": bt["winner"]},
        "cohorts": [{"cohort": r["cohort"], "months_since": int(r["months_since"]), "customers": int(r["customers"]),
                     "active": int(r["active"]), "share": _r(r["share"])} for r in result.cohorts.to_dict("records")],
    }
