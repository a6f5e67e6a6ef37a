"""Which model to trust, checked on the merchant's own past: a rolling-origin backtest, the
forecast with the winner, and what the forecast means for stock.

`backtest_and_forecast(series, horizon)` holds out the last windows of the history: the earliest
window tunes Prophet's priors on a small grid, the later windows score every model (MAE, sMAPE,
MASE, 80% interval coverage), and the model with the lowest held-out MAE makes the forecast
(`ForecastResult`). Tuning and scoring use different windows, so the leaderboard is not
optimistic. `inventory_plan` turns a forecast into lead-time demand, safety stock and reorder
point; `stock_evidence` gives the error spreads a safety-stock policy is priced from (the money
is in ecom_models.value.valuation).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.evidence import StockEvidence
from ecom_models.forecast.models import (
    ALL_MODELS,
    INTERVAL,
    MODEL_ENSEMBLE,
    MODEL_ETS,
    MODEL_NAIVE,
    MODEL_PROPHET,
    PROPHET_DEFAULT,
    PROPHET_GRID,
    Z80,
    _closed_weekday_mask,
    _filled,
    _season,
    average_predictions,
    make_model,
)
from ecom_models.forecast.series import SeriesData

MAX_HORIZON_DAYS = 366
MIN_TRAIN_DAYS = 56
MIN_TRAIN_WEEKS = 16
MIN_INVENTORY_HORIZON = 28  # days; the Forecast page's default horizon


def check_horizon(horizon: int, freq: str = "D") -> int:
    try:
        horizon = int(horizon)
    except (TypeError, ValueError):
        raise InputError(f"the horizon '{horizon}' is not a whole number.", fix="give the number of days to forecast, e.g. 28.") from None
    limit = MAX_HORIZON_DAYS if freq == "D" else MAX_HORIZON_DAYS // 7
    unit = "days" if freq == "D" else "weeks"
    if horizon <= 0:
        raise InputError(f"the horizon must be at least 1 {unit[:-1]} (got {horizon}).", fix="forecast e.g. 28 days ahead.")
    if horizon > limit:
        raise InputError(f"a horizon of {horizon} {unit} is too far ahead to forecast honestly.",
                         fix=f"use at most {limit} {unit}; sales patterns change beyond a year.")
    return horizon


def _folds(n: int, horizon: int, freq: str, max_folds: int = 3) -> list[int]:
    """Origins (index of the first held-out period) of the backtest windows, oldest first."""
    min_train = MIN_TRAIN_DAYS if freq == "D" else MIN_TRAIN_WEEKS
    unit = "days" if freq == "D" else "weeks"
    if n < min_train + horizon:
        need = min_train + horizon
        raise InputError(
            f"there are {n} {unit} of history, too few to forecast {horizon} {unit} ahead and check the forecast on past data.",
            fix=f"give at least {need} {unit} of history (about {math.ceil(need / (30 if freq == 'D' else 4.3))} months), "
                f"or shorten the horizon to {max(n - min_train, 0)} {unit} or less." if n > min_train else
                f"give at least {need} {unit} of history (about {math.ceil(need / (30 if freq == 'D' else 4.3))} months).")
    k = min(max_folds, (n - min_train) // horizon)
    return [n - horizon * i for i in range(k, 0, -1)]


def _check_series(history: pd.DataFrame, metric: str = "value") -> None:
    y = history["y_raw"].to_numpy(dtype=float)
    open_y = history.loc[history["open"], "y_raw"].to_numpy(dtype=float)
    if len(y) == 0 or np.nansum(np.abs(y)) == 0:
        raise InputError(f"the {metric} series is zero on every day, so there is nothing to forecast.",
                         fix="check that the right column is mapped (quantity, revenue) and that the file contains sales.")
    if len(open_y) and np.nanstd(open_y) < 1e-9 * max(1.0, abs(float(np.nanmean(open_y)))):
        raise InputError(f"the {metric} series is the same ({open_y[0]:,.2f}) on every trading day, so there is nothing "
                         "to learn: the forecast would be that same number.",
                         fix="check the export: a constant series usually means a column was mapped wrongly.")


def score(actual: np.ndarray, pred: pd.DataFrame, scale: float) -> dict:
    """MAE, sMAPE (0-2, 0/0 counts as 0), MASE (MAE / in-sample seasonal-naive MAE), coverage."""
    y = np.asarray(actual, dtype=float)
    yhat = pred["yhat"].to_numpy(dtype=float)
    err = np.abs(y - yhat)
    denom = np.abs(y) + np.abs(yhat)
    smape = np.where(denom > 0, 2 * err / np.where(denom > 0, denom, 1), 0.0)
    cover = (y >= pred["yhat_lower"].to_numpy()) & (y <= pred["yhat_upper"].to_numpy())
    mae = float(err.mean()) if len(err) else float("nan")
    return {"mae": mae, "smape": float(smape.mean()) if len(err) else float("nan"),
            "mase": mae / scale if scale > 0 else float("nan"),
            "coverage": float(cover.mean()) if len(err) else float("nan"), "n": int(len(err))}


def _naive_scale(history: pd.DataFrame, season: int) -> float:
    y = _filled(history, season)
    m = max(season, 1)
    open_ = history["open"].to_numpy()[m:]
    d = np.abs(y[m:] - y[:-m])[open_]
    return float(d.mean()) if len(d) else float("nan")


def _fit_predict(name, train, test, season, freq, params, country, regressors):
    model = make_model(name, season, freq, params, country, regressors).fit(train)
    pred = model.predict(test)
    return _apply_closed(pred, test), model


def _fold_predictions(models, train, test, season, freq, params, country, regressors, tick=None) -> dict:
    """Predictions of every model for one backtest window; the ensemble reuses its members'."""
    preds = {}
    for name in models:
        if name == MODEL_ENSEMBLE:
            continue
        preds[name], _ = _fit_predict(name, train, test, season, freq, params, country, regressors)
        if tick:
            tick(f"backtest {name}")
    if MODEL_ENSEMBLE in models:
        members = [preds.get(MODEL_ETS), preds.get(MODEL_PROPHET)]
        if any(m is None for m in members):
            members = [_fit_predict(n, train, test, season, freq, params, country, regressors)[0]
                       for n in (MODEL_ETS, MODEL_PROPHET)]
        preds[MODEL_ENSEMBLE] = average_predictions(members)
    return {name: preds[name] for name in models}


