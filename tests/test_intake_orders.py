"""Figures from canonical orders (ecom_models.intake.orders): one definition of a sale line, the
store's currency, orders per month, average order value and visitors, for every capability."""

import math

import numpy as np
import pandas as pd
import pytest

from ecom_models.intake import orders as O


def _orders():
    return pd.DataFrame({
        "order_id": ["1", "1", "2", "3", "4", "5", "5"],
        "order_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-15", "2026-02-01", "2026-03-02",
                                      "2026-03-02", "2026-03-02"]),
        "customer_id": ["a", "a", "b", "a", "c", "d", "d"],
        "product_id": ["p", "q", "p", "r", "p", "p", "p"],
        "quantity": [1.0, 1.0, 1.0, 3.0, -1.0, 1.0, 1.0],
        "revenue": [60.0, 40.0, 50.0, 150.0, -20.0, 30.0, 30.0],
        "line_type": ["sale", "sale", "sale", "sale", "return", "sale", "sale"],
        "is_duplicate": [False, False, False, False, False, False, True],
        "currency": ["EUR", "EUR", "EUR", "EUR", "EUR", "GBP", "GBP"]})


def test_sales_are_sale_lines_that_are_not_repeats():
    orders = _orders()
    assert O.sales_mask(orders).tolist() == [True, True, True, True, False, True, False]
    assert O.sales_lines(orders)["order_id"].tolist() == ["1", "1", "2", "3", "5"]
    # a frame without the flags (a few columns read from a file): every line a sale
    assert O.sales_mask(orders[["order_id", "revenue"]]).all()


def test_store_figures_follow_the_documented_rules():
    f = O.store_figures(_orders())
    months = (pd.Timestamp("2026-03-02") - pd.Timestamp("2026-01-01")).days / O.DAYS_PER_MONTH
    assert f["months"] == pytest.approx(months)
    assert f["monthly_orders"] == pytest.approx(4 / months)
    assert f["order_value"] == pytest.approx((60 + 40 + 50 + 150 + 30) / 4)
    assert f["monthly_revenue"] == pytest.approx(330 / months)
    assert f["monthly_net_revenue"] == pytest.approx((330 - 20) / months)
    assert f["currency"] == "EUR"  # the most common over all lines


def test_no_orders_means_unknown_figures_not_zero():
    orders = _orders()
    for frame in (None, orders.head(0), orders[orders["line_type"] != "sale"]):
        f = O.store_figures(frame)
        assert math.isnan(f["order_value"])  # an unknown order value, never a free order
    assert O.store_figures(None)["currency"] == "USD"
    assert O.store_currency(None) == "USD" and O.store_currency(orders.drop(columns="currency"), default=None) is None
    assert O.recent_order_value(None) is None


def test_visitors_from_traffic_else_from_orders():
    orders = _orders()
    traffic = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=60), "sessions": 100})
    visitors, source = O.monthly_visitors(traffic, orders)
    assert visitors == pytest.approx(100 * O.DAYS_PER_MONTH) and "sessions" in source
    assert O.recent_visitors(traffic) == pytest.approx(visitors)
    # days without a row in the window are not counted as days without visitors
    gaps = traffic.iloc[::2]
    assert O.recent_visitors(gaps) == pytest.approx(100 * O.DAYS_PER_MONTH)
    visitors, source = O.monthly_visitors(None, orders)
    assert visitors == pytest.approx(O.store_figures(orders)["monthly_orders"] / 0.02) and "assumed" in source
    visitors, source = O.monthly_visitors(None, None)
    assert math.isnan(visitors) and source == "unknown"


def test_recent_order_value_looks_at_the_last_days_of_sales():
    orders = _orders()
    assert O.recent_order_value(orders, days=90) == pytest.approx(330 / 4)
    assert O.recent_order_value(orders, days=10) == pytest.approx(30.0)  # order 5 only (order 4 is a return)


def test_demo_store_figures_agree_with_the_kpis():
    from ecom_models.demo import demo_store

    orders = demo_store().orders
    kpis = O.summarise_orders(orders)
    f = O.store_figures(orders)
    assert f["currency"] == kpis["currency"]
    assert f["monthly_orders"] * f["months"] == pytest.approx(kpis["orders"])
    assert f["monthly_revenue"] * f["months"] == pytest.approx(kpis["gross_revenue"], abs=0.01)
    assert np.isclose(f["order_value"], kpis["gross_revenue"] / kpis["orders"], atol=1e-6)
