"""An invoice-style synthetic store with fraud injected independently of the detector's own injection.

The store (ecom_models.demo.wholesale, shared with the money rows' calibration) imitates a wholesale
gift shop's invoice export: one home country with most of the orders and a long tail of foreign ones,
wholesalers who buy in bulk, quantity-tier prices, guest invoices without a customer id, opening hours
7-20 and no Saturday trading, cancellations. The fraud patterns differ from the demo's on purpose (no
rare-country shortcut for most of them): bulk resale, pricing-error abuse, card testing from an ordinary
country, a night-time order, and an account take-over of a repeat customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecom_models import risk as A
from ecom_models.demo.wholesale import COLUMNS, LONG_TAIL, wholesale_store


def make_store(n_orders: int = 6000, n_customers: int = 900, n_products: int = 400, seed: int = 7) -> pd.DataFrame:
    """A year of the shared wholesale store (the one the money rows are calibrated on), with a longer,
    thinner country tail and longer baskets than the calibration's."""
    return wholesale_store(n_orders=n_orders, days=365, n_customers=n_customers, n_products=n_products, seed=seed,
                           start="2024-01-01", countries=LONG_TAIL, guest_share=0.2, extra_lines_p=0.12,
                           max_lines=80, first_id=536000)


def inject_fraud(orders: pd.DataFrame, n_each: int = 8, seed: int = 11) -> tuple[pd.DataFrame, set[str]]:
    """Add fraudulent orders; returns the new frame and the fraudulent order ids."""
    rng = np.random.default_rng(seed)
    sales = orders[orders["line_type"] == "sale"]
    products = sales.groupby("product_id").agg(price=("unit_price", "median"), qty=("quantity", "median"),
                                               name=("product_name", "first")).reset_index()
    customers = sales.dropna(subset=["customer_id"]).groupby("customer_id").agg(
        n=("order_id", "nunique"), country=("country", "first")).reset_index()
    repeat = customers[customers["n"] >= 5]
    t0, t1 = sales["order_date"].min(), sales["order_date"].max()
    rows, ids = [], set()
    next_id = [900000]

    def day_time(hour_lo=9, hour_hi=18):
        d = t0 + pd.Timedelta(days=int(rng.integers(0, (t1 - t0).days)))
        d = d.normalize() + pd.Timedelta(hours=int(rng.integers(hour_lo, hour_hi)), minutes=int(rng.integers(0, 60)))
        return d if d.weekday() != 5 else d - pd.Timedelta(days=1)

    def add(when, customer, country, items):
        oid = f"F{next_id[0]}"
        next_id[0] += 1
        ids.add(oid)
        for pid, qty, unit in items:
            p = products[products["product_id"] == pid].iloc[0]
            rows.append({"order_id": oid, "order_date": when, "customer_id": customer, "product_id": pid,
                         "product_name": p["name"], "category": None, "quantity": float(qty), "unit_price": float(unit),
                         "revenue": round(qty * unit, 2), "discount": 0.0, "currency": "GBP", "country": country,
                         "channel": None, "status": None, "line_type": "sale", "is_duplicate": False})

    def pick(k):
        return products.sample(k, random_state=int(rng.integers(1 << 30)))

    for i in range(n_each):  # bulk resale: one or two products at 25-60x the usual quantity
        items = [(p.product_id, p.qty * rng.integers(25, 60), p.price) for p in pick(int(rng.integers(1, 3))).itertuples()]
        add(day_time(), f"N{i}", "United Kingdom", items)
    for i in range(n_each):  # pricing error abuse: 75-95% below the usual price, in quantity
        items = [(p.product_id, p.qty * rng.integers(3, 10), round(p.price * rng.uniform(0.05, 0.25), 2))
                 for p in pick(int(rng.integers(1, 4))).itertuples()]
        add(day_time(), None if i % 2 else f"P{i}", "United Kingdom", items)
    for i in range(max(1, n_each // 3)):  # card testing: a new customer, 3-5 orders in 40 minutes
        start = day_time()
        for j in range(int(rng.integers(3, 6))):
            items = [(p.product_id, p.qty, p.price) for p in pick(int(rng.integers(1, 4))).itertuples()]
            add(start + pd.Timedelta(minutes=int(rng.integers(0, 40))), f"CT{i}", "United Kingdom", items)
    for i in range(n_each):  # night order: 1-4 a.m., new customer, ordinary basket
        items = [(p.product_id, p.qty * 2, p.price) for p in pick(int(rng.integers(2, 6))).itertuples()]
        add(day_time(1, 4), f"NI{i}", "France", items)
    for i in range(n_each):  # account take-over: a repeat customer, 10x the usual spend, abroad
        c = repeat.sample(1, random_state=int(rng.integers(1 << 30))).iloc[0]
        usual = sales[sales["customer_id"] == c["customer_id"]].groupby("order_id")["revenue"].sum().median()
        basket = pick(int(rng.integers(3, 8)))
        scale = max(1.0, 10 * usual / float((basket["qty"] * basket["price"]).sum()))
        items = [(p.product_id, max(1.0, round(p.qty * scale)), p.price) for p in basket.itertuples()]
        add(day_time(), c["customer_id"], "Poland", items)
    fraud = pd.DataFrame(rows)
    for col in ("order_id", "customer_id", "product_id", "product_name", "category", "currency", "country",
                "channel", "status", "line_type"):
        fraud[col] = fraud[col].astype("str")
    out = pd.concat([orders, fraud[COLUMNS]], ignore_index=True)
    return out, ids


@pytest.fixture(scope="module")
def injected():
    orders, ids = inject_fraud(make_store())
    return orders, ids, A.score_orders(orders, contamination=0.02)


def test_independent_injection_is_ranked_high(injected):
    orders, ids, result = injected
    table = A.evaluate(result, ids, k=len(ids)).set_index("detector")
    assert table.loc["ensemble", "roc_auc"] >= 0.9, table
    # the ensemble beats the simple baseline (biggest orders first)
    assert table.loc["ensemble", "roc_auc"] > table.loc["baseline", "roc_auc"], table


def test_each_pattern_is_caught(injected):
    orders, ids, result = injected
    df = result.orders.set_index("order_id")
    fraud = df.loc[sorted(ids)]
    # every injected order is riskier than 80% of the store's orders
    assert (fraud["score"] >= 0.8).mean() >= 0.9, fraud[["score", "reasons"]]


def test_reasons_name_the_planted_signal(injected):
    orders, ids, result = injected
    df = result.orders.set_index("order_id")
    top = df[df.index.isin(ids) & df["flag"]]
    assert len(top) >= len(ids) // 2  # the riskiest 2% hold at least half the injected fraud
    words = " ".join(" ".join(r) for r in top["reasons"])
    assert "below this product's usual price" in words
    assert "the usual quantity" in words
    assert "within an hour" in words


def test_cancellations_and_guests_kept(injected):
    orders, ids, result = injected
    scored = set(result.orders["order_id"])
    assert not any(o.startswith("C") for o in scored)  # cancellation invoices are not orders to score
    guests = orders.loc[orders["customer_id"].isna() & orders["line_type"].eq("sale"), "order_id"].unique()
    assert set(guests) <= scored


def test_invoice_export_through_intake(tmp_path):
    """The same kind of store written as an invoice-style CSV export, read by the intake."""
    from ecom_models.intake import load_orders

    orders, ids = inject_fraud(make_store(n_orders=2500, seed=21), n_each=6, seed=22)
    raw = pd.DataFrame({
        "InvoiceNo": orders["order_id"], "StockCode": orders["product_id"], "Description": orders["product_name"],
        "Quantity": orders["quantity"].astype(int), "InvoiceDate": orders["order_date"].dt.strftime("%m/%d/%Y %H:%M"),
        "UnitPrice": orders["unit_price"],
        "CustomerID": orders["customer_id"].map(lambda c: f"{c}.0" if isinstance(c, str) else ""),
        "Country": orders["country"],
    })
    path = tmp_path / "invoices.csv"
    raw.to_csv(path, index=False)
    loaded = load_orders(str(path))
    result = A.score_orders(loaded)
    table = A.evaluate(result, ids, k=len(ids)).set_index("detector")
    assert table.loc["ensemble", "roc_auc"] >= 0.9, table
    assert table.loc["ensemble", "roc_auc"] > table.loc["baseline", "roc_auc"] + 0.2
