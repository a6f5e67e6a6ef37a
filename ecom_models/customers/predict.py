"""Per-customer predictions from the fitted models, with the store's own seasonality.

BG/NBD assumes steady buying. A store whose customers buy twice as much in November is
under-predicted for an autumn horizon (PyMC-Marketing alone: -24% on a wholesaler's Sep-Dec).
`seasonal_factor` measures, from the store's own purchases a year earlier, how busy the same
calendar window was against the year as a whole; the models then run on *operational time*:
a horizon of t calendar days counts as factor x t days of steady buying (purchases, spend and
P(active) alike). With less than a year of history before the cut-off there is nothing to
measure it on, and the factor is 1 (said in `notes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.customers.lapse import LapseModel
from ecom_models.customers.models import BetaGeo, GammaGamma, spend_inputs

INTERVAL = (0.10, 0.90)  # 80% intervals
FACTOR_BOUNDS = (0.33, 3.0)


def seasonal_factor(days: pd.DataFrame, cutoff, horizon_days: int) -> tuple[float, str]:
    """(factor, note): the share of a year's purchases made in the calendar window matching
    (cutoff, cutoff + horizon], a year earlier, against a steady share horizon / 365."""
    cutoff = pd.Timestamp(cutoff)
    year_start = cutoff - pd.Timedelta(days=365)
    if days.empty or days["day"].min() > year_start + pd.Timedelta(days=7) or horizon_days >= 365:
        return 1.0, "Less than a year of history before the cut-off: no seasonal adjustment."
    daily = days.loc[(days["day"] > year_start) & (days["day"] <= cutoff)].groupby("day").size()
    window_end = year_start + pd.Timedelta(days=horizon_days)
    year_total = float(daily.sum())
    if year_total <= 0:
        return 1.0, "No purchases in the past year: no seasonal adjustment."
    # a growing store's earlier months look quieter than they were: take the trend out with the
    # ratio of the last to the first half-year
    first_half = float(daily[daily.index <= year_start + pd.Timedelta(days=182)].sum())
    second_half = year_total - first_half
    growth = np.sqrt(second_half / first_half) if first_half > 0 and second_half > 0 else 1.0
    share = float(daily[daily.index <= window_end].sum()) / year_total
    factor = share / (horizon_days / 365.0) * float(np.clip(growth, 0.5, 2.0))
    factor = float(np.clip(factor, *FACTOR_BOUNDS))
    return factor, (f"The same {horizon_days} days a year earlier were {factor:.2f}x an average stretch of the "
                    "year: the predictions are scaled by the store's own seasonality.")


def fit_models(summary: pd.DataFrame) -> tuple[BetaGeo, GammaGamma]:
    bg = BetaGeo.fit(summary["frequency"], summary["recency"], summary["T"])
    gg = GammaGamma.fit(*spend_inputs(summary))
    return bg, gg


def predict_frame(summary: pd.DataFrame, bg: BetaGeo, gg: GammaGamma, horizons=(90, 180, 365), factor: float = 1.0,
                  draws: int = 100, lapse: LapseModel | None = None) -> pd.DataFrame:
    """One row per customer: p_alive, and per horizon h: p_active_h, expected_purchases_h (+ _low,
    _high), expected_spend_h (+ _low, _high), spend_per_purchase."""
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    gx, gm = spend_inputs(summary)
    per = gg.expected_spend(gx, gm)
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(), "p_alive": bg.p_alive(x, tx, T),
                        "spend_per_purchase": per})
    chunk = 20_000  # bounded memory: 20k customers x draws at a time
    states = [(slice(i, i + chunk), bg.sample_state(x[i:i + chunk], tx[i:i + chunk], T[i:i + chunk], draws, seed=i),
               gg.sample_scale(gx[i:i + chunk], gm[i:i + chunk], (len(x[i:i + chunk]), draws), seed=i + 1))
              for i in range(0, len(x), chunk)]
    for h in horizons:
        t = h * factor
        out[f"p_active_{h}"] = lapse.p_active(summary, bg, gg, t) if lapse is not None else bg.p_active(t, x, tx, T)
        mean = bg.expected_purchases(t, x, tx, T)
        out[f"expected_purchases_{h}"] = mean
        out[f"expected_spend_{h}"] = mean * per
        lo_p, hi_p, lo_s, hi_s = (np.empty(len(x)) for _ in range(4))
        for sl, state, scale in states:
            purchases = bg.purchases_from_state(state, t)
            spend = gg.total_from_scale(purchases, scale)
            lo_p[sl], hi_p[sl] = np.quantile(purchases, INTERVAL, axis=1)
            lo_s[sl], hi_s[sl] = np.quantile(spend, INTERVAL, axis=1)
        out[f"expected_purchases_{h}_low"], out[f"expected_purchases_{h}_high"] = lo_p, np.maximum(hi_p, mean)
        out[f"expected_spend_{h}_low"], out[f"expected_spend_{h}_high"] = lo_s, np.maximum(hi_s, mean * per)
    return out


def cached_fitter():
    """`fit_models` remembering its fits by cut-off: the P(active) model's earlier cut-off is
    often the backtest's cut-off, fitted once."""
    fits: dict = {}

    def fit(summary):
        key = (summary.attrs.get("cutoff"), len(summary), float(summary["purchases"].sum()))
        if key not in fits:
            fits[key] = fit_models(summary)
        return fits[key]

    return fit


def predictor(fit=fit_models):
    """The backtest's view of the model: fit on the summary up to the cut-off, predict the
    held-out period with the seasonality and P(active) learned before the cut-off."""

    def predict(summary, holdout_days, days_before):
        bg, gg = fit(summary)
        cutoff = summary.attrs["cutoff"]
        factor, _ = seasonal_factor(days_before, cutoff, holdout_days)
        x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        gx, gm = spend_inputs(summary)
        t = holdout_days * factor
        purchases = bg.expected_purchases(t, x, tx, T)
        lapse = LapseModel().fit(days_before, cutoff, holdout_days, fit)
        return purchases, purchases * gg.expected_spend(gx, gm), lapse.p_active(summary, bg, gg, t)

    return predict
