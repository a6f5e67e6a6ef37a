"""Risk detectors and the scored result: order features in, a `RiskResult` out, with every
flagged order's reasons in words.

Detectors (all unsupervised, fitted on the store's own orders, no labels needed):

    iforest   PyOD Isolation Forest on the signal matrix (below)
    ecod      PyOD ECOD (empirical-CDF outlier detection) on the same matrix
    tail      "rare signals": the largest signal surprise plus half the second largest
    copod     PyOD COPOD, scored and evaluated for comparison but not averaged in (it did not
              improve the ensemble on the demo or the synthetic stores)

The signal matrix: per order, each signal's largest feature surprise (SIGNALS: size, quantity,
price, discount, velocity, newness, country, channel, hour, weekday), so nothing counts twice.

    ensemble  rank average of the three (the default score)
    baseline  order value alone ("check the biggest orders first"), the simple rule every
              detector is compared with

`score_orders()` returns a `RiskResult`: per order the detector scores, the ensemble
`score` in [0, 1] (the share of the store's orders that look less unusual), `flag` (the top
`contamination` share) and up to three `reasons` in words. pyod is imported inside functions.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.risk.features import (
    FEATURES,
    SIGNALS,
    feature_surprise,
    money_text,
    order_features,
    rank01,
)

DETECTORS = ("iforest", "ecod", "tail")  # averaged into the ensemble
SHOWN_ONLY = ("copod",)  # scored and evaluated for comparison, not in the ensemble
DETECTOR_NAMES = {
    "ensemble": "Ensemble (rank average)",
    "iforest": "Isolation Forest",
    "ecod": "ECOD",
    "tail": "Rare signals",
    "copod": "COPOD (shown, not in the ensemble)",
    "baseline": "Baseline: biggest orders first",
    "supervised": "Gradient boosting on your labels",
}
MIN_ORDERS = 5  # below this nothing can be scored
RELIABLE_ORDERS = 500  # below this scores are shown with a warning
# each signal in a merchant's words (the chart of what made orders stand out)
SIGNAL_WORDS = {
    "size": "Unusually large order",
    "quantity": "Bulk quantity",
    "price": "Price far below usual",
    "discount": "Deep discount",
    "velocity": "Many orders in a short time",
    "newness": "New customer",
    "country": "Rare country",
    "channel": "Rare channel",
    "hour": "Unusual hour",
    "weekday": "Unusual weekday",
}
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# -------------------------------------------------------------------------------------------
# detectors
# -------------------------------------------------------------------------------------------
# the Isolation Forest's settings (distributed.py grows the same trees on a worker)
IFOREST = {"n_estimators": 200, "max_samples": 512}


def signal_matrix(s: pd.DataFrame, signals=None) -> np.ndarray:
    """The detectors' input: per order, each signal's strongest surprise over its features
    (`signals`: some of SIGNALS' names, in that order; default all)."""
    names = SIGNALS if signals is None else signals
    return np.column_stack([s[list(SIGNALS[sig])].to_numpy(float).max(axis=1) for sig in names])


def tail_scores(X: np.ndarray) -> np.ndarray:
    """The "tail" detector ("rare signals"): the strongest signal plus half the second. One
    extreme signal is not outranked by two mild ones (better on every test store than the sum)."""
    top = -np.sort(-X, axis=1)
    return top[:, 0] + 0.5 * top[:, 1]


def detector_scores(s: pd.DataFrame, detectors=DETECTORS, random_state: int = 0) -> pd.DataFrame:
    """Raw scores per detector (higher = more unusual) from the surprise matrix, with
    correlated features merged into SIGNALS."""
    X = signal_matrix(s)
    out = {}
    for name in detectors:
        if name == "tail":
            out[name] = tail_scores(X)
        elif name == "iforest":
            from pyod.models.iforest import IForest

            model = IForest(n_estimators=IFOREST["n_estimators"], max_samples=min(IFOREST["max_samples"], len(X)),
                            random_state=random_state)
            model.fit(X)
            out[name] = model.decision_scores_
        elif name == "ecod":
            from pyod.models.ecod import ECOD

            model = ECOD()
            model.fit(X)
            out[name] = model.decision_scores_
        elif name == "copod":
            from pyod.models.copod import COPOD

            model = COPOD()
            model.fit(X)
            out[name] = model.decision_scores_
        else:
            raise ValueError(f"unknown detector {name}")
    return pd.DataFrame(out, index=s.index)


@dataclass
class RiskResult:
    """Order-level risk.

    `orders`: one row per order, riskiest first: order_id, order_date, customer_id, country,
    channel, order_value, n_lines, quantity, the FEATURES, one `score_<detector>` column per
    detector (rank percentile in [0, 1]), `score_baseline`, `score` (ensemble, in [0, 1]),
    `rank` (1 = riskiest), `flag` and `reasons` (list of sentences; empty when not flagged).
    """

    orders: pd.DataFrame
    contamination: float
    detectors: tuple[str, ...]
    reliable: bool
    warnings: list[str] = field(default_factory=list)
    currency: str = "USD"
    pvalues: pd.DataFrame | None = None  # per order (same row order) and feature: share at least as extreme
    ensemble_of: tuple[str, ...] = DETECTORS  # the detectors averaged into `score`

    @property
    def flagged(self) -> pd.DataFrame:
        return self.orders[self.orders["flag"]]


def check_share(contamination: float) -> None:
    if not 0 < contamination < 0.5:
        raise InputError(f"the share of orders to flag must be between 0% and 50% (got {contamination:.1%}).",
                         fix="choose a share such as 1%.")


@contextmanager
def _no_gc():
    """Python's cycle collector paused while building many small lists (they hold no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reflag(result: RiskResult, contamination: float, reasons_for: str = "flagged") -> RiskResult:
    """The same scores with another flag share: new flags and reasons, no re-scoring."""
    check_share(contamination)
    out = result.orders.copy(deep=False)  # copy-on-write: the new columns never reach result.orders
    p = result.pvalues
    n = len(out)
    n_flag = max(1, int(math.ceil(contamination * n)))
    out["flag"] = out["rank"].to_numpy() <= n_flag
    want = out["flag"].to_numpy() if reasons_for == "flagged" else np.ones(n, bool)
    with _no_gc():  # one list per order: with a big store in memory, the collector would rescan it all
        reasons = [[] for _ in range(n)]
        signals = [[] for _ in range(n)]
        picked = np.flatnonzero(want)
        # plain dicts per row: a pandas row (iloc) costs more than explaining it
        for i, row, prow in zip(picked, out.iloc[picked].to_dict("records"), p.iloc[picked].to_dict("records")):
            keys = reason_features(prow)
            reasons[i] = explain(row, prow, result.currency, features=keys)
            signals[i] = [_SIGNAL_OF[f] for f in keys]
        out["reasons"] = reasons
        out["reason_signals"] = signals
    return RiskResult(orders=out, contamination=contamination, detectors=result.detectors, reliable=result.reliable,
                      warnings=list(result.warnings), currency=result.currency, pvalues=p,
                      ensemble_of=result.ensemble_of)


def score_orders(
    orders: pd.DataFrame,
    contamination: float = 0.01,
    detectors=DETECTORS,
    random_state: int = 0,
    reasons_for: str = "flagged",
    scorer=None,
) -> RiskResult:
    """Score every order (guests included) and explain the flagged ones.

    contamination: share of orders flagged (0 < c < 0.5). reasons_for: "flagged" or "all".
    scorer: a stand-in for detector_scores with the same signature and results
    (distributed.cluster_scorer runs the detectors on a Dask cluster).
    """
    check_share(contamination)
    return score_features(order_features(orders), contamination, detectors, random_state, reasons_for, scorer)


def score_features(feats: pd.DataFrame, contamination: float = 0.01, detectors=DETECTORS, random_state: int = 0,
                   reasons_for: str = "flagged", scorer=None) -> RiskResult:
    """score_orders from the order features (`order_features`' frame, built in one process
    or on a cluster)."""
    check_share(contamination)
    check_order_count(len(feats))
    p, s = feature_surprise(feats)
    raw = (scorer or detector_scores)(s, all_detectors(detectors), random_state)
    return ranked_result(feats, p, raw, contamination, detectors, reasons_for)


def all_detectors(detectors=DETECTORS) -> tuple[str, ...]:
    """The detectors scored: those averaged into the ensemble, then the ones only shown."""
    return tuple(detectors) + tuple(d for d in SHOWN_ONLY if d not in detectors)


def check_order_count(n: int) -> None:
    if n < MIN_ORDERS:
        raise InputError(f"only {n} order{'s' if n != 1 else ''} with sale lines: too few to tell unusual from usual.",
                         fix=f"load at least {RELIABLE_ORDERS} orders (a few months of history).")


def ranked_result(feats: pd.DataFrame, p: pd.DataFrame, raw: pd.DataFrame, contamination: float = 0.01,
                  detectors=DETECTORS, reasons_for: str = "flagged") -> RiskResult:
    """The RiskResult from the order features, their p-values (feature_surprise) and the raw
    detector scores: ranks, the ensemble, riskiest first, flags and reasons."""
    check_share(contamination)
    n = len(feats)
    check_order_count(n)
    warnings = []
    if n < RELIABLE_ORDERS:
        warnings.append(
            f"Only {n:,} orders: with so little history the scores are unreliable (what is 'usual' is guessed "
            f"from very few orders). Use them as a rough ordering and load at least {RELIABLE_ORDERS:,} orders."
        )
    if feats["customer_id"].isna().all():
        warnings.append("No customer ids: customer history (bursts, usual basket, new customers) could not be used.")
    out = feats.copy(deep=False)  # copy-on-write: the score columns never reach feats
    ranks = []
    for name in raw.columns:
        out[f"score_{name}"] = rank01(raw[name].to_numpy())
        if name in detectors:
            ranks.append(out[f"score_{name}"].to_numpy())
    out["score_baseline"] = rank01(feats["order_value"].to_numpy())
    # rank average on a tail-stretched scale (-log of the share of orders ranked higher), so
    # that two detectors agreeing on "top 0.1%" outweigh three saying "top 5%"
    stretched = [-np.log(1.0 - r + 0.5 / n) for r in ranks]
    out["score"] = rank01(np.mean(stretched, axis=0))
    order = np.lexsort((-out["order_value"].to_numpy(), -out["score"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    p = p.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, n + 1)
    out["flag"] = False
    currency = str(feats["currency"].mode().iloc[0]) if feats["currency"].notna().any() else "USD"
    base = RiskResult(orders=out, contamination=contamination, detectors=tuple(raw.columns),
                      reliable=n >= RELIABLE_ORDERS, warnings=warnings, currency=currency, pvalues=p,
                      ensemble_of=tuple(detectors))
    return reflag(base, contamination, reasons_for)


# -------------------------------------------------------------------------------------------
# reasons in words
# -------------------------------------------------------------------------------------------
def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _share(x: float) -> str:
    return f"{x:.1%}" if x >= 0.001 else "under 0.1%"


_SIGNAL_OF = {f: sig for sig, cols in SIGNALS.items() for f in cols}


def reason_features(p: pd.Series, max_reasons: int = 3, rare: float = 0.01) -> list[str]:
    """The features behind an order's score: those rarer than `rare`, most unusual first."""
    candidates = sorted((float(p[f]), f) for f in FEATURES if f != "new_customer")

    def pick(limit: float, most: int) -> list[str]:
        pool = [f for pv, f in candidates if pv <= limit]
        if {"burst_1h", "burst_24h"} & set(pool):  # their sentences already say "new customer"
            pool = [f for f in pool if f != "new_customer_burst"]
        chosen, slots = [], 0
        for f in pool:
            merges = f in ("country_rarity", "country_change") and (
                {"country_rarity", "country_change"} & set(chosen))  # said in one sentence
            if not merges:
                if slots == most:
                    continue
                slots += 1
            chosen.append(f)
        return chosen

    return pick(rare, max_reasons) or pick(0.1, 2)


def explain(row: pd.Series, p: pd.Series, currency: str = "USD", max_reasons: int = 3,
            rare: float = 0.01, features: list[str] | None = None) -> list[str]:
    """Top reasons for one scored order, most unusual first, in plain words."""
    chosen = features if features is not None else reason_features(p, max_reasons, rare)
    new = bool(row["new_customer"]) and pd.notna(row["customer_id"])
    who = "this new customer" if new else "this customer"
    texts, used = [], []
    for f in chosen:
        def say(text: str, f: str = f) -> None:
            texts.append(text)
            used.append(f)

        if f == "order_value":
            say(f"order value {money_text(row['order_value'], currency)} is in the top "
                         f"{max(float(p[f]), 0.001):.1%} of this store's orders")
        elif f == "value_vs_customer":
            say(f"{row['value_vs_customer']:.1f}× this customer's usual order value "
                         f"({money_text(row['customer_usual_value'], currency)})")
        elif f == "qty_vs_usual":
            say(f"{row['qty_units']:,.0f} units of {row['qty_product']}, {row['qty_vs_usual']:.0f}× the usual "
                         f"quantity for this product (usually {row['qty_usual']:,.0f})")
        elif f == "price_below_usual":
            say(f"unit price {row['price_below_usual']:.0%} below this product's usual price "
                         f"({row['cut_product']}: {money_text(row['cut_price'], currency)} instead of about "
                         f"{money_text(row['cut_usual_price'], currency)})")
        elif f == "discount_depth":
            say(f"discount of {row['discount_depth']:.0%} of the order value")
        elif f == "burst_1h":
            k, total = int(row["orders_last_hour"]), int(row["burst_1h"])
            if k >= 2:
                say(f"{_ordinal(k)} order from {who} within an hour")
            else:
                say(f"first of {total} orders from {who} within an hour")
        elif f == "new_customer_burst":
            if "burst_1h" in chosen or "burst_24h" in chosen:
                continue  # the burst sentence already says "new customer"
            say(f"{int(row['burst_24h'])} orders from this new customer on their first day")
        elif f == "burst_24h":
            say(f"{int(row['burst_24h'])} orders from {who} within 24 hours")
        elif f == "country_change":
            share = (f" ({_share(row['country_share'])} of this store's orders)"
                     if "country_rarity" in chosen else "")
            say(f"country {row['country']}{share}, while this customer usually orders from "
                         f"{row['usual_country']}")
        elif f == "country_rarity":
            if "country_change" in chosen:
                continue  # said together with the change of country
            say(f"country {row['country']} is rare for this store ({_share(row['country_share'])} of orders)")
        elif f == "channel_rarity":
            say(f"channel {row['channel']} is rare for this store ({_share(row['channel_share'])} of orders)")
        elif f == "hour_rarity":
            say(f"placed at {pd.Timestamp(row['order_date']):%H:%M}, an hour with only "
                         f"{_share(row['hour_share'])} of orders")
        elif f == "weekday_rarity":
            say(f"placed on a {_WEEKDAYS[int(row['weekday'])]}, a day with only "
                         f"{_share(row['weekday_share'])} of orders")
    # reasons from the fallback (not rarer than `rare`) are said to be mild
    texts = [t + (" (mildly unusual)" if float(p[f]) > rare else "") for t, f in zip(texts, used)]
    if not texts:
        texts.append("an unusual combination of several ordinary-looking signals")
    return texts


def reason_counts(flagged: pd.DataFrame) -> pd.DataFrame:
    """How often each kind of signal appears among the flagged orders' reasons (columns: signal
    in words, orders), most frequent first."""
    signals = [s for row in flagged["reason_signals"] for s in dict.fromkeys(row)]
    counts = pd.Series(signals, dtype="str").value_counts()
    return pd.DataFrame({"signal": [SIGNAL_WORDS.get(s, s) for s in counts.index], "orders": counts.to_numpy()})


EXPORT_COLUMNS = ["order_id", "order_date", "customer_id", "country", "order_value", "score", "flag"]


def export_frame(result: RiskResult) -> pd.DataFrame:
    """Every order's score for a download: EXPORT_COLUMNS plus `reasons` joined with "; "."""
    orders = result.orders
    return orders[EXPORT_COLUMNS].assign(reasons=["; ".join(r) for r in orders["reasons"]])
