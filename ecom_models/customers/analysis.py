"""Everything the Customers page and the `customers` command show, from one orders frame.

`analyse_customers(orders, horizon_days=90, cutoff=None)` -> CustomersResult:
- `customers`: one row per customer (predictions over 90/180/365 days and the chosen horizon,
  segment, value at stake);
- `backtest`: the honest check (backtest.Backtest as a dict);
- `cohorts`, `repeat`: retention tables; `winback`: the customers worth winning back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.customers.backtest import run_backtest
from ecom_models.customers.lapse import LapseModel
from ecom_models.customers.models import MIN_CUSTOMERS
from ecom_models.customers.predict import cached_fitter, predict_frame, predictor
from ecom_models.customers.retention import cohort_table, repeat_curve
from ecom_models.customers.season import horizon_on_clock, on_clock, seasonality
from ecom_models.customers.segments import (
    assign_segments,
    chance_lost,
    segment_rules,
    value_at_stake,
    winback_list,
)
from ecom_models.customers.summary import customer_summary, purchase_days

HORIZONS = (90, 180, 365)


@dataclass
class CustomersResult:
    horizon_days: int
    as_of: str
    customers: pd.DataFrame
    backtest: dict | None
    cohorts: pd.DataFrame
    repeat: pd.DataFrame
    winback: pd.DataFrame
    guest_lines: int = 0
    guest_orders: int = 0
    median_days_between: float | None = None
    seasonal_factor: float = 1.0
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)

    @property
    def segments(self) -> pd.DataFrame:
        """Segment, rule, customers, share, total spend, expected spend over the horizon."""
        c = self.customers
        h = self.horizon_days
        g = c.groupby("segment").agg(customers=("customer_id", "size"), total_spend=("total_spend", "sum"),
                                     expected_spend=(f"expected_spend_{h}", "sum"))
        rows = []
        for name, rule in segment_rules(c, h).items():
            if name in g.index:
                rows.append({"segment": name, "rule": rule, "customers": int(g.loc[name, "customers"]),
                             "share": float(g.loc[name, "customers"] / max(len(c), 1)),
                             "total_spend": float(g.loc[name, "total_spend"]),
                             "expected_spend": float(g.loc[name, "expected_spend"])})
        return pd.DataFrame(rows)


def analyse_customers(orders: pd.DataFrame, horizon_days: int = 90, cutoff=None, backtest: bool = True,
                      recommendations: pd.DataFrame | None = None) -> CustomersResult:
    """`cutoff`: the backtest's cut-off (default: the last quarter held out). `recommendations`:
    optional customer_id, product_id[, product_name, score] frame from Recommendations."""
    if horizon_days < 1 or horizon_days > 730:
        raise InputError("--horizon-days must be between 1 and 730.", fix="e.g. --horizon-days 90.")
    days = purchase_days(orders)
    guests = days.attrs.get("guest_lines", 0), days.attrs.get("guest_orders", 0)
    summary = customer_summary(days)
    if len(summary) < MIN_CUSTOMERS:
        why = ("every sale line is a guest checkout (no customer id)" if len(summary) == 0 and guests[0]
               else f"only {len(summary)} customers have an id")
        raise InputError(f"customer models need at least {MIN_CUSTOMERS} customers with an id; {why}.",
                         column="customer_id", fix="map the column holding the customer id or e-mail.")
    as_of = summary.attrs["cutoff"]
    notes = []
    if guests[0]:
        notes.append(f"{guests[1]:,} guest orders ({guests[0]:,} lines) have no customer id and are left out.")
    index, season_note = seasonality(days, as_of)
    notes.append(season_note)
    on = on_clock(summary, index)
    fit = cached_fitter()
    bg, gg = fit(on)
    clock = {h: horizon_on_clock(as_of, h, index) for h in sorted(set(HORIZONS) | {int(horizon_days)})}
    t = clock[int(horizon_days)]
    lapse = LapseModel().fit(days, as_of, horizon_days, fit, index)
    notes.append(lapse.note)
    pred = predict_frame(on, bg, gg, horizons=clock, lapse=lapse)
    customers = summary.merge(pred, on="customer_id")
    customers["p_active"] = customers[f"p_active_{horizon_days}"]
    customers["chance_lost"] = chance_lost(on, bg, t)
    customers["value_at_stake"] = value_at_stake(on, bg, gg, t)
    customers["segment"] = assign_segments(customers, horizon_days)
    bt = None
    if backtest:
        try:
            bt = run_backtest(days, predictor(fit), cutoff=cutoff).__dict__
        except InputError as exc:
            if cutoff is not None:
                raise
            notes.append(f"No backtest: {exc.message}")
    gaps = days.sort_values(["customer_id", "day"]).groupby("customer_id")["day"].diff().dt.days.dropna()
    return CustomersResult(
        horizon_days=int(horizon_days), as_of=as_of.date().isoformat(), customers=customers, backtest=bt,
        cohorts=cohort_table(days), repeat=repeat_curve(summary),
        winback=winback_list(customers, horizon_days, recommendations), guest_lines=int(guests[0]),
        guest_orders=int(guests[1]), median_days_between=float(gaps.median()) if len(gaps) else None,
        seasonal_factor=t / horizon_days, notes=[n for n in notes if n],
        params={"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "v": gg.v})
