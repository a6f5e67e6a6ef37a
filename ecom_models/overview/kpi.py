"""Store KPIs for the Overview page, with the change against the previous period.

Definitions (also in the README):
- revenue: net revenue of product lines in the period (sales minus cancellations and returns);
- orders: distinct orders with at least one sale line; average order value = sales revenue / orders;
- customers: distinct known customers who ordered; repeat-purchase rate: share of those
  customers with two or more orders in the period;
- conversion: orders / sessions, when traffic exists;
- cancellation rate and return rate: cancelled and returned revenue as a share of sales revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    previous: float | None
    kind: str  # "money", "count", "rate"
    help: str

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous in (None, 0) or pd.isna(self.previous) or pd.isna(self.value):
            return None
        return (self.value - self.previous) / abs(self.previous)


def _period_figures(lines: pd.DataFrame, sessions: float | None) -> dict[str, float | None]:
    sales = lines[lines["line_type"] == "sale"]
    sales_revenue = float(sales["revenue"].sum())
    cancelled = -float(lines.loc[lines["line_type"] == "cancellation", "revenue"].sum())
    returned = -float(lines.loc[lines["line_type"] == "return", "revenue"].sum())
    orders = int(sales["order_id"].nunique())
    known = sales.dropna(subset=["customer_id"])
    per_customer = known.groupby("customer_id")["order_id"].nunique()
    return {
        "revenue": sales_revenue - cancelled - returned,
        "orders": float(orders),
        "aov": sales_revenue / orders if orders else None,
        "customers": float(len(per_customer)),
        "repeat_rate": float((per_customer >= 2).mean()) if len(per_customer) else None,
        "conversion": orders / sessions if sessions else None,
        "cancel_rate": cancelled / sales_revenue if sales_revenue else None,
        "return_rate": returned / sales_revenue if sales_revenue else None,
    }


KPI_LABELS = {
    "revenue": ("Net revenue", "money", "Product sales minus cancellations and returns in the period."),
    "orders": ("Orders", "count", "Distinct orders with at least one product sold."),
    "aov": ("Average order value", "money", "Sales revenue divided by orders."),
    "customers": ("Customers", "count", "Distinct known customers who ordered (guest checkouts not counted)."),
    "repeat_rate": ("Repeat-purchase rate", "rate", "Share of customers who ordered twice or more in the period."),
    "conversion": ("Conversion", "rate", "Orders divided by website sessions (needs a traffic file)."),
    "cancel_rate": ("Cancellation rate", "rate", "Cancelled revenue as a share of sales revenue."),
    "return_rate": ("Return rate", "rate", "Returned or refunded revenue as a share of sales revenue."),
}


def compute_kpis(orders: pd.DataFrame, traffic: pd.DataFrame | None = None, start=None, end=None) -> list[Kpi]:
    """KPIs for [start, end] (defaults: the whole history) and the same-length period before it."""
    lines = orders[~orders["is_duplicate"]]
    dates = lines["order_date"]
    if len(lines) == 0:
        return [Kpi(k, lab, None, None, kind, h) for k, (lab, kind, h) in KPI_LABELS.items()]
    start = pd.Timestamp(start) if start is not None else dates.min().normalize()
    end = pd.Timestamp(end) if end is not None else dates.max().normalize()
    end_excl = end + pd.Timedelta(days=1)
    length = end_excl - start
    prev_start = start - length
    current = lines[(dates >= start) & (dates < end_excl)]
    previous = lines[(dates >= prev_start) & (dates < start)]
    has_previous = dates.min() <= prev_start + pd.Timedelta(days=1)

    def sessions(a, b):
        if traffic is None or traffic.empty:
            return None
        t = traffic[(traffic["date"] >= a) & (traffic["date"] < b)]
        total = float(t["sessions"].sum())
        return total or None

    now = _period_figures(current, sessions(start, end_excl))
    before = _period_figures(previous, sessions(prev_start, start)) if has_previous else {}
    return [Kpi(k, lab, now.get(k), before.get(k), kind, h) for k, (lab, kind, h) in KPI_LABELS.items()
            if not (k == "conversion" and now.get(k) is None)]


def revenue_trend(orders: pd.DataFrame, freq: str = "W", end=None) -> pd.DataFrame:
    """Net product revenue and orders per day ("D") or per 7 days ("W"): columns period, revenue, orders.

    Weeks are counted back from `end` (default: the last line), so the last point is a whole
    week rather than a partial one that looks like a collapse.
    """
    from ecom_models.core.dates import guard_daily

    lines = orders[~orders["is_duplicate"] & orders["line_type"].isin(["sale", "cancellation", "return"])]
    lines = lines[guard_daily(lines["order_date"], "the trend")[0].to_numpy()]
    day = lines["order_date"].dt.normalize()
    if freq == "D":
        period = day
    else:
        end = pd.Timestamp(end).normalize() if end is not None else day.max()
        lines = lines[day <= end]
        day = day[day <= end]
        period = end - pd.to_timedelta(((end - day).dt.days // 7) * 7 + 6, unit="D")
        first_day = day.min()
    revenue = lines.groupby(period)["revenue"].sum()
    sale = lines["line_type"] == "sale"
    order_count = lines[sale].groupby(period[sale])["order_id"].nunique()
    out = pd.DataFrame({"revenue": revenue, "orders": order_count}).fillna(0)
    if freq == "D" and len(out):
        # Days without sales are zero, not a straight line drawn across the gap.
        out = out.reindex(pd.date_range(out.index.min(), out.index.max(), freq="D"), fill_value=0)
    out = out.rename_axis("period").reset_index()
    if freq != "D" and len(out):
        out = out[out["period"] >= first_day]  # a week cut by the start of the data would look like a drop
    return out.reset_index(drop=True)


def top_by(orders: pd.DataFrame, column: str, n: int = 10) -> pd.DataFrame:
    """Top values of a column by net revenue: columns <column>, revenue, orders, share."""
    lines = orders[~orders["is_duplicate"] & orders["line_type"].isin(["sale", "cancellation", "return"])]
    if column not in lines or lines[column].isna().all():
        return pd.DataFrame(columns=[column, "revenue", "orders", "share"])
    label = lines[column].fillna("(unknown)")
    grouped = lines.groupby(label).agg(revenue=("revenue", "sum"), orders=("order_id", "nunique"))
    grouped["share"] = grouped["revenue"] / max(grouped["revenue"].sum(), 1e-9)
    out = grouped.sort_values("revenue", ascending=False).head(n).reset_index(names=column)
    if column == "product_id" and "product_name" in lines:
        names = lines.drop_duplicates("product_id").set_index("product_id")["product_name"]
        out.insert(1, "product_name", out["product_id"].map(names))
    return out


def filter_orders(orders: pd.DataFrame, start=None, end=None, **segments) -> pd.DataFrame:
    """Rows in [start, end] whose segment columns (country=…, channel=…, category=…) match a chosen value."""
    mask = np.ones(len(orders), dtype=bool)
    if start is not None:
        mask &= (orders["order_date"] >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        mask &= (orders["order_date"] < pd.Timestamp(end) + pd.Timedelta(days=1)).to_numpy()
    for column, values in segments.items():
        if values:
            mask &= orders[column].isin(list(values)).to_numpy()
    return orders[mask]


SEGMENT_COLUMNS = ("country", "channel", "category")
MAX_SEGMENT_VALUES = 200  # more distinct values than this is an id, not a segment


def default_period(orders: pd.DataFrame, days: int = 90) -> tuple:
    """(first day of the data, default start, default end, last day of the data) as dates.

    The default period is the last `days` days up to the last *sale*: returns trail weeks behind
    the last sale, and a period ending on the last refund would look like a collapse."""
    sale_dates = orders.loc[orders["line_type"] == "sale", "order_date"]
    first_day = orders["order_date"].min().date()
    last_sale = (sale_dates if len(sale_dates) else orders["order_date"]).max().date()
    start = max(first_day, (pd.Timestamp(last_sale) - pd.Timedelta(days=days - 1)).date())
    return first_day, start, last_sale, orders["order_date"].max().date()


def segment_options(orders: pd.DataFrame) -> dict[str, list[str]]:
    """The segment columns worth filtering on (2 to 200 distinct values), with their sorted values."""
    out = {}
    for column in SEGMENT_COLUMNS:
        if column in orders:
            values = orders[column].dropna().unique()
            if 1 < len(values) <= MAX_SEGMENT_VALUES:
                out[column] = sorted(map(str, values))
    return out


def segment_kpis(orders: pd.DataFrame, traffic: pd.DataFrame | None, start, end,
                 segments: dict[str, list] | None = None) -> list[Kpi]:
    """compute_kpis on the chosen segments. Sessions are not split by country, channel or
    category, so with any segment chosen there is no conversion rather than a wrong one."""
    segments = {k: v for k, v in (segments or {}).items() if v}
    return compute_kpis(filter_orders(orders, **segments), None if segments else traffic, start, end)
