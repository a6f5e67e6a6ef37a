"""`python -m ecom_models support TICKETS [--examples EXAMPLES.csv] [--faq FAQ.csv] --json`

JSON keys (docs/support.md): tickets (ticket_id, intent, confidence, faq_id, faq_confidence), intents
(intent, size, share, top_terms, examples), deflection (share, tickets_per_month, hours_saved_per_month,
monthly_value), plus mode, encoder, comparison, faq, notes, seconds.
"""

from __future__ import annotations

import argparse

import numpy as np

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tickets", help="support tickets or chat messages (CSV, Excel, Parquet or JSON Lines)")
    parser.add_argument("--examples", help="labelled tickets: text,intent")
    parser.add_argument("--faq", help="FAQ: faq_id,question,answer (several rows per faq_id = phrasings)")
    parser.add_argument("--precision", type=float, default=None,
                        help="target precision of FAQ answers (default 0.93: support.analysis.DEFAULT_TARGET_PRECISION)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="agent minutes per ticket (default: median handling time in the file, else 8)")
    parser.add_argument("--cost-per-hour", type=float, default=25.0, help="agent cost per hour (default 25)")
    parser.add_argument("--k", type=int, default=None, help="number of intents to find (default: chosen from the data)")
    from ecom_models.core.cluster import add_argument

    add_argument(parser)  # --dask-scheduler: ticket embeddings computed on a Dask cluster


def run(args: argparse.Namespace) -> dict:
    from ecom_models.intake import read_table
    from ecom_models.support.analysis import DEFAULT_TARGET_PRECISION, analyse_tickets, deflection
    from ecom_models.support.tickets import support_frame

    if args.precision is None:
        args.precision = DEFAULT_TARGET_PRECISION
    if not 0.5 <= args.precision < 1.0:
        raise InputError(f"--precision {args.precision} is outside 0.5 to 0.99.", fix="give a share such as 0.9.")
    tickets, report = support_frame(args.tickets)
    examples = read_table(args.examples) if args.examples else None
    faq = read_table(args.faq) if args.faq else None
    from ecom_models.core import cluster as distributed
    from ecom_models.support.cluster import support_on

    address = distributed.scheduler_address(getattr(args, "dask_scheduler", None))
    if address:
        with distributed.connect(address) as client, support_on(client):
            a = analyse_tickets(tickets, examples=examples, faq=faq, target_precision=args.precision, k=args.k,
                                file=args.tickets)
    else:
        a = analyse_tickets(tickets, examples=examples, faq=faq, target_precision=args.precision, k=args.k,
                            file=args.tickets)
    d = deflection(a, minutes_per_ticket=args.minutes, cost_per_hour=args.cost_per_hour)
    money = None
    if d["share"] is not None:
        from ecom_models.value.valuation import support_value

        money = support_value(d, cost_per_hour=args.cost_per_hour, minutes_per_ticket=d["minutes_per_ticket"])
    t = a.tickets
    rows = [{"ticket_id": tid, "intent": intent, "confidence": float(c),
             "faq_id": fid if isinstance(fid, str) else None,
             "faq_confidence": None if fc is None or not np.isfinite(fc) else round(float(fc), 3)}
            for tid, intent, c, fid, fc in zip(t["ticket_id"], t["intent"], t["confidence"], t["faq_id"],
                                               t["faq_confidence"].astype(float))]
    intents = [{"intent": r.intent, "size": int(r.size), "share": float(r.share), "top_terms": list(r.top_terms),
                "examples": list(r.examples)} for r in a.intents.itertuples()]
    return {
        "tickets": rows,
        "intents": intents,
        "deflection": {"share": d["share"], "tickets_per_month": d["tickets_per_month"],
                       "hours_saved_per_month": d["hours_saved_per_month"],
                       "monthly_value": money.monthly_value if money is not None else None},
        "mode": a.mode, "encoder": a.encoder, "k": a.k,
        "comparison": a.comparison.to_dict() if a.comparison is not None else None,
        "faq": None if a.tradeoff is None else {
            "entries": int(a.faq["faq_id"].nunique()), "held_out_source": a.tradeoff.source,
            "held_out_matches": a.tradeoff.n_calibration, "target_precision": a.target_precision, "threshold": a.threshold,
            "answered_share": d["answered_share"], "held_out_precision": d["precision"],
            "expected_precision": d["precision"], "precision_interval": d["precision_interval"]},
        "rows_in": report.rows_in, "quirks": report.quirk_counts, "notes": a.notes + report.notes,
        "seconds": a.seconds,
    }
