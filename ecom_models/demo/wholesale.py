"""An invoice-style wholesale/retail store without fraud, for the risk tests, the risk bench and the
money rows' calibration (ecom_models.value.calibration): one generator, so what the detector is
tested on and what the money is calibrated on are the same kind of store.

It imitates a wholesale gift shop's invoice export: one home country with most of the orders and a
long tail of foreign ones, wholesalers who buy in bulk, quantity-tier prices, guest invoices
without a customer id, opening hours 7-20 and no Saturday trading, 2% of orders cancelled by a
negative "C" invoice. Fraud is added by the caller (risk.inject, or the tests' own independent
patterns), never here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["order_id", "order_date", "customer_id", "product_id", "product_name", "category", "quantity",
           "unit_price", "revenue", "discount", "currency", "country", "channel", "status", "line_type",
           "is_duplicate"]

# the home country and a foreign tail, shares of customers
COUNTRIES = {"United Kingdom": 0.86, "Germany": 0.03, "France": 0.025, "EIRE": 0.02, "Spain": 0.015,
             "Netherlands": 0.01, "Belgium": 0.01, "Switzerland": 0.008, "Portugal": 0.007, "Australia": 0.006,
             "Norway": 0.005, "Italy": 0.004}
# a longer, thinner tail (some countries with one customer or none): rare countries as in a real export
LONG_TAIL = {"United Kingdom": 0.86, "Germany": 0.03, "France": 0.025, "EIRE": 0.02, "Spain": 0.01,
             "Netherlands": 0.008, "Belgium": 0.008, "Switzerland": 0.007, "Portugal": 0.006, "Australia": 0.005,
             "Norway": 0.004, "Italy": 0.004, "Channel Islands": 0.003, "Finland": 0.003, "Cyprus": 0.001,
             "Japan": 0.001}


def wholesale_store(n_orders: int = 4000, days: int = 120, n_customers: int = 700, n_products: int = 300,
                    seed: int = 0, start: str = "2026-01-05", countries: dict[str, float] | None = None,
                    guest_share: float = 0.15, extra_lines_p: float = 0.15, max_lines: int = 60,
                    first_id: int = 500000) -> pd.DataFrame:
    """Canonical order lines of the store (about `n_orders` orders over `days` days, fewer once the
    Saturdays are dropped). `extra_lines_p`: the geometric parameter of lines beyond the first
    (smaller: longer baskets); wholesalers' baskets are twice as long, up to `max_lines`."""
    rng = np.random.default_rng(seed)
    countries = COUNTRIES if countries is None else countries
    names = np.array(list(countries))
    share = np.array(list(countries.values()), dtype=float)
    cust_country = rng.choice(names, n_customers, p=share / share.sum())
    wholesale = rng.random(n_customers) < 0.12
    activity = rng.pareto(1.2, n_customers) + 0.2
    price = np.round(np.exp(rng.normal(0.9, 0.8, n_products)), 2) + 0.15
    pack = rng.choice([1, 2, 4, 6, 12, 24], n_products, p=[0.25, 0.15, 0.15, 0.2, 0.17, 0.08])
    popularity = rng.dirichlet(np.full(n_products, 0.6))
    t0 = pd.Timestamp(start)
    day = rng.integers(0, days, n_orders * 2)
    day = day[(t0 + pd.to_timedelta(day, unit="D")).day_of_week != 5][:n_orders]  # no Saturday trading
    n_orders = len(day)
    hour = np.clip(rng.normal(12.5, 2.3, n_orders), 7, 20.9)
    t = t0 + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour * 3600, unit="s").round("s")
    guest = rng.random(n_orders) < guest_share
    cust = rng.choice(n_customers, n_orders, p=activity / activity.sum())
    n_lines = 1 + rng.geometric(extra_lines_p, n_orders)
    n_lines = np.where(wholesale[cust], n_lines * 2, n_lines).clip(1, max_lines)
    o = np.repeat(np.arange(n_orders), n_lines)
    prod = rng.choice(n_products, len(o), p=popularity)
    mult = rng.choice([1, 1, 1, 2, 3, 4], len(o))
    mult = np.where(wholesale[cust[o]], mult * rng.choice([4, 8, 12], len(o)), mult)
    qty = (pack[prod] * mult).astype(float)
    unit = np.where(qty >= 4 * pack[prod], np.round(price[prod] * 0.85, 2), price[prod])  # quantity tier
    df = pd.DataFrame({
        "order_id": pd.array([f"{first_id + i}" for i in o], dtype="str"),
        "order_date": t[o],
        "customer_id": pd.array(np.where(guest[o], None, np.char.add("1", (2000 + cust[o]).astype(str))), dtype="str"),
        "product_id": pd.array(np.char.add("SKU", prod.astype(str)), dtype="str"),
        "product_name": pd.array(np.char.add("ITEM ", prod.astype(str)), dtype="str"),
        "category": pd.array([None] * len(o), dtype="str"),
        "quantity": qty, "unit_price": unit, "revenue": np.round(qty * unit, 2), "discount": 0.0,
        "currency": "GBP",
        "country": pd.array(cust_country[cust[o]], dtype="str"),
        "channel": pd.array([None] * len(o), dtype="str"),
        "status": pd.array([None] * len(o), dtype="str"),
        "line_type": "sale", "is_duplicate": False,
    })
    cancel = rng.choice(n_orders, n_orders // 50, replace=False)
    c = df[df["order_id"].isin({f"{first_id + i}" for i in cancel})].groupby("order_id").head(1).copy()
    c["order_id"] = "C" + c["order_id"]
    c["quantity"] *= -1
    c["revenue"] *= -1
    c["line_type"] = "cancellation"
    return pd.concat([df, c], ignore_index=True)[COLUMNS]
