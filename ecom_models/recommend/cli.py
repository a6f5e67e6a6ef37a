"""`python -m ecom_models recommend FILE [--model auto|NAME] --top K [--exclude-seen] --json`

FILE is order lines (any export the intake understands) or a plain interactions table
`user_id,item_id[,rating][,quantity][,timestamp]`. Prints, for every customer, the ranked
product ids, plus the model used, its validation metrics and the held-out leaderboard.
JSON keys are documented in docs/recommend.md.
"""

from __future__ import annotations

import argparse

from ecom_models.core.errors import InputError

MODEL_CHOICES = ["auto", "popularity", "item_knn", "rp3beta", "ease", "deep_ae", "ncf"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="order lines or a user_id,item_id[,rating][,timestamp] table (CSV, Excel, Parquet, JSON Lines)")
    parser.add_argument("--model", default="auto", choices=MODEL_CHOICES,
                        help="model to use; auto picks the best on a validation split (default)")
    parser.add_argument("--top", type=int, default=10, metavar="K", help="products per customer (default 10)")
    parser.add_argument("--exclude-seen", action=argparse.BooleanOptionalAction, default=True,
                        help="leave out products the customer already bought (default: yes)")
    parser.add_argument("--split", choices=["random", "time"], default="random",
                        help="held-out split: random 25%% of each customer's products, or their latest 25%%")
    parser.add_argument("--half-life-days", type=float, default=None,
                        help="older purchases count less: weight halves every this many days")
    parser.add_argument("--no-deep", action="store_true", help="skip the Keras model (faster)")
    parser.add_argument("--users", default=None, help="only print these customers (comma separated ids)")


def run(args: argparse.Namespace) -> dict:
    from ecom_models.recommend.interactions import load_interactions
    from ecom_models.recommend.leaderboard import build_recommender
    from ecom_models.recommend.models import MODEL_LABELS
    from ecom_models.recommend.serve import recommend_for_users

    if args.top < 1 or args.top > 1000:
        raise InputError(f"--top must be between 1 and 1000 (got {args.top}).", fix="use e.g. --top 10.")
    if args.half_life_days is not None and args.half_life_days <= 0:
        raise InputError("--half-life-days must be a positive number of days.", fix="use e.g. --half-life-days 180.")
    inter = load_interactions(args.file, half_life_days=args.half_life_days)
    include_deep = not args.no_deep or args.model in ("ncf", "deep_ae")
    report = build_recommender(inter, k=args.top, model=args.model, split=args.split, include_deep=include_deep)
    user_ids = None
    if args.users:
        user_ids = [u.strip() for u in args.users.split(",") if u.strip()]
    recs = recommend_for_users(report, user_ids, k=args.top, exclude_seen=args.exclude_seen)
    users = [{"user_id": uid, "item_ids": group["item_id"].tolist(), "known_customer": bool(group["known_customer"].iloc[0])}
             for uid, group in recs.groupby("user_id", sort=False)]
    chosen_test = report.chosen_test
    board = report.leaderboard.drop(columns=["label"], errors="ignore").to_dict("records")
    return {
        "model": report.chosen,
        "model_label": MODEL_LABELS[report.chosen],
        "params": report.chosen_params,
        "k": args.top,
        "exclude_seen": args.exclude_seen,
        "split": report.split,
        "validation_metrics": report.validation_metrics(),
        "test_metrics": chosen_test.metrics if chosen_test else {},
        "baseline_test_metrics": report.test_evals["popularity"].metrics if "popularity" in report.test_evals else {},
        "leaderboard": board,
        "reason": report.reason,
        "n_users": inter.n_users,
        "n_items": inter.n_items,
        "n_interactions": int(inter.matrix.nnz),
        "notes": report.notes,
        "users": users,
    }
