"""Answers the merchant checked by hand correct the bundled confidence curve, with its uncertainty.

The bundled curve transfers to a new store within a few points (docs/support.md); a few answers the merchant
marks right or wrong on the page tell which way this store leans. They shift the curve in logit units,
logit(conf') = logit(conf) + shift, the shift being the most likely one under a normal prior centred on the
bundled curve (`PRIOR_SD`, the spread the bundled curve showed across held-out FAQs) and its standard
deviation from the curvature (Laplace). One number is all a dozen checks can pin down; the checked answers
need not be a random sample, because the shift is fitted given each answer's own confidence.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

# 0.5 in logit units moves a 90% expected precision to 85% or 94%: about the -5 / +5 points the bundled curve
# missed by on held-out FAQs (bench/support.py)
PRIOR_SD = 0.5
Z90 = 1.645
MAX_SHIFT = 4.0


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_shift(confidence, right) -> tuple[float, float]:
    """(shift, its sd) of the curve in logit units from checked answers: confidence of each, right or not."""
    z = _logit(confidence)
    y = np.asarray(right, dtype=float)
    shift = 0.0
    for _ in range(50):  # Newton on the log posterior (concave: converges in a few steps)
        p = 1 / (1 + np.exp(-(z + shift)))
        grad = (y - p).sum() - shift / PRIOR_SD**2
        hess = (p * (1 - p)).sum() + 1 / PRIOR_SD**2
        step = grad / hess
        shift = float(np.clip(shift + step, -MAX_SHIFT, MAX_SHIFT))
        if abs(step) < 1e-8:
            break
    p = 1 / (1 + np.exp(-(z + shift)))
    return shift, float(1 / np.sqrt((p * (1 - p)).sum() + 1 / PRIOR_SD**2))


def shifted(confidence, shift: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(_logit(confidence) + shift)))


def with_checks(analysis, checks: pd.DataFrame | None):
    """(the analysis with its FAQ confidences and trade-off corrected by the checked answers, a summary dict or
    None). `checks`: ticket_id, right (bool) — answers the merchant marked; those of other tickets are ignored."""
    from ecom_models.support.faq import expected_tradeoff

    if analysis.tradeoff is None or checks is None or checks.empty or analysis.tradeoff.n_calibration:
        return analysis, None
    t = analysis.tickets
    conf = t.set_index("ticket_id")["faq_confidence"]
    checks = checks[checks["ticket_id"].isin(conf.index)].drop_duplicates("ticket_id", keep="last")
    if checks.empty:
        return analysis, None
    c = conf.loc[checks["ticket_id"]].to_numpy(dtype=float)
    shift, sd = fit_shift(c, checks["right"].to_numpy(dtype=bool))
    new = np.round(shifted(t["faq_confidence"].to_numpy(dtype=float), shift), 3)
    source = f"the bundled confidence curve corrected by {len(checks)} answer{'s' if len(checks) > 1 else ''} you checked"
    tradeoff = expected_tradeoff(new, source)
    tickets = t.assign(faq_confidence=new)
    summary = {"checked": int(len(checks)), "right": int(checks["right"].sum()), "shift": shift, "sd": sd,
               "low": shift - Z90 * sd, "high": shift + Z90 * sd}
    return dataclasses.replace(analysis, tickets=tickets, tradeoff=tradeoff), summary


def precision_range(analysis, summary: dict, threshold: float) -> tuple[float, float]:
    """90% range of the expected precision of the tickets answered at `threshold`, from the shift's uncertainty."""
    conf = analysis.tickets["faq_confidence"].to_numpy(dtype=float)
    answered = conf >= threshold
    if not answered.any():
        return float("nan"), float("nan")
    base = conf[answered]
    lo = shifted(base, summary["low"] - summary["shift"]).mean()
    hi = shifted(base, summary["high"] - summary["shift"]).mean()
    return float(lo), float(hi)


def answers_to_check(analysis, threshold: float, checked: set, n: int = 1) -> pd.DataFrame:
    """The next answered tickets to check: nearest the threshold first (where a wrong guess costs the most),
    skipping those already checked."""
    t = analysis.tickets
    answered = t[(t["faq_confidence"] >= threshold) & ~t["ticket_id"].isin(checked)] if np.isfinite(threshold) else t.iloc[0:0]
    return answered.sort_values("faq_confidence", kind="stable").head(n)
