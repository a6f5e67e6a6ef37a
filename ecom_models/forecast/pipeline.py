"""Forecasts computed once per (data, settings) and kept in the results store.

Keys, versions and progress follow ecom_models/workspace/results.py ("Capability pipelines").
Kind: `forecast.result`; the page's default view is what a background run fills first.
"""

from __future__ import annotations

from ecom_models.workspace.results import ResultsStore, dataclass_from_doc, dataclass_to_doc, result_key
from ecom_models.workspace.runs import say as _say

FORECAST_VERSION = 1
RESULT_KIND = "forecast.result"  # persisted: never changes
# The page's default view: what a background run computes before anyone asks.
FORECAST_DEFAULTS = {"metric": "revenue", "by": None, "series_key": None, "horizon": 28, "tune": True}


def forecast_key(data_key: str, traffic_key: str, metric: str, by: str | None, series_key: str | None,
                 horizon: int, country: str | None, tune: bool = True) -> list:
    return [data_key, traffic_key, metric, by, series_key, int(horizon), country, bool(tune)]


def forecast_result_key(parts: list) -> str:
    return result_key(RESULT_KIND, parts, FORECAST_VERSION)


def stored_forecast_doc(store: ResultsStore, parts: list) -> dict | None:
    """The kept forecast for these settings as stored (decode it with forecast_from_doc), or None."""
    return store.get(RESULT_KIND, forecast_result_key(parts))


def forecast_ready(store: ResultsStore, parts: list) -> bool:
    return store.has(RESULT_KIND, forecast_result_key(parts))


def forecast_from_doc(doc: dict):
    from ecom_models.forecast.backtest import ForecastResult

    return dataclass_from_doc(ForecastResult, doc)


def stored_forecast(store: ResultsStore, parts: list):
    doc = stored_forecast_doc(store, parts)
    return None if doc is None else forecast_from_doc(doc)


def default_forecast(store: ResultsStore, data_key: str, orders, traffic=None, run=None):
    """The Forecast page's default view (revenue, whole store, 28 days, main country's holidays)."""
    from ecom_models.forecast.series import build_series, main_country

    f = FORECAST_DEFAULTS
    traffic_key = traffic.key if traffic is not None else "none"
    country = main_country(orders)
    parts = forecast_key(data_key, traffic_key, f["metric"], f["by"], f["series_key"], f["horizon"], country, f["tune"])
    found = stored_forecast(store, parts)
    if found is not None:
        return found
    series = build_series(orders, f["metric"], by=f["by"], traffic=traffic.df if traffic is not None else None)
    return forecast(store, parts, series, f["horizon"], f["series_key"], country, f["tune"], run=run)


def forecast(store: ResultsStore, parts: list, series, horizon: int, series_key: str | None, country: str | None,
             tune: bool = True, run=None):
    """Backtest every model on past windows and forecast with the winner (ForecastResult)."""
    from ecom_models.forecast.backtest import backtest_and_forecast

    def compute():
        return backtest_and_forecast(series, horizon, key=series_key, country=country, tune=tune,
                                     progress=lambda f, msg: _say(run, f, f"Checking the models on past weeks: {msg}"))

    return store.get_or_compute(RESULT_KIND, parts, compute, to_store=dataclass_to_doc, from_store=forecast_from_doc,
                                version=FORECAST_VERSION)


def forecast_task(ws, parts: list, series, horizon: int, series_key: str | None, country: str | None, tune: bool = True):
    """The forecast as picklable work for a worker process (ecom_models/workspace/tasks.py)."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.forecast.pipeline:forecast_in_worker",
                (ws.name, str(ws.folder), parts, series, horizon, series_key, country, tune))


def forecast_in_worker(ws_name: str, ws_folder: str, parts: list, series, horizon: int, series_key: str | None,
                       country: str | None, tune: bool = True, run=None) -> None:
    """Runs in a worker process: backtest, forecast and store (the server reads the stored result)."""
    from ecom_models.workspace.workspace import Workspace

    forecast(ResultsStore(Workspace(ws_name, ws_folder)), parts, series, horizon, series_key, country, tune, run=run)


def orders_forecast_task(ws, parts: list, orders, traffic, metric: str, by: str | None, horizon: int,
                         series_key: str | None, country: str | None, tune: bool = True):
    """The forecast from the orders themselves, as picklable work: the worker builds the daily
    series (the very `build_series` call the page makes) and then runs `forecast`. `orders` and
    `traffic`: frames or saved datasets' ids (read by the worker); `traffic` may be None."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.forecast.pipeline:orders_forecast_in_worker",
                (ws.name, str(ws.folder), parts, orders, traffic, metric, by, horizon, series_key, country, tune))


def orders_forecast_in_worker(ws_name: str, ws_folder: str, parts: list, orders, traffic, metric: str,
                              by: str | None, horizon: int, series_key: str | None, country: str | None,
                              tune: bool = True, run=None) -> None:
    from ecom_models.forecast.series import build_series
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(ws_name, ws_folder)
    store = ResultsStore(ws)
    if forecast_ready(store, parts):
        return
    _say(run, 0.02, "Building the daily series")
    series = build_series(ws.frame(orders), metric, by=by, traffic=None if traffic is None else ws.frame(traffic))
    forecast(store, parts, series, horizon, series_key, country, tune, run=run)


WHATIF_VERSION = 1


def whatif_key(data_key: str, traffic_key: str, by: str | None, series_key: str | None, country: str | None,
               use_spend: bool, changepoint_prior_scale: float) -> str:
    """The run id of one what-if model (the fitted model is kept in memory, not in the store)."""
    return result_key("forecast.whatif", [data_key, traffic_key, by, series_key, country, bool(use_spend),
                                          float(changepoint_prior_scale)], WHATIF_VERSION)


def whatif_task(units_series, series_key: str | None, country: str | None, use_spend: bool,
                changepoint_prior_scale: float, horizon: int):
    """The what-if model's fit (Prophet plus the price and promotion effects: half a minute on a busy
    machine) as picklable work for a worker process; it returns the fitted `WhatIf` (small) with its
    baseline for `horizon` days made, so scenarios on the page are only arithmetic."""
    from ecom_models.workspace.tasks import Task

    return Task("ecom_models.forecast.pipeline:whatif_in_worker",
                (units_series, series_key, country, bool(use_spend), float(changepoint_prior_scale), int(horizon)))


def whatif_in_worker(units_series, series_key: str | None, country: str | None, use_spend: bool,
                     changepoint_prior_scale: float, horizon: int, run=None):
    from ecom_models.forecast.whatif import WhatIf

    _say(run, 0.05, "Learning how price and promotions move your sales")
    model = WhatIf(country=country, changepoint_prior_scale=changepoint_prior_scale, use_spend=use_spend).fit(
        units_series, series_key)
    _say(run, 0.9, "Forecasting the usual days ahead")
    model.baseline(horizon)
    return model
