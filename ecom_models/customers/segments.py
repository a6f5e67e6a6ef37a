"""Segments as merchants name them, each with its rule in one line, and the win-back list.

A store whose customers buy every week and one whose customers buy once a year cannot share
fixed probability cut-offs: "likely" and "unlikely" are the top and bottom thirds of the store's
own customers by their chance of buying within the horizon (P(active)), and the rules printed
on the page carry the store's own cut-off values. "Top spenders" are the 20% with the highest
total spend so far. The first rule that holds names the customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENT_RULES = {
    "champions": "top-20% spenders with 3+ purchases and a likely chance of buying in the next {h} days (≥ {hi})",
    "loyal": "3+ purchases and a likely chance of buying in the next {h} days (≥ {hi})",
    "promising": "1-2 purchases and a likely chance of buying in the next {h} days (≥ {hi})",
    "needs attention": "2+ purchases, an average chance of buying in the next {h} days ({lo}-{hi}), not halved "
                       "since their last purchase",
    "can't lose them": "top-20% spenders with 2+ purchases whose chance of buying in the next {h} days fell below "
                       "{lo} or has halved since their last purchase",
    "at risk": "2+ purchases, chance of buying in the next {h} days below {lo} or halved since their last "
               "purchase, but above {lost}",
    "hibernating": "one purchase, chance of buying in the next {h} days below {hi} but above {lost}",
    "lost": "chance of buying in the next {h} days below {lost}",
}
TOP_SHARE = 0.2
LIKELY, UNLIKELY, LOST = 2 / 3, 1 / 3, 0.1  # quantiles of P(active): top third, bottom third, bottom tenth
WINBACK_VALUE_SHARE = 0.4  # the win-back list: the top 40% by past spend...
WINBACK_FALL = 0.5  # ...whose P(active) is at most half what it was right after their last purchase...
WINBACK_GONE_DAYS = 365  # ...and who bought within the last year (longer gone: a campaign rarely reaches them)


def thresholds(p_active: np.ndarray) -> dict:
    """The store's own cut-offs: hi (top third), lo (bottom third), lost (bottom tenth)."""
    if len(p_active) == 0:
        return {"hi": 0.5, "lo": 0.3, "lost": 0.1}
    hi, lo, lost = np.quantile(p_active, [LIKELY, UNLIKELY, LOST])
    return {"hi": float(hi), "lo": float(lo), "lost": float(lost)}


def assign_segments(customers: pd.DataFrame, horizon_days: int) -> np.ndarray:
    p = customers[f"p_active_{horizon_days}"].to_numpy()
    cut = thresholds(p)
    n = customers["purchases"].to_numpy()
    spend = customers["total_spend"].to_numpy()
    top = spend >= np.quantile(spend, 1 - TOP_SHARE) if len(spend) else spend > 0
    likely, unlikely, lost = p >= cut["hi"], p < cut["lo"], p < cut["lost"]
    # a regular who stopped can still sit mid-store (most customers bought once and have a low chance
    # anyway): their own fall, as on the win-back list, says they are slipping away
    falling = (customers["chance_lost"].to_numpy() >= 1 - WINBACK_FALL if "chance_lost" in customers
               else np.zeros(len(p), dtype=bool))
    conditions = [
        top & (n >= 3) & likely,
        (n >= 3) & likely,
        (n <= 2) & likely,
        (n >= 2) & ~unlikely & ~falling,
        top & (n >= 2) & (unlikely | falling),
        (n >= 2) & ~lost,
        (n < 2) & ~lost,
    ]
    names = list(SEGMENT_RULES)
    return np.select(conditions, names[:-1], default=names[-1])


def segment_rules(customers: pd.DataFrame, horizon_days: int) -> dict[str, str]:
    cut = thresholds(customers[f"p_active_{horizon_days}"].to_numpy())
    words = {k: f"{v:.0%}" if v >= 0.095 else f"{v:.1%}" for k, v in cut.items()}
    return {name: rule.format(h=horizon_days, **words) for name, rule in SEGMENT_RULES.items()}


def value_at_stake(customers: pd.DataFrame, bg, gg, t: float) -> np.ndarray:
    """Expected spend over the horizon had the customer just bought (their usual pace), minus
    the spend now expected: what slipping away costs."""
    from ecom_models.customers.models import spend_inputs

    x, tx = customers["frequency"].to_numpy(dtype=float), customers["recency"].to_numpy(dtype=float)
    T = customers["T"].to_numpy(dtype=float)
    per = gg.expected_spend(*spend_inputs(customers))
    usual = bg.expected_purchases(t, x, tx, tx)  # as if the cut-off were the day of the last purchase
    now = bg.expected_purchases(t, x, tx, T)
    return np.maximum(usual - now, 0.0) * per


def chance_lost(customers: pd.DataFrame, bg, t: float) -> np.ndarray:
    """The share of their chance of buying (BG/NBD) a customer has lost since their last purchase."""
    x, tx = customers["frequency"].to_numpy(dtype=float), customers["recency"].to_numpy(dtype=float)
    T = customers["T"].to_numpy(dtype=float)
    then = bg.p_active(t, x, tx, tx)
    return np.clip(1.0 - bg.p_active(t, x, tx, T) / np.maximum(then, 1e-12), 0.0, 1.0)


WINBACK_COLUMNS = ["customer_id", "segment", "total_spend", "purchases", "last_purchase", "days_since",
                   "p_active", "chance_lost", "value_at_stake", "expected_spend_if_back"]


def winback_list(customers: pd.DataFrame, horizon_days: int, recommendations: pd.DataFrame | None = None,
                 limit: int = 500) -> pd.DataFrame:
    """High past value, a falling P(active), gone less than a year, ranked by value at stake; with up to three
    recommended products per customer when a recommendations frame (customer_id, product_id,
    product_name?, score? or rank?) is given."""
    c = customers
    if c.empty:
        return pd.DataFrame(columns=WINBACK_COLUMNS)
    spend = c["total_spend"].to_numpy()
    high = spend >= np.quantile(spend, 1 - WINBACK_VALUE_SHARE)
    falling = c["chance_lost"].to_numpy() >= 1 - WINBACK_FALL
    recent = c["days_since"].to_numpy() <= max(WINBACK_GONE_DAYS, 2 * horizon_days)
    w = c[high & falling & recent & (c["value_at_stake"].to_numpy() > 0)].copy()
    # a customer who comes back buys at least once, at their usual pace over the horizon
    w["expected_spend_if_back"] = np.maximum(w["spend_per_purchase"], w["value_at_stake"] + w[f"expected_spend_{horizon_days}"])
    w = w.sort_values("value_at_stake", ascending=False, kind="stable").head(limit)
    w = w[[col for col in WINBACK_COLUMNS if col in w]].reset_index(drop=True)
    if recommendations is not None and len(recommendations) and len(w):
        w["recommended_products"] = _top3(recommendations, w["customer_id"])
    return w


def _top3(recs: pd.DataFrame, ids: pd.Series) -> list[str]:
    r = recs[recs["customer_id"].isin(set(ids))].copy()
    if "rank" in r:
        r = r.sort_values(["customer_id", "rank"], kind="stable")
    elif "score" in r:
        r = r.sort_values(["customer_id", "score"], ascending=[True, False], kind="stable")
    label = r["product_name"].fillna(r["product_id"]).astype(str) if "product_name" in r else r["product_id"].astype(str)
    top = label.groupby(r["customer_id"]).apply(lambda s: "; ".join(s.head(3)))
    return [top.get(i, "") for i in ids]
