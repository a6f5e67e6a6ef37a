"""Sales forecasting and what-if scenarios.

Pipeline (each step is a plain function on tidy frames, so pages, the CLI and tests share it):

1. `build_series(orders, metric, by)` turns canonical order lines into daily (or weekly)
   series of revenue, orders or units, net of same-period cancellations, with the drivers a
   merchant controls: a list-price index (`log_price`), a promotion flag (`promo`) and, when a
   traffic table is given, marketing spend (`ad_spend`). It handles what real stores have: a
   weekday on which the shop never sells, closure days, gaps, a partial last day, outliers and
   negative days from cancellations (see `SeriesData.notes`).
2. Models share one shape (`fit(history)` / `predict(future)` returning `ds, yhat, yhat_lower,
   yhat_upper`): `SeasonalNaive` (baseline: the same weekday last week), `ETSModelWrapper`
   (exponential smoothing with damped trend and weekly seasonality), `ProphetModel` (country
   holidays, retail events, weekly/yearly seasonality when the history supports it,
   changepoints, additive or multiplicative, price/promo/spend regressors).
3. `backtest_and_forecast(series, horizon)` runs a rolling-origin backtest: the earliest window
   tunes Prophet's priors on a small grid, the later windows score every model (MAE, sMAPE,
   MASE, 80% interval coverage). The model with the lowest held-out MAE is used for the
   forecast. Tuning and scoring use different windows, so the leaderboard is not optimistic.
4. `WhatIf` fits Prophet in multiplicative form (log of units), where the price coefficient is
   the price elasticity and the promotion coefficient is log(1 + lift), and answers scenarios:
   a price change, promotion dates, more spend, an extra sale event, a closure day.
5. `forecast_many` forecasts every product/category in parallel over local processes, or on a
   Dask cluster when ECOM_DASK_SCHEDULER names a scheduler address.
6. `inventory_plan` turns a forecast into lead-time demand, safety stock and reorder point;
   `stock_evidence` gives the error spreads a safety-stock policy is priced from
   (the money is in ecom_models.value.valuation).

Prophet and statsmodels are imported inside functions only.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import sys
import time
import types
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.evidence import StockEvidence

METRICS = ("revenue", "orders", "units")
BY_COLUMNS = ("product_id", "product_name", "category", "country", "channel")
MAX_HORIZON_DAYS = 366
MIN_TRAIN_DAYS = 56
MIN_TRAIN_WEEKS = 16
INTERVAL = 0.8
Z80 = 1.2815515655446004
TOTAL_KEY = "All"

MODEL_NAIVE = "Seasonal naive"
MODEL_ETS = "ETS (exponential smoothing)"
MODEL_PROPHET = "Prophet"
MODEL_ENSEMBLE = "Average of ETS and Prophet"
ALL_MODELS = (MODEL_NAIVE, MODEL_ETS, MODEL_PROPHET, MODEL_ENSEMBLE)
MODEL_HELP = {
    MODEL_NAIVE: "Repeats the same weekday of last week (a weekly series repeats last year, or last week). The bar every model must beat.",
    MODEL_ETS: "Exponential smoothing: a weighted average that favours recent days, with a damped trend and a weekly pattern.",
    MODEL_PROPHET: "Meta's Prophet: trend with changepoints, weekly/yearly patterns, holidays, price and promotion effects.",
    MODEL_ENSEMBLE: "The average of the ETS and Prophet forecasts: averaging two different models often cancels their errors.",
}
PROPHET_GRID = [
    {"changepoint_prior_scale": cps, "seasonality_prior_scale": sps, "mode": mode}
    for mode in ("multiplicative", "additive") for cps in (0.01, 0.1) for sps in (1.0, 10.0)
]
PROPHET_DEFAULT = {"changepoint_prior_scale": 0.05, "seasonality_prior_scale": 10.0, "mode": "multiplicative"}


def quiet_prophet() -> None:
    """Prophet and cmdstanpy log every fit at INFO; merchants do not need that."""
    try:  # prophet sets its logger's level when first imported, so import it before silencing
        import prophet  # noqa: F401
    except ImportError:  # pragma: no cover
        pass
    for name in ("cmdstanpy", "prophet", "prophet.forecaster", "prophet.models", "prophet.plot"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
        logger.disabled = True
    warnings.filterwarnings("ignore", module="prophet")


# ---------------------------------------------------------------------------------------------
# 1. Series
# ---------------------------------------------------------------------------------------------


@dataclass
class SeriesData:
    """Daily (freq "D") or weekly ("W") series built from orders.

    frame columns: key (str; "All" for the whole store), ds (date), y (cleaned value used for
    training, NaN on days a model should not learn from), y_raw (the value as sold, >= 0),
    open (bool: the store sells that day), outlier (bool), log_price (log list-price index,
    0 = the product's usual price), promo (0/1: a promotion ran), and ad_spend when traffic
    was given. y is NaN on closed days and outliers.
    """

    frame: pd.DataFrame
    metric: str
    by: str | None
    freq: str
    closed_weekdays: list[int] = field(default_factory=list)
    closure_dates: list[pd.Timestamp] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    currency: str = "USD"
    unit_value: float = float("nan")  # average net revenue per unit of the metric (for value)
    price_per_unit: float = float("nan")  # average net revenue per unit sold (for what-if revenue)
    promo_discount: float = 0.0  # average discount share on promotion days

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(self.frame["key"].tolist()))

    def one(self, key: str | None = None) -> pd.DataFrame:
        key = TOTAL_KEY if key is None and self.by is None else key
        if key is None:
            key = self.keys[0]
        part = self.frame[self.frame["key"] == key]
        if part.empty:
            raise InputError(f"there is no series called '{key}'.", fix="pick one of the listed series.")
        return part.reset_index(drop=True)

    def last_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame["ds"].max())


_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _lines(orders: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sale lines, cancellation lines), duplicates removed."""
    needed = {"order_date", "line_type"}
    missing = needed - set(orders.columns)
    if missing:
        raise InputError(f"the orders table has no {', '.join(sorted(missing))} column.",
                         fix="load the file on the Data page so its columns are mapped, or use the canonical columns.")
    frame = orders
    if "is_duplicate" in frame.columns:
        frame = frame[~frame["is_duplicate"].fillna(False).astype(bool)]
    try:
        from ecom_models.intake import sales_lines

        sales = sales_lines(frame)
    except ImportError:
        sales = frame[frame["line_type"] == "sale"]
    cancels = frame[frame["line_type"] == "cancellation"]
    return sales, cancels


def build_series(
    orders: pd.DataFrame,
    metric: str = "revenue",
    by: str | None = None,
    freq: str = "D",
    traffic: pd.DataFrame | None = None,
    max_series: int | None = None,
    keys: list[str] | None = None,
) -> SeriesData:
    """Series of `metric` per day (or week), for the whole store or per value of `by`."""
    if metric not in METRICS:
        raise InputError(f"'{metric}' is not a metric we can forecast.", fix="use revenue, orders or units.")
    if freq not in ("D", "W"):
        raise InputError(f"'{freq}' is not a supported period.", fix="use D (daily) or W (weekly).")
    if orders is None or len(orders) == 0:
        raise InputError("the orders table is empty.", fix="upload an orders export with at least a few months of sales.")
    if by is not None and by not in orders.columns:
        raise InputError(f"the orders have no '{by}' column to split the forecast by.", column=by,
                         fix=f"use one of: {', '.join(c for c in BY_COLUMNS if c in orders.columns)}.")
    sales, cancels = _lines(orders)
    sales = sales[sales["order_date"].notna()]
    from ecom_models.core.dates import guard_daily

    plausible, date_notes = guard_daily(sales["order_date"], "the forecast")
    sales = sales[plausible.to_numpy()]
    if sales.empty:
        raise InputError("there are no sales lines with a date in the orders.", column="order_date",
                         fix="check that the date column is mapped and the file contains sales, not only returns.")
    notes: list[str] = list(date_notes)
    day = sales["order_date"].dt.normalize()
    first, last = day.min(), day.max()

    # Partial last day: orders stop long before the usual last order of the day.
    last_time = sales.groupby(day)["order_date"].max()
    secs = (last_time - last_time.index).dt.total_seconds()
    if len(secs) > 14 and secs.max() > 0:
        typical = float(secs.iloc[:-1].quantile(0.25))
        if secs.iloc[-1] < typical - 3600:
            notes.append(
                f"The last day ({last.date()}) looks incomplete: orders stop at "
                f"{pd.Timestamp(last_time.iloc[-1]).strftime('%H:%M')}, earlier than on most days. It was left out.")
            last = last - pd.Timedelta(days=1)
            sales = sales[day <= last]
            day = sales["order_date"].dt.normalize()
    days = pd.date_range(first, last, freq="D")

    # Store-level open days: a weekday that (almost) never sells is a closed weekday; other
    # days without a single order are closures (holidays, shutdowns) or gaps in the export.
    store_orders = sales.groupby(day)["order_id"].nunique().reindex(days, fill_value=0)
    sells = store_orders > 0
    weekday = days.day_of_week
    share_by_wd = sells.groupby(weekday).mean()
    closed_weekdays = [int(w) for w, s in share_by_wd.items() if s < 0.1 and len(days) >= 28]
    open_day = ~pd.Series(weekday, index=days).isin(closed_weekdays)
    closure = open_day & ~sells
    if closed_weekdays:
        notes.append("The store does not sell on " + " and ".join(_WEEKDAYS[w] for w in closed_weekdays)
                     + ": the forecast is zero on that day and models learn from the other days only.")
    if closure.sum():
        notes.append(f"{int(closure.sum())} day(s) without any order on a normal trading day (closures or gaps in the "
                     "export) are not used for learning.")
    is_open = open_day & sells

    # Drivers: list-price index per line against the product's usual price; robust to
    # mispriced lines because it takes the median per day.
    has_price = {"unit_price", "product_id"} <= set(sales.columns)
    sales = sales.assign(_day=day)
    if has_price:
        price = pd.to_numeric(sales["unit_price"], errors="coerce")
        ref = price.where(price > 0).groupby(sales["product_id"]).transform("median")
        sales = sales.assign(_logp=np.log(price.where(price > 0) / ref))
    else:
        sales = sales.assign(_logp=np.nan)
    if "discount" in sales.columns:
        disc = pd.to_numeric(sales["discount"], errors="coerce").fillna(0)
        sales = sales.assign(_disc=(disc > 0).astype(float), _disc_amt=disc)
    else:
        sales = sales.assign(_disc=0.0, _disc_amt=0.0)
    share = sales.groupby("_day")["_disc"].mean().reindex(days)
    base = float(share.median()) if share.notna().any() else 0.0
    promo_store = ((share - base) >= 0.2).astype(int).reindex(days, fill_value=0)
    promo_store[~is_open] = 0
    if promo_store.sum():
        notes.append(f"{int(promo_store.sum())} promotion day(s) found (most order lines carry a discount).")

    revenue = pd.to_numeric(sales["revenue"], errors="coerce").fillna(0) if "revenue" in sales else 0
    qty = pd.to_numeric(sales["quantity"], errors="coerce").fillna(0) if "quantity" in sales else 0
    sales = sales.assign(_rev=revenue, _qty=qty)
    price_per_unit = float(sales["_rev"].sum() / max(sales["_qty"].sum(), 1e-9))
    promo_rows = sales[sales["_disc"] > 0]
    promo_discount = float(promo_rows["_disc_amt"].sum() / max(promo_rows["_rev"].sum() + promo_rows["_disc_amt"].sum(), 1e-9)) if len(promo_rows) else 0.0
    unit_value = {"revenue": 1.0, "units": price_per_unit,
                  "orders": float(sales["_rev"].sum() / max(sales["order_id"].nunique(), 1))}[metric]

    cancels = cancels[cancels["order_date"].notna()] if len(cancels) else cancels
    cancels = cancels.assign(_day=cancels["order_date"].dt.normalize()) if len(cancels) else cancels

    # Which series.
    if by is None:
        group_keys = [TOTAL_KEY]
        sales = sales.assign(_key=TOTAL_KEY)
        if len(cancels):
            cancels = cancels.assign(_key=TOTAL_KEY)
    else:
        sales = sales.assign(_key=sales[by].astype("str").fillna("(none)"))
        if len(cancels):
            cancels = cancels.assign(_key=cancels[by].astype("str").fillna("(none)"))
        size = sales.groupby("_key")["_rev" if metric == "revenue" else "_qty"].sum().sort_values(ascending=False)
        group_keys = [k for k in size.index if keys is None or k in keys]
        if keys is not None and not group_keys:
            raise InputError(f"none of {keys[:3]} appears in column '{by}'.", column=by, fix="pick a value from the list.")
        if max_series is not None and len(group_keys) > max_series:
            notes.append(f"{len(group_keys)} values of '{by}'; the {max_series} largest are forecast.")
            group_keys = group_keys[:max_series]
        sales = sales[sales["_key"].isin(group_keys)]

    if metric == "revenue":
        val = sales.groupby(["_key", "_day"])["_rev"].sum()
        neg = (pd.to_numeric(cancels["revenue"], errors="coerce").fillna(0).groupby([cancels["_key"], cancels["_day"]]).sum()
               if len(cancels) else None)
    elif metric == "units":
        val = sales.groupby(["_key", "_day"])["_qty"].sum()
        neg = (pd.to_numeric(cancels["quantity"], errors="coerce").fillna(0).groupby([cancels["_key"], cancels["_day"]]).sum()
               if len(cancels) else None)
    else:
        val = sales.groupby(["_key", "_day"])["order_id"].nunique().astype(float)
        neg = None
    logp = sales.groupby(["_key", "_day"])["_logp"].median()
    store_logp = sales.groupby("_day")["_logp"].median().reindex(days).ffill().bfill().fillna(0.0)

    traffic_spend = None
    if traffic is not None and "ad_spend" in traffic.columns and "date" in traffic.columns:
        t = traffic.assign(_day=pd.to_datetime(traffic["date"], errors="coerce").dt.normalize())
        traffic_spend = pd.to_numeric(t["ad_spend"], errors="coerce").groupby(t["_day"]).sum().reindex(days)
        if traffic_spend.notna().mean() < 0.8:
            traffic_spend = None
        else:
            traffic_spend = traffic_spend.ffill().bfill()

    frames = []
    negative_days = 0
    for key in group_keys:
        y = val.xs(key, level=0).reindex(days, fill_value=0.0).astype(float) if key in val.index.get_level_values(0) else pd.Series(0.0, index=days)
        if neg is not None and key in neg.index.get_level_values(0):
            y = y + neg.xs(key, level=0).reindex(days, fill_value=0.0)  # cancellations are negative
        negative_days += int((y < 0).sum())
        y_raw = y.clip(lower=0.0)
        y_raw[~open_day] = 0.0
        if by is None:
            lp = store_logp
        else:
            lp = logp.xs(key, level=0).reindex(days) if key in logp.index.get_level_values(0) else pd.Series(np.nan, index=days)
            lp = lp.ffill().bfill().fillna(0.0)
        part = pd.DataFrame({"key": key, "ds": days, "y_raw": y_raw.to_numpy(), "open": is_open.to_numpy(),
                             "log_price": lp.to_numpy(), "promo": promo_store.to_numpy()})
        if traffic_spend is not None:
            part["ad_spend"] = traffic_spend.to_numpy()
        part["outlier"] = _outliers(part, country_events=True)
        part["y"] = part["y_raw"].where(part["open"] & ~part["outlier"])
        frames.append(part)
    if negative_days:
        notes.append(f"{negative_days} day(s) had more cancellations than sales; they count as zero.")
    frame = pd.concat(frames, ignore_index=True)
    n_out = int(frame["outlier"].sum())
    if n_out:
        notes.append(f"{n_out} unusual day(s) (far above or below the days around them, not a holiday) are not used for learning.")
    if freq == "W":
        frame = _weekly(frame)
    currency = str(sales["currency"].mode().iloc[0]) if "currency" in sales and sales["currency"].notna().any() else "USD"
    return SeriesData(frame=frame, metric=metric, by=by, freq=freq, closed_weekdays=closed_weekdays,
                      closure_dates=_closure_calendar(days, closure, open_day), notes=notes, currency=currency,
                      unit_value=unit_value, price_per_unit=price_per_unit, promo_discount=promo_discount)


def _closure_calendar(days: pd.DatetimeIndex, closure: pd.Series, open_day: pd.Series) -> list[pd.Timestamp]:
    """Closure days, plus closed weekdays that fall inside a closure (a Saturday in the middle of
    a Christmas shutdown is part of it, so next year's same date is closed too)."""
    closed = closure.to_numpy().copy()
    is_open_wd = open_day.to_numpy()
    n = len(days)
    for i in np.flatnonzero(~is_open_wd):
        j = i - 1
        while j >= 0 and not is_open_wd[j]:
            j -= 1
        k = i + 1
        while k < n and not is_open_wd[k]:
            k += 1
        if j >= 0 and k < n and closed[j] and closed[k]:
            closed[i] = True
    return list(days[closed])


def _retail_event_dates(years) -> dict[str, list[pd.Timestamp]]:
    events: dict[str, list[pd.Timestamp]] = {}
    for year in years:
        thanksgiving = pd.Timestamp(year, 11, 1) + pd.offsets.WeekOfMonth(week=3, weekday=3)
        events.setdefault("Black Friday", []).append(thanksgiving + pd.Timedelta(days=1))
        events.setdefault("Cyber Monday", []).append(thanksgiving + pd.Timedelta(days=4))
        events.setdefault("Christmas Eve", []).append(pd.Timestamp(year, 12, 24))
        events.setdefault("Christmas Day", []).append(pd.Timestamp(year, 12, 25))
        events.setdefault("Day after Christmas", []).append(pd.Timestamp(year, 12, 26))
        events.setdefault("New Year's Eve", []).append(pd.Timestamp(year, 12, 31))
        events.setdefault("New Year's Day", []).append(pd.Timestamp(year, 1, 1))
    return events


def _outliers(part: pd.DataFrame, country_events: bool = True) -> np.ndarray:
    """Hampel filter on open days: far from the median of the same weekday around it.

    Retail event days (Black Friday, Christmas…) are never outliers: they are learned as holidays.
    """
    y = part["y_raw"].where(part["open"])
    n = len(y)
    flags = np.zeros(n, dtype=bool)
    if y.notna().sum() < 28:
        return flags
    # Compare each day with the same weekday in the 4 weeks before and after (robust).
    wd = part["ds"].dt.day_of_week.to_numpy()
    vals = y.to_numpy()
    by_wd = pd.Series(vals).groupby(wd)
    rolled_med = by_wd.transform(lambda s: s.rolling(9, center=True, min_periods=4).median())
    rolled_mad = by_wd.transform(lambda s: (s - s.rolling(9, center=True, min_periods=4).median()).abs()
                                 .rolling(9, center=True, min_periods=4).median())
    med, mad = rolled_med.to_numpy(), rolled_mad.to_numpy()
    scale = np.maximum(1.4826 * mad, 0.1 * np.abs(med) + 1e-9)
    z = (vals - med) / scale
    flags = np.nan_to_num(np.abs(z), nan=0.0) > 5.0
    if flags.any():
        years = sorted(set(part["ds"].dt.year))
        event_days = {d for dates in _retail_event_dates(years).values() for d in dates}
        near = part["ds"].isin([d + pd.Timedelta(days=k) for d in event_days for k in (-1, 0, 1)]).to_numpy()
        flags &= ~near
    return flags


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    out = []
    for key, part in frame.groupby("key", sort=False):
        g = part.set_index("ds")
        agg = {"y_raw": "sum", "log_price": "mean", "promo": "max", "open": "max", "outlier": "max"}
        if "ad_spend" in g:
            agg["ad_spend"] = "sum"
        w = g.resample("W-SUN").agg(agg)
        n_days = g["y_raw"].resample("W-SUN").size()
        w = w[n_days == 7]  # only complete weeks
        w["key"] = key
        w["y"] = w["y_raw"].where(w["open"].astype(bool))
        w["outlier"] = False
        out.append(w.reset_index())
    return pd.concat(out, ignore_index=True)[[c for c in frame.columns]]


# ---------------------------------------------------------------------------------------------
# 2. Models
# ---------------------------------------------------------------------------------------------


def _season(freq: str, n: int, horizon: int) -> int:
    if freq == "D":
        return 7
    return 52 if n >= 104 + horizon else 1


def _filled(history: pd.DataFrame, season: int) -> np.ndarray:
    """A regular series for models that need one: closed weekdays stay 0, closures and outliers
    take the value of the same weekday before them (or after, at the start)."""
    y = history["y"].to_numpy(dtype=float).copy()
    s = pd.Series(y)
    idx = np.arange(len(y)) % max(season, 1)
    filled = s.groupby(idx).transform(lambda v: v.ffill().bfill()).to_numpy()
    filled = np.where(np.isnan(filled), np.nanmedian(y) if np.isfinite(y).any() else 0.0, filled)
    # A weekday the store never opens stays zero (it is not a gap).
    weekday_closed = _closed_weekday_mask(history)
    filled[weekday_closed] = 0.0
    return filled


def _closed_weekday_mask(frame: pd.DataFrame) -> np.ndarray:
    if "ds" not in frame or len(frame) < 28:
        return np.zeros(len(frame), dtype=bool)
    wd = frame["ds"].dt.day_of_week
    share_open = frame["open"].groupby(wd).mean()
    closed = [w for w, s in share_open.items() if s < 0.1]
    return wd.isin(closed).to_numpy()


class SeasonalNaive:
    """The same period one season ago (daily: the same weekday last week)."""

    name = MODEL_NAIVE

    def __init__(self, season: int = 7):
        self.season = season

    def fit(self, history: pd.DataFrame) -> "SeasonalNaive":
        y = _filled(history, self.season)
        m = max(self.season, 1)
        self.last_ = y[-m:]
        resid = y[m:] - y[:-m]
        resid = resid[history["open"].to_numpy()[m:]] if len(resid) else resid
        self.q_ = np.quantile(resid, [(1 - INTERVAL) / 2, (1 + INTERVAL) / 2]) if len(resid) > 5 else np.array([0.0, 0.0])
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        h = len(future)
        m = max(self.season, 1)
        yhat = np.array([self.last_[i % m] for i in range(h)], dtype=float)
        k = np.sqrt(np.arange(h) // m + 1)
        return pd.DataFrame({"ds": future["ds"].to_numpy(), "yhat": yhat,
                             "yhat_lower": np.maximum(yhat + self.q_[0] * k, 0.0),
                             "yhat_upper": np.maximum(yhat + self.q_[1] * k, 0.0)})


class ETSModelWrapper:
    """Exponential smoothing (statsmodels ETSModel), additive errors and weekly seasonality; the
    trend (none, or additive damped) is chosen by AICc on the training data, as AutoETS does."""

    name = MODEL_ETS

    def __init__(self, season: int = 7):
        self.season = season

    def fit(self, history: pd.DataFrame) -> "ETSModelWrapper":
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y = pd.Series(_filled(history, self.season))
        seasonal = "add" if self.season > 1 and len(y) >= 2 * self.season + 2 else None
        best = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for trend, damped in ((None, False), ("add", True)):
                res = None
                # heuristic initial states: ten times faster than estimating them, same forecasts
                for init in ("heuristic", "estimated"):
                    try:
                        res = ETSModel(y, error="add", trend=trend, damped_trend=damped, seasonal=seasonal,
                                       seasonal_periods=self.season if seasonal else None,
                                       initialization_method=init).fit(disp=False, maxiter=200)
                        break
                    except Exception:  # too short for the heuristic, or numerical trouble
                        continue
                if res is None:
                    continue
                if best is None or (np.isfinite(res.aicc) and res.aicc < best.aicc):
                    best = res
        if best is None:
            raise InputError("exponential smoothing could not be fitted to this series.", fix="use a longer history.")
        self.res_ = best
        self.trend_ = "damped" if best.model.trend else "none"
        self.n_ = len(y)
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        h = len(future)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self.res_.get_prediction(start=self.n_, end=self.n_ + h - 1)
            frame = pred.summary_frame(alpha=1 - INTERVAL)
        yhat = np.maximum(frame["mean"].to_numpy(), 0.0)
        return pd.DataFrame({"ds": future["ds"].to_numpy(), "yhat": yhat,
                             "yhat_lower": np.maximum(frame["pi_lower"].to_numpy(), 0.0),
                             "yhat_upper": np.maximum(frame["pi_upper"].to_numpy(), 0.0)})


def holiday_frame(country: str | None, years, extra: dict[str, list] | None = None) -> pd.DataFrame:
    """Prophet holidays: the country's public holidays plus retail events (Black Friday, Cyber
    Monday, Christmas Eve, day after Christmas, New Year's Eve)."""
    rows = []
    years = list(range(min(years), max(years) + 2))
    if country:
        import holidays as holidays_lib

        try:
            cal = holidays_lib.country_holidays(country, years=years)
        except (NotImplementedError, KeyError, AttributeError):
            raise InputError(f"'{country}' is not a country we have holidays for.",
                             fix="use a two-letter country code such as US, GB, DE or FR, or choose no holidays.") from None
        for day, name in cal.items():
            rows.append({"holiday": str(name).split(";")[0][:60], "ds": pd.Timestamp(day)})
    for name, dates in _retail_event_dates(years).items():
        for d in dates:
            rows.append({"holiday": name, "ds": d})
    for name, dates in (extra or {}).items():
        for d in dates:
            rows.append({"holiday": name, "ds": pd.Timestamp(d)})
    frame = pd.DataFrame(rows).drop_duplicates(subset=["ds"], keep="last")
    return frame.sort_values("ds").reset_index(drop=True)


class ProphetModel:
    """Prophet with holidays, seasonality chosen from the history length, and regressors.

    mode "multiplicative" fits Prophet to log(y + offset), so every effect is a percentage:
    the coefficient of `log_price` is the price elasticity and that of `promo` is log(1 + lift).
    """

    name = MODEL_PROPHET

    def __init__(self, changepoint_prior_scale: float = 0.05, seasonality_prior_scale: float = 10.0,
                 mode: str = "multiplicative", country: str | None = None, regressors=("log_price", "promo"),
                 freq: str = "D", uncertainty_samples: int = 300, seed: int = 0, yearly_order: int = 6):
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.mode = mode
        self.country = country
        self.regressors = tuple(regressors)
        self.freq = freq
        self.uncertainty_samples = uncertainty_samples
        self.seed = seed
        self.yearly_order = yearly_order

    def fit(self, history: pd.DataFrame) -> "ProphetModel":
        quiet_prophet()
        from prophet import Prophet

        train = history[history["y"].notna()].copy()
        if len(train) < 14:
            raise InputError("too few trading days to fit Prophet.", fix="use a longer history.")
        span = (train["ds"].max() - train["ds"].min()).days
        self.offset_ = 0.0
        y = train["y"].to_numpy(dtype=float)
        if self.mode == "multiplicative":
            pos = y[y > 0]
            self.offset_ = max(float(np.median(pos)) * 0.01 if len(pos) else 1.0, 1e-6)
            y = np.log(y + self.offset_)
        self.yearly_ = span >= 700  # about two years: one year cannot tell a yearly pattern from trend
        years = sorted(set(history["ds"].dt.year))
        hol = holiday_frame(self.country, years) if self.freq == "D" else None
        self.model_ = Prophet(
            growth="linear", changepoint_prior_scale=self.changepoint_prior_scale,
            seasonality_prior_scale=self.seasonality_prior_scale, holidays_prior_scale=10.0,
            yearly_seasonality=self.yearly_order if self.yearly_ else False,
            weekly_seasonality=(3 if self.freq == "D" else False), daily_seasonality=False,
            holidays=hol, seasonality_mode="additive", interval_width=INTERVAL,
            uncertainty_samples=self.uncertainty_samples,
        )
        self.used_regressors_ = []
        for reg in self.regressors:
            if reg in train and train[reg].notna().all() and float(train[reg].std()) > 1e-9:
                self.model_.add_regressor(reg, standardize=False, prior_scale=10.0)
                self.used_regressors_.append(reg)
        fit_df = pd.DataFrame({"ds": train["ds"].to_numpy(), "y": y})
        for reg in self.used_regressors_:
            fit_df[reg] = train[reg].to_numpy(dtype=float)
        np.random.seed(self.seed)
        self.model_.fit(fit_df)
        self.history_ = history
        return self

    def coefficients(self) -> dict[str, float]:
        """Regressor coefficients (in log space for multiplicative mode)."""
        from prophet.utilities import regressor_coefficients

        if not self.used_regressors_:
            return {}
        table = regressor_coefficients(self.model_)
        return {r["regressor"]: float(r["coef"]) for r in table.to_dict("records")}

    def _future_frame(self, future: pd.DataFrame) -> pd.DataFrame:
        df = pd.DataFrame({"ds": pd.to_datetime(future["ds"]).to_numpy()})
        for reg in self.used_regressors_:
            if reg in future:
                df[reg] = future[reg].to_numpy(dtype=float)
            else:
                df[reg] = float(self.history_[reg].iloc[-1]) if reg in self.history_ else 0.0
        return df

    def predict_raw(self, future: pd.DataFrame, uncertainty: bool = True) -> pd.DataFrame:
        np.random.seed(self.seed)
        if uncertainty:
            return self.model_.predict(self._future_frame(future))
        samples = self.model_.uncertainty_samples
        self.model_.uncertainty_samples = 0
        try:
            return self.model_.predict(self._future_frame(future))
        finally:
            self.model_.uncertainty_samples = samples

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        raw = self.predict_raw(future)
        out = pd.DataFrame({"ds": raw["ds"].to_numpy()})
        for col in ("yhat", "yhat_lower", "yhat_upper"):
            v = raw[col].to_numpy(dtype=float)
            if self.mode == "multiplicative":
                v = np.exp(np.minimum(v, 50)) - self.offset_
            out[col] = np.maximum(v, 0.0)
        return out


class EnsembleModel:
    """The average of ETS and Prophet (forecast combination, robust in forecasting competitions)."""

    name = MODEL_ENSEMBLE

    def __init__(self, members):
        self.members = members

    def fit(self, history: pd.DataFrame) -> "EnsembleModel":
        self.members_ = [m.fit(history) for m in self.members]
        return self

    def predict(self, future: pd.DataFrame) -> pd.DataFrame:
        return average_predictions([m.predict(future) for m in self.members_])


def average_predictions(preds: list[pd.DataFrame]) -> pd.DataFrame:
    out = preds[0][["ds"]].copy()
    for col in ("yhat", "yhat_lower", "yhat_upper"):
        out[col] = np.mean([p[col].to_numpy(dtype=float) for p in preds], axis=0)
    return out


def make_model(name: str, season: int, freq: str, params: dict | None = None, country: str | None = None,
               regressors=("log_price", "promo")):
    if name == MODEL_ENSEMBLE:
        return EnsembleModel([make_model(MODEL_ETS, season, freq, params, country, regressors),
                              make_model(MODEL_PROPHET, season, freq, params, country, regressors)])
    if name == MODEL_NAIVE:
        return SeasonalNaive(season)
    if name == MODEL_ETS:
        return ETSModelWrapper(season)
    if name == MODEL_PROPHET:
        p = dict(PROPHET_DEFAULT, **(params or {}))
        return ProphetModel(p["changepoint_prior_scale"], p["seasonality_prior_scale"], p["mode"], country=country,
                            regressors=regressors, freq=freq)
    raise ValueError(name)


# ---------------------------------------------------------------------------------------------
# 3. Backtest, selection, forecast
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# 4. What-if scenarios
# ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A plan for the forecast period: price change (fraction, -0.1 = 10% off), promotion
    periods (inclusive date pairs), spend change (fraction), sale events like Black Friday on
    extra dates, and closure dates."""

    name: str = "Scenario"
    price_change: float = 0.0
    promo_periods: list[tuple[str, str]] = field(default_factory=list)
    spend_change: float = 0.0
    events: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "price_change": self.price_change,
                "promo_periods": [list(p) for p in self.promo_periods], "spend_change": self.spend_change,
                "events": list(self.events), "closed": list(self.closed)}

    @classmethod
    def from_dict(cls, d: dict) -> "Scenario":
        return cls(name=d.get("name", "Scenario"), price_change=float(d.get("price_change", 0.0)),
                   promo_periods=[tuple(p) for p in d.get("promo_periods", [])],
                   spend_change=float(d.get("spend_change", 0.0)), events=list(d.get("events", [])),
                   closed=list(d.get("closed", [])))


def _pct(text: str, what: str) -> float:
    m = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*(%?)\s*", text)
    if not m:
        raise InputError(f"'{text}' is not a {what} change.", fix=f"write it as a percentage, e.g. {what}=-10%.")
    v = float(m.group(1))
    return v / 100 if m.group(2) or abs(v) >= 1 else v


def _date(text: str) -> str:
    try:
        return str(pd.Timestamp(text.strip()).date())
    except (ValueError, TypeError):
        raise InputError(f"'{text}' is not a date.", fix="write dates as YYYY-MM-DD.") from None


def parse_scenario(text: str, name: str = "Scenario") -> Scenario:
    """'price=-10%,promo=2026-12-01:2026-12-14,spend=+20%,event=2026-12-24,closed=2026-12-25'."""
    sc = Scenario(name=name)
    if not text or not text.strip():
        return sc
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise InputError(f"'{part.strip()}' in the scenario has no '='.",
                             fix="write it like price=-10%,promo=2026-12-01:2026-12-14.")
        k, v = (s.strip() for s in part.split("=", 1))
        k = k.lower()
        if k == "price":
            sc.price_change = _pct(v, "price")
            if sc.price_change <= -0.95:
                raise InputError(f"a price change of {v} would give the products away.", fix="use a change above -95%.")
        elif k in ("spend", "ad_spend", "marketing"):
            sc.spend_change = _pct(v, "spend")
        elif k == "promo":
            start, _, end = v.partition(":")
            s, e = _date(start), _date(end or start)
            if e < s:
                raise InputError(f"the promotion {v} ends before it starts.", fix="write promo=START:END.")
            sc.promo_periods.append((s, e))
        elif k in ("event", "holiday"):
            sc.events.append(_date(v))
        elif k == "closed":
            sc.closed.append(_date(v))
        else:
            raise InputError(f"'{k}' is not something a scenario can change.",
                             fix="use price, promo, spend, event (a sale day like Black Friday) or closed.")
    return sc


@dataclass
class ScenarioResult:
    """Baseline against scenario for one plan.

    daily: ds, open, promo, base, base_lower, base_upper, scenario, scenario_lower,
    scenario_upper, diff, diff_lower, diff_upper (units), base_revenue, scenario_revenue,
    diff_revenue (revenue at the planned price).
    totals: units and revenue over the horizon for baseline and scenario, differences with an
    80% interval, implied price elasticity, warnings (extrapolation, unknown effects).
    """

    scenario: Scenario
    daily: pd.DataFrame
    totals: dict
    warnings: list[str]


class WhatIf:
    """What-if model for units sold: units = baseline x (price / usual price) ** elasticity
    x (1 + lift) ** promo x exp(spend effect).

    The effects are estimated from changes: the log of units on a day against the same weekday
    one and two weeks earlier, regressed on the change in the price index, the promotion flag
    (and spend). Comparing a day with the same weekday shortly before removes the trend, the
    weekly and the yearly pattern, which would otherwise be confused with price steps that happen
    at the same time of year. Holidays, retail events, closures and unusual days are left out of
    these comparisons. Standard errors are Newey-West (robust to autocorrelation).

    The baseline (today's prices, no promotion) is Prophet in multiplicative form, fitted to the
    history with the estimated price and promotion effects taken out.
    """

    LAGS = (7, 14)

    def __init__(self, country: str | None = None, changepoint_prior_scale: float = 0.05,
                 seasonality_prior_scale: float = 10.0, use_spend: bool = False):
        self.country = country
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.use_spend = use_spend

    def fit(self, series: SeriesData, key: str | None = None) -> "WhatIf":
        if series.metric != "units":
            raise InputError("what-if scenarios work on units sold.", fix="build the series with metric='units'.")
        if series.freq != "D":
            raise InputError("what-if scenarios need a daily series.", fix="use daily data.")
        history = series.one(key)
        _check_series(history, "units")
        regs = ["log_price", "promo"] + (["ad_spend"] if self.use_spend and "ad_spend" in history else [])
        self.series_ = series
        self.history_ = history
        self.notes_: list[str] = []
        self._estimate_effects(history, regs)
        # Baseline: history restated at today's prices and without promotions.
        ref = {r: (float(history[r].iloc[-1]) if r != "promo" else 0.0) for r in self.coef_}
        adj = sum(self.coef_[r] * (history[r].to_numpy(dtype=float) - ref[r]) for r in self.coef_) if self.coef_ else 0.0
        restated = history.copy()
        restated["y"] = history["y"] * np.exp(-adj)
        self.reference_ = ref
        self.model_ = ProphetModel(self.changepoint_prior_scale, self.seasonality_prior_scale, "multiplicative",
                                   country=self.country, regressors=()).fit(restated)
        train = history[history["y"].notna()]
        self.ranges_ = {r: (float(train[r].min()), float(train[r].max())) for r in regs if r in train}
        self.events_ = self._event_effects()
        return self

    def _estimate_effects(self, history: pd.DataFrame, regs: list[str]) -> None:
        import statsmodels.api as sm

        y = history["y"].to_numpy(dtype=float)
        pos = y[np.isfinite(y) & (y > 0)]
        offset = max(float(np.median(pos)) * 0.01, 1e-6) if len(pos) else 1.0
        ly = np.log(np.where(np.isfinite(y), y, np.nan) + offset)
        years = sorted(set(history["ds"].dt.year))
        special = set(holiday_frame(self.country, years)["ds"]) if self.country else set()
        special |= {d + pd.Timedelta(days=k) for v in _retail_event_dates(years).values() for d in v for k in (-1, 0, 1)}
        bad = history["ds"].isin(special).to_numpy() | ~np.isfinite(ly)
        X_parts, y_parts = [], []
        for k in self.LAGS:
            ok = ~(bad[k:] | bad[:-k])
            y_parts.append((ly[k:] - ly[:-k])[ok])
            X_parts.append(np.column_stack([(history[r].to_numpy(dtype=float)[k:] - history[r].to_numpy(dtype=float)[:-k])[ok]
                                            for r in regs]))
        X, dy = np.vstack(X_parts), np.concatenate(y_parts)
        keep = [i for i, r in enumerate(regs) if np.abs(X[:, i]).sum() > 0 and (np.abs(X[:, i]) > 1e-6).sum() >= 5]
        self.coef_, self.se_ = {}, {}
        for i, r in enumerate(regs):
            if i not in keep:
                what = {"log_price": "price changes", "promo": "promotions", "ad_spend": "changes in marketing spend"}[r]
                self.notes_.append(f"Your history has no {what} to learn from, so that effect is unknown (taken as none).")
        if not keep or len(dy) < 20:
            return
        try:
            res = sm.OLS(dy, X[:, keep]).fit(cov_type="HAC", cov_kwds={"maxlags": 7})
        except Exception:  # singular design: no usable variation
            return
        for j, i in enumerate(keep):
            self.coef_[regs[i]] = float(res.params[j])
            self.se_[regs[i]] = float(res.bse[j])
        self.n_comparisons_ = int(len(dy))

    def _event_effects(self) -> dict[str, float]:
        """Learned log-effect of Black Friday (the template for extra sale events)."""
        comp = self.model_.predict_raw(self.history_, uncertainty=False)
        effects = {}
        for name in ("Black Friday", "Cyber Monday"):
            if name in comp:
                vals = comp.loc[comp[name] != 0, name]
                if len(vals):
                    effects[name] = float(vals.mean())
        return effects

    @property
    def elasticity(self) -> float:
        return self.coef_.get("log_price", float("nan"))

    @property
    def promo_lift(self) -> float:
        return math.exp(self.coef_["promo"]) - 1 if "promo" in self.coef_ else float("nan")

    def effects(self) -> pd.DataFrame:
        """driver, estimate, low, high (80% interval), meaning (one plain sentence)."""
        rows = []
        if "log_price" in self.coef_:
            b, se = self.elasticity, self.se_["log_price"]
            rows.append({"driver": "price elasticity", "estimate": b, "low": b - Z80 * se, "high": b + Z80 * se,
                         "meaning": f"1% higher prices change units sold by about {b:+.2f}%"})
        if "promo" in self.coef_:
            g, se = self.coef_["promo"], self.se_["promo"]
            rows.append({"driver": "promotion lift", "estimate": math.exp(g) - 1, "low": math.exp(g - Z80 * se) - 1,
                         "high": math.exp(g + Z80 * se) - 1,
                         "meaning": f"a promotion day sells about {math.exp(g) - 1:+.0%} more units"})
        if "ad_spend" in self.coef_:
            c, se = self.coef_["ad_spend"], self.se_["ad_spend"]
            rows.append({"driver": "marketing spend (+100 per day)", "estimate": math.exp(100 * c) - 1,
                         "low": math.exp(100 * (c - Z80 * se)) - 1, "high": math.exp(100 * (c + Z80 * se)) - 1,
                         "meaning": "change in units per extra 100 of daily ad spend (an association, not proof)"})
        return pd.DataFrame(rows, columns=["driver", "estimate", "low", "high", "meaning"])

    def run(self, scenario: Scenario, horizon: int = 28) -> ScenarioResult:
        horizon = check_horizon(horizon)
        h = self.history_
        base = future_frame(h, horizon, "D", self.series_.closed_weekdays, self.series_.closure_dates)
        start, end = base["ds"].min(), base["ds"].max()
        warn: list[str] = list(self.notes_)
        scen = base.copy()
        if scenario.price_change:
            scen["log_price"] = scen["log_price"] + math.log1p(scenario.price_change)
        for s, e in scenario.promo_periods:
            s, e = pd.Timestamp(s), pd.Timestamp(e)
            if e < start or s > end:
                warn.append(f"The promotion {s.date()} to {e.date()} is outside the forecast period "
                            f"({start.date()} to {end.date()}); it has no effect here.")
            scen.loc[(scen["ds"] >= s) & (scen["ds"] <= e), "promo"] = 1
        if scenario.spend_change:
            if "ad_spend" in self.coef_:
                scen["ad_spend"] = scen["ad_spend"] * (1 + scenario.spend_change)
            else:
                warn.append("Marketing spend is not part of this model (no ad spend data, or it was switched off), "
                            "so the spend change has no effect.")
        for reg, (lo, hi) in self.ranges_.items():
            if reg in self.coef_ and reg != "promo":
                v = scen[reg]
                if (v < lo - 1e-9).any() or (v > hi + 1e-9).any():
                    if reg == "log_price":
                        rng_txt = f"{math.exp(lo) - 1:+.0%} to {math.exp(hi) - 1:+.0%} of the usual price"
                        now = f"{math.exp(float(v.iloc[0])) - 1:+.0%}"
                        words = "Prices"
                    else:
                        rng_txt, now, words = f"{lo:,.0f} to {hi:,.0f} per day", f"{float(v.max()):,.0f}", "Marketing spend"
                    warn.append(f"{words} in this scenario ({now}) are outside anything seen in your history "
                                f"({rng_txt}): this is an extrapolation, treat it with care.")
        b = _apply_closed(self.model_.predict(base), base)
        event_mult = np.ones(len(scen))
        for d in scenario.events:
            if "Black Friday" not in self.events_:
                warn.append("Your history contains no Black Friday to learn a sale event from, so extra events have no effect.")
                break
            event_mult[(scen["ds"] == pd.Timestamp(d)).to_numpy()] = math.exp(self.events_["Black Friday"])
        closed = scen["ds"].isin([pd.Timestamp(d) for d in scenario.closed]).to_numpy()
        dx = {r: scen[r].to_numpy(dtype=float) - base[r].to_numpy(dtype=float) for r in self.coef_}
        log_ratio = sum((self.coef_[r] * v for r, v in dx.items()), np.zeros(len(scen)))
        log_sd = np.sqrt(sum(((self.se_[r] * v) ** 2 for r, v in dx.items()), np.zeros(len(scen))))
        ratio = np.exp(log_ratio) * event_mult
        ratio[closed] = 0.0
        base_y = b["yhat"].to_numpy()
        s_ = b.copy()
        for col in ("yhat", "yhat_lower", "yhat_upper"):
            s_[col] = b[col].to_numpy() * ratio
        diff = s_["yhat"].to_numpy() - base_y
        lo = base_y * (np.exp(log_ratio - Z80 * log_sd) * event_mult - 1)
        hi = base_y * (np.exp(log_ratio + Z80 * log_sd) * event_mult - 1)
        lo[closed] = hi[closed] = -base_y[closed]

        price_now = self.series_.price_per_unit
        promo_s = scen["promo"].to_numpy()
        price_factor_scen = (1 + scenario.price_change) * np.where(promo_s == 1, 1 - self.series_.promo_discount, 1.0)
        daily = pd.DataFrame({
            "ds": scen["ds"], "open": base["open"], "promo": promo_s,
            "base": base_y, "base_lower": b["yhat_lower"].to_numpy(), "base_upper": b["yhat_upper"].to_numpy(),
            "scenario": s_["yhat"].to_numpy(), "scenario_lower": s_["yhat_lower"].to_numpy(),
            "scenario_upper": s_["yhat_upper"].to_numpy(),
            "diff": diff, "diff_lower": np.minimum(lo, hi), "diff_upper": np.maximum(lo, hi),
        })
        daily["base_revenue"] = daily["base"] * price_now
        daily["scenario_revenue"] = daily["scenario"] * price_now * price_factor_scen
        daily["diff_revenue"] = daily["scenario_revenue"] - daily["base_revenue"]
        rev_lo = (base_y + daily["diff_lower"]) * price_now * price_factor_scen - daily["base_revenue"]
        rev_hi = (base_y + daily["diff_upper"]) * price_now * price_factor_scen - daily["base_revenue"]
        # The effect's uncertainty is shared by all days, so daily interval ends add up.
        tot_b, tot_s = float(daily["base"].sum()), float(daily["scenario"].sum())
        only_price = not (scenario.promo_periods or scenario.events or scenario.closed or scenario.spend_change)
        implied = (math.log(tot_s / tot_b) / math.log1p(scenario.price_change)
                   if scenario.price_change and only_price and tot_b > 0 and tot_s > 0 else float("nan"))
        totals = {
            "units_base": tot_b, "units_scenario": tot_s, "units_diff": tot_s - tot_b,
            "units_diff_low": float(daily["diff_lower"].sum()), "units_diff_high": float(daily["diff_upper"].sum()),
            "revenue_base": float(daily["base_revenue"].sum()), "revenue_scenario": float(daily["scenario_revenue"].sum()),
            "revenue_diff": float(daily["diff_revenue"].sum()),
            "revenue_diff_low": float(np.minimum(rev_lo, rev_hi).sum()),
            "revenue_diff_high": float(np.maximum(rev_lo, rev_hi).sum()),
            "implied_elasticity": implied, "model_elasticity": self.elasticity, "model_promo_lift": self.promo_lift,
            "horizon": horizon, "start": str(start.date()), "end": str(end.date()),
        }
        return ScenarioResult(scenario=scenario, daily=daily, totals=totals, warnings=list(dict.fromkeys(warn)))


def compare_scenarios(results: list[ScenarioResult]) -> pd.DataFrame:
    """One row per scenario: units and revenue against the baseline, with 80% intervals."""
    rows = []
    for r in results:
        t = r.totals
        rows.append({"scenario": r.scenario.name, "units": t["units_scenario"], "units_vs_baseline": t["units_diff"],
                     "units_low": t["units_diff_low"], "units_high": t["units_diff_high"],
                     "revenue": t["revenue_scenario"], "revenue_vs_baseline": t["revenue_diff"],
                     "revenue_low": t["revenue_diff_low"], "revenue_high": t["revenue_diff_high"]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 5. Many series: local processes or Dask
# ---------------------------------------------------------------------------------------------


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
            ctx.set_forkserver_preload(["ecom_models.forecast.models", "prophet", "statsmodels.tsa.exponential_smoothing.ets"])
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
# 6. Inventory and business value
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# 7. Saved scenarios (workspace namespace "forecast.scenarios")
# ---------------------------------------------------------------------------------------------

SCENARIO_NAMESPACE = "forecast.scenarios"
_SCENARIO_NAME_RE = re.compile(r"^[^\x00-\x1f]{1,60}$")


def save_scenario(ws, scenario: Scenario, totals: dict | None = None) -> None:
    """Store a named scenario (and its last totals) in the workspace; same name replaces."""
    name = (scenario.name or "").strip()
    if not _SCENARIO_NAME_RE.match(name):
        raise InputError("a scenario needs a name of 1 to 60 characters.", fix="type a short name such as '10% off in December'.")
    scenario.name = name
    ws.put(SCENARIO_NAMESPACE, name, {"scenario": scenario.to_dict(), "totals": totals or {}})


def saved_scenarios(ws) -> dict[str, Scenario]:
    out = {}
    for name, doc in ws.items(SCENARIO_NAMESPACE).items():
        try:
            out[name] = Scenario.from_dict(doc.get("scenario", {}))
        except (TypeError, ValueError, AttributeError):
            continue  # an unreadable entry is skipped, never fatal
    return out


def delete_scenario(ws, name: str) -> None:
    ws.delete(SCENARIO_NAMESPACE, name)


def country_code(value) -> str | None:
    """Two-letter holiday-calendar code for a country code or name ('United Kingdom' -> 'GB'),
    or None when we have no calendar for it."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    key = re.sub(r"[^a-z]", "", str(value).lower())
    if not key:
        return None
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # pragma: no cover
        return None
    lookup = {}
    for module_name, names in COUNTRIES.items():
        code = names[1]
        lookup[module_name.replace("_", "")] = code
        lookup[names[0].lower()] = code
        for alias in names[1:]:
            if not alias.startswith("Holidays"):
                lookup[alias.lower()] = code
    lookup.update({"eire": "IE", "england": "GB", "scotland": "GB", "wales": "GB", "northernireland": "GB",
                   "czechrepublic": "CZ", "holland": "NL", "rsa": "ZA", "korea": "KR", "southkorea": "KR"})
    return lookup.get(key)


def supported_countries() -> list[str]:
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # pragma: no cover
        return []
    return sorted({names[1] for names in COUNTRIES.values()})


def main_country(orders: pd.DataFrame) -> str | None:
    """The holiday calendar of the country most orders come from."""
    if "country" not in orders.columns or not orders["country"].notna().any():
        return None
    return country_code(orders["country"].mode().iloc[0])
