"""What each model page shows, computed once per (data, settings) and kept in the results store.

Pages and the background runs started by the Data page call the same functions, with the same
default settings, so a run started when data arrives fills exactly the result the page will
ask for. Each function: `<thing>_key(...)` gives the results key (content hash of the data +
every setting + the version below); `<thing>(store, ..., run=None)` returns the stored result
or computes and stores it, reporting progress to `run` (an `ecom_models.runs.Run`) if given.

Versions: bump one when the code behind it changes what it returns; old results are then never
found again and age out through the store's size cap.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ecom_models.results import ResultsStore, result_key

RECOMMEND_VERSION = 1
RISK_VERSION = 1
FORECAST_VERSION = 1

# The pages' default settings: what a background run computes before anyone asks.
RECOMMEND_DEFAULTS = {"k": 10, "split": "random", "half_life": None, "deep": True}
RISK_DEFAULTS: dict = {}
FORECAST_DEFAULTS = {"metric": "revenue", "by": None, "series_key": None, "horizon": 28, "tune": True}
VALIDATION_SAMPLE = 1500  # customers scored on the validation split (the page says so)


def _say(run, fraction: float, message: str) -> None:
    if run is not None:
        run.progress(fraction, message)


# -- recommendations ----------------------------------------------------------------------------
def recommendations_work(store: ResultsStore, key: str, df, kind: str, k: int, split: str,
                         half_life: float | None, deep: bool):
    """A background run's work: one stage per turn, then back in the queue until complete."""

    def work(run):
        frame = df() if callable(df) else df
        report = recommendations(store, key, frame, kind, k, split, half_life, deep, run=run, max_stages=1)
        return None if report.stage == "full" else work

    return work


def recommend_key(data_key: str, k: int, split: str, half_life: float | None, deep: bool) -> str:
    return result_key("recommend.report", [data_key, int(k), split, half_life, bool(deep)], RECOMMEND_VERSION)


def stored_recommendations(store: ResultsStore, key: str):
    """The stored report (maybe a partial stage: see `.stage` / `.pending`), or None."""
    from ecom_models import recommend as R

    doc = store.get("recommend.report", key)
    return None if doc is None else R.report_from_document(doc)


def recommendations(store: ResultsStore, key: str, df, kind: str, k: int, split: str, half_life: float | None,
                    deep: bool, run=None, max_stages: int | None = None):
    """Fit in stages (fast models, then EASE, then the deep model), storing the report after
    each stage so a page can show the leaderboard as soon as the fast models are scored.
    `max_stages`: stop after fitting this many stages (the rest on a later call, which starts
    from the stored report)."""
    from ecom_models import recommend as R

    previous = stored_recommendations(store, key)
    if previous is not None and previous.stage == "full":
        return previous
    _say(run, 0.02, "Reading customers and products")
    if previous is not None:
        inter = previous.inter
    elif kind == "table":
        inter = R.interactions_from_table(df, half_life_days=half_life)
    else:
        inter = R.interactions_from_orders(df, half_life_days=half_life)
    plan = R.staged_plan(inter, include_deep=deep)
    report = previous
    fitted = 0
    for i, stage in enumerate(plan):
        wanted = sorted({m for s in plan[: i + 1] for m in s})
        if report is not None and set(wanted) <= set(report.test_evals):
            continue
        if max_stages is not None and fitted >= max_stages:
            break
        fitted += 1
        share, start = 1.0 / len(plan), i / len(plan)

        def progress(fraction, text, start=start, share=share):
            _say(run, start + fraction * share, text.rstrip("…"))

        report = R.build_recommender(inter, k=k, split=split, include_deep=deep, only=wanted, reuse=report,
                                     max_validation_users=VALIDATION_SAMPLE, progress=progress)
        pending = [m for s in plan[i + 1:] for m in s]
        report.stage, report.pending = ("full" if not pending else "+".join(wanted)), pending
        store.put("recommend.report", key, R.report_document(report, report.stage, pending))
        if pending:  # shown while the run waits for its next turn in the queue
            _say(run, (i + 1) / len(plan), "Next: " + ", ".join(R.MODEL_LABELS[m] for m in pending))
        if run is not None:
            run.reached(report.stage)
        if report.leaderboard.empty:  # too little data to compare: nothing more to add
            report.stage, report.pending = "full", []
            store.put("recommend.report", key, R.report_document(report, "full", []))
            break
    return report


def _enough_for_value(report) -> bool:
    """A stored report whose only missing model is the deep one is good enough for the value."""
    return report is not None and not (set(report.pending) - {"deep_ae"})


