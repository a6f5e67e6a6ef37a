"""Intake figures against an independent, careful manual analysis of an invoice-style export.

The file is generated with the quirks real invoice exports have (cancellations prefixed C,
guests, postage and manual lines, bad-debt adjustments, stock adjustments at zero price,
exact duplicates, blank trailing rows); the expected figures are computed directly with
pandas from the generator's own columns, not through the intake code.
"""

import numpy as np
import pandas as pd
import pytest

from ecom_models.intake import ingest, summarise_orders


def make_invoices(n_lines=20000, seed=3):
    rng = np.random.default_rng(seed)
    invoice = np.sort(rng.integers(0, n_lines // 5, n_lines)) + 536000
    kind = rng.choice(["sale", "cancel", "post", "manual", "stockadj"], n_lines, p=[0.93, 0.03, 0.02, 0.01, 0.01])
    stock = rng.integers(20000, 23000, n_lines).astype(str).astype(object)
    desc = np.char.add("ITEM ", stock.astype(str)).astype(object)
    qty = rng.integers(1, 24, n_lines)
    price = np.round(rng.gamma(2, 2, n_lines) + 0.1, 2)
    inv = invoice.astype(str).astype(object)
    inv[kind == "cancel"] = np.char.add("C", invoice[kind == "cancel"].astype(str))
    qty[kind == "cancel"] *= -1
    stock[kind == "post"], desc[kind == "post"] = "POST", "POSTAGE"
    stock[kind == "manual"], desc[kind == "manual"] = "M", "Manual"
    stock[kind == "stockadj"], desc[kind == "stockadj"] = "21000", "damaged"
    qty[kind == "stockadj"] = -rng.integers(1, 50, (kind == "stockadj").sum())
    price[kind == "stockadj"] = 0
    customer = rng.integers(12000, 18000, n_lines // 5)[invoice - 536000].astype(float)
    guest = rng.random(n_lines // 5)[invoice - 536000] < 0.15
    dates = pd.Timestamp("2010-12-01 08:00") + pd.to_timedelta((invoice - 536000) * 37, unit="min")
    df = pd.DataFrame({"InvoiceNo": inv, "StockCode": stock, "Description": desc, "Quantity": qty,
                       "InvoiceDate": dates.strftime("%m/%d/%Y %H:%M"), "UnitPrice": price,
                       "CustomerID": np.where(guest, np.nan, customer), "Country": "United Kingdom"})
    dupes = df.sample(150, random_state=1)
    df = pd.concat([df, dupes]).sort_index(kind="stable").reset_index(drop=True)
    bad_debt = pd.DataFrame([{"InvoiceNo": "A563185", "StockCode": "B", "Description": "Adjust bad debt", "Quantity": 1,
                              "InvoiceDate": "08/12/2011 14:50", "UnitPrice": -11062.06, "CustomerID": np.nan,
                              "Country": "United Kingdom"}])
    return pd.concat([df, bad_debt], ignore_index=True), kind


def manual_figures(df: pd.DataFrame) -> dict:
    d = df.drop_duplicates()
    is_cancel = d["InvoiceNo"].str.startswith("C")
    non_product = d["StockCode"].isin(["POST", "M", "B"])
    sale = ~is_cancel & ~non_product & (d["UnitPrice"] > 0) & (d["Quantity"] > 0)
    line_total = d["Quantity"] * d["UnitPrice"]
    return {
        "orders": d.loc[sale, "InvoiceNo"].nunique(),
        "customers": d.loc[sale, "CustomerID"].dropna().nunique(),
        "gross_revenue": line_total[sale].sum(),
        "net_revenue": line_total[sale].sum() + line_total[is_cancel & ~non_product].sum(),
    }


def test_figures_match_manual_analysis(tmp_path):
    df, _ = make_invoices()
    path = tmp_path / "online_retail.csv"
    df.to_csv(path, index=False)
    with open(path, "a") as f:
        f.write(",,,,,,,\n,,,,,,,\n")
    result = ingest(path)
    assert result.kind == "orders"
    for field in ("order_id", "order_date", "customer_id", "product_id", "quantity", "unit_price"):
        assert field in result.mapping
    got, want = summarise_orders(result.df), manual_figures(df)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=0.01), key
    q = result.report.quirk_counts
    assert q["duplicate_lines"] >= 140 and q["blank_rows"] == 2
    assert q["cancellations"] > 0 and q["non_product_lines"] > 0 and q["guest_checkouts"] > 0
    assert q["zero_or_negative_price"] > 0  # the stock adjustments
