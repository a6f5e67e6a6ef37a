"""Calibration of the money rows on simulated stores whose truth we know.

Risk: an invoice-style store (ecom_models.demo.wholesale, the one the risk tests use: wholesale
and retail customers, a home country and a foreign tail, opening hours, quantity tiers, guests,
cancellations) with fraud planted in a known
share of its orders (0%, 0.3%, 1%, 3%). Truth = the value of the planted fraud orders that
land among the `capacity x days` riskiest orders when the real detector scores the store,
per month. Estimate = `valuation.risk_value` on the same store, with no labels, or with the
merchant's decisions on the review queue of the last 30 days (labels = the truth).

Recommendations: a store generated from latent tastes (`recommend.synthetic_interactions`)
with a known online effect of the widget: 0 (purchases without any taste structure, so no
model can beat best sellers) or +5% of revenue (strong tastes). Estimate =
`valuation.recommendations_value` from the measured offline hit-rate gain. This checks that
the transfer prior is wide enough for both worlds; it cannot check the prior itself (only
online A/B tests can).

A row covers the truth when low <= truth <= high. `bench/value_calibration.py` prints the
coverage table over many seeds; tests/test_value_calibration.py runs a few.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.demo.wholesale import wholesale_store


def plant_fraud(orders: pd.DataFrame, rate: float, seed: int) -> tuple[pd.DataFrame, set[str]]:
    """The store with fraud in `rate` of its orders (the five patterns, their own random draws)."""
    from ecom_models.risk.inject import inject_fraud

    n_orders = int(orders.loc[orders["line_type"] == "sale", "order_id"].nunique())
    n = int(round(rate * n_orders / (1 - rate))) if rate > 0 else 0
    if n == 0:
        return orders, set()
    # a different seed space from the measurement's injection (which uses seeds 0, 1, ...)
    planted, ids = inject_fraud(orders, n=n, seed=10_000 + seed)
    planted["order_id"] = planted["order_id"].astype("str").str.replace("SYNTHFRAUD-", "PLANTED-", regex=False)
    planted["customer_id"] = planted["customer_id"].astype("str").str.replace("SYNTHFRAUD-", "PLANTED-", regex=False)
    return planted, {k.replace("SYNTHFRAUD-", "PLANTED-") for k in ids}


SHAPES = ("recent", "random", "top20", "top50", "top100", "top200", "scattered", "outside")


def decision_sample(queue_ids: list[str], all_ids: list[str], recent_ids: list[str], shape: str, seed: int,
                    n: int = 100) -> list[str]:
    """The orders a merchant decides on, by shape. `queue_ids` and `all_ids` riskiest first.

    recent: every queue order of the last 30 days; random: n queue orders at random; topN: the N
    riskiest; scattered: n orders of the whole store at random; outside: n orders at random
    among the next 2 queues' worth below the queue (none inside it)."""
    rng = np.random.default_rng(20_000 + seed)
    if shape == "recent":
        return list(recent_ids)
    if shape == "random":
        return list(rng.choice(queue_ids, min(n, len(queue_ids)), replace=False))
    if shape.startswith("top"):
        return list(all_ids[:int(shape[3:])])
    if shape == "scattered":
        return list(rng.choice(all_ids, min(n, len(all_ids)), replace=False))
    if shape == "outside":
        below = all_ids[len(queue_ids):3 * len(queue_ids)]
        return list(rng.choice(below, min(n, len(below)), replace=False))
    raise ValueError(f"unknown decision shape {shape!r}; one of {SHAPES}")


def risk_case(rate: float, seed: int, capacity_per_day: float = 2.0, n_orders: int = 2500, days: int = 120,
              shapes: tuple[str, ...] = ("recent",)) -> list[dict]:
    """One simulated store: the truth and the risk row's estimate (per month), without labels
    (shape "none") and with the merchant's decisions of each shape (`decision_sample`; the
    labels are the truth)."""
    from ecom_models.risk import score_orders

    store, fraud = plant_fraud(wholesale_store(n_orders, days, seed=seed), rate, seed)
    return value_with_decisions(store, fraud, score_orders(store), capacity_per_day, shapes, seed,
                                extra={"rate": rate})


