"""The forecasting models, all of one shape: `fit(history)` then `predict(future)` returning
`ds, yhat, yhat_lower, yhat_upper` (an 80% interval). `SeasonalNaive` is the baseline (the same
weekday last week), `ETSModelWrapper` is exponential smoothing with a damped trend and weekly
seasonality, `ProphetModel` adds country holidays, retail events, weekly/yearly seasonality when
the history supports it, changepoints and the price/promotion/spend regressors, and
`EnsembleModel` averages ETS and Prophet; `make_model(name, ...)` builds any of them by name.
Prophet and statsmodels are imported inside the functions that fit them, so importing this
module loads neither.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.forecast.series import _retail_event_dates

INTERVAL = 0.8
Z80 = 1.2815515655446004

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
