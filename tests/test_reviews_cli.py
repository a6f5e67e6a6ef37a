"""`python -m ecom_models sentiment FILE --json`: one row per review in input order, ids kept, bad input
is a message with exit status 2."""

from __future__ import annotations

import json

from ecom_models.cli import main

CSV = """id,sku,stars,review,when
a1,P1,5,"Arrived quickly, fits perfectly. Love it!",2026-01-03
a2,P1,1,"Broke after two days and support never answered.",2026-01-04
a3,P2,,"   ",2026-01-05
a4,P2,4,"😍😍😍",2026-01-06
a5,P3,2,"<b>Way too small</b>, had to send it back <script>alert(1)</script>",2026-01-07
a6,P3,,"Ce produit est vraiment très mauvais, je ne le recommande pas du tout.",2026-01-08
a7,P3,4,"{long}",2026-01-09
"""


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_rows_in_order(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text(CSV.replace("{long}", "Really good value and it works well. " * 70), encoding="utf-8")
    code, out, err = run_cli(capsys, "sentiment", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rows"] == 7 and doc["text_column"] == "review"
    rows = doc["reviews"]
    assert [r["review_id"] for r in rows] == ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
    assert [r["row"] for r in rows] == list(range(1, 8))
    assert rows[0]["label"] == "positive" and rows[1]["label"] == "negative"
    assert rows[2]["status"] == "empty" and rows[2]["label"] is None
    assert rows[3]["status"] == "emoji_only" and rows[3]["label"] == "positive"
    assert rows[4]["label"] == "negative" and "size/fit" in rows[4]["aspects"]
    assert rows[5]["status"] == "ok" and rows[5]["language"] == "fr" and rows[5]["label"] == "negative"
    # one French review: the multilingual model reads the whole file (one space, and the better on English too)
    assert rows[5]["encoder"] == rows[0]["encoder"] == "multilingual-e5" and rows[0]["language"] == "en"
    assert rows[6]["truncated"] is True and rows[6]["label"] == "positive"
    for r in rows:
        assert r["score"] is None or -1 <= r["score"] <= 1
    assert {p["product_id"] for p in doc["products"]} == {"P1", "P2", "P3"}
    assert [a["aspect"] for a in doc["aspects"]] and doc["comparison"]["trained"] is False
    assert doc["counts"]["not_scored"] == 1 and not any("another language" in n for n in doc["notes"])


def test_cli_text_col_and_no_ids(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_text("note,comment\nx,I would not buy this again.\ny,Absolutely love this product.\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "sentiment", str(path), "--text-col", "comment", "--json")
    assert code == 0, err
    rows = json.loads(out)["reviews"]
    assert [r["review_id"] for r in rows] == [None, None]
    assert [r["label"] for r in rows] == ["negative", "positive"]


def test_cli_bad_input(tmp_path, capsys):
    code, out, err = run_cli(capsys, "sentiment", str(tmp_path / "missing.csv"), "--json")
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    path = tmp_path / "r.csv"
    path.write_text("id,review\n1,fine\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "sentiment", str(path), "--text-col", "body")
    assert code == 2 and "no column named 'body'" in err
    empty = tmp_path / "e.csv"
    empty.write_text("review,stars\n ,\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "sentiment", str(empty), "--json")
    assert code == 2 and "Traceback" not in err


def test_cli_one_column_list(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_text('review\n"Great, fast delivery."\nBroke on day one, what a waste\n\n', encoding="utf-8")
    code, out, err = run_cli(capsys, "sentiment", str(path), "--json")
    assert code == 0, err
    rows = json.loads(out)["reviews"]
    assert [r["label"] for r in rows][:2] == ["positive", "negative"]
