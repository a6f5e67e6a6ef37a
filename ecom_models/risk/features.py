"""Order features for risk scoring: canonical order lines in, one row per order out, every
feature oriented the same way (higher = more unusual for *this* store).

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

A feature's surprise is -log(share of orders at least as extreme) (`feature_surprise`);
correlated features are merged into one signal (SIGNALS) by the detectors in `scoring`.
`order_features` runs in three steps that the cluster code also runs apart: `order_rows`,
`add_customer_features`, `add_store_rarity`. Also here: which lines are sales (`sale_lines`,
`sale_mask`, `check_orders`) and two small helpers the other risk modules share (`rank01`,
`money_text`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError

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
REQUIRED = ("order_id", "order_date", "quantity", "unit_price", "revenue")


# -------------------------------------------------------------------------------------------
# input
# -------------------------------------------------------------------------------------------
def check_orders(orders: pd.DataFrame) -> None:
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
    check_orders(orders)
    return orders[sale_mask(orders)]  # one selection: every text column is copied once, not twice


def sale_mask(orders: pd.DataFrame) -> np.ndarray:
    """Which lines sale_lines keeps: intake's sale lines (intake.orders.sales_mask) with a positive
    quantity and a date (reads line_type, is_duplicate, quantity, order_date)."""
    from ecom_models.intake.orders import sales_mask

    dated = (pd.to_numeric(orders["quantity"], errors="coerce") > 0) & orders["order_date"].notna()
    return sales_mask(orders) & dated.to_numpy(bool)


def text_column(df: pd.DataFrame, col: str) -> pd.Series:
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
    return any(text_column(lines.iloc[a:a + block], "product_name").notna().any() for a in range(0, len(lines), block))


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
        names = text_column(lines.iloc[picked], "product_name").to_numpy()
    cut_name, qty_name = names[np.searchsorted(picked, cut_line)], names[np.searchsorted(picked, qty_line)]
    # order-level text from each order's first line: select those lines first, then clean
    # (cleaning every line's text and then picking one per order costs ~20x more on big files)
    first_lines = lines.iloc[first]
    feats = pd.DataFrame({
        "order_id": order_ids.astype("str"),
        "order_date": pd.to_datetime(first_lines["order_date"].to_numpy()),
        "customer_id": text_column(first_lines, "customer_id").to_numpy(),
        "country": text_column(first_lines, "country").to_numpy(),
        "channel": text_column(first_lines, "channel").to_numpy(),
        "currency": text_column(first_lines, "currency").to_numpy(),
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
# shared by the other risk modules
# -------------------------------------------------------------------------------------------
def rank01(x: np.ndarray) -> np.ndarray:
    """Average-rank percentile in (0, 1]: the share of values at most this large."""
    return pd.Series(np.asarray(x, float)).rank(method="average", pct=True).to_numpy()


def money_text(v: float, currency: str) -> str:
    """An amount in words for a reason or an alert: "$1,234", "$56.78", "unknown"."""
    if v is None or not np.isfinite(v):
        return "unknown"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, f"{currency} ")
    return f"{symbol}{v:,.0f}" if abs(v) >= 100 else f"{symbol}{v:,.2f}"

