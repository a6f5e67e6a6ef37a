"""Every product, category, country or channel forecast at once: `forecast_many(series)` picks
each series' model on its own last held-out window and forecasts with it, over local worker
processes, on a Dask cluster when a scheduler address is given (or ECOM_DASK_SCHEDULER names
one), or one after the other with n_jobs=1. The results are kept in the workspace under the
namespaces "forecast.many" and "forecast.many_summary" (`save_many`, `load_many`), and
`many_view` gives the table the Forecast page shows. Worker processes run `_forecast_chunk`,
defined here: a forkserver preloads this module by name.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import types
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.forecast.backtest import (
    _apply_closed,
    _check_series,
    _fold_predictions,
    _folds,
    _naive_scale,
    check_horizon,
    future_frame,
    score,
)
from ecom_models.forecast.models import ALL_MODELS, MODEL_NAIVE, PROPHET_DEFAULT, _season, make_model, quiet_prophet
from ecom_models.forecast.series import SeriesData

MANY_NAMESPACE = "forecast.many"
MANY_SUMMARY_NAMESPACE = "forecast.many_summary"


def _forecast_chunk(chunk: list[tuple[str, pd.DataFrame]], cfg: dict) -> list[dict]:
    """Worker: forecast each series of a chunk. Returns plain dicts (cheap to send back)."""
    quiet_prophet()
    if cfg.get("single_thread_blas"):
        # two worker processes on two cores: numpy's BLAS threads would only fight each other
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except ImportError:  # pragma: no cover
            pass
    out = []
    for key, history in chunk:
        out.append(_forecast_single(key, history, cfg))
    return out


def _forecast_single(key: str, history: pd.DataFrame, cfg: dict) -> dict:
    horizon, freq = cfg["horizon"], cfg.get("freq", "D")
    models = cfg.get("models", ALL_MODELS)
    season = _season(freq, len(history), horizon)
    try:
        _check_series(history)
        board = []
        chosen = models[0] if len(models) == 1 else None
        if cfg.get("backtest", True) and len(models) > 1:
            o = _folds(len(history), horizon, freq, 1)[-1]
            train, test = history.iloc[:o], history.iloc[o:o + horizon]
            open_ = test["open"].to_numpy()
            scale = _naive_scale(train, season)
            preds = _fold_predictions(models, train, test, season, freq, cfg.get("params"), cfg.get("country"),
                                      cfg.get("regressors", ("log_price", "promo")))
            for name, pred in preds.items():
                board.append({"model": name, **score(test["y_raw"].to_numpy()[open_], pred[open_], scale)})
            chosen = min(board, key=lambda r: r["mae"])["model"]
        future = future_frame(history, horizon, freq)
        model = make_model(chosen, season, freq, cfg.get("params"), cfg.get("country"),
                           cfg.get("regressors", ("log_price", "promo"))).fit(history)
        fc = _apply_closed(model.predict(future), future)
        fc.insert(0, "key", key)
        fc["model"] = chosen
        return {"key": key, "forecast": fc, "board": board, "chosen": chosen, "error": None}
    except InputError as exc:
        return {"key": key, "forecast": None, "board": [], "chosen": None, "error": exc.message}


@dataclass
class ManyResult:
    """forecast: key, ds, yhat, yhat_lower, yhat_upper, model. summary: key, chosen, mae of the
    chosen model and of seasonal naive on the last held-out window, error (why a series was
    skipped). backend: 'sequential', 'processes (n)' or 'dask <address>'."""

    forecast: pd.DataFrame
    summary: pd.DataFrame
    backend: str
    seconds: float


def forecast_many(
    series: SeriesData,
    horizon: int = 28,
    country: str | None = None,
    models=ALL_MODELS,
    n_jobs: int | None = None,
    backtest: bool = True,
    progress: Callable[[float, str], None] | None = None,
    scheduler: str | None = None,
    params: dict | None = None,
) -> ManyResult:
    """Forecast every series: on Dask if a scheduler address is given or in ECOM_DASK_SCHEDULER,
    else over local processes (n_jobs, default: CPU count), or sequentially with n_jobs=1."""
    horizon = check_horizon(horizon, series.freq)
    started = time.perf_counter()
    cfg = {"horizon": horizon, "freq": series.freq, "models": tuple(models), "country": country,
           "backtest": backtest, "params": params or dict(PROPHET_DEFAULT)}
    items = [(k, part.reset_index(drop=True)) for k, part in series.frame.groupby("key", sort=False)]
    scheduler = scheduler if scheduler is not None else os.environ.get("ECOM_DASK_SCHEDULER") or None
    n_jobs = n_jobs or os.cpu_count() or 1
    results: list[dict] = []

    def report(done, total, backend):
        if progress:
            progress(done / max(total, 1), f"{done} of {total} series ({backend})")

    if scheduler:
        backend = f"dask {scheduler}"
        from distributed import Client, as_completed

        chunks = _chunks(items, max(1, min(len(items), 4 * 8)))
        with Client(scheduler, set_as_default=True, timeout="20s") as client:
            futures = client.map(_forecast_chunk, chunks, cfg=cfg, pure=False)
            done = 0
            for fut in as_completed(futures):
                part = fut.result()
                results.extend(part)
                done += len(part)
                report(done, len(items), "Dask")
    elif n_jobs > 1 and len(items) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed as cf_completed

        backend = f"processes ({n_jobs})"
        # small chunks (about 4 series) keep both cores busy to the end; each chunk is one pickle round trip
        chunks = _chunks(items, max(1, min(len(items), max(n_jobs * 4, len(items) // 4))))
        import threading

        # fork is fastest (workers inherit the imported libraries); from a threaded server such as
        # Streamlit, forkserver is the safe choice.
        ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
        if ctx.get_start_method() == "forkserver":
            # preload our libraries, not __main__ (which may be a test runner or a Streamlit script)
            ctx.set_forkserver_preload([_forecast_chunk.__module__, "prophet", "statsmodels.tsa.exponential_smoothing.ets"])
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            worker_cfg = dict(cfg, single_thread_blas=True)
            with _neutral_main(ctx.get_start_method() != "fork"):
                futures = [pool.submit(_forecast_chunk, c, worker_cfg) for c in chunks]
            done = 0
            for fut in cf_completed(futures):
                part = fut.result()
                results.extend(part)
                done += len(part)
                report(done, len(items), "parallel")
    else:
        backend = "sequential"
        quiet_prophet()
        for i, (k, h) in enumerate(items):
            results.append(_forecast_single(k, h, cfg))
            report(i + 1, len(items), "sequential")

    order = {k: i for i, (k, _) in enumerate(items)}
    results.sort(key=lambda r: order[r["key"]])
    frames = [r["forecast"] for r in results if r["forecast"] is not None]
    forecast = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["key", "ds", "yhat", "yhat_lower", "yhat_upper", "model"])
    summary = []
    for r in results:
        b = {x["model"]: x["mae"] for x in r["board"]}
        summary.append({"key": r["key"], "chosen": r["chosen"], "mae_chosen": b.get(r["chosen"], float("nan")),
                        "mae_seasonal_naive": b.get(MODEL_NAIVE, float("nan")), "error": r["error"]})
    return ManyResult(forecast=forecast, summary=pd.DataFrame(summary), backend=backend,
                      seconds=time.perf_counter() - started)


@contextlib.contextmanager
def _neutral_main(active: bool):
    """While worker processes start, hide the __main__ module: spawn/forkserver children would
    otherwise re-run it (under Streamlit or AppTest that is the page script itself)."""
    if not active:
        yield
        return
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Kept in the workspace (namespaces "forecast.many" and "forecast.many_summary")
# ---------------------------------------------------------------------------------------------


def many_key(data_key: str, metric: str, by: str, horizon: int, max_series: int) -> str:
    """The workspace key of one 'every series at once' run: the data and every setting."""
    return f"{data_key}:{metric}:{by}:{horizon}:{max_series}"


def save_many(ws, key: str, result: ManyResult) -> None:
    ws.put_frame(MANY_NAMESPACE, key, result.forecast)
    ws.put_frame(MANY_SUMMARY_NAMESPACE, key, result.summary)


def load_many(ws, key: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(summary, forecast) kept under this key, or None when there is no complete pair."""
    summary = ws.get_frame(MANY_SUMMARY_NAMESPACE, key)
    forecast = ws.get_frame(MANY_NAMESPACE, key)
    if summary is None or forecast is None:
        return None
    return summary, forecast


def many_view(summary: pd.DataFrame, forecast: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The summary with each series' forecast total (column forecast_total), and how many series
    have a model that beat seasonal naive on their last held-out window."""
    totals = forecast.groupby("key", sort=False)["yhat"].sum().rename("forecast_total")
    view = summary.merge(totals, left_on="key", right_index=True, how="left")
    beats = int((view["mae_chosen"] < view["mae_seasonal_naive"]).sum())
    return view, beats
