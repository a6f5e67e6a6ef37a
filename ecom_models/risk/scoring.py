"""Risk and anomalies: order-level fraud scores with reasons, daily metric alerts, reviews.

Order level
-----------
`order_features(orders)` turns canonical order lines into one row per order with features
that are all oriented the same way (higher = more unusual for *this* store):

    order_value        order total (sale lines, after discount)
    value_vs_customer  order total / this customer's median order total (1 for guests, one-timers)
    qty_vs_usual       largest line quantity / that product's median line quantity
    price_below_usual  deepest unit-price cut against the product's median unit price (0..1)
    discount_depth     discount / (discount + order total)
    burst_1h           orders by the same customer within one hour either side (1 for guests)
    burst_24h          the same within 24 hours
    new_customer_burst burst_24h for a customer on their first day with the store, else 0
    new_customer       1 on a customer's first day with the store, else 0 (guests: 1)
    country_rarity     -log(share of the store's orders from this country); 0 when unknown
    country_change     1 - share of this customer's orders from this order's country
                       (0 for guests and customers whose orders all come from one country)
    channel_rarity     -log(share of orders from this channel); 0 when unknown
    hour_rarity        -log(share of orders placed in this hour of the day)
    weekday_rarity     -log(share of orders placed on this weekday)

Detectors (all unsupervised, fitted on the store's own orders, no labels needed):

    iforest   PyOD Isolation Forest on the signal matrix (below)
    ecod      PyOD ECOD (empirical-CDF outlier detection) on the same matrix
    tail      "rare signals": the largest signal surprise plus half the second largest
    copod     PyOD COPOD, scored and evaluated for comparison but not averaged in (it did not
              improve the ensemble on the demo or the synthetic stores)

A feature's surprise is -log(share of orders at least as extreme); correlated features are
merged into one signal (SIGNALS: size, quantity, price, discount, velocity, newness,
country, channel, hour, weekday) by taking the larger surprise, so nothing counts twice.
    ensemble  rank average of the three (the default score)
    baseline  order value alone ("check the biggest orders first"), the simple rule every
              detector is compared with

`score_orders()` returns a `RiskResult`: per order the detector scores, the ensemble
`score` in [0, 1] (the share of the store's orders that look less unusual), `flag` (the top
`contamination` share) and up to three `reasons` in words.

Day level
---------
`daily_anomalies(orders, traffic)` checks daily revenue, orders, average order value and
conversion (overall and for the largest countries / channels) against a robust seasonal
baseline: the median level of the two weeks before and after, adjusted for the weekday. A day is
flagged when it is more than `threshold` robust standard deviations off (log scale); each
flag carries the expected value, the band and the deviation in money.

Review workflow
---------------
Labels live in the workspace namespace `risk.labels` (order_id -> "fraud" | "fine").
`compare_with_labels()` trains a gradient-boosting classifier on the labelled orders and
compares it with the unsupervised score by precision at k on held-out labels (stratified
cross-validation: every order is scored by a model that never saw its label).

Heavy libraries (pyod, scikit-learn) are imported inside functions.
"""

from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.core.stats import wilson

LABEL_NAMESPACE = "risk.labels"
LABELS = ("fraud", "fine")

FEATURES: dict[str, str] = {
    "order_value": "Order value",
    "value_vs_customer": "Order value against this customer's usual order",
    "qty_vs_usual": "Largest quantity against the product's usual quantity",
    "price_below_usual": "Deepest unit-price cut against the product's usual price",
    "discount_depth": "Discount as a share of the order",
    "burst_1h": "Orders by the same customer within an hour",
    "burst_24h": "Orders by the same customer within a day",
    "new_customer_burst": "Orders by a new customer on their first day",
    "new_customer": "First day of this customer with the store",
    "country_rarity": "How rare the country is for this store",
    "country_change": "Country different from this customer's usual one",
    "channel_rarity": "How rare the sales channel is for this store",
    "hour_rarity": "How rare the hour of day is for this store",
    "weekday_rarity": "How rare the weekday is for this store",
}
# Correlated features are grouped into one signal (its largest surprise), so that a big order
# is not counted twice (once as "big", once as "bigger than this customer's usual").
SIGNALS: dict[str, tuple[str, ...]] = {
    "size": ("order_value", "value_vs_customer"),
    "quantity": ("qty_vs_usual",),
    "price": ("price_below_usual",),
    "discount": ("discount_depth",),
    "velocity": ("burst_1h", "burst_24h", "new_customer_burst"),
    "newness": ("new_customer",),
    "country": ("country_rarity", "country_change"),
    "channel": ("channel_rarity",),
    "hour": ("hour_rarity",),
    "weekday": ("weekday_rarity",),
}
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
REQUIRED = ("order_id", "order_date", "quantity", "unit_price", "revenue")
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# -------------------------------------------------------------------------------------------
# input
# -------------------------------------------------------------------------------------------
def _check_orders(orders: pd.DataFrame) -> None:
    if not isinstance(orders, pd.DataFrame):
        raise InputError("the orders are not a table.", fix="load the file with the Data page or `ingest` first.")
    missing = [c for c in REQUIRED if c not in orders.columns]
    if missing:
        raise InputError(
            f"the orders have no {', '.join(missing)} column.",
            column=missing[0],
            fix="map your export's columns on the Data page (order id, date, quantity, unit price, line total).",
        )


def sale_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """Lines that count as sales: `line_type == 'sale'`, not duplicates, positive quantity."""
    _check_orders(orders)
    return orders[sale_mask(orders)]  # one selection: every text column is copied once, not twice


def sale_mask(orders: pd.DataFrame) -> np.ndarray:
    """Which lines sale_lines keeps (reads line_type, is_duplicate, quantity, order_date)."""
    # same rule as ecom_models.intake.orders.sales_lines, tolerant of frames without the flags
    keep = pd.Series(True, index=orders.index)
    if "line_type" in orders:
        keep &= orders["line_type"].astype("str").fillna("sale").eq("sale")
    if "is_duplicate" in orders:
        keep &= ~orders["is_duplicate"].fillna(False).astype(bool)
    keep &= (pd.to_numeric(orders["quantity"], errors="coerce") > 0) & orders["order_date"].notna()
    return keep.to_numpy(bool)


