"""Figures from canonical orders: which lines are sales, the KPIs, the store's scale and currency.

Every capability that needs the store's size (orders per month, average order value, revenue,
visitors) or its currency takes it from here, so that one store has one figure everywhere.
Definitions (the README's KPIs):

    sale line           line_type == "sale" and not is_duplicate (a frame without those
                        columns: every line a sale, none a duplicate)
    store currency      the most common currency over all lines (a tie: alphabetically first);
                        `default` (USD) when the frame names none
    months              span of the sale dates / DAYS_PER_MONTH (365.25 / 12 = 30.44), at least 1
    orders per month    distinct order ids of the sale lines / months
    average order value sales revenue / distinct orders; NaN without orders (never 0: an
                        unknown value is not a free order)
    revenue per month   gross: the sale lines' revenue / months; net: plus the (negative)
                        cancellation and return lines
    visitors per month  sessions over the last 30 days of traffic / the days with traffic in
                        that window x DAYS_PER_MONTH; without traffic, orders per month / an
                        assumed conversion (monthly_visitors says which it used)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.44  # 365.25 / 12


def sales_mask(orders: pd.DataFrame) -> np.ndarray:
    """Which lines count as product sales: not cancelled, returned, non-product, free, or repeated."""
    keep = np.ones(len(orders), dtype=bool)
    if "line_type" in orders:
        keep &= orders["line_type"].eq("sale").to_numpy(dtype=bool, na_value=False)
    if "is_duplicate" in orders:
        keep &= ~orders["is_duplicate"].fillna(False).astype(bool).to_numpy()
    return keep


def sales_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """The lines that count as product sales: not cancelled, returned, non-product, free, or repeated."""
    return orders[sales_mask(orders)]


def summarise_orders(orders: pd.DataFrame) -> dict:
    """The KPIs the `ingest` CLI prints and the Overview's definitions (README); intake.big's
    summarise_table computes the same in DuckDB."""
    valid = orders[~orders["is_duplicate"]]
    sales = valid[valid["line_type"] == "sale"]
    refunds = valid[valid["line_type"].isin(["cancellation", "return"])]
    gross = float(sales["revenue"].sum())
    return {
        "orders": int(sales["order_id"].nunique()),
        "customers": int(sales["customer_id"].dropna().nunique()),
        "products": int(sales["product_id"].nunique()),
        "gross_revenue": round(gross, 2),
        "net_revenue": round(gross + float(refunds["revenue"].sum()), 2),
        "cancelled_revenue": round(float(valid.loc[valid["line_type"] == "cancellation", "revenue"].sum()), 2),
        "returned_revenue": round(float(valid.loc[valid["line_type"] == "return", "revenue"].sum()), 2),
        "non_product_revenue": round(float(valid.loc[valid["line_type"] == "non_product", "revenue"].sum()), 2),
        "units": float(sales["quantity"].sum()),
        "currency": store_currency(orders, default=None),
        "date_min": orders["order_date"].min().isoformat() if len(orders) else None,
        "date_max": orders["order_date"].max().isoformat() if len(orders) else None,
    }


def store_currency(orders: pd.DataFrame | None, default: str | None = "USD") -> str | None:
    """The store's currency: the most common one over all lines; `default` when none is named."""
    if orders is None or "currency" not in orders or not orders["currency"].notna().any():
        return default
    return str(orders["currency"].mode().iloc[0])


def store_figures(orders: pd.DataFrame | None) -> dict:
    """Orders per month, average order value, gross and net revenue per month, months, currency
    (the module docstring's definitions). Every figure is NaN for a missing or empty frame."""
    empty = {"monthly_orders": float("nan"), "order_value": float("nan"), "currency": "USD",
             "monthly_revenue": float("nan"), "monthly_net_revenue": float("nan"), "months": float("nan")}
    if orders is None or len(orders) == 0 or "order_id" not in orders:
        return empty
    lines = orders
    if "is_duplicate" in lines:
        lines = lines[~lines["is_duplicate"].fillna(False).astype(bool)]
    sales = sales_lines(lines)
    n = int(sales["order_id"].nunique())
    dates = (pd.to_datetime(sales["order_date"], errors="coerce") if "order_date" in sales
             else pd.Series(dtype="datetime64[ns]"))
    months = max((dates.max() - dates.min()).days / DAYS_PER_MONTH, 1.0) if dates.notna().any() else 1.0
    revenue = float(pd.to_numeric(sales["revenue"], errors="coerce").sum()) if "revenue" in sales else float("nan")
    net = revenue
    if "revenue" in lines and "line_type" in lines:
        back = lines[lines["line_type"].isin(["cancellation", "return"])]
        net = revenue + float(pd.to_numeric(back["revenue"], errors="coerce").clip(upper=0).sum())
    return {"monthly_orders": n / months, "order_value": revenue / n if n else float("nan"),
            "currency": store_currency(orders), "monthly_revenue": revenue / months,
            "monthly_net_revenue": net / months, "months": months}


def recent_visitors(traffic: pd.DataFrame | None, days: int = 30) -> float | None:
    """Visitors per month from the sessions of the last `days` days of traffic (per day with
    traffic in that window, x DAYS_PER_MONTH); None without a usable traffic frame."""
    if traffic is None or not len(traffic) or not {"date", "sessions"} <= set(traffic.columns):
        return None
    d = pd.to_datetime(traffic["date"], errors="coerce")
    s = pd.to_numeric(traffic["sessions"], errors="coerce")
    if not d.notna().any() or not s.notna().any():
        return None
    recent = d > d.max() - pd.Timedelta(days=days)
    n_days = min(days, int(d[recent].dt.normalize().nunique()) or 1)
    return float(s[recent].sum() / n_days * DAYS_PER_MONTH)


def monthly_visitors(traffic: pd.DataFrame | None, orders: pd.DataFrame | None,
                     assumed_conversion: float = 0.02) -> tuple[float, str]:
    """Visitors per month and where the figure comes from: the last 30 days of traffic, else
    orders per month / `assumed_conversion`; NaN and "unknown" without either."""
    visitors = recent_visitors(traffic)
    if visitors is not None:
        return visitors, "sessions over the last 30 days of your traffic"
    monthly_orders = store_figures(orders)["monthly_orders"]
    if math.isfinite(monthly_orders):
        return monthly_orders / assumed_conversion, f"orders per month / an assumed {assumed_conversion:.0%} conversion"
    return float("nan"), "unknown"


def recent_order_value(orders: pd.DataFrame | None, days: int = 90) -> float | None:
    """Average order value of the sale lines of the last `days` days; None without orders."""
    if orders is None or not len(orders):
        return None
    sales = sales_lines(orders)
    sales = sales[sales["order_date"] > sales["order_date"].max() - pd.Timedelta(days=days)]
    n = sales["order_id"].nunique()
    return float(sales["revenue"].sum() / n) if n else None
