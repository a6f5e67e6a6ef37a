"""KPI definitions pinned on a tiny hand-made store."""

import pandas as pd
import pytest

from ecom_models.overview.kpi import compute_kpis, revenue_trend, top_by


def lines():
    rows = [
        # order, date, customer, product, qty, price, line_type
        ("1", "2024-01-02", "a", "P1", 1, 100.0, "sale"),
        ("2", "2024-01-03", "a", "P2", 2, 10.0, "sale"),
        ("3", "2024-01-04", None, "P1", 1, 100.0, "sale"),
        ("C3", "2024-01-05", None, "P1", -1, 100.0, "cancellation"),
        ("4", "2024-01-06", "b", "P2", 1, 10.0, "sale"),
        ("4", "2024-01-06", "b", "POST", 1, 5.0, "non_product"),
        ("R4", "2024-01-07", "b", "P2", -1, 10.0, "return"),
        ("0", "2023-12-25", "c", "P1", 1, 50.0, "sale"),  # previous period (starts 25 Dec)
    ]
    df = pd.DataFrame(rows, columns=["order_id", "order_date", "customer_id", "product_id", "quantity", "unit_price", "line_type"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["revenue"] = df["quantity"] * df["unit_price"]
    df["is_duplicate"] = False
    df["product_name"] = df["product_id"]
    df["category"] = "x"
    df["country"] = ["US", "US", "GB", "GB", "US", "US", "US", "US"]
    return df


def test_kpi_definitions():
    traffic = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=7), "sessions": 100})
    k = {x.key: x for x in compute_kpis(lines(), traffic, "2024-01-01", "2024-01-07")}
    assert k["revenue"].value == pytest.approx(100 + 20 + 100 + 10 - 100 - 10)
    assert k["orders"].value == 4
    assert k["aov"].value == pytest.approx(230 / 4)
    assert k["customers"].value == 2 and k["repeat_rate"].value == pytest.approx(0.5)
    assert k["conversion"].value == pytest.approx(4 / 700)
    assert k["cancel_rate"].value == pytest.approx(100 / 230)
    assert k["return_rate"].value == pytest.approx(10 / 230)
    assert k["revenue"].previous == pytest.approx(50)
    assert k["revenue"].change == pytest.approx((120 - 50) / 50)


def test_trend_weeks_end_on_the_last_day_and_top_lists():
    trend = revenue_trend(lines(), "W", end="2024-01-07")
    assert trend["period"].max() == pd.Timestamp("2024-01-01")  # the last full week, 1-7 January
    assert trend["revenue"].sum() == pytest.approx(50 + 120)
    top = top_by(lines(), "country")
    assert top.iloc[0]["country"] == "US"


def test_daily_trend_fills_days_without_sales():
    trend = revenue_trend(lines(), "D")
    assert len(trend) == (pd.Timestamp("2024-01-07") - pd.Timestamp("2023-12-25")).days + 1
    assert trend.loc[trend["period"] == pd.Timestamp("2023-12-30"), "revenue"].item() == 0
