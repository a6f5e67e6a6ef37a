"""Order lines -> one row per customer: the inputs of the purchase and spend models.

A *purchase* is a day on which the customer bought something (several orders on one day count
once), as in the BG/NBD literature and PyMC-Marketing's `rfm_summary`: a wholesaler who splits
one delivery into three invoices has made one purchase. Only sale lines count
(`intake.orders.sales_mask`: no cancellations, returns, non-product or repeated lines).
Lines without a customer id (guest checkouts) cannot be followed over time: they are left out
and counted (`attrs["guest_lines"]`, `attrs["guest_orders"]`).

Columns of `customer_summary` (days throughout):
    customer_id, frequency (repeat purchases: purchases - 1), recency (first to last purchase),
    T (first purchase to the cut-off), monetary (mean spend of the repeat purchases; 0 for
    one-time buyers), first_value (spend of the first purchase), purchases, total_spend,
    first_purchase, last_purchase (dates), days_since (last purchase to the cut-off).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecom_models.core.errors import InputError
from ecom_models.intake.orders import sales_mask

REQUIRED = ("order_date", "customer_id", "revenue")


def purchase_days(orders: pd.DataFrame) -> pd.DataFrame:
    """Sale lines with a customer id summed per customer and day: customer_id, day, spend.
    attrs: guest_lines, guest_orders (sale lines / orders without a customer id)."""
    missing = [c for c in REQUIRED if c not in orders.columns]
    if missing:
        raise InputError(f"the orders have no {', '.join(missing)} column.", column=", ".join(missing),
                         fix="map a customer id, an order date and a revenue (or quantity and price) column.")
    sales = orders.loc[sales_mask(orders), ["order_date", "customer_id", "revenue"]
                       + (["order_id"] if "order_id" in orders else [])]
    sales = sales[sales["order_date"].notna()]
    cid = sales["customer_id"]
    guest = cid.isna() | cid.astype(str).str.strip().isin(["", "nan", "None"])
    guest_lines = int(guest.sum())
    guest_orders = int(sales.loc[guest, "order_id"].nunique()) if "order_id" in sales else guest_lines
    known = sales[~guest]
    day = known["order_date"].dt.normalize()
    out = (known.assign(day=day, customer_id=known["customer_id"].astype(str), spend=known["revenue"].fillna(0.0))
           .groupby(["customer_id", "day"], sort=False, observed=True)["spend"].sum().reset_index())
    out.attrs.update(guest_lines=guest_lines, guest_orders=guest_orders)
    return out


def customer_summary(days: pd.DataFrame, cutoff=None) -> pd.DataFrame:
    """One row per customer from `purchase_days` output, as of `cutoff` (default: the last day
    seen); purchases after the cut-off are ignored."""
    cutoff = pd.Timestamp(cutoff).normalize() if cutoff is not None else days["day"].max()
    d = days[days["day"] <= cutoff].sort_values(["customer_id", "day"], kind="stable")
    if d.empty:
        out = pd.DataFrame(columns=["customer_id", "frequency", "recency", "T", "monetary", "first_value",
                                    "purchases", "total_spend", "first_purchase", "last_purchase", "days_since"])
        out.attrs.update(days.attrs, cutoff=cutoff)
        return out
    g = d.groupby("customer_id", sort=True)
    first = g["day"].min()
    last = g["day"].max()
    n = g.size()
    total = g["spend"].sum()
    first_value = g["spend"].first()
    freq = (n - 1).astype(float)
    repeat_spend = total - first_value
    monetary = np.where(freq > 0, repeat_spend / freq.where(freq > 0, 1.0), 0.0)
    out = pd.DataFrame({
        "customer_id": first.index.astype(str),
        "frequency": freq.to_numpy(),
        "recency": (last - first).dt.days.to_numpy(dtype=float),
        "T": (cutoff - first).dt.days.to_numpy(dtype=float),
        "monetary": np.maximum(monetary, 0.0),
        "first_value": first_value.to_numpy(dtype=float),
        "purchases": n.to_numpy(dtype=float),
        "total_spend": total.to_numpy(dtype=float),
        "first_purchase": first.to_numpy(),
        "last_purchase": last.to_numpy(),
        "days_since": (cutoff - last).dt.days.to_numpy(dtype=float),
    })
    out.attrs.update(days.attrs, cutoff=cutoff)
    return out


def holdout_activity(days: pd.DataFrame, start, end) -> pd.DataFrame:
    """Purchases and spend per customer in (start, end]: customer_id, purchases, spend."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    d = days[(days["day"] > start) & (days["day"] <= end)]
    g = d.groupby("customer_id")
    return pd.DataFrame({"purchases": g.size().astype(float), "spend": g["spend"].sum()}).reset_index()
