"""The Customers page runs on the demo store: KPIs, segments with rules, the backtest naming its
winner, the retention charts and the win-back list with its download; guest-only data gets a
clear message."""

from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "customers.py")


def test_customers_page_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["use_demo"] = True
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    for expected in ("Your customers", "Segments", "Does the model beat simple rules?", "Retention", "Win-back list"):
        assert expected in headers
    assert all(m.help for m in at.metric)
    frames = [df.value for df in at.dataframe]
    seg = next(f for f in frames if "Segment" in f.columns and "Share" in f.columns)
    assert len(seg) >= 3
    # every segment's rule in full, one line each, under the table
    rules = next(md.value for md in at.markdown if md.value.startswith("- **"))
    lines = rules.splitlines()
    assert len(lines) == len(seg) and all(len(line) > 30 for line in lines)
    assert all(f"**{name}**" in rules for name in seg["Segment"])
    assert any("wins on" in md.value for md in at.markdown)
    bt = next(f for f in frames if "Model" in f.columns)
    assert list(bt["Model"]) == ["model", "past rate", "recency"]
    assert len(at.get("plotly_chart")) == 2
    win = next(f for f in frames if "value_at_stake" in f.columns)
    assert len(win) > 0 and win["value_at_stake"].is_monotonic_decreasing
    # the demo store's planted lapsing regulars lead the win-back list
    from ecom_models.demo.store import demo_store

    planted = set(demo_store().truth["lapsing_customers"])
    assert len(planted) == 40 and len(planted & set(win["customer_id"].head(45))) >= 36
    # ...and are named as slipping away, not 'needs attention'
    assert win.loc[win["customer_id"].isin(planted), "segment"].isin(["can't lose them", "at risk"]).all()
    assert any(b.label.startswith("Download the win-back list") for b in at.get("download_button"))
    assert any(b.label.startswith("Download every customer") for b in at.get("download_button"))

    # every customer: at most SHOWN rows go to the browser; a segment and part of an id find the rest
    from ecom_ui.customers import SHOWN

    every = next(f for f in frames if "Total spend" in f.columns)
    assert len(every) == SHOWN and every.iloc[:, 4].is_monotonic_decreasing
    assert any("highest expected spend of" in c.value for c in at.caption)
    one = sorted(planted)[7]
    at.text_input(key="customers_find").input(one[-4:].lower()).run()
    found = next(df.value for df in at.dataframe if "Total spend" in df.columns)
    assert one in set(found["Customer"]) and found["Customer"].str.lower().str.contains(one[-4:].lower()).all()
    at.text_input(key="customers_find").input("").run()
    at.selectbox(key="customers_segment").select("can't lose them").run()
    found = next(df.value for df in at.dataframe if "Total spend" in df.columns)
    assert len(found) > 0 and (found["Segment"] == "can't lose them").all()


def test_customers_page_guests_only(monkeypatch, tmp_path):
    from ecom_models.workspace.workspace import Workspace

    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.setenv("ECOM_WORKSPACE", "merchant")
    monkeypatch.chdir(Path(PAGE).parents[1])
    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)],
                       "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
                       "customer_id": [None] * n, "product_id": "p1", "quantity": 1.0, "unit_price": 10.0,
                       "revenue": 10.0, "line_type": "sale", "is_duplicate": False, "currency": "USD"})
    ws = Workspace("merchant", tmp_path)
    ws.save_dataset("shop", "orders", df, source_file="shop.csv")
    ws.close()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = False
    at.run()
    assert not at.exception, at.exception
    assert any("guest checkout" in e.value for e in at.error)
