"""`python -m ecom_models recommend FILE --top K --json`: keys, plain tables, order lines, bad input."""

from __future__ import annotations

import json

import pandas as pd

from ecom_models import recommend as R
from ecom_models.cli import main


def test_cli_plain_interactions_table(tmp_path, capsys):
    path = tmp_path / "ratings.csv"
    df = R.synthetic_interactions(120, 60, 2_000, n_clusters=5, seed=1)
    df["rating"] = (df.index % 10) + 1  # a 1-10 scale
    df.to_csv(path, index=False)
    assert main(["recommend", str(path), "--top", "5", "--no-deep", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("model", "params", "k", "validation_metrics", "test_metrics", "baseline_test_metrics", "leaderboard",
                "reason", "users", "n_users", "n_items", "notes"):
        assert key in doc
    assert doc["k"] == 5 and doc["model"] in R.MODEL_LABELS
    assert {"precision", "recall", "ndcg", "hit_rate"} <= set(doc["validation_metrics"])
    assert len(doc["users"]) == df["user_id"].nunique()
    seen = df.groupby("user_id")["item_id"].apply(set)
    for u in doc["users"]:
        assert len(u["item_ids"]) == 5 and not set(u["item_ids"]) & seen[u["user_id"]]


def test_cli_order_lines_and_named_model(tmp_path, capsys):
    rows = []
    for c in range(60):
        for o in range(2):
            oid = f"{c}-{o}"
            for p in ({0: ["A", "B"], 1: ["C", "D"], 2: ["E", "F"]}[c % 3] + ([f"X{o}"] if c % 2 else [])):
                rows.append({"Order ID": oid, "Order Date": f"2026-0{1 + o}-{1 + c % 27:02d}", "Customer ID": f"C{c}",
                             "SKU": p, "Product Name": f"Product {p}", "Quantity": 1, "Unit Price": 9.5})
    path = tmp_path / "orders.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert main(["recommend", str(path), "--model", "item_knn", "--top", "2", "--users", "C0,NEW", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "item_knn"
    by_user = {u["user_id"]: u for u in doc["users"]}
    assert set(by_user) == {"C0", "NEW"} and by_user["NEW"]["known_customer"] is False


def test_cli_bad_input_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "one.csv"
    pd.DataFrame({"user_id": ["a", "b", "c"], "item_id": ["x", "x", "x"]}).to_csv(path, index=False)
    assert main(["recommend", str(path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "only one product" in err and "Traceback" not in err
    assert main(["recommend", str(tmp_path / "missing.csv"), "--json"]) == 2
    assert main(["recommend", str(path), "--top", "0", "--json"]) == 2
