"""`python -m ecom_models forecast FILE [--metric revenue|orders|units] [--by COLUMN] --horizon N
[--scenario 'price=-10%,promo=2026-12-01:2026-12-14'] --json`

JSON keys (see docs/forecast.md): file, metric, by, freq, horizon, country, model, prophet_params,
rows (date, yhat, yhat_lower, yhat_upper, plus key with --by), metrics {model, baselines},
leaderboard, series (with --by), notes, scenario (with --scenario), seconds.
"""

from __future__ import annotations

import argparse
import time

from ecom_models.core.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="orders export (CSV, Excel, Parquet or JSON lines)")
    parser.add_argument("--metric", choices=["revenue", "orders", "units"], default="revenue", help="what to forecast")
    parser.add_argument("--by", default=None, help="forecast one series per value of this column (product_id, category, country, channel)")
    parser.add_argument("--horizon", type=int, default=28, help="periods ahead (days, or weeks with --freq W); default 28")
    parser.add_argument("--freq", choices=["D", "W"], default="D", help="daily (D, default) or weekly (W) series")
    parser.add_argument("--country", default=None,
                        help="two-letter country code for public holidays (default: the country most orders come from; 'none' for none)")
    parser.add_argument("--scenario", default=None,
                        help="what-if plan, e.g. 'price=-10%%,promo=2026-12-01:2026-12-14,event=2026-12-24,closed=2026-12-25'")
    parser.add_argument("--max-series", type=int, default=50, help="with --by: forecast at most this many (largest) series")
    parser.add_argument("--jobs", type=int, default=None, help="with --by: parallel processes (default: all cores)")


def default_country(orders) -> str | None:
    """The most common country in the orders, if we have a holiday calendar for it."""
    from ecom_models.forecast.series import main_country

    return main_country(orders)


def _metrics(row: dict) -> dict:
    return {k: row.get(k) for k in ("mae", "smape", "mase", "coverage", "n")}


def run(args: argparse.Namespace) -> dict:
    from ecom_models.forecast.backtest import backtest_and_forecast, check_horizon
    from ecom_models.forecast.many import forecast_many
    from ecom_models.forecast.models import MODEL_NAIVE, PROPHET_DEFAULT
    from ecom_models.forecast.series import build_series, country_code
    from ecom_models.forecast.whatif import WhatIf, parse_scenario
    from ecom_models.intake import load_orders

    started = time.perf_counter()
    horizon = check_horizon(args.horizon, args.freq)
    orders = load_orders(args.file)
    if args.country and args.country.lower() == "none":
        country = None
    else:
        country = country_code(args.country) if args.country else default_country(orders)
        if args.country and country is None:
            raise InputError(f"'{args.country}' is not a country we have public holidays for.",
                             fix="use a two-letter code such as US, GB, DE or FR, or --country none.")
    doc: dict = {"file": str(args.file), "metric": args.metric, "by": args.by, "freq": args.freq, "horizon": horizon,
                 "country": country}
    if args.by:
        if args.scenario:
            raise InputError("what-if scenarios work on the whole store, not per series.",
                             fix="run the scenario without --by.")
        if args.max_series < 1:
            raise InputError("--max-series must be at least 1.", fix="e.g. --max-series 20.")
        series = build_series(orders, args.metric, by=args.by, freq=args.freq, max_series=args.max_series)
        many = forecast_many(series, horizon, country=country, n_jobs=args.jobs)
        fc = many.forecast
        doc["model"] = "best per series (seasonal naive, ETS or Prophet, chosen on the last held-out window)"
        doc["prophet_params"] = dict(PROPHET_DEFAULT)
        doc["rows"] = [{"key": r["key"], "date": r["ds"].date().isoformat(), "yhat": r["yhat"],
                        "yhat_lower": r["yhat_lower"], "yhat_upper": r["yhat_upper"]} for r in fc.to_dict("records")]
        summary = many.summary
        ok = summary[summary["error"].isna()]
        doc["series"] = [{"key": r["key"], "model": r["chosen"], "mae": r["mae_chosen"],
                          "mae_seasonal_naive": r["mae_seasonal_naive"], "error": r["error"]}
                         for r in summary.to_dict("records")]
        doc["metrics"] = {"model": {"name": "best per series", "mae": float(ok["mae_chosen"].mean()) if len(ok) else None},
                          "baselines": {MODEL_NAIVE: {"mae": float(ok["mae_seasonal_naive"].mean()) if len(ok) else None}}}
        doc["leaderboard"] = []
        doc["backend"] = many.backend
        doc["notes"] = series.notes
    else:
        series = build_series(orders, args.metric, freq=args.freq)
        result = backtest_and_forecast(series, horizon, country=country)
        fc = result.forecast
        doc["model"] = result.chosen
        doc["prophet_params"] = result.prophet_params
        doc["rows"] = [{"date": r["ds"].date().isoformat(), "yhat": r["yhat"], "yhat_lower": r["yhat_lower"],
                        "yhat_upper": r["yhat_upper"]} for r in fc.to_dict("records")]
        board = result.leaderboard.to_dict("records")
        doc["metrics"] = {"model": {"name": result.chosen, **_metrics(board[0])},
                          "baselines": {r["model"]: _metrics(r) for r in board if r["model"] != result.chosen}}
        doc["leaderboard"] = [{"model": r["model"], **_metrics(r), "chosen": bool(r["chosen"])} for r in board]
        doc["verdict"] = result.verdict()
        doc["notes"] = result.notes
        if args.scenario:
            if args.freq != "D":
                raise InputError("what-if scenarios need a daily forecast.", fix="drop --freq W.")
            scenario = parse_scenario(args.scenario, name="scenario")
            units = series if args.metric == "units" else build_series(orders, "units")
            whatif = WhatIf(country=country).fit(units)
            res = whatif.run(scenario, horizon)
            doc["scenario"] = {
                "plan": scenario.to_dict(),
                "totals": res.totals,
                "effects": whatif.effects().to_dict("records"),
                "warnings": res.warnings,
                "rows": [{"date": r["ds"].date().isoformat(), "units_base": r["base"], "units_scenario": r["scenario"],
                          "units_diff": r["diff"], "units_diff_lower": r["diff_lower"], "units_diff_upper": r["diff_upper"],
                          "revenue_base": r["base_revenue"], "revenue_scenario": r["scenario_revenue"]}
                         for r in res.daily.to_dict("records")],
            }
    doc["seconds"] = round(time.perf_counter() - started, 2)
    return doc
