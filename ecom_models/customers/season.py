"""The store's own seasonality, and the operational clock the models run on.

BG/NBD assumes steady buying. A store whose customers buy twice as much in November is
under-predicted for an autumn horizon (PyMC-Marketing alone: -24% on a wholesaler's Sep-Dec).
`seasonality` estimates a month-of-year index from the store's own purchases (a Poisson
regression of monthly *repeat* purchases per customer already acquired, on a smooth trend and the
calendar month, so that a growing store's later months are not read as a season), and the models
run on *operational time*: a customer's age, recency and the horizon are measured in "average days"
(a November day counts as, say, 1.4), for the fit and the predictions alike. With less than a year of history not every
calendar month has been seen: no index (said in the notes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

INDEX_BOUNDS = (0.25, 4.0)
MIN_MONTHS = 12
MIN_REPEATS = 200


def seasonality(days: pd.DataFrame, cutoff) -> tuple[np.ndarray | None, str]:
    """(index by calendar month 1..12 as an array of 12, note), or (None, note)."""
    cutoff = pd.Timestamp(cutoff)
    d = days.loc[days["day"] <= cutoff, "day"]
    if d.empty:
        return None, "No purchases before the cut-off."
    first = d.min()
    months = pd.period_range(first, cutoff, freq="M")
    if len(months) < MIN_MONTHS + 1:
        return None, "Less than a year of history: no seasonal adjustment (the models assume steady buying)."
    # repeat purchases only: a first purchase is an acquisition, which the purchase model does not
    # predict, and a store that acquires evenly would dilute its customers' season (generated
    # seasonal store: peak month 1.44x -> 1.62x, truth 1.60x; Sep-Dec total -18% -> -8%)
    before = days.loc[days["day"] <= cutoff, ["customer_id", "day"]].sort_values("day", kind="stable")
    repeat = before.loc[before.duplicated("customer_id"), "day"]
    if len(repeat) < MIN_REPEATS:
        return None, "Too few repeat purchases to learn a season from: no seasonal adjustment."
    counts = repeat.dt.to_period("M").value_counts().reindex(months, fill_value=0).to_numpy(dtype=float)
    start = np.array([max(m.start_time, first) for m in months], dtype="datetime64[ns]")
    end = np.array([min(m.end_time.normalize(), cutoff) for m in months], dtype="datetime64[ns]")
    moy = np.array([m.month - 1 for m in months])
    trend = np.linspace(-1.0, 1.0, len(months))
    # per customer already acquired: a repeat purchase needs a first one, and a store that is still
    # acquiring buys more each month for that reason, not the calendar's. Exposure = customer-days
    # after each customer's first purchase; the trend takes the base's ageing (dropouts)
    firsts = before.groupby("customer_id")["day"].min().to_numpy(dtype="datetime64[D]")
    s_day, e_day = start.astype("datetime64[D]"), end.astype("datetime64[D]")
    exposure = np.array([np.clip((e - np.maximum(firsts, s)).astype(float) + 1.0, 0.0, None).sum()
                         for s, e in zip(s_day, e_day)]) + 1.0
    X = np.column_stack([np.ones(len(months)), trend, np.eye(12)[moy]])
    fixed = 2

    def nll(beta):
        eta = np.clip(X @ beta, -30, 30)
        mu = exposure * np.exp(eta)
        ridge = 1e-3 * np.sum(beta[fixed:] ** 2)
        grad = X.T @ (mu - counts) + np.r_[np.zeros(fixed), 2e-3 * beta[fixed:]]
        return float(np.sum(mu - counts * (np.log(exposure) + eta)) + ridge), grad

    beta = optimize.minimize(nll, np.r_[np.log(max(counts.sum(), 1) / exposure.sum()), np.zeros(X.shape[1] - 1)],
                             jac=True, method="BFGS").x
    gamma = beta[fixed:]
    index = np.exp(gamma - np.log(np.mean(np.exp(gamma))))
    index = np.clip(index, *INDEX_BOUNDS)
    busiest = int(np.argmax(index))
    note = (f"Seasonality from your own history: the busiest month is {pd.Timestamp(2000, busiest + 1, 1):%B} "
            f"({index[busiest]:.2f}x an average month); the predictions follow it.")
    return index, note


def operational_clock(index: np.ndarray | None):
    """clock(dates) -> operational days since 2000-01-01 (calendar days when index is None)."""
    origin = np.datetime64("2000-01-01", "D")

    def clock(dates) -> np.ndarray:
        d = np.asarray(dates, dtype="datetime64[D]")
        plain = (d - origin).astype(float)
        if index is None:
            return plain
        # cumulative index over whole days: a lookup table from the earliest to the latest date
        lo, hi = d.min(), d.max()
        grid = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
        months = grid.astype("datetime64[M]").astype(int) % 12
        cum = np.concatenate([[0.0], np.cumsum(index[months])])
        return float((lo - origin).astype(float)) + cum[(d - lo).astype(int)]

    return clock


def on_clock(summary: pd.DataFrame, index: np.ndarray | None) -> pd.DataFrame:
    """The summary with T and recency in operational days (the models' inputs)."""
    if index is None:
        return summary
    clock = operational_clock(index)
    out = summary.copy()
    first = out["first_purchase"].to_numpy(dtype="datetime64[D]")
    last = out["last_purchase"].to_numpy(dtype="datetime64[D]")
    stamps = clock(np.concatenate([first, last, [np.datetime64(pd.Timestamp(summary.attrs["cutoff"]).date(), "D")]]))
    n = len(out)
    out["T"] = stamps[-1] - stamps[:n]
    out["recency"] = stamps[n:2 * n] - stamps[:n]
    return out


def horizon_on_clock(cutoff, horizon_days: int, index: np.ndarray | None) -> float:
    if index is None:
        return float(horizon_days)
    start = np.datetime64(pd.Timestamp(cutoff).date(), "D")
    stamps = operational_clock(index)(np.array([start, start + np.timedelta64(int(horizon_days), "D")]))
    return float(stamps[1] - stamps[0])


def seasonal_factor(days: pd.DataFrame, cutoff, horizon_days: int) -> tuple[float, str]:
    """(how much busier the next `horizon_days` are than an average stretch, note)."""
    index, note = seasonality(days, cutoff)
    return horizon_on_clock(cutoff, horizon_days, index) / horizon_days, note