def _apply_closed(pred: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """No sales on days the store is known to be closed (closed weekdays, planned closures)."""
    closed = ~frame["open"].to_numpy(dtype=bool) if "open" in frame else np.zeros(len(pred), bool)
    pred = pred.copy()
    for col in ("yhat", "yhat_lower", "yhat_upper"):
        pred.loc[closed, col] = 0.0
    return pred


@dataclass
class ForecastResult:
    """What the page and the CLI show for one series.

    forecast: ds, yhat, yhat_lower, yhat_upper (80% interval), open (bool).
    leaderboard: model, mae, smape, mase, coverage, n (held-out days scored), chosen (bool),
    sorted best first. backtest: model, fold, ds, y, yhat, yhat_lower, yhat_upper.
    """

    key: str
    metric: str
    horizon: int
    freq: str
    history: pd.DataFrame
    forecast: pd.DataFrame
    leaderboard: pd.DataFrame
    chosen: str
    prophet_params: dict
    backtest: pd.DataFrame
    tuning: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def baseline_mae(self) -> float:
        row = self.leaderboard[self.leaderboard["model"] == MODEL_NAIVE]
        return float(row["mae"].iloc[0]) if len(row) else float("nan")

    @property
    def chosen_mae(self) -> float:
        return float(self.leaderboard.loc[self.leaderboard["chosen"], "mae"].iloc[0])

    def total_range(self) -> tuple[float, float, float]:
        """The forecast added up over the horizon, with an 80% range (the daily spreads combined
        as if the days were independent): (total, low, high); the low end is never below zero."""
        fc = self.forecast
        var = ((fc["yhat_upper"] - fc["yhat_lower"]) / (2 * Z80)) ** 2
        total = float(fc["yhat"].sum())
        half = Z80 * math.sqrt(float(var.sum()))
        return total, max(total - half, 0.0), total + half

    def previous_total(self) -> float:
        """What was actually sold over the `horizon` periods just before the forecast starts."""
        return float(self.history["y_raw"].tail(self.horizon).sum())

    def verdict(self) -> str:
        lb = self.leaderboard
        best = lb.iloc[0]
        naive = lb[lb["model"] == MODEL_NAIVE]
        if best["model"] == MODEL_NAIVE:
            return ("On your data no model beat the simple rule 'same weekday last week' on the held-out weeks, "
                    "so the forecast uses that rule.")
        gain = 1 - best["mae"] / float(naive["mae"].iloc[0]) if len(naive) and float(naive["mae"].iloc[0]) > 0 else float("nan")
        return (f"{best['model']} is best on your data: its typical daily error on held-out weeks is "
                f"{gain:.0%} smaller than 'same weekday last week'.")


def future_frame(history: pd.DataFrame, horizon: int, freq: str, closed_weekdays: list[int] | None = None,
                 closure_dates=None) -> pd.DataFrame:
    """Future periods with business-as-usual drivers: today's prices, no promotion, recent spend."""
    last = pd.Timestamp(history["ds"].max())
    step = pd.Timedelta(days=1 if freq == "D" else 7)
    ds = pd.date_range(last + step, periods=horizon, freq="D" if freq == "D" else "W-SUN")
    fut = pd.DataFrame({"ds": ds})
    fut["open"] = True
    if freq == "D":
        if closed_weekdays is None:
            mask = _closed_weekday_mask(history)
            closed_weekdays = sorted(set(history.loc[mask, "ds"].dt.day_of_week))
        fut["open"] = ~fut["ds"].dt.day_of_week.isin(closed_weekdays)
        # A date the store closed in every past year (e.g. 25 December) stays closed.
        if closure_dates:
            md = pd.Series([(d.month, d.day) for d in closure_dates])
            counts = md.value_counts()
            years = history["ds"].dt.year.nunique()
            yearly_closed = {k for k, c in counts.items() if c >= max(1, years - 1)}
            fut.loc[[(d.month, d.day) in yearly_closed for d in fut["ds"]], "open"] = False
    fut["log_price"] = float(history["log_price"].iloc[-1]) if "log_price" in history else 0.0
    fut["promo"] = 0
    if "ad_spend" in history:
        fut["ad_spend"] = float(history["ad_spend"].tail(28 if freq == "D" else 4).mean())
    return fut


def backtest_and_forecast(
    series: SeriesData,
    horizon: int = 28,
    key: str | None = None,
    country: str | None = None,
    models=ALL_MODELS,
    tune: bool = True,
    max_folds: int = 3,
    regressors=("log_price", "promo"),
    progress: Callable[[float, str], None] | None = None,
) -> ForecastResult:
    """Rolling-origin backtest of every model, then the forecast with the best one."""
    started = time.perf_counter()
    horizon = check_horizon(horizon, series.freq)
    history = series.one(key)
    _check_series(history, series.metric)
    n = len(history)
    season = _season(series.freq, n, horizon)
    origins = _folds(n, horizon, series.freq, max_folds)
    notes = list(series.notes)
    tune = tune and (MODEL_PROPHET in models or MODEL_ENSEMBLE in models) and len(origins) >= 2
    tune_origins, eval_origins = (origins[:1], origins[1:]) if tune else ([], origins)
    steps = (len(PROPHET_GRID) if tune else 0) + len(eval_origins) * len([m for m in models if m != MODEL_ENSEMBLE]) + 1
    done = [0]

    def tick(msg):
        done[0] += 1
        if progress:
            progress(min(done[0] / steps, 1.0), msg)

    # Tune Prophet's priors on the earliest window only.
    tuning_rows = []
    params = dict(PROPHET_DEFAULT)
    if tune:
        o = tune_origins[0]
        train, test = history.iloc[:o], history.iloc[o:o + horizon]
        test_open = test["open"].to_numpy()
        for p in PROPHET_GRID:
            pred, _ = _fit_predict(MODEL_PROPHET, train, test, season, series.freq, p, country, regressors)
            s = score(test["y_raw"].to_numpy()[test_open], pred[test_open], 1.0)
            tuning_rows.append({**p, "mae": s["mae"]})
            tick("tuning Prophet")
        best = min(tuning_rows, key=lambda r: r["mae"])
        params = {k: best[k] for k in PROPHET_DEFAULT}
    tuning = pd.DataFrame(tuning_rows)

    rows, points = [], []
    for fold, o in enumerate(eval_origins):
        train, test = history.iloc[:o], history.iloc[o:o + horizon]
        test_open = test["open"].to_numpy()
        preds = _fold_predictions(models, train, test, season, series.freq, params, country, regressors, tick)
        for name, pred in preds.items():
            points.append(pred.assign(model=name, fold=fold, y=test["y_raw"].to_numpy(), open=test_open))
    backtest = pd.concat(points, ignore_index=True)
    scale = _naive_scale(history.iloc[:eval_origins[0]], season)
    for name in models:
        pts = backtest[(backtest["model"] == name) & backtest["open"]]
        rows.append({"model": name, **score(pts["y"].to_numpy(), pts, scale)})
    board = pd.DataFrame(rows)
    # Ties go to the simpler model (listed first).
    board["_order"] = range(len(board))
    board = board.sort_values(["mae", "_order"]).drop(columns="_order").reset_index(drop=True)
    chosen = str(board["model"].iloc[0])
    board["chosen"] = board["model"] == chosen

    future = future_frame(history, horizon, series.freq, series.closed_weekdays, series.closure_dates)
    model = make_model(chosen, season, series.freq, params, country, regressors).fit(history)
    fc = _apply_closed(model.predict(future), future)
    fc["open"] = future["open"].to_numpy()
    tick("forecast")
    if len(eval_origins) < 2:
        notes.append("The history is short, so the models were checked on one held-out window only; "
                     "treat the leaderboard as a rough guide.")
    return ForecastResult(key=str(history["key"].iloc[0]), metric=series.metric, horizon=horizon, freq=series.freq,
                          history=history, forecast=fc, leaderboard=board, chosen=chosen, prophet_params=params,
                          backtest=backtest, tuning=tuning, notes=notes, seconds=time.perf_counter() - started)


@dataclass
class InventoryPlan:
    """Lead-time demand, safety stock and reorder point for one product (in units)."""

    lead_time_days: int
    service_level: float
    demand: float  # expected units sold during the lead time
    demand_sd: float  # standard deviation of that demand (from the forecast interval, calibrated)
    safety_stock: float
    reorder_point: float
    calibration: float  # factor applied because the backtest interval coverage was off

    def explain(self) -> str:
        return (f"Over the next {self.lead_time_days} days you will probably sell about {self.demand:,.0f} units. "
                f"Keep {self.safety_stock:,.0f} extra as safety stock, and reorder when stock falls to "
                f"{self.reorder_point:,.0f} units, to avoid running out in about {self.service_level:.0%} of reorder cycles.")


def inventory_horizon(lead_time_days: int) -> int:
    """How far ahead to forecast a product for its reorder point: the delivery time, but at least
    MIN_INVENTORY_HORIZON days, so the model is still chosen on windows of four weeks or more."""
    return max(int(lead_time_days), MIN_INVENTORY_HORIZON)


def inventory_plan(result: ForecastResult, lead_time_days: int = 14, service_level: float = 0.95) -> InventoryPlan:
    from scipy.stats import norm

    if not 0.5 <= service_level < 1:
        raise InputError(f"a service level of {service_level:.0%} is not usable.", fix="pick a value between 50% and 99.9%.")
    if lead_time_days < 1 or lead_time_days > len(result.forecast):
        raise InputError(f"a lead time of {lead_time_days} days does not fit a {len(result.forecast)}-day forecast.",
                         fix=f"use a lead time between 1 and {len(result.forecast)} days, or forecast further ahead.")
    fc = result.forecast.iloc[:lead_time_days]
    sd_daily = (fc["yhat_upper"] - fc["yhat_lower"]).to_numpy() / (2 * Z80)
    # Calibrate: if the backtest's 80% interval covered less than 80%, widen accordingly.
    cov = float(result.leaderboard.loc[result.leaderboard["chosen"], "coverage"].iloc[0])
    calibration = 1.0
    if np.isfinite(cov) and 0.05 < cov < INTERVAL:
        calibration = Z80 / float(norm.ppf((1 + cov) / 2))
    sd = float(np.sqrt(np.sum(sd_daily ** 2))) * calibration
    demand = float(fc["yhat"].sum())
    ss = float(norm.ppf(service_level)) * sd
    return InventoryPlan(lead_time_days, service_level, demand, sd, ss, demand + ss, calibration)


def stock_evidence(result: ForecastResult, n_boot: int = 1000, seed: int = 0) -> StockEvidence:
    """Forecast error spread of the chosen model and of seasonal naive on the same held-out days,
    the figures a safety-stock policy is priced from (ecom_models.value.valuation.forecasting_value).

    sd = root mean square daily error; interval: paired bootstrap over the held-out days of
    sd_naive - sd_model (5th and 95th percentiles)."""
    bt = result.backtest[result.backtest["open"]]
    chosen = bt[bt["model"] == result.chosen].sort_values(["fold", "ds"])
    naive = bt[bt["model"] == MODEL_NAIVE].sort_values(["fold", "ds"])
    open_per_day = float(result.history["open"].mean()) if len(result.history) else 1.0
    per_month = 30.4 * open_per_day if result.freq == "D" else 30.4 / 7
    lb = result.leaderboard.set_index("model")
    mae_model = float(lb.loc[result.chosen, "mae"]) if result.chosen in lb.index else float("nan")
    mae_naive = float(lb.loc[MODEL_NAIVE, "mae"]) if MODEL_NAIVE in lb.index else float("nan")
    if len(naive) == 0 or len(chosen) != len(naive):
        e_n = e_m = np.zeros(0)
    else:
        e_n = naive["y"].to_numpy(float) - naive["yhat"].to_numpy(float)
        e_m = chosen["y"].to_numpy(float) - chosen["yhat"].to_numpy(float)
    if len(e_n) == 0:
        sd = float(np.sqrt(np.mean(np.square(e_m)))) if len(e_m) else float("nan")
        return StockEvidence(result.chosen, MODEL_NAIVE, sd, sd, 0.0, 0.0, mae_model, mae_naive, len(e_m),
                             float(bt["y"].mean()) if len(bt) else float("nan"), result.metric, per_month)
    sd_n, sd_m = float(np.sqrt(np.mean(e_n ** 2))), float(np.sqrt(np.mean(e_m ** 2)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(e_n), (n_boot, len(e_n)))
    diffs = np.sqrt(np.mean(e_n[idx] ** 2, axis=1)) - np.sqrt(np.mean(e_m[idx] ** 2, axis=1))
    lo, hi = (float(x) for x in np.quantile(diffs, [0.05, 0.95]))
    return StockEvidence(result.chosen, MODEL_NAIVE, sd_m, sd_n, lo, hi, mae_model, mae_naive, len(e_n),
                         float(naive["y"].mean()), result.metric, per_month)
