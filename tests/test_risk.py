"""Risk and anomalies: acceptance on the demo store, bad input, labels, money, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ecom_models import risk as A
from ecom_models.core.errors import InputError


@pytest.fixture(scope="module")
def demo():
    from ecom_models.demo.store import demo_store

    return demo_store()


@pytest.fixture(scope="module")
def demo_result(demo):
    return A.score_orders(demo.orders, contamination=0.01)


def small_orders(n_orders: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_orders):
        t = pd.Timestamp("2025-01-01") + pd.Timedelta(hours=int(rng.integers(0, 24 * 60)))
        for j in range(int(rng.integers(1, 4))):
            q = float(rng.integers(1, 3))
            rows.append({"order_id": f"O{i}", "order_date": t, "customer_id": None if i % 5 == 0 else f"C{i % 13}",
                         "product_id": f"P{j}", "product_name": f"Product {j}", "category": "x", "quantity": q,
                         "unit_price": 10.0 + j, "revenue": q * (10.0 + j), "discount": 0.0, "currency": "EUR",
                         "country": "DE", "channel": "web", "status": "paid", "line_type": "sale",
                         "is_duplicate": False})
    df = pd.DataFrame(rows)
    for c in ("order_id", "customer_id", "product_id", "product_name", "category", "currency", "country", "channel",
              "status", "line_type"):
        df[c] = df[c].astype("str")
    return df


# --- acceptance on the demo store ---------------------------------------------------------------
def test_demo_fraud_ranked(demo, demo_result):
    table = A.evaluate(demo_result, demo.truth["fraud_order_ids"], k=50).set_index("detector")
    assert table.loc["ensemble", "roc_auc"] >= 0.95, table
    assert table.loc["ensemble", "precision_at_k"] >= 0.8, table
    assert table.loc["ensemble", "roc_auc"] > table.loc["baseline", "roc_auc"]
    for det in ("iforest", "ecod", "tail"):
        assert 0.5 < table.loc[det, "roc_auc"] <= 1.0
    base = table.loc["baseline"]
    assert base["roc_auc_low"] < base["roc_auc"] < base["roc_auc_high"]
    assert table.loc["ensemble", "roc_auc_low"] > base["roc_auc_high"]  # the ensemble wins beyond noise


def test_auc_interval_matches_hanley_mcneil():
    lo, hi = A.auc_interval(0.8, 50, 50)
    assert (lo + hi) / 2 == pytest.approx(0.8)
    # by hand: Q1 = 0.8/1.2, Q2 = 1.28/1.8, var = (0.16 + 49(Q1 - 0.64) + 49(Q2 - 0.64)) / 2500, SE 0.0445
    assert hi - lo == pytest.approx(2 * 1.96 * 0.0445, abs=0.001)


def test_demo_scores_shape(demo_result):
    df = demo_result.orders
    assert df["score"].between(0, 1).all()
    assert df["order_id"].is_unique
    assert df["flag"].sum() == int(np.ceil(0.01 * len(df)))
    assert df["score"].is_monotonic_decreasing
    flagged = df[df["flag"]]
    assert all(1 <= len(r) <= 3 for r in flagged["reasons"])
    assert all(len(r) == 0 for r in df.loc[~df["flag"], "reasons"])


def test_reflag_changes_flags_not_scores(demo_result):
    wider = A.reflag(demo_result, 0.05)
    assert wider.orders["flag"].sum() == int(np.ceil(0.05 * len(wider.orders)))
    assert (wider.orders["score"].to_numpy() == demo_result.orders["score"].to_numpy()).all()
    assert all(len(r) >= 1 for r in wider.flagged["reasons"])
    assert demo_result.orders["flag"].sum() < wider.orders["flag"].sum()


def test_demo_broken_days_flagged(demo):
    anomalies = A.daily_anomalies(demo.orders, demo.traffic)
    flagged = anomalies[anomalies["flag"] & anomalies["segment"].eq("all") & anomalies["metric"].eq("orders")]
    broken = pd.to_datetime(demo.truth["broken_days"])
    drops = flagged[flagged["direction"] == "drop"]
    assert set(broken) <= set(drops["date"]), drops[["date", "z"]]
    # each flag carries expected value and money; drops lose money
    row = drops[drops["date"] == broken[0]].iloc[0]
    assert row["actual"] < row["lower"] <= row["expected"]
    assert row["deviation_money"] < 0
    assert "expected about" in row["explanation"]
    # not every day is an alert
    days = A.daily_scores(anomalies)
    assert days["flag"].mean() < 0.05
    assert set(broken) <= set(days.loc[days["flag"], "date"])


def test_daily_segments_and_conversion(demo):
    anomalies = A.daily_anomalies(demo.orders, demo.traffic, segment="country")
    assert "conversion" in set(anomalies["metric"])
    assert any(s.startswith("country: ") for s in anomalies["segment"].unique())
    # traffic with sessions per channel gives conversion per channel too
    split = pd.concat([demo.traffic.assign(channel=c, sessions=(demo.traffic["sessions"] * w).round())
                       for c, w in (("web", 0.7), ("app", 0.3))], ignore_index=True)
    per_channel = A.daily_anomalies(demo.orders, split, segment="channel")
    conv = per_channel[per_channel["metric"] == "conversion"]
    assert {"all", "channel: web", "channel: app"} <= set(conv["segment"])
    broken = pd.to_datetime(demo.truth["broken_days"])
    web = conv[(conv["segment"] == "channel: web") & conv["date"].isin(broken)]
    assert web["flag"].all() and (web["direction"] == "drop").all()


# --- bad input -----------------------------------------------------------------------------------
def test_guests_single_lines_and_few_orders():
    df = small_orders(40)
    result = A.score_orders(df, contamination=0.05)
    assert set(result.orders["order_id"]) == set(df["order_id"])  # guests not dropped
    assert not result.reliable
    assert any("unreliable" in w for w in result.warnings)


def test_too_few_orders_is_an_input_error():
    with pytest.raises(InputError, match="too few"):
        A.score_orders(small_orders(3))


def test_missing_column_and_only_cancellations():
    df = small_orders(30)
    with pytest.raises(InputError) as exc:
        A.score_orders(df.drop(columns=["unit_price"]))
    assert exc.value.column == "unit_price"
    cancelled = df.assign(line_type="cancellation", quantity=-df["quantity"])
    with pytest.raises(InputError, match="no sale lines"):
        A.score_orders(cancelled)
    with pytest.raises(InputError):
        A.score_orders(df, contamination=0.9)


def test_no_customer_ids_still_scores():
    df = small_orders(60).assign(customer_id=pd.array([None] * 1, dtype="str").repeat(1)[0])
    result = A.score_orders(df)
    assert len(result.orders) == 60
    assert any("No customer ids" in w for w in result.warnings)


def test_pricing_error_reason_in_words():
    df = small_orders(300, seed=1)
    bad = df[df["order_id"] == "O7"].copy()
    bad["order_id"] = "BAD"
    bad["unit_price"] = bad["unit_price"] * 0.15
    bad["quantity"] = 40.0
    bad["revenue"] = bad["unit_price"] * bad["quantity"]
    result = A.score_orders(pd.concat([df, bad], ignore_index=True), contamination=0.02)
    row = result.orders.set_index("order_id").loc["BAD"]
    assert row["flag"]
    words = " ".join(row["reasons"])
    assert "85% below this product's usual price" in words
    assert "the usual quantity" in words


def test_burst_reason_counts_orders():
    df = small_orders(300, seed=2)
    base = df[df["order_id"] == "O3"].iloc[[0]]
    burst = pd.concat([base.assign(order_id=f"B{k}", customer_id="NEWBIE",
                                   order_date=pd.Timestamp("2025-02-10 12:00") + pd.Timedelta(minutes=8 * k))
                       for k in range(5)], ignore_index=True)
    result = A.score_orders(pd.concat([df, burst], ignore_index=True), contamination=0.02, reasons_for="all")
    row = result.orders.set_index("order_id").loc["B4"]
    assert any(r.startswith("5th order from this new customer within an hour") for r in row["reasons"])


def test_country_change_of_a_repeat_customer():
    df = small_orders(300, seed=3)
    moved = df[df["order_id"] == "O1"].assign(order_id="MOVED", country="PL",
                                               order_date=pd.Timestamp("2025-03-01 12:00"))
    result = A.score_orders(pd.concat([df, moved], ignore_index=True), reasons_for="all")
    row = result.orders.set_index("order_id").loc["MOVED"]
    assert row["country_change"] > 0.9
    assert any("while this customer usually orders from DE" in r for r in row["reasons"])
    assert sum("PL" in r for r in row["reasons"]) == 1  # rarity and change said once, together
    assert row["score"] > 0.9


# --- labels and the supervised comparison --------------------------------------------------------
def test_labels_roundtrip(tmp_path):
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace("risktest", tmp_path)
    A.save_label(ws, "123", "fraud")
    A.save_label(ws, "124", "fine")
    A.save_label(ws, "124", None)
    assert A.load_labels(ws) == {"123": "fraud"}
    with pytest.raises(InputError):
        A.save_label(ws, "1", "maybe")
    labels = A.load_labels(ws)
    assert A.save_decisions(ws, labels, [("123", "fraud"), ("125", "fine"), ("126", "not reviewed")]) == 1
    assert A.load_labels(ws) == {"123": "fraud", "125": "fine"}
    assert A.labels_key(A.load_labels(ws)) == A.labels_key({"125": "fine", "123": "fraud"})
    A.label_known_answers(ws, ["7", "8"], {"8"})
    assert A.load_labels(ws)["8"] == "fraud" and A.load_labels(ws)["7"] == "fine"
    A.clear_labels(ws, A.load_labels(ws))
    assert A.load_labels(ws) == {}
    ws.close()


def test_supervised_vs_unsupervised_on_held_out_labels(demo, demo_result):
    fraud = set(demo.truth["fraud_order_ids"])
    ranked = demo_result.orders
    # a reviewer labels the 150 riskiest orders (what the review queue shows)
    labels = {o: ("fraud" if o in fraud else "fine") for o in ranked["order_id"].head(150)}
    with pytest.raises(InputError, match="not enough"):
        A.compare_with_labels(demo_result, dict(list(labels.items())[:10]))
    comp = A.compare_with_labels(demo_result, labels)
    assert comp.n_labels == 150
    assert set(comp.table["detector"]) == {"supervised", "ensemble", "baseline"}
    assert comp.winner in {"supervised", "ensemble"}
    assert comp.table["precision_at_k"].between(0, 1).all()
    probs = A.supervised_scores(demo_result, comp)
    assert len(probs) == len(ranked) and np.all((probs >= 0) & (probs <= 1))


# --- money -----------------------------------------------------------------------------------------
def test_money_view(demo, demo_result):
    mv = A.money_view(demo_result, capacity_per_day=5)
    assert mv.reviewed_orders == pytest.approx(5 * mv.days, abs=1)
    assert mv.value_at_risk > 0 and mv.loss_low <= mv.loss_prevented <= mv.loss_high
    more = A.money_view(demo_result, capacity_per_day=20)
    assert more.loss_prevented > mv.loss_prevented
    # with decisions on the 300 riskiest orders the estimate rests on them
    fraud = set(demo.truth["fraud_order_ids"])
    labels = {o: ("fraud" if o in fraud else "fine") for o in demo_result.orders["order_id"].head(300)}
    measured = A.money_view(demo_result, capacity_per_day=5, labels=labels)
    top = demo_result.orders.head(300)
    fraud_value = top.loc[top["order_id"].isin(fraud), "order_value"].sum()
    assert measured.labelled_fraud_value == pytest.approx(fraud_value)
    assert measured.precision < 0.5  # the lowest-ranked decisions are mostly fine
    # the truth: planted fraud among the reviewed orders, per month
    reviewed = demo_result.orders.head(measured.reviewed_orders)
    true_monthly = reviewed.loc[reviewed["order_id"].isin(fraud), "order_value"].sum() / measured.days * 30.44
    assert measured.monthly_low <= true_monthly <= measured.monthly_high
    # the business case's risk row (ecom_models.value.valuation.risk_value) is tested in tests/test_valuation.py


# --- CLI -------------------------------------------------------------------------------------------
def test_cli_order_and_daily(tmp_path, demo, capsys):
    from ecom_models.cli import main

    path = tmp_path / "orders.csv"
    demo.orders.head(8000).to_csv(path, index=False)
    assert main(["anomalies", str(path), "--json", "--top", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["level"] == "order" and len(doc["rows"]) == 5
    row = doc["rows"][0]
    assert {"order_id", "score", "flag", "reasons"} <= set(row)
    assert 0 <= row["score"] <= 1 and row["flag"] and row["reasons"]
    assert main(["anomalies", str(path), "--level", "daily", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["level"] == "daily" and {"date", "score", "flag", "reasons"} <= set(doc["rows"][0])


def test_cli_bad_input(tmp_path, capsys):
    from ecom_models.cli import main

    assert main(["anomalies", str(tmp_path / "missing.csv")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["anomalies", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_order_columns_lists_every_feature_the_steps_build(demo):
    # order_features (and the Dask path) select ORDER_COLUMNS: a feature missing from it would vanish silently
    lines = A.sale_lines(demo.orders.head(5000))
    feats = A.order_rows(lines, np.ones(len(lines)), np.ones(len(lines)))
    A.add_customer_features(feats)
    A.add_store_rarity(feats)
    assert set(feats.columns) == set(A.ORDER_COLUMNS)
    assert len(A.ORDER_COLUMNS) == len(set(A.ORDER_COLUMNS))
