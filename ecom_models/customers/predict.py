"""Per-customer predictions from the fitted models, on the store's operational clock (see
`season`), with 80% intervals from draws of each customer's posterior."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.customers.lapse import LapseModel
from ecom_models.customers.models import BetaGeo, GammaGamma, spend_inputs
from ecom_models.customers.season import horizon_on_clock, on_clock, seasonality

INTERVAL = (0.10, 0.90)  # 80% intervals


def fit_models(summary: pd.DataFrame) -> tuple[BetaGeo, GammaGamma]:
    bg = BetaGeo.fit(summary["frequency"], summary["recency"], summary["T"])
    gg = GammaGamma.fit(*spend_inputs(summary))
    return bg, gg


def predict_frame(summary: pd.DataFrame, bg: BetaGeo, gg: GammaGamma, horizons: dict[int, float],
                  draws: int = 60, lapse: LapseModel | None = None) -> pd.DataFrame:
    """One row per customer: p_alive, and per horizon h (calendar days; `horizons` maps each to
    its length on the operational clock): p_active_h, expected_purchases_h (+ _low, _high),
    expected_spend_h (+ _low, _high), spend_per_purchase. `summary` on the operational clock."""
    x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    gx, gm = spend_inputs(summary)
    per = gg.expected_spend(gx, gm)
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(), "p_alive": bg.p_alive(x, tx, T),
                        "spend_per_purchase": per})
    chunk = 20_000  # bounded memory: 20k customers x draws at a time
    states = [(slice(i, i + chunk), bg.sample_state(x[i:i + chunk], tx[i:i + chunk], T[i:i + chunk], draws, seed=i),
               gg.sample_scale(gx[i:i + chunk], gm[i:i + chunk], (len(x[i:i + chunk]), draws), seed=i + 1))
              for i in range(0, len(x), chunk)]
    for h, t in horizons.items():
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
        # a customer unlikely to buy has the range 0-0 and a small expected value above it: both true
        out[f"expected_purchases_{h}_low"], out[f"expected_purchases_{h}_high"] = lo_p, hi_p
        out[f"expected_spend_{h}_low"], out[f"expected_spend_{h}_high"] = lo_s, hi_s
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
        cutoff = summary.attrs["cutoff"]
        index, _ = seasonality(days_before, cutoff)
        summary = on_clock(summary, index)
        bg, gg = fit(summary)
        x, tx, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
        gx, gm = spend_inputs(summary)
        t = horizon_on_clock(cutoff, holdout_days, index)
        purchases = bg.expected_purchases(t, x, tx, T)
        lapse = LapseModel().fit(days_before, cutoff, holdout_days, fit, index)
        return purchases, purchases * gg.expected_spend(gx, gm), lapse.p_active(summary, bg, gg, t)

    return predict
