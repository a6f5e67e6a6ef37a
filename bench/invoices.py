"""A generated invoice export shaped like a UK online gift wholesaler's (the public "Online
Retail" data set's shape, never its content): 541,909 lines by default, about 4,400 customers
with an id and 3,700 products, a year from 2010-12-01, a quarter of the lines without a
customer id, 2% cancellations, postage lines, a long tail of products, customers who buy
within a few themes (so recommendations have something to find) and the pre-Christmas peak.

Used by bench/pages.py, bench/recommend.py-style timing scripts and the speed tests.
Usage: python bench/invoices.py out.csv [--rows 541909]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def make_invoices(rows: int = 541_909, customers: int = 8_200, products: int = 3_710, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    themes = 40
    product_theme = rng.integers(0, themes, products)
    popularity = rng.pareto(1.1, products) + 0.05
    lines_per_invoice = 21
    n_invoices = max(1, rows // lines_per_invoice)
    # customers: a heavy-tailed number of invoices, two or three favourite themes each
    cust_weight = rng.pareto(1.3, customers) + 0.2
    cust_theme = rng.integers(0, themes, (customers, 3))
    invoice_customer = rng.choice(customers, n_invoices, p=cust_weight / cust_weight.sum())
    guest = rng.random(n_invoices) < 0.25
    days = pd.date_range("2010-12-01", "2011-12-09", freq="D")
    season = np.where(days.month.isin([9, 10, 11]), 2.0, 1.0) * np.where(days.day_of_week == 5, 0.0, 1.0)
    season[(days >= "2010-12-23") & (days <= "2011-01-04")] = 0.0
    day_of_invoice = np.sort(rng.choice(len(days), n_invoices, p=season / season.sum()))
    order_sizes = np.maximum(1, rng.poisson(lines_per_invoice - 1, n_invoices) + 1)
    scale = rows / order_sizes.sum()
    order_sizes = np.maximum(1, np.round(order_sizes * scale).astype(int))
    total = int(order_sizes.sum())
    inv_idx = np.repeat(np.arange(n_invoices), order_sizes)[:rows]
    if len(inv_idx) < rows:
        inv_idx = np.concatenate([inv_idx, np.full(rows - len(inv_idx), n_invoices - 1)])
    del total
    # each line: from one of the customer's themes (80%) or anywhere (20%), by popularity
    theme_members = [np.flatnonzero(product_theme == t) for t in range(themes)]
    theme_p = [popularity[m] / popularity[m].sum() for m in theme_members]
    all_p = popularity / popularity.sum()
    line_cust = invoice_customer[inv_idx]
    pick_theme = cust_theme[line_cust, rng.integers(0, 3, rows)]
    from_theme = rng.random(rows) < 0.8
    product = rng.choice(products, rows, p=all_p)
    for t in range(themes):
        sel = np.flatnonzero(from_theme & (pick_theme == t))
        if len(sel) and len(theme_members[t]):
            product[sel] = rng.choice(theme_members[t], len(sel), p=theme_p[t])
    stock = np.array([f"{20000 + i}" for i in range(products)], dtype=object)[product]
    base_price = np.round(rng.gamma(1.6, 2.2, products) + 0.29, 2)
    price = base_price[product]
    quantity = rng.choice([1, 2, 3, 4, 6, 12, 24, 48], rows, p=[0.15, 0.15, 0.1, 0.1, 0.15, 0.25, 0.08, 0.02])
    postage = rng.random(rows) < 0.01
    stock = np.where(postage, "POST", stock)
    price = np.where(postage, 18.0, price)
    quantity = np.where(postage, 1, quantity)
    invoice_no = (536365 + inv_idx).astype(str).astype(object)
    cancelled_inv = rng.random(n_invoices) < 0.02
    cancel = cancelled_inv[inv_idx]
    invoice_no = np.where(cancel, "C" + invoice_no.astype(str), invoice_no)
    quantity = np.where(cancel, -quantity, quantity)
    minutes = rng.integers(8 * 60, 19 * 60, n_invoices)
    stamp = days[day_of_invoice] + pd.to_timedelta(minutes, unit="min")
    customer_id = np.where(guest, "", (12346 + invoice_customer).astype(str)).astype(object)[inv_idx]
    names = np.array([f"GIFT ITEM {i} THEME {product_theme[i]}" for i in range(products)], dtype=object)[product]
    names = np.where(postage, "POSTAGE", names)
    countries = rng.choice(["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands"], customers,
                           p=[0.9, 0.025, 0.025, 0.02, 0.015, 0.015])
    return pd.DataFrame({
        "InvoiceNo": invoice_no, "StockCode": stock, "Description": names, "Quantity": quantity,
        "InvoiceDate": pd.Series(stamp[inv_idx]).dt.strftime("%m/%d/%Y %H:%M").to_numpy(),
        "UnitPrice": price, "CustomerID": customer_id, "Country": countries[line_cust],
    })


def write_invoices(path: str, rows: int = 541_909, seed: int = 7) -> str:
    make_invoices(rows, seed=seed).to_csv(path, index=False)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=541_909)
    args = parser.parse_args()
    write_invoices(args.out, args.rows)
    print(args.out)