def _text_col(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(pd.NA, index=df.index, dtype="str")
    s = df[col].astype("str")
    return s.where(s.str.strip().ne("") & s.notna())


# -------------------------------------------------------------------------------------------
# features
# -------------------------------------------------------------------------------------------
def order_features(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order (index: position, column order_id) with descriptive columns and the
    oriented features listed in FEATURES. Vectorised: no Python loop over orders or lines.

    Built in three steps that distributed.py also runs apart (lines split by order, orders
    split by customer): `order_rows` (a product's usual price and quantity, order totals),
    `add_customer_features` (history per customer), `add_store_rarity` (store-wide shares)."""
    lines = sale_lines(orders)
    if lines.empty:
        raise InputError(
            "there are no sale lines to score (only cancellations, returns or fees).",
            fix="load an orders export that contains the orders themselves.",
        )
    qty, price = line_quantity(lines), line_price(lines)
    if "product_id" in lines:
        pkey, _ = pd.factorize(product_key(lines), sort=False)
    else:
        pkey = np.zeros(len(lines), dtype=np.int64)
    # product's usual price and quantity (median over its sale lines)
    line_frame = pd.DataFrame({"p": pkey, "price": price, "qty": qty})
    usual = line_frame.groupby("p", sort=False).agg(usual_price=("price", "median"), usual_qty=("qty", "median"))
    usual_price = usual["usual_price"].reindex(pkey).to_numpy(float)
    usual_qty = usual["usual_qty"].reindex(pkey).to_numpy(float)
    feats = order_rows(lines, usual_price, usual_qty)
    add_customer_features(feats)
    add_store_rarity(feats)
    return feats[ORDER_COLUMNS]


# the columns of order_features, in order
ORDER_COLUMNS = [
    "order_id", "order_date", "customer_id", "country", "channel", "currency", "n_lines", "quantity", "order_value",
    "discount", "price_below_usual", "qty_vs_usual", "cut_product", "cut_price", "cut_usual_price", "qty_product",
    "qty_units", "qty_usual", "discount_depth", "customer_orders", "tenure_days", "new_customer",
    "customer_usual_value", "value_vs_customer", "burst_1h", "burst_24h", "orders_last_hour", "new_customer_burst",
    "country_rarity", "country_share", "usual_country", "country_change", "channel_rarity", "channel_share", "hour",
    "hour_rarity", "hour_share", "weekday", "weekday_rarity", "weekday_share",
]


def line_quantity(lines: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(lines["quantity"], errors="coerce").fillna(0).to_numpy(float)


def line_price(lines: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(lines["unit_price"], errors="coerce").to_numpy(float)


def product_key(lines: pd.DataFrame) -> pd.Series:
    """What identifies a product for its usual price and quantity (missing ids count as one)."""
    if "product_id" not in lines:
        return pd.Series("?", index=lines.index, dtype="str")
    return lines["product_id"].astype("str").fillna("?")


def names_known(lines: pd.DataFrame, block: int = 65536) -> bool:
    """Whether any line names its product (else reasons name products by their ids)."""
    if "product_name" not in lines:
        return False
    # block by block: a named store answers after the first block, not after cleaning every line
    return any(_text_col(lines.iloc[a:a + block], "product_name").notna().any() for a in range(0, len(lines), block))


def order_rows(lines: pd.DataFrame, usual_price: np.ndarray, usual_qty: np.ndarray, has_names: bool | None = None,
               line_pos: np.ndarray | None = None) -> pd.DataFrame:
    """One row per order of these sale lines (all lines of each order), in order of first
    appearance: totals, the deepest price cut and the biggest quantity against the product's
    usual (`usual_price`, `usual_qty`: per line), discount depth. `has_names`: whether the
    store's lines name products (`names_known` over all of them). `line_pos`: the lines'
    positions in the whole store; when given, `_first` holds each order's first one."""
    qty, price = line_quantity(lines), line_price(lines)
    revenue = pd.to_numeric(lines["revenue"], errors="coerce").fillna(0).to_numpy(float)
    discount = (pd.to_numeric(lines["discount"], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
                if "discount" in lines else np.zeros(len(lines)))
    okey, order_ids = pd.factorize(lines["order_id"].astype("str"), sort=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = np.where((usual_price > 0) & np.isfinite(price), 1.0 - price / usual_price, 0.0)
        qty_ratio = np.where(usual_qty > 0, qty / usual_qty, 1.0)
    cut = np.clip(np.nan_to_num(cut, nan=0.0), 0.0, 1.0)
    qty_ratio = np.nan_to_num(qty_ratio, nan=1.0, posinf=1.0)

    per = pd.DataFrame({
        "o": okey, "revenue": revenue, "discount": discount, "qty": qty, "cut": cut, "qty_ratio": qty_ratio,
        "line": np.arange(len(lines)),
    })
    g = per.groupby("o", sort=True)
    agg = g.agg(order_value=("revenue", "sum"), discount=("discount", "sum"), quantity=("qty", "sum"),
                n_lines=("revenue", "size"), price_below_usual=("cut", "max"), qty_vs_usual=("qty_ratio", "max"),
                first_line=("line", "min"))
    # the lines behind the reasons: deepest cut and biggest quantity
    cut_line = per.loc[g["cut"].idxmax().to_numpy(), "line"].to_numpy()
    qty_line = per.loc[g["qty_ratio"].idxmax().to_numpy(), "line"].to_numpy()
    first = agg["first_line"].to_numpy()

    # product names of the lines behind the reasons only (cleaning every line's name costs more)
    picked = np.unique(np.concatenate([cut_line, qty_line]))
    if has_names is None:
        has_names = names_known(lines)
    if not has_names and "product_id" in lines:
        names = lines["product_id"].iloc[picked].astype("str").to_numpy()
    else:
        names = _text_col(lines.iloc[picked], "product_name").to_numpy()
    cut_name, qty_name = names[np.searchsorted(picked, cut_line)], names[np.searchsorted(picked, qty_line)]
    # order-level text from each order's first line: select those lines first, then clean
    # (cleaning every line's text and then picking one per order costs ~20x more on big files)
    first_lines = lines.iloc[first]
    feats = pd.DataFrame({
        "order_id": order_ids.astype("str"),
        "order_date": pd.to_datetime(first_lines["order_date"].to_numpy()),
        "customer_id": _text_col(first_lines, "customer_id").to_numpy(),
        "country": _text_col(first_lines, "country").to_numpy(),
        "channel": _text_col(first_lines, "channel").to_numpy(),
        "currency": _text_col(first_lines, "currency").to_numpy(),
        "n_lines": agg["n_lines"].to_numpy(),
        "quantity": agg["quantity"].to_numpy(),
        "order_value": agg["order_value"].to_numpy(),
        "discount": agg["discount"].to_numpy(),
        "price_below_usual": agg["price_below_usual"].to_numpy(),
        "qty_vs_usual": agg["qty_vs_usual"].to_numpy(),
        "cut_product": cut_name,
        "cut_price": price[cut_line],
        "cut_usual_price": usual_price[cut_line],
        "qty_product": qty_name,
        "qty_units": qty[qty_line],
        "qty_usual": usual_qty[qty_line],
    })
    for col in ("customer_id", "country", "channel", "currency", "cut_product", "qty_product"):
        feats[col] = feats[col].astype("str")
    gross = feats["order_value"] + feats["discount"]
    feats["discount_depth"] = np.where(gross > 0, feats["discount"] / gross.where(gross > 0, 1), 0.0).clip(0, 1)
    if line_pos is not None:
        feats["_first"] = np.asarray(line_pos)[first]
    return feats


def add_customer_features(feats: pd.DataFrame) -> None:
    """Customer history (tenure, usual order value, bursts, usual country) added to order rows
    in order of first appearance; `feats` must hold every order of each of its customers."""
    n_orders = len(feats)
    t_sec = feats["order_date"].to_numpy().astype("datetime64[s]").astype(np.int64)
    has_cust = feats["customer_id"].notna().to_numpy()
    ckey, _ = pd.factorize(feats["customer_id"], sort=False)  # -1 for guests
    ckey = np.where(has_cust, ckey, -1 - np.arange(n_orders))  # every guest order is its own customer
    cust = pd.DataFrame({"c": ckey, "t": t_sec, "v": feats["order_value"].to_numpy()})
    cg = cust.groupby("c", sort=False)
    first_t = cg["t"].transform("min").to_numpy()
    n_cust_orders = cg["t"].transform("size").to_numpy()
    median_value = cg["v"].transform("median").to_numpy()
    feats["customer_orders"] = np.where(has_cust, n_cust_orders, 1)
    feats["tenure_days"] = np.where(has_cust, (t_sec - first_t) / 86400.0, 0.0)
    feats["new_customer"] = (feats["tenure_days"] < 1.0).astype(float)
    usual_value = np.where(has_cust & (n_cust_orders >= 3), median_value, np.nan)
    feats["customer_usual_value"] = usual_value
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usual_value > 0, feats["order_value"].to_numpy() / usual_value, 1.0)
    feats["value_vs_customer"] = np.nan_to_num(ratio, nan=1.0, posinf=1.0).clip(min=1.0)

    span = np.int64(10 ** 10)  # > any time range in seconds we will see
    ck = (ckey - ckey.min()).astype(np.int64)
    tt = t_sec - t_sec.min()
    keys = ck * span + tt
    sorted_keys = np.sort(keys)

    def window(before: int, after: int) -> np.ndarray:
        lo = np.searchsorted(sorted_keys, keys - before, side="left")
        hi = np.searchsorted(sorted_keys, keys + after, side="right")
        return hi - lo

    feats["burst_1h"] = window(3600, 3600).astype(float)
    feats["burst_24h"] = window(86400, 86400).astype(float)
    feats["orders_last_hour"] = window(3600, 0)  # this one included: "5th order within an hour"
    # several orders on a customer's very first day (card testing) weigh more than a regular's
    feats["new_customer_burst"] = np.where(has_cust & (feats["new_customer"].to_numpy() > 0),
                                           feats["burst_24h"].to_numpy(), 0.0)

    # a customer suddenly ordering from another country (account take-over, reshipping)
    cc = pd.DataFrame({"c": ckey, "k": feats["country"].fillna("?").to_numpy()})
    same = cc.groupby(["c", "k"], sort=False)["c"].transform("size").to_numpy()
    usual_country = (cc.assign(n=same).sort_values("n", ascending=False, kind="stable")
                     .drop_duplicates("c").set_index("c")["k"])
    feats["usual_country"] = usual_country.reindex(ckey).to_numpy()
    known = has_cust & feats["country"].notna().to_numpy()
    feats["country_change"] = np.where(known, 1.0 - same / n_cust_orders, 0.0)


def add_store_rarity(feats: pd.DataFrame) -> None:
    """How common each order's country, channel, hour and weekday are for this store (over
    every order in `feats`)."""
    def rarity(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        share = values.map(values.value_counts(normalize=True)).astype(float)
        share = share.fillna(1.0).to_numpy()
        return -np.log(share), share

    feats["country_rarity"], feats["country_share"] = rarity(feats["country"])
    feats["channel_rarity"], feats["channel_share"] = rarity(feats["channel"])
    feats["hour"] = feats["order_date"].dt.hour
    feats["hour_rarity"], feats["hour_share"] = rarity(feats["hour"])
    feats["weekday"] = feats["order_date"].dt.day_of_week
    feats["weekday_rarity"], feats["weekday_share"] = rarity(feats["weekday"])


def surprise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per value: p = share of values at least as large, and the surprise -log(p)."""
    x = np.asarray(values, dtype=float)
    x = np.nan_to_num(x, nan=np.nanmin(x) if np.isfinite(x).any() else 0.0)
    ordered = np.sort(x)
    at_least = len(x) - np.searchsorted(ordered, x, side="left")
    p = at_least / len(x)
    return p, -np.log(p)


# Values up to these are ordinary whatever their rarity (sales, quantity tiers, price changes,
# a customer's bigger-than-usual basket): they count as no surprise at all.
ORDINARY_UP_TO = {"price_below_usual": 0.25, "discount_depth": 0.30, "qty_vs_usual": 3.0, "value_vs_customer": 2.0}


def feature_surprise(feats: pd.DataFrame, names=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(p-values, surprises) per order and feature (`names`: some of FEATURES; default all):
    how rare each value is in this store. Values within ORDINARY_UP_TO get p = 1 (no surprise)."""
    p_cols, s_cols = {}, {}
    for name in (FEATURES if names is None else names):
        x = feats[name].to_numpy(float)
        if name in ORDINARY_UP_TO:
            x = np.where(x <= ORDINARY_UP_TO[name], 0.0, x)
        p_cols[name], s_cols[name] = surprise(x)
    return pd.DataFrame(p_cols, index=feats.index), pd.DataFrame(s_cols, index=feats.index)


# -------------------------------------------------------------------------------------------
# detectors
# -------------------------------------------------------------------------------------------
def _rank01(x: np.ndarray) -> np.ndarray:
    """Average-rank percentile in (0, 1]: the share of values at most this large."""
    return pd.Series(np.asarray(x, float)).rank(method="average", pct=True).to_numpy()


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
        out[f"score_{name}"] = _rank01(raw[name].to_numpy())
        if name in detectors:
            ranks.append(out[f"score_{name}"].to_numpy())
    out["score_baseline"] = _rank01(feats["order_value"].to_numpy())
    # rank average on a tail-stretched scale (-log of the share of orders ranked higher), so
    # that two detectors agreeing on "top 0.1%" outweigh three saying "top 5%"
    stretched = [-np.log(1.0 - r + 0.5 / n) for r in ranks]
    out["score"] = _rank01(np.mean(stretched, axis=0))
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
def _money(v: float, currency: str) -> str:
    if v is None or not np.isfinite(v):
        return "unknown"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, f"{currency} ")
    return f"{symbol}{v:,.0f}" if abs(v) >= 100 else f"{symbol}{v:,.2f}"


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
            say(f"order value {_money(row['order_value'], currency)} is in the top "
                         f"{max(float(p[f]), 0.001):.1%} of this store's orders")
        elif f == "value_vs_customer":
            say(f"{row['value_vs_customer']:.1f}× this customer's usual order value "
                         f"({_money(row['customer_usual_value'], currency)})")
        elif f == "qty_vs_usual":
            say(f"{row['qty_units']:,.0f} units of {row['qty_product']}, {row['qty_vs_usual']:.0f}× the usual "
                         f"quantity for this product (usually {row['qty_usual']:,.0f})")
        elif f == "price_below_usual":
            say(f"unit price {row['price_below_usual']:.0%} below this product's usual price "
                         f"({row['cut_product']}: {_money(row['cut_price'], currency)} instead of about "
                         f"{_money(row['cut_usual_price'], currency)})")
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


# -------------------------------------------------------------------------------------------
# evaluation against known answers (demo truth or the merchant's labels)
# -------------------------------------------------------------------------------------------
def precision_at_k(y_true: np.ndarray, score: np.ndarray, k: int) -> float:
    y = np.asarray(y_true, bool)
    k = int(min(k, len(y)))
    if k <= 0:
        return float("nan")
    top = np.argsort(-np.asarray(score, float), kind="stable")[:k]
    return float(y[top].mean())


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    y = np.asarray(y_true, bool)
    if y.all() or not y.any():
        return float("nan")
    r = pd.Series(np.asarray(score, float)).rank(method="average").to_numpy()
    n_pos, n_neg = y.sum(), (~y).sum()
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_interval(auc: float, n_pos: int, n_neg: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval for a ROC-AUC (Hanley & McNeil 1982 standard error)."""
    if not np.isfinite(auc) or n_pos < 1 or n_neg < 1:
        return float("nan"), float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    se = math.sqrt(max(var, 0.0))
    return max(0.0, auc - z * se), min(1.0, auc + z * se)


def evaluate(result: RiskResult, fraud_ids, k: int = 50, only_ids=None) -> pd.DataFrame:
    """Each detector and the baseline against known fraud: ROC-AUC and precision@k with a
    95% interval. `only_ids` restricts to labelled orders (the rest are unknown).

    Columns: detector, name, roc_auc, roc_auc_low, roc_auc_high, precision_at_k, precision_low,
    precision_high, k, n, n_fraud (intervals: 95%, Hanley-McNeil for ROC-AUC, Wilson for precision).
    """
    df = result.orders
    if only_ids is not None:
        df = df[df["order_id"].isin(set(map(str, only_ids)))]
    y = df["order_id"].isin(set(map(str, fraud_ids))).to_numpy()
    rows = []
    k = int(min(k, len(df)))
    for det in ("ensemble", *result.detectors, "baseline"):
        col = "score" if det == "ensemble" else f"score_{det}"
        prec = precision_at_k(y, df[col].to_numpy(), k)
        lo, hi = wilson(prec * k, k) if k else (float("nan"), float("nan"))
        auc = roc_auc(y, df[col].to_numpy())
        auc_lo, auc_hi = auc_interval(auc, int(y.sum()), int((~y).sum()))
        rows.append({"detector": det, "name": DETECTOR_NAMES[det], "roc_auc": auc, "roc_auc_low": auc_lo,
                     "roc_auc_high": auc_hi, "precision_at_k": prec, "precision_low": lo, "precision_high": hi,
                     "k": k, "n": len(df), "n_fraud": int(y.sum())})
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------------
# labels and the supervised model
# -------------------------------------------------------------------------------------------
def load_labels(ws) -> dict[str, str]:
    """order_id -> "fraud" | "fine" from the workspace."""
    return {k: v for k, v in ws.items(LABEL_NAMESPACE).items() if v in LABELS}


def save_label(ws, order_id: str, label: str | None) -> None:
    """Store a reviewer's decision; label None removes it."""
    if label is None:
        ws.delete(LABEL_NAMESPACE, str(order_id))
        return
    if label not in LABELS:
        raise InputError(f"'{label}' is not a review decision.", fix="use 'fraud' or 'fine'.")
    ws.put(LABEL_NAMESPACE, str(order_id), label)


MIN_LABELS = 30
MIN_PER_CLASS = 8


@dataclass
class LabelComparison:
    """Supervised model vs unsupervised score on held-out labels (out-of-fold predictions).

    `table`: detector, name, precision_at_k, precision_low, precision_high, roc_auc, k.
    `winner`: "supervised" or "ensemble": the higher precision at k, then the higher ROC-AUC.
    """

    table: pd.DataFrame
    n_labels: int
    n_fraud: int
    k: int
    winner: str
    folds: int
    model: object = None  # fitted on all labels, to score unlabelled orders


def label_readiness(labels: dict[str, str]) -> tuple[bool, str]:
    n_fraud = sum(v == "fraud" for v in labels.values())
    n_fine = sum(v == "fine" for v in labels.values())
    ok = len(labels) >= MIN_LABELS and n_fraud >= MIN_PER_CLASS and n_fine >= MIN_PER_CLASS
    need = (f"{len(labels)} labelled orders ({n_fraud} fraud, {n_fine} fine); the comparison needs at least "
            f"{MIN_LABELS}, with {MIN_PER_CLASS} of each kind.")
    return ok, need


def _model_matrix(df: pd.DataFrame) -> np.ndarray:
    X = df[list(FEATURES)].to_numpy(float).copy()
    X[:, 0] = np.log1p(np.clip(X[:, 0], 0, None))
    return np.column_stack([X, df["score"].to_numpy(float), np.log1p(df["n_lines"].to_numpy(float))])


def compare_with_labels(result: RiskResult, labels: dict[str, str], k: int | None = None,
                        random_state: int = 0) -> LabelComparison:
    """Gradient boosting trained on labels vs the unsupervised ensemble, by precision at k on
    held-out labels (stratified k-fold: each order is scored by a model not trained on it)."""
    ok, need = label_readiness(labels)
    if not ok:
        raise InputError(f"not enough review decisions yet: {need}", fix="mark more flagged orders as fraud or fine.")
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    df = result.orders[result.orders["order_id"].isin(labels.keys())].reset_index(drop=True)
    if len(df) < MIN_LABELS:
        raise InputError(f"only {len(df)} of the labelled orders are in the current data.",
                         fix="label orders from the data currently loaded.")
    y = df["order_id"].map(labels).eq("fraud").to_numpy()
    X = _model_matrix(df)
    folds = int(min(5, y.sum(), (~y).sum()))
    oof = np.zeros(len(df))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)

    def make():
        return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                              min_samples_leaf=5, random_state=random_state)

    from threadpoolctl import threadpool_limits

    # one thread: OpenMP spinning on a busy 2-core machine is 20x slower than a single thread
    with threadpool_limits(1):
        for train, test in splitter.split(X, y):
            oof[test] = make().fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        model = make().fit(X, y)
    k = int(k or max(5, min(50, round(len(df) * 0.2))))
    rows = []
    for det, score in (("supervised", oof), ("ensemble", df["score"].to_numpy()),
                       ("baseline", df["score_baseline"].to_numpy())):
        prec = precision_at_k(y, score, k)
        lo, hi = wilson(prec * k, k)
        rows.append({"detector": det, "name": DETECTOR_NAMES[det], "precision_at_k": prec, "precision_low": lo,
                     "precision_high": hi, "roc_auc": roc_auc(y, score), "k": k})
    table = pd.DataFrame(rows)
    sup, ens = table.iloc[0], table.iloc[1]
    # higher precision at k wins; on a tie, the higher ROC-AUC; on a full tie the simpler score
    better = (sup["precision_at_k"], sup["roc_auc"]) > (ens["precision_at_k"], ens["roc_auc"])
    winner = "supervised" if better else "ensemble"
    return LabelComparison(table=table, n_labels=len(df), n_fraud=int(y.sum()), k=k, winner=winner,
                           folds=folds, model=model)


def supervised_scores(result: RiskResult, comparison: LabelComparison) -> np.ndarray:
    """Fraud probability for every order from the model trained on all labels."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return comparison.model.predict_proba(_model_matrix(result.orders))[:, 1]


# -------------------------------------------------------------------------------------------
# daily metric anomalies
# -------------------------------------------------------------------------------------------
METRICS = {
    "revenue": "Revenue",
    "orders": "Orders",
    "aov": "Average order value",
    "conversion": "Conversion rate",
}


def daily_metrics(orders: pd.DataFrame, traffic: pd.DataFrame | None = None, segment: str | None = None,
                  top_segments: int = 4, min_daily_orders: float = 25.0) -> pd.DataFrame:
    """Tidy daily metrics: date, segment ("all" or e.g. "country: DE"), revenue, orders, aov,
    sessions, conversion. Days without orders are included with zeros."""
    lines = sale_lines(orders)
    date_notes: list[str] = []
    if len(lines):
        from ecom_models.core.dates import guard_daily

        plausible, date_notes = guard_daily(lines["order_date"], "the daily alerts")
        lines = lines[plausible.to_numpy()]
    if lines.empty:
        raise InputError("there are no sale lines to build daily figures from.",
                         fix="load an orders export that contains the orders themselves.")
    frame = pd.DataFrame({
        "date": pd.to_datetime(lines["order_date"]).dt.normalize(),
        "order_id": lines["order_id"].astype("str"),
        "revenue": pd.to_numeric(lines["revenue"], errors="coerce").fillna(0.0),
    })
    last_day = frame["date"].max()
    if frame["date"].nunique() > 14:
        # an export taken during the day ends with a partial day: leave it out
        clock = pd.to_datetime(lines["order_date"])
        clock_h = (clock - clock.dt.normalize()).dt.total_seconds().to_numpy() / 3600
        latest = pd.Series(clock_h).groupby(frame["date"].to_numpy()).max()
        if latest.iloc[-1] < 0.8 * float(latest.iloc[:-1].median()):
            last_day = last_day - pd.Timedelta(days=1)
            keep = (frame["date"] <= last_day).to_numpy()
            frame, lines = frame[keep], lines[keep]
    days = pd.date_range(frame["date"].min(), last_day, freq="D")
    groups = [("all", frame)]
    if segment and segment in lines.columns:
        seg = _text_col(lines, segment)
        frame["seg"] = seg.to_numpy()
        n_days = max(1, len(days))
        per_seg = frame.groupby("seg")["order_id"].nunique().sort_values(ascending=False)
        for value in per_seg.index[:top_segments]:
            if per_seg[value] / n_days >= min_daily_orders:
                groups.append((f"{segment}: {value}", frame[frame["seg"] == value]))
    out = []
    for name, part in groups:
        d = part.groupby("date").agg(revenue=("revenue", "sum"), orders=("order_id", "nunique"))
        d = d.reindex(days, fill_value=0)
        d.index.name = "date"
        d = d.reset_index()
        d["segment"] = name
        out.append(d)
    daily = pd.concat(out, ignore_index=True)
    daily["aov"] = np.where(daily["orders"] > 0, daily["revenue"] / daily["orders"].where(daily["orders"] > 0, 1), np.nan)
    daily["sessions"] = np.nan
    if traffic is not None and {"date", "sessions"} <= set(traffic.columns):
        t = pd.DataFrame({"date": pd.to_datetime(traffic["date"], errors="coerce").dt.normalize(),
                          "sessions": pd.to_numeric(traffic["sessions"], errors="coerce")})
        is_all = daily["segment"].eq("all")
        daily.loc[is_all, "sessions"] = daily.loc[is_all, "date"].map(t.groupby("date")["sessions"].sum()).to_numpy()
        if segment == "channel" and "channel" in traffic.columns and traffic["channel"].notna().any():
            # conversion per channel when the traffic file has sessions per channel
            t["seg"] = "channel: " + traffic["channel"].astype("str").to_numpy()
            per = t.groupby(["seg", "date"])["sessions"].sum()
            keys = pd.MultiIndex.from_arrays([daily["segment"], daily["date"]])
            found = per.reindex(keys).to_numpy()
            seg_rows = ~is_all.to_numpy() & np.isfinite(found)
            daily.loc[seg_rows, "sessions"] = found[seg_rows]
    daily["conversion"] = np.where(daily["sessions"] > 0, daily["orders"] / daily["sessions"].where(daily["sessions"] > 0, 1), np.nan)
    daily = daily[["date", "segment", "revenue", "orders", "aov", "sessions", "conversion"]]
    daily.attrs["notes"] = date_notes  # dates left out of the daily index, for the page and the CLI
    return daily


def _seasonal_expected(values: np.ndarray, days: int = 14) -> np.ndarray:
    """Expected (log) value per day: the local level, i.e. the median of the weekday-adjusted
    values of the `days` days before and after (the day itself excluded, so a broken day
    does not hide itself), plus that weekday's usual effect.

    Weekday effect: the median, per weekday, of the value minus its centred 7-day median.
    On planted 40% drops this finds more drops with fewer false alerts than the median of
    the same weekday in the surrounding weeks (see docs/anomaly.md)."""
    import warnings

    s = pd.Series(values, dtype=float)
    base = s.rolling(7, center=True, min_periods=4).median()
    position = np.arange(len(s)) % 7  # the series is daily and gap-free, so this is the weekday
    effect = (s - base).groupby(position).median().reindex(position).fillna(0.0).to_numpy()
    adjusted = s - effect
    neighbours = [adjusted.shift(k) for k in range(1, days + 1)] + [adjusted.shift(-k) for k in range(1, days + 1)]
    stack = np.column_stack([n.to_numpy(float) for n in neighbours])
    enough = np.isfinite(stack).sum(axis=1) >= days // 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmedian(stack, axis=1)
    return np.where(enough, level + effect, np.nan)


def _robust_sigma(resid: np.ndarray, floor: float) -> float:
    r = resid[np.isfinite(resid)]
    if len(r) < 5:
        return float("nan")
    mad = np.median(np.abs(r - np.median(r)))
    return max(1.4826 * float(mad), floor)


def daily_anomalies(orders: pd.DataFrame, traffic: pd.DataFrame | None = None, segment: str | None = None,
                    threshold: float = 4.0, weeks: int = 4, method: str = "seasonal",
                    currency: str | None = None) -> pd.DataFrame:
    """One row per (date, segment, metric): actual, expected, lower, upper, z, flag,
    direction ("drop"/"spike"), deviation (in the metric's unit), deviation_money, explanation.

    method "seasonal" (default): weekday-adjusted median of the `weeks`/2 weeks before and
    after (see _seasonal_expected). method "flat": the series' overall median (the simple
    baseline it is compared with). Residuals are on a log scale; their robust standard
    deviation (1.4826 × MAD over the whole series) sets the band.
    """
    daily = daily_metrics(orders, traffic, segment)
    if currency is None:
        cur = _text_col(orders, "currency").dropna()
        currency = str(cur.mode().iloc[0]) if len(cur) else "USD"
    rows = []
    for seg_name, part in daily.groupby("segment", sort=False):
        part = part.sort_values("date").reset_index(drop=True)
        typical_aov = float(np.nanmedian(part["aov"])) if part["aov"].notna().any() else 0.0
        for metric in METRICS:
            x = part[metric].to_numpy(float)
            if not np.isfinite(x).any() or (metric == "conversion" and np.isfinite(x).sum() < 21):
                continue
            if metric in ("aov",):
                logx = np.log(np.where(x > 0, x, np.nan))
            elif metric == "conversion":
                logx = np.log(np.where(x > 0, x, np.nan))
                logx = np.where(np.isfinite(x) & (x == 0), np.log(1e-4), logx)
            else:
                logx = np.log1p(np.clip(x, 0, None))
            if method == "flat":
                exp_log = np.full(len(x), np.nanmedian(logx))
            else:
                exp_log = _seasonal_expected(logx, 7 * weeks // 2)
            resid = logx - exp_log
            floor = 0.02 if metric in ("revenue", "orders") else 0.01
            sigma = _robust_sigma(resid, floor)
            if not np.isfinite(sigma):
                continue
            z = resid / sigma
            back = (lambda v: np.expm1(v)) if metric in ("revenue", "orders") else np.exp
            expected = back(exp_log)
            lower = back(exp_log - threshold * sigma)
            upper = back(exp_log + threshold * sigma)
            if metric in ("revenue", "orders"):
                lower = np.clip(lower, 0, None)
            deviation = x - expected
            if metric == "revenue":
                money = deviation
            elif metric == "orders":
                money = deviation * typical_aov
            elif metric == "aov":
                money = deviation * part["orders"].to_numpy(float)
            else:
                money = deviation * part["sessions"].to_numpy(float) * typical_aov
            rows.append(pd.DataFrame({
                "date": part["date"], "segment": seg_name, "metric": metric, "actual": x, "expected": expected,
                "lower": lower, "upper": upper, "z": z, "deviation": deviation, "deviation_money": money,
            }))
    if not rows:
        raise InputError("the order history is too short to build a daily baseline.",
                         fix="load at least five weeks of orders.")
    out = pd.concat(rows, ignore_index=True)
    out["flag"] = np.abs(out["z"].fillna(0)) > threshold
    out["direction"] = np.where(out["z"] < 0, "drop", "spike")
    out["explanation"] = ""
    flagged = out["flag"].to_numpy()
    out.loc[flagged, "explanation"] = [
        _day_text(r, currency) for r in out.loc[flagged].itertuples(index=False)
    ]
    out.attrs["notes"] = list(daily.attrs.get("notes", []))
    return out


def _day_text(r, currency: str = "USD") -> str:
    name = METRICS[r.metric].lower()
    seg = "" if r.segment == "all" else f" ({r.segment})"
    if r.metric == "conversion":
        a, e = f"{r.actual:.2%}", f"{r.expected:.2%}"
    elif r.metric == "orders":
        a, e = f"{r.actual:,.0f}", f"{r.expected:,.0f}"
    else:
        a, e = _money(r.actual, currency), _money(r.expected, currency)
    word = "fell" if r.z < 0 else "rose"
    text = f"{name}{seg} {word} to {a}, expected about {e}"
    m = r.deviation_money
    if np.isfinite(m) and r.metric != "revenue":
        text += f" (about {_money(abs(m), currency)} of sales {'lost' if m < 0 else 'gained'})"
    return text


def compare_daily_methods(orders: pd.DataFrame, n_days: int = 20, drop: float = 0.4, threshold: float = 4.0,
                          seed: int = 0) -> pd.DataFrame:
    """Which daily baseline spots a breakage better, measured on this store's own history:
    remove `drop` of the orders on `n_days` random days, then count how many of those days
    each method flags as a drop in orders or revenue (whole store), and how many other days
    it flags. Seasonal (weekday-adjusted local level) vs flat (overall median).

    Columns: method, name, found, planted, recall, other_alerts, other_days.
    """
    from ecom_models.core.dates import guard_daily

    lines = sale_lines(orders)
    lines = lines[guard_daily(lines["order_date"], "the alert test")[0].to_numpy()]
    day = pd.to_datetime(lines["order_date"]).dt.normalize()
    all_days = pd.Series(day.unique()).sort_values().reset_index(drop=True)
    if len(all_days) < 10 * 7:
        raise InputError("the order history is too short to test the daily alerts (under ten weeks).",
                         fix="load at least ten weeks of orders.")
    rng = np.random.default_rng(seed)
    inner = all_days.iloc[28:-28]
    planted = set(pd.to_datetime(rng.choice(inner.to_numpy(), size=min(n_days, len(inner) // 4), replace=False)))
    okey, _ = pd.factorize(lines["order_id"].astype("str"))
    u = rng.random(int(okey.max()) + 1)[okey]
    keep = ~(day.isin(planted).to_numpy() & (u < drop))
    damaged = lines[keep]
    rows = []
    for method, name in (("seasonal", "Weekday-adjusted local level (used)"),
                         ("flat", "Baseline: overall median")):
        a = daily_anomalies(damaged, None, threshold=threshold, method=method)
        a = a[a["segment"].eq("all") & a["metric"].isin(["orders", "revenue"])]
        drops = set(a.loc[a["flag"] & a["direction"].eq("drop"), "date"])
        flagged = set(a.loc[a["flag"], "date"])
        rows.append({"method": method, "name": name, "found": len(drops & planted), "planted": len(planted),
                     "recall": len(drops & planted) / max(1, len(planted)),
                     "other_alerts": len(flagged - planted), "other_days": a["date"].nunique() - len(planted)})
    return pd.DataFrame(rows)


def daily_scores(anomalies: pd.DataFrame) -> pd.DataFrame:
    """One row per day: date, score in [0, 1] (share of days less unusual), flag, max_abs_z,
    deviation_money (the day's revenue minus its expected revenue, whole store),
    reasons (one sentence per flagged metric, with the money at stake)."""
    a = anomalies.copy()
    a["abs_z"] = a["z"].abs()
    per_day = a.groupby("date").agg(max_abs_z=("abs_z", "max"), flag=("flag", "any")).reset_index()
    rev = a[(a["segment"] == "all") & (a["metric"] == "revenue")].set_index("date")["deviation_money"]
    per_day["deviation_money"] = per_day["date"].map(rev).astype(float)
    per_day["score"] = _rank01(per_day["max_abs_z"].fillna(0).to_numpy())
    texts = a[a["flag"]]
    by_day = texts.groupby("date")["explanation"].apply(list)
    per_day["reasons"] = per_day["date"].map(by_day)
    per_day["reasons"] = [r if isinstance(r, list) else [] for r in per_day["reasons"]]
    return per_day[["date", "score", "flag", "max_abs_z", "deviation_money", "reasons"]]


# -------------------------------------------------------------------------------------------
# money
# -------------------------------------------------------------------------------------------
@dataclass
class MoneyView:
    """Value at risk among flagged orders and the loss prevented at a review capacity.

    Loss prevented over the period = loss_share × (value of the reviewed orders you marked
    as fraud + expected fraud value among the reviewed orders not yet marked), where the
    reviewed orders are the `capacity_per_day × days` riskiest. Orders marked "fine" count 0.
    `precision`: the average chance of fraud assumed or estimated for the unmarked ones.
    """

    flagged_orders: int
    value_at_risk: float  # total value of the flagged orders
    days: float  # days covered by the data
    capacity_per_day: float
    reviewed_orders: int  # capacity * days, at most the number of orders
    reviewed_value: float
    labelled_orders: int  # reviewed orders that carry a decision
    labelled_fraud_value: float
    precision: float  # average chance of fraud among reviewed orders without a decision
    precision_source: str
    loss_prevented: float  # over the whole period
    loss_low: float
    loss_high: float

    @property
    def monthly_loss_prevented(self) -> float:
        return self.loss_prevented / self.days * 30.44

    @property
    def monthly_low(self) -> float:
        return self.loss_low / self.days * 30.44

    @property
    def monthly_high(self) -> float:
        return self.loss_high / self.days * 30.44


DEFAULT_PRECISION = (0.3, 0.1, 0.6)  # assumed share of fraud among reviewed orders: value, low, high


def _period_days(result: RiskResult) -> float:
    dates = pd.to_datetime(result.orders["order_date"])
    return max(1.0, (dates.max() - dates.min()).total_seconds() / 86400.0 + 1)


def fraud_probability(result: RiskResult, labels: dict[str, str] | None, min_decisions: int = 20
                      ) -> np.ndarray | None:
    """Per order (result row order), the chance of fraud given its score, learnt from the
    decisions: a one-variable logistic regression on the tail-stretched score
    -log(1 - score). It lets the fraud share fall further down the list instead of
    copying the share seen among the reviewed orders. None without at least
    `min_decisions` decisions, 2 of each kind."""
    if not labels:
        return None
    df = result.orders
    decided = df["order_id"].map(labels)
    known = decided.isin(LABELS).to_numpy()
    y = decided[known].eq("fraud").to_numpy()
    if known.sum() < min_decisions or y.sum() < 2 or (~y).sum() < 2:
        return None
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    n = len(df)
    x = -np.log(1.0 - df["score"].to_numpy(float) + 0.5 / n).reshape(-1, 1)
    with threadpool_limits(1):
        model = LogisticRegression(C=1.0).fit(x[known], y)
        return model.predict_proba(x)[:, 1]


def money_view(result: RiskResult, capacity_per_day: float = 5.0, precision: float | None = None,
               precision_source: str | None = None, loss_share: float = 1.0,
               labels: dict[str, str] | None = None, edge: int = 20) -> MoneyView:
    """See MoneyView. The share of fraud among reviewed orders without a decision:
    - `precision` when given (the merchant's own figure), with the typical range around it;
    - else, with 20+ decisions: the estimate from `fraud_probability` (falls with the rank);
      range from 0 (only confirmed fraud counts) to the fraud share among the `edge`
      lowest-ranked decided orders applied to all of them (generous: the share keeps falling);
    - else the typical figure DEFAULT_PRECISION (30%, 10% to 60%).
    """
    df = result.orders
    days = _period_days(result)
    n_review = int(min(len(df), round(capacity_per_day * days)))
    reviewed = df.iloc[:n_review]  # riskiest first
    value = reviewed["order_value"].clip(lower=0).to_numpy(float)
    decision = reviewed["order_id"].map(labels or {}).to_numpy(object)
    is_fraud = np.array([d == "fraud" for d in decision], dtype=bool)
    undecided = np.array([d not in LABELS for d in decision], dtype=bool)
    fraud_value = float(value[is_fraud].sum())
    open_value = float(value[undecided].sum())
    prob = None if precision is not None else fraud_probability(result, labels)
    if precision is not None:
        _, lo, hi = DEFAULT_PRECISION
        lo, hi = min(lo, precision), max(hi, precision)
        source = precision_source or "your setting"
        expected, low, high = open_value * precision, open_value * lo, open_value * hi
    elif prob is not None:
        p_open = prob[:n_review][undecided]
        precision = float(p_open.mean()) if len(p_open) else 0.0
        decided = df[df["order_id"].isin((labels or {}).keys())]
        tail = decided.iloc[-edge:]["order_id"].map(labels).eq("fraud")
        hi = wilson(float(tail.sum()), len(tail))[1]
        source = "your decisions (chance of fraud by risk score, learnt from the orders you reviewed)"
        expected = float((value[undecided] * p_open).sum())
        low, high = 0.0, max(open_value * hi, expected)
    else:
        precision, lo, hi = DEFAULT_PRECISION
        source = "assumption (a typical share; mark orders to measure it)"
        expected, low, high = open_value * precision, open_value * lo, open_value * hi
    return MoneyView(
        flagged_orders=int(df["flag"].sum()), value_at_risk=float(df.loc[df["flag"], "order_value"].clip(lower=0).sum()),
        days=days, capacity_per_day=capacity_per_day, reviewed_orders=n_review, reviewed_value=float(value.sum()),
        labelled_orders=int((~undecided).sum()), labelled_fraud_value=fraud_value, precision=float(precision),
        precision_source=source,
        loss_prevented=loss_share * (fraud_value + expected),
        loss_low=min(loss_share, 0.7) * (fraud_value + low),
        loss_high=max(loss_share, 1.0) * (fraud_value + high),
    )


