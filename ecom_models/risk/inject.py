"""How much fraud the review queue would catch on *this* store: synthetic fraud injected into a
copy of the store's own orders, scored by the same detector, counted at the review capacity.

Without labels nobody knows which of a store's orders are fraud, but we do know what fraud
looks like to the detector. `inject_fraud` writes orders of five kinds into a copy of the
store's recent orders, built from the store's own products, prices, customers, countries and
hours:

    bulk         a new customer buys one or two products at 10-30x their usual quantity
    price        a pricing-error abuse: 70-95% below the usual unit price, in quantity
    card_test    a new customer places 3-5 small orders within 40 minutes
    night        a new customer, an ordinary basket, at the store's rarest hour, from its
                 rarest country
    takeover     an existing repeat customer spends 4-8x their usual, from a country they
                 never ordered from

`measure_catch` scores the copy (`risk.score_orders`) and returns `CatchEvidence`: the
injected orders' ranks, so the catch share at any review capacity is a count, not a refit.
This module returns evidence only; `ecom_models.value.valuation.risk_value` prices it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from ecom_models.core.evidence import CatchEvidence, RiskEvidence
from ecom_models.intake.orders import store_figures

PATTERNS = ("bulk", "price", "card_test", "night", "takeover")
WINDOW_DAYS = 120  # the copy holds the store's most recent orders: enough history, bounded cost
PREFIX = "SYNTHFRAUD-"


def _recent(orders: pd.DataFrame, window_days: float) -> pd.DataFrame:
    dates = pd.to_datetime(orders["order_date"], errors="coerce")
    end = dates.max()
    return orders[dates > end - pd.Timedelta(days=window_days)]


def inject_fraud(orders: pd.DataFrame, n: int = 60, seed: int = 0, patterns=PATTERNS) -> tuple[pd.DataFrame, dict[str, str]]:
    """A copy of `orders` with about `n` synthetic fraud orders added.

    Returns (frame, {order_id: pattern}). Products, prices, customers, countries and hours come
    from the store itself, so the injected orders differ from the store only by the pattern."""
    from ecom_models.risk.features import sale_lines

    rng = np.random.default_rng(seed)
    sales = sale_lines(orders)
    if sales.empty:
        return orders.copy(), {}
    prod = sales.groupby("product_id").agg(price=("unit_price", "median"), qty=("quantity", "median"),
                                           n=("order_id", "size"))
    prod = prod[(prod["price"] > 0) & (prod["qty"] > 0)]
    if prod.empty:
        return orders.copy(), {}
    weights = (prod["n"] / prod["n"].sum()).to_numpy()
    names = sales.drop_duplicates("product_id").set_index("product_id")
    dates = pd.to_datetime(sales["order_date"])
    t0, t1 = dates.min(), dates.max()
    span_days = max((t1 - t0).days, 1)
    hours = dates.dt.hour.value_counts().reindex(range(24), fill_value=0)
    rare_hours = hours.sort_values(kind="stable").index[:3].to_numpy()
    usual_hours = hours.sort_values(ascending=False, kind="stable").index[:8].to_numpy()
    country = sales["country"].astype("str") if "country" in sales else pd.Series(pd.NA, index=sales.index, dtype="str")
    counts = country.dropna().value_counts()
    main_country = counts.index[0] if len(counts) else None
    rare_country = counts.index[-1] if len(counts) > 1 else main_country
    cust = sales.dropna(subset=["customer_id"]) if "customer_id" in sales else sales.iloc[:0]
    per_cust = cust.groupby("customer_id").agg(n=("order_id", "nunique"))
    repeat = per_cust[per_cust["n"] >= 3].index.to_numpy()
    order_total = sales.groupby("order_id")["revenue"].sum()
    currency = str(orders["currency"].mode().iloc[0]) if "currency" in orders and orders["currency"].notna().any() else "USD"
    template = {c: pd.NA for c in orders.columns}
    rows: list[dict] = []
    ids: dict[str, str] = {}
    counter = [0]

    def when(hour_pool) -> pd.Timestamp:
        d = t0.normalize() + pd.Timedelta(days=int(rng.integers(0, span_days + 1)))
        return d + pd.Timedelta(hours=int(rng.choice(hour_pool)), minutes=int(rng.integers(0, 60)))

    def pick(k: int) -> pd.DataFrame:
        idx = rng.choice(len(prod), size=min(k, len(prod)), replace=False, p=weights)
        return prod.iloc[idx]

    def add(pattern, ts, customer, where, items):
        counter[0] += 1
        oid = f"{PREFIX}{seed}-{counter[0]}"
        ids[oid] = pattern
        for pid, qty, unit in items:
            qty = float(max(1.0, round(qty)))
            row = dict(template)
            row.update({"order_id": oid, "order_date": ts, "customer_id": customer, "product_id": pid,
                        "product_name": names.loc[pid, "product_name"] if "product_name" in names else pid,
                        "quantity": qty, "unit_price": float(unit), "revenue": round(qty * float(unit), 2),
                        "discount": 0.0, "currency": currency, "country": where, "line_type": "sale",
                        "is_duplicate": False})
            if "category" in names and "category" in orders:
                row["category"] = names.loc[pid, "category"]
            rows.append(row)

    per = max(1, n // len(patterns))
    for pattern in patterns:
        for i in range(per):
            new_customer = f"{PREFIX}C{seed}-{pattern}-{i}"
            if pattern == "bulk":
                items = [(p, r.qty * rng.uniform(10, 30), r.price) for p, r in pick(int(rng.integers(1, 3))).iterrows()]
                add(pattern, when(usual_hours), new_customer, main_country, items)
            elif pattern == "price":
                items = [(p, r.qty * rng.uniform(3, 10), r.price * rng.uniform(0.05, 0.3))
                         for p, r in pick(int(rng.integers(1, 4))).iterrows()]
                add(pattern, when(usual_hours), None if i % 2 else new_customer, main_country, items)
            elif pattern == "card_test":
                start = when(usual_hours)
                for _ in range(int(rng.integers(3, 6))):
                    if sum(1 for v in ids.values() if v == "card_test") >= per:
                        break
                    items = [(p, r.qty, r.price) for p, r in pick(int(rng.integers(1, 3))).iterrows()]
                    add(pattern, start + pd.Timedelta(minutes=int(rng.integers(0, 40))), new_customer, main_country, items)
            elif pattern == "night":
                items = [(p, r.qty * 2, r.price) for p, r in pick(int(rng.integers(2, 6))).iterrows()]
                add(pattern, when(rare_hours), new_customer, rare_country, items)
            elif pattern == "takeover":
                if len(repeat) == 0:
                    continue
                c = repeat[int(rng.integers(0, len(repeat)))]
                theirs = cust[cust["customer_id"] == c]
                usual = float(order_total.reindex(theirs["order_id"].unique()).median())
                basket = pick(int(rng.integers(3, 8)))
                base = float((basket["qty"] * basket["price"]).sum())
                scale = max(1.0, rng.uniform(4, 8) * usual / base) if base > 0 and usual == usual else 4.0
                seen = set(country.loc[theirs.index].dropna())
                away = next((k for k in counts.index[::-1] if k not in seen), rare_country)
                add(pattern, when(usual_hours), c, away, [(p, r.qty * scale, r.price) for p, r in basket.iterrows()])
    if not rows:
        return orders.copy(), {}
    fraud = pd.DataFrame(rows, columns=list(orders.columns))
    for col in orders.columns:  # keep the store's dtypes (strings stay strings)
        try:
            fraud[col] = fraud[col].astype(orders[col].dtype)
        except (TypeError, ValueError):
            pass
    return pd.concat([orders, fraud], ignore_index=True), ids


def measure_catch(orders: pd.DataFrame, capacity_per_day: float = 5.0, n: int = 60, seed: int = 0,
                  window_days: float = WINDOW_DAYS) -> CatchEvidence:
    """Inject synthetic fraud into a copy of the store's recent orders, score the copy, and count
    the injected orders among the `capacity_per_day x days` riskiest."""
    return _measure(orders, capacity_per_day, n, seed, window_days)[0]


def _measure(orders, capacity_per_day, n, seed, window_days):
    """(CatchEvidence, ranks of the store's own orders in the scored copy)."""
    from ecom_models.risk.scoring import score_orders

    started = time.perf_counter()
    recent = _recent(orders, window_days)
    copy, ids = inject_fraud(recent, n=n, seed=seed)
    result = score_orders(copy)
    ranked = result.orders[["order_id", "rank"]]
    fake = ranked["order_id"].astype("str").isin(ids.keys()).to_numpy()
    real_orders = int((~fake).sum())
    dates = pd.to_datetime(result.orders.loc[~fake, "order_date"])
    days = max(1.0, (dates.max() - dates.min()).total_seconds() / 86400 + 1) if len(dates) else 1.0
    ranks = ranked.loc[fake, "rank"].to_numpy(int)
    patterns = ranked.loc[fake, "order_id"].astype("str").map(ids).to_numpy()
    ev = CatchEvidence(injected=int(fake.sum()), caught=0, reviewed=0, orders_in_window=real_orders, window_days=days,
                       capacity_per_day=capacity_per_day, seconds=0.0)
    ev = _with_ranks(ev, ranks, patterns, capacity_per_day)
    own = pd.Series(ranked.loc[~fake, "rank"].to_numpy(int), index=ranked.loc[~fake, "order_id"].astype("str").to_numpy())
    return replace(ev, seconds=time.perf_counter() - started), own


def _with_ranks(ev: CatchEvidence, ranks: np.ndarray, patterns: np.ndarray, capacity: float) -> CatchEvidence:
    reviewed = int(min(ev.orders_in_window + len(ranks), round(capacity * ev.window_days)))
    hit = ranks <= reviewed
    by = {p: (int((patterns == p).sum()), int((hit & (patterns == p)).sum())) for p in PATTERNS if (patterns == p).any()}
    by["_ranks"] = tuple(int(r) for r in ranks)
    by["_patterns"] = tuple(str(p) for p in patterns)
    return replace(ev, caught=int(hit.sum()), reviewed=reviewed, capacity_per_day=float(capacity), by_pattern=by)


def at_capacity(ev: CatchEvidence, capacity_per_day: float) -> CatchEvidence:
    """The same measurement read at another review capacity (no rescoring)."""
    ranks = np.asarray(ev.by_pattern.get("_ranks", ()), dtype=int)
    patterns = np.asarray(ev.by_pattern.get("_patterns", ()), dtype=object)
    if len(ranks) == 0:
        return replace(ev, capacity_per_day=float(capacity_per_day))
    return _with_ranks(ev, ranks, patterns, capacity_per_day)


def risk_evidence(orders: pd.DataFrame, capacity_per_day: float = 5.0, labels: dict[str, str] | None = None,
                  result=None, catch: CatchEvidence | None = None, seed: int = 0) -> RiskEvidence:
    """Everything the risk row rests on. `result`: the store's own scores (a RiskResult), used to
    place the merchant's decided orders inside or outside the review queue; scored here when
    there are decisions and no result."""
    figs = store_figures(orders)
    own = None
    if catch is None:
        catch, own = _measure(orders, capacity_per_day, 60, seed, WINDOW_DAYS)
    decided = {str(k): v for k, v in (labels or {}).items() if v in ("fraud", "fine")}
    d = df = dfi = dffi = n_ratio = 0
    ratio = log_sd = float("nan")
    ranked_extra = _ranked(result, decided, capacity_per_day) if result is not None else {}
    if decided and (result is not None or own is not None):
        if result is not None:  # the store's own scores: every decision can be placed
            ranked = result.orders[["order_id", "rank", "order_date"]]
            dates = pd.to_datetime(ranked["order_date"])
            days = max(1.0, (dates.max() - dates.min()).total_seconds() / 86400 + 1)
            ranks, k = pd.Series(ranked["rank"].to_numpy(), index=ranked["order_id"].astype("str")), capacity_per_day * days
        else:  # decisions on the recent orders scored with the injected copy
            ranks, k = own, catch.reviewed
        mine = ranks[ranks.index.isin(decided.keys())]
        frauds = [o for o in mine.index if decided[o] == "fraud"]
        if frauds and figs["order_value"] == figs["order_value"] and figs["order_value"] > 0:
            from ecom_models.risk.features import sale_lines

            lines = sale_lines(orders)
            values = lines[lines["order_id"].astype("str").isin(frauds)].groupby("order_id")["revenue"].sum()
            ratio, n_ratio = float(values.mean() / figs["order_value"]), len(values)
            positive = values[values > 0]
            log_sd = float(np.log(positive).std(ddof=1)) if len(positive) > 1 else float("nan")
        is_fraud = pd.Series(mine.index).map(decided).eq("fraud").to_numpy()
        in_queue = (mine.to_numpy() <= k)
        d, df = len(mine), int(is_fraud.sum())
        dfi, dffi = int(in_queue.sum()), int((is_fraud & in_queue).sum())
    per_day = figs["monthly_orders"] / 30.44 if figs["monthly_orders"] == figs["monthly_orders"] else float("nan")
    return RiskEvidence(catch=catch, monthly_orders=figs["monthly_orders"], order_value=figs["order_value"],
                        capacity_per_day=float(capacity_per_day), orders_per_day=per_day, decided=d, decided_fraud=df,
                        decided_in_queue=dfi, decided_fraud_in_queue=dffi, currency=figs["currency"],
                        fraud_value_ratio=ratio, fraud_value_n=n_ratio, fraud_value_log_sd=log_sd, **ranked_extra)


MAX_CAPACITY = 50  # the most reviews a day the pages offer: the evidence keeps that many orders' values


def _ranked(result, decided: dict[str, str], capacity_per_day: float) -> dict:
    """The store's own ranking for the rank-aware price: the values of its riskiest orders and each
    decision's (rank, fraud, value)."""
    df = result.orders
    dates = pd.to_datetime(df["order_date"])
    days = max(1.0, (dates.max() - dates.min()).total_seconds() / 86400 + 1) if len(df) else 1.0
    ordered = df.sort_values("rank", kind="stable")
    keep = int(min(len(df), np.ceil(max(MAX_CAPACITY, capacity_per_day) * days)))
    values = tuple(round(float(v), 2) for v in ordered["order_value"].to_numpy(float)[:keep])
    ids = df["order_id"].astype("str")
    mine = df[ids.isin(decided.keys()).to_numpy()]
    decisions = tuple((int(r), int(decided[str(o)] == "fraud"), round(float(v), 2))
                      for o, r, v in zip(mine["order_id"].astype("str"), mine["rank"], mine["order_value"]))
    return {"period_days": float(days), "n_ranked": len(df), "ranked_values": values, "decisions": decisions}
