"""What-if scenarios: what a price change, a promotion, more marketing spend, an extra sale day or
a closure would do to units sold and revenue over the forecast period.

`WhatIf` estimates the price elasticity and the promotion lift from the merchant's own changes
(the log of units on a day against the same weekday one and two weeks earlier), fits a Prophet
baseline at today's prices without promotions, and answers a `Scenario` with daily and total
differences and their 80% ranges (`ScenarioResult`). Scenarios are written as text for the CLI
(`parse_scenario`) and kept by name in the workspace (namespace "forecast.scenarios").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.forecast.backtest import _apply_closed, _check_series, check_horizon, future_frame
from ecom_models.forecast.models import Z80, ProphetModel, holiday_frame
from ecom_models.forecast.series import SeriesData, _retail_event_dates


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

    @property
    def is_empty(self) -> bool:
        """True when the plan changes nothing (no price, promotion, spend, event or closure)."""
        return not (self.price_change or self.promo_periods or self.spend_change or self.events or self.closed)

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

    def baseline(self, horizon: int, base: pd.DataFrame | None = None) -> pd.DataFrame:
        """Prophet's business-as-usual forecast for `horizon` days, made once per horizon: every
        scenario is this times its own effects (predicting again took a second per scenario)."""
        kept = self.__dict__.setdefault("baselines_", {})
        if horizon not in kept:
            if base is None:
                base = future_frame(self.history_, horizon, "D", self.series_.closed_weekdays,
                                    self.series_.closure_dates)
            kept[horizon] = _apply_closed(self.model_.predict(base), base)
        return kept[horizon]

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
        b = self.baseline(horizon, base)
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