def value_with_decisions(store: pd.DataFrame, fraud: set[str], scored, capacity_per_day: float,
                         shapes: tuple[str, ...], seed: int, extra: dict | None = None) -> list[dict]:
    """Truth (the planted fraud among the `capacity x days` riskiest, per month) and the risk row
    without decisions and with decisions of each shape, on one scored store."""
    from ecom_models.intake.orders import store_figures
    from ecom_models.risk.inject import risk_evidence
    from ecom_models.value.risk_decisions import queue_size
    from ecom_models.value.valuation import risk_value

    ranked = scored.orders
    dates = pd.to_datetime(ranked["order_date"])
    span = max(1.0, (dates.max() - dates.min()).total_seconds() / 86400 + 1)
    # the queue the row prices (2 a day over 120.4 days: 241 orders, not 240): with another count the
    # truth and the row disagree on one order, the very one "outside" decisions start at
    k = queue_size(capacity_per_day, span, len(ranked))
    queue = ranked[ranked["rank"] <= k]
    truth = float(queue.loc[queue["order_id"].isin(fraud), "order_value"].sum()) / span * 30.44
    recent = queue[pd.to_datetime(queue["order_date"]) > dates.max() - pd.Timedelta(days=30)]
    all_ids = ranked.sort_values("rank")["order_id"].astype("str").tolist()
    revenue = store_figures(store)["monthly_net_revenue"]
    out, catch = [], None
    for shape in ("none", *shapes):
        picked = [] if shape == "none" else decision_sample(all_ids[:len(queue)], all_ids,
                                                            recent["order_id"].astype("str").tolist(), shape, seed)
        labels = {o: ("fraud" if o in fraud else "fine") for o in picked}  # the merchant's review
        ev = risk_evidence(store, capacity_per_day, labels=labels or None, result=scored, seed=seed, catch=catch)
        catch = ev.catch  # the same measurement serves every shape
        est = risk_value(ev)
        out.append({**(extra or {}), "seed": seed, "labels": bool(labels), "shape": shape, "truth": truth,
                    "value": est.monthly_value, "low": est.monthly_low, "high": est.monthly_high, "revenue": revenue,
                    "covered": est.monthly_low - 1e-9 <= truth <= est.monthly_high + 1e-9,
                    "catch": ev.catch.catch_share, "kind": est.evidence_kind, "decisions": len(labels),
                    "decided_fraud": sum(v == "fraud" for v in labels.values())})
    return out


def recommendation_case(effect: float, seed: int, n_users: int = 600, n_items: int = 300,
                        n_interactions: int = 12_000) -> dict:
    """One simulated store whose widget lifts revenue by `effect` (0 or 0.05): truth and estimate."""
    from ecom_models import recommend as R
    from ecom_models.intake.orders import store_figures
    from ecom_models.value.valuation import recommendations_value

    # A +5% world needs a large offline gain: with the priors' median widget reach (8% of orders)
    # and transfer (20%), 5% of revenue takes about +90% offline and 70% of it online.
    inter = R.synthetic_interactions(n_users, n_items, n_interactions, n_clusters=40, affinity=0.95, seed=seed)
    if effect == 0:  # no taste at all: every customer buys by popularity alone
        rng = np.random.default_rng(seed)
        pop = inter["item_id"].value_counts(normalize=True)
        inter["item_id"] = rng.choice(pop.index.to_numpy(), len(inter), p=pop.to_numpy())
        inter = inter.drop_duplicates()
    rng = np.random.default_rng(seed + 1)
    start = pd.Timestamp("2026-01-01")
    orders = pd.DataFrame({
        "order_id": pd.array([f"O{i}" for i in range(len(inter))], dtype="str"),
        "order_date": start + pd.to_timedelta(rng.integers(0, 180 * 24, len(inter)), unit="h"),
        "customer_id": pd.array(inter["user_id"].to_numpy(), dtype="str"),
        "product_id": pd.array(inter["item_id"].to_numpy(), dtype="str"),
        "quantity": 1.0, "unit_price": 20.0, "revenue": 20.0, "currency": "EUR", "line_type": "sale",
        "is_duplicate": False,
    })
    report = R.build_recommender(R.interactions_from_orders(orders), k=10, include_deep=False)
    te = report.test_evals
    gain = None
    if report.chosen in te and "popularity" in te and report.chosen != "popularity":
        gain = R.paired_gain(te[report.chosen], te["popularity"], "hit")
    figs = store_figures(orders)
    est = recommendations_value(gain, report=report, monthly_orders=figs["monthly_orders"],
                                order_value=figs["order_value"], currency="EUR")
    revenue = figs["monthly_net_revenue"]
    truth = effect * revenue
    return {"effect": effect, "seed": seed, "truth": truth, "value": est.monthly_value, "low": est.monthly_low,
            "high": est.monthly_high, "revenue": revenue, "gain": (gain or {}).get("gain", 0.0),
            "covered": est.monthly_low - 1e-9 <= truth <= est.monthly_high + 1e-9}


def coverage_table(cases: list[dict], by: list[str]) -> pd.DataFrame:
    """Coverage and the median point / range as shares of revenue, per scenario; `width`: the median
    range (high - low) over the truth, where there is a truth to compare with (a range that covers
    by being useless shows here)."""
    df = pd.DataFrame(cases)
    for c in ("truth", "value", "low", "high"):
        df[c + "_share"] = df[c] / df["revenue"]
    df["width"] = ((df["high"] - df["low"]) / df["truth"]).where(df["truth"] > 0)
    return df.groupby(by).agg(seeds=("covered", "size"), coverage=("covered", "mean"),
                              truth=("truth_share", "median"), point=("value_share", "median"),
                              low=("low_share", "median"), high=("high_share", "median"),
                              width=("width", "median")).reset_index()


def wholesaler_case(orders: pd.DataFrame, rate: float = 0.009, shapes: tuple[str, ...] = ("top100",),
                    capacity_per_day: float = 5.0, seed: int = 0) -> list[dict]:
    """The issue's setup on any canonical store (e.g. three months of a UK wholesaler's invoices):
    fraud injected in `rate` of its orders, decisions of each shape, the queue at `capacity_per_day`."""
    from ecom_models.risk import score_orders

    store, fraud = plant_fraud(orders, rate, seed)
    return value_with_decisions(store, fraud, score_orders(store), capacity_per_day, shapes, seed,
                                extra={"rate": rate})