def recommendations_for_value(store: ResultsStore, data_key: str, orders, wait_seconds: float = 900.0):
    """The report the Business value page prices: the Recommendations page's (default settings,
    with or without the deep model) if kept or being made, else one without the deep model."""
    import time

    from ecom_models import runs

    d = RECOMMEND_DEFAULTS
    keys = [recommend_key(data_key, d["k"], d["split"], d["half_life"], deep) for deep in (True, False)]
    deadline = time.time() + wait_seconds
    while True:
        for key in keys:
            report = stored_recommendations(store, key)
            if _enough_for_value(report):
                return report
        going = [runs.get(key) for key in keys]
        if not any(r is not None and r.active for r in going) or time.time() > deadline:
            break
        time.sleep(0.5)  # the background run started by the Data page stores EASE soon
    return recommendations(store, keys[1], orders, "orders", d["k"], d["split"], d["half_life"], False)


# -- risk -----------------------------------------------------------------------------------------
def risk_key(data_key: str) -> str:
    return result_key("risk.scores", [data_key], RISK_VERSION)


def _dataclass_doc(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _dataclass_back(cls, doc: dict, tuples: tuple[str, ...] = ()) -> Any:
    kwargs = {f.name: doc[f.name] for f in fields(cls) if f.name in doc}
    for name in tuples:
        if isinstance(kwargs.get(name), list):
            kwargs[name] = tuple(kwargs[name])
    return cls(**kwargs)


def risk_scores(store: ResultsStore, data_key: str, orders, run=None):
    """Every order scored (RiskResult), once per dataset."""
    from ecom_models import anomaly as A

    def compute():
        _say(run, 0.1, "Scoring every order with three detectors")
        return A.score_orders(orders)

    return store.get_or_compute("risk.scores", [data_key], compute, to_store=_dataclass_doc, from_store=_risk_back,
                                version=RISK_VERSION)


def _risk_back(doc):
    from ecom_models import anomaly as A

    if isinstance(doc, A.RiskResult):  # the in-process memory layer keeps what was put
        return doc
    result = _dataclass_back(A.RiskResult, doc, tuples=("detectors", "ensemble_of"))
    if "reasons" in result.orders:
        result.orders["reasons"] = [list(r) if r is not None else [] for r in result.orders["reasons"]]
    return result


# -- forecast -------------------------------------------------------------------------------------
def forecast_key(data_key: str, traffic_key: str, metric: str, by: str | None, series_key: str | None,
                 horizon: int, country: str | None, tune: bool = True) -> list:
    return [data_key, traffic_key, metric, by, series_key, int(horizon), country, bool(tune)]


def forecast_result_key(parts: list) -> str:
    return result_key("forecast.result", parts, FORECAST_VERSION)


def stored_forecast(store: ResultsStore, parts: list):
    from ecom_models import forecast as F

    doc = store.get("forecast.result", forecast_result_key(parts))
    return None if doc is None else _dataclass_back(F.ForecastResult, doc)


def stored_risk(store: ResultsStore, data_key: str):
    doc = store.get("risk.scores", risk_key(data_key))
    return None if doc is None else _risk_back(doc)


def default_forecast(store: ResultsStore, data_key: str, orders, traffic=None, run=None):
    """The Forecast page's default view (revenue, whole store, 28 days, main country's holidays)."""
    from ecom_models import forecast as F

    f = FORECAST_DEFAULTS
    traffic_key = traffic.key if traffic is not None else "none"
    country = F.main_country(orders)
    parts = forecast_key(data_key, traffic_key, f["metric"], f["by"], f["series_key"], f["horizon"], country, f["tune"])
    found = stored_forecast(store, parts)
    if found is not None:
        return found
    series = F.build_series(orders, f["metric"], by=f["by"], traffic=traffic.df if traffic is not None else None)
    return forecast(store, parts, series, f["horizon"], f["series_key"], country, f["tune"], run=run)


def forecast(store: ResultsStore, parts: list, series, horizon: int, series_key: str | None, country: str | None,
             tune: bool = True, run=None):
    """Backtest every model on past windows and forecast with the winner (ForecastResult)."""
    from ecom_models import forecast as F

    def compute():
        return F.backtest_and_forecast(series, horizon, key=series_key, country=country, tune=tune,
                                       progress=lambda f, msg: _say(run, f, f"Checking the models on past weeks: {msg}"))

    return store.get_or_compute("forecast.result", parts, compute, to_store=_dataclass_doc,
                                from_store=lambda doc: _dataclass_back(F.ForecastResult, doc), version=FORECAST_VERSION)
