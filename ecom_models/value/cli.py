"""`python -m ecom_models value [ORDERS_FILE] [--experiment FILE] [--traffic FILE] [--reviews FILE]
[--images FOLDER] [--monthly-cost X] [--setup-cost X] [--margin M] [--set MODEL.KEY=VALUE ...]
[--html OUT.html] [--pdf OUT.pdf] [--csv OUT.csv] --json`

Adds up the business value of every model on the merchant's files (or on the demo store when
no orders file is given): one row per model, totals per month and per year with 90% intervals,
ROI, and the sensitivity of the first-year net gain. JSON keys are documented in docs/value.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("orders", nargs="?", default=None,
                        help="orders export (CSV, Excel, Parquet, JSON Lines); without it the demo store is used")
    parser.add_argument("--experiment", default=None, help="A/B test file (per person or per variant)")
    parser.add_argument("--traffic", default=None, help="daily traffic file (date, sessions), for visitors per month")
    parser.add_argument("--reviews", default=None, help="product reviews file")
    parser.add_argument("--labels", default=None,
                        help="CSV of order_id,label (fraud / fine): your review decisions, as on the Risk page")
    parser.add_argument("--capacity", type=float, default=5.0, help="orders your team can review per day (default 5)")
    parser.add_argument("--images", default=None, help="folder or zip of product photos (adds about 20 s per 100 photos)")
    parser.add_argument("--only", default=None,
                        help="compute only these models (comma separated: recommendations,forecasting,risk,reviews,images,abtest)")
    parser.add_argument("--fast", action="store_true", help="forecast with seasonal naive and ETS only (no Prophet)")
    parser.add_argument("--monthly-cost", type=float, default=0.0, help="monthly cost of running it (store currency)")
    parser.add_argument("--setup-cost", type=float, default=0.0, help="one-off setup cost (store currency)")
    parser.add_argument("--margin", type=float, default=0.4, help="gross margin on extra sales, 0-1 (default 0.4)")
    parser.add_argument("--set", action="append", default=[], metavar="MODEL.KEY=VALUE",
                        help="override an assumption, e.g. --set recommendations.widget_share=0.3 (repeatable)")
    parser.add_argument("--ab-measures", default="auto",
                        help="which offline lever the A/B test measured: auto, none, recommendations, images, reviews, risk, forecasting")
    parser.add_argument("--simulations", type=int, default=20000, help="Monte-Carlo draws for the intervals")
    parser.add_argument("--html", default=None, help="write the offline HTML report here")
    parser.add_argument("--pdf", default=None, help="write the PDF report here")
    parser.add_argument("--csv", default=None, help="write the figures and assumptions CSV here")


def parse_overrides(items: list[str]) -> dict[str, dict[str, float]]:
    from ecom_models.value.levers import MODELS

    out: dict[str, dict[str, float]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        model, dot, key = name.strip().partition(".")
        if not sep or not dot or not key:
            raise InputError(f"--set '{item}' is not MODEL.KEY=VALUE.", fix="use e.g. --set recommendations.widget_share=0.3.")
        if model not in MODELS:
            raise InputError(f"--set: there is no model '{model}'.", fix=f"choose one of: {', '.join(MODELS)}.")
        try:
            value = float(raw.replace(",", "").replace("%", "")) / (100 if raw.strip().endswith("%") else 1)
        except ValueError:
            raise InputError(f"--set '{item}': '{raw}' is not a number.", fix="write a plain number, e.g. 0.3 or 30%.") from None
        out.setdefault(model, {})[key.strip()] = value
    return out


def read_labels(path: str) -> dict[str, str]:
    """order_id -> fraud | fine from a CSV with columns order_id,label (other columns ignored)."""
    from ecom_models.intake import read_table

    # the shared reader: a damaged line costs that line, not the file
    df = read_table(path).astype("str").replace({"nan": "", "None": "", "<NA>": ""})
    cols = {c.strip().lower(): c for c in df.columns}
    if "order_id" not in cols or "label" not in cols:
        raise InputError("the labels file needs the columns order_id and label.", file=str(path),
                         fix="write one line per order: order_id,label with label fraud or fine.")
    out = {}
    for i, (oid, lab) in enumerate(zip(df[cols["order_id"]], df[cols["label"]]), start=2):
        lab = str(lab).strip().lower()
        if lab not in ("fraud", "fine"):
            raise InputError(f"label '{lab[:20]}' is neither fraud nor fine.", file=str(path), column="label", row=i,
                             fix="use fraud or fine.")
        if str(oid).strip():
            out[str(oid).strip()] = lab
    return out


def _check_costs(args) -> None:
    if args.monthly_cost < 0 or args.setup_cost < 0:
        raise InputError("costs cannot be negative.", fix="give --monthly-cost and --setup-cost as amounts of 0 or more.")
    if not 0 <= args.margin <= 1:
        raise InputError(f"--margin must be between 0 and 1 (got {args.margin}).", fix="use e.g. --margin 0.4 for 40%.")
    if not 0 < args.capacity <= 100_000:
        raise InputError("--capacity must be a positive number of orders a day.", fix="use e.g. --capacity 5.")
    if not 100 <= args.simulations <= 1_000_000:
        raise InputError("--simulations must be between 100 and 1,000,000.", fix="use e.g. --simulations 20000.")


def run(args: argparse.Namespace) -> dict:
    from ecom_models.value import compute as C
    from ecom_models.value.levers import MODELS
    from ecom_models.value.summary import CostInputs, Lever, summarise

    _check_costs(args)
    overrides = parse_overrides(args.set)
    only = set(MODELS)
    if args.only:
        only = {m.strip() for m in args.only.split(",") if m.strip()}
        unknown = only - set(MODELS)
        if unknown:
            raise InputError(f"--only: unknown model '{sorted(unknown)[0]}'.", fix=f"choose from: {', '.join(MODELS)}.")

    experiment = traffic = reviews = products = None
    images = args.images
    if args.orders:
        from ecom_models.intake import ingest, load_orders

        orders = load_orders(args.orders)
        source = Path(args.orders).name
        experiment = ingest(args.experiment, kind="experiment").df if args.experiment else None
        traffic = ingest(args.traffic, kind="traffic").df if args.traffic else None
        reviews = ingest(args.reviews, kind="reviews").df if args.reviews else None
    else:
        from ecom_models.demo.store import demo_store

        store = demo_store()
        orders, experiment, traffic, reviews, products = store.orders, store.experiment, store.traffic, store.reviews, store.products
        source = "demo store"
        if images is None and "images" in (set(args.only.split(",")) if args.only else {"images"}):
            from ecom_models.demo.images import default_folder, demo_images

            demo_images()
            images = str(default_folder(store.seed))
        if args.experiment:
            from ecom_models.intake import ingest

            experiment = ingest(args.experiment, kind="experiment").df
    if images and not Path(images).exists():
        raise InputError("the photo folder or zip does not exist.", file=str(images), fix="check the path.")

    levers: dict[str, Lever] = {}
    if "recommendations" in only:
        levers["recommendations"] = C.lever_recommendations(orders)
    if "forecasting" in only:
        levers["forecasting"] = C.lever_forecasting(orders, fast=args.fast)
    if "risk" in only:
        labels = read_labels(args.labels) if args.labels else None
        levers["risk"] = C.lever_risk(orders, labels=labels, capacity_per_day=args.capacity)
    if "reviews" in only:
        levers["reviews"] = C.lever_reviews(reviews, orders)
    if "images" in only:
        levers["images"] = C.lever_images(images, products, orders) if images else Lever(
            "images", problem="No photos given (use --images FOLDER).", source="missing")
    if "winback" in only:
        levers["winback"] = C.lever_winback(orders)
    if "abtest" in only:
        levers["abtest"] = C.lever_abtest(experiment, orders, traffic)

    ab = args.ab_measures
    if ab == "auto":
        ab_replaces = C.ab_lever_guess(levers.get("abtest"), Path(args.experiment).name if args.experiment else "")
    elif ab == "none":
        ab_replaces = None
    elif ab in MODELS and ab != "abtest":
        ab_replaces = ab
    else:
        raise InputError(f"--ab-measures: unknown lever '{ab}'.", fix="use auto, none, recommendations, images, reviews, risk or forecasting.")

    costs = CostInputs(args.monthly_cost, args.setup_cost, args.margin)
    summary = summarise(levers, overrides, ab_replaces, costs, n_sims=args.simulations,
                          monthly_net_revenue=C.store_figures(orders)["monthly_net_revenue"])
    written = {}
    if args.html or args.pdf or args.csv:
        from ecom_models.value import report as RP

        for path, make in ((args.html, lambda: RP.report_html(summary).encode("utf-8")), (args.pdf, lambda: RP.report_pdf(summary)),
                           (args.csv, lambda: RP.report_csv(summary))):
            if path:
                try:
                    Path(path).write_bytes(make())
                except OSError as exc:
                    raise InputError(f"could not write the report ({exc.strerror}).", file=str(path),
                                     fix="choose a folder you can write to.") from None
                written[Path(path).suffix.lstrip(".") or "file"] = str(path)
    return summary_document(summary, source, ab_replaces, levers, written)


def summary_document(summary, source: str, ab_replaces, levers, written=None) -> dict:
    """The JSON document (keys in docs/value.md)."""
    from ecom_models.value.summary import estimate_to_dict

    def iv(i):
        return {"value": i.mid, "low": i.low, "high": i.high}

    return {
        "source": source,
        "currency": summary.currency,
        "monthly_value": iv(summary.monthly),
        "monthly_value_measured": iv(summary.measured),
        "monthly_value_assumed": iv(summary.assumed),
        "monthly_net_revenue": summary.monthly_net_revenue,
        "flags": list(summary.flags),
        "yearly_value": iv(summary.yearly),
        "monthly_profit": iv(summary.monthly_profit),
        "monthly_net": iv(summary.monthly_net),
        "first_year_net": iv(summary.first_year_net),
        "roi_first_year": summary.roi_first_year,
        "payback_months": summary.payback_months if summary.payback_months != float("inf") else None,
        "chance_positive": summary.chance_positive if summary.costs_entered else None,
        "costs": {"monthly_cost": summary.costs.monthly_cost, "setup_cost": summary.costs.setup_cost,
                  "gross_margin": summary.costs.gross_margin},
        "ab_replaces": ab_replaces,
        "rows": [{"model": r.model, "title": r.title, "status": r.status, "counted": r.counted, "needs": r.needs, "note": r.note,
                  "source": r.source, "seconds": round(levers[r.model].seconds, 2) if r.model in levers else None,
                  "estimate": estimate_to_dict(r.estimate) if r.estimate is not None else None} for r in summary.rows],
        "sensitivity": summary.tornado.drop(columns=["default_range"], errors="ignore").to_dict("records"),
        "waterfall": summary.waterfall.to_dict("records"),
        "simulations": summary.n_sims,
        "written": written or {},
    }
