"""The demo store: deterministic, prebuilt files in sync with the generator, planted truth present."""

import json

import pandas as pd

from ecom_models.demo.store import build_demo_store, demo_store
from ecom_models.intake import summarise_orders


def test_prebuilt_files_equal_the_generator():
    shipped, fresh = demo_store(), build_demo_store(42)
    for name in ("orders", "products", "reviews", "traffic", "experiment"):
        a, b = getattr(shipped, name), getattr(fresh, name)
        if name == "products":
            a, b = a.drop(columns="partners"), b.drop(columns="partners")
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    assert shipped.truth == json.loads(json.dumps(fresh.truth))


def test_demo_store_is_realistic():
    store = demo_store()
    summary = summarise_orders(store.orders)
    assert 60_000 < summary["orders"] < 120_000
    span = store.orders["order_date"].max() - store.orders["order_date"].min()
    assert span.days >= 700
    assert set(store.orders["line_type"]) >= {"sale", "cancellation", "return", "non_product"}
    assert store.orders["customer_id"].isna().mean() > 0.03  # guest checkouts
    assert set(store.truth["fraud_order_ids"]) <= set(store.orders["order_id"])
    assert store.reviews["rating"].between(1, 5).all()
    assert {"control", "treatment"} == set(store.experiment["variant"])
