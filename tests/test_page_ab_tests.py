"""The A/B tests page: demo store, a merchant file with data-quality problems, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "ab_tests.py")


def _app():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = True
    return at


def test_ab_page_demo():
    at = _app()
    at.run()
    assert not at.exception, at.exception
    subheaders = [h.value for h in at.subheader]
    for expected in ("1. Can you trust the data?", "2. Results", "3. What it is worth", "4. Planning", "5. By segment",
                     "6. Lift over time", "7. Export"):
        assert expected in subheaders
    labels = [m.label for m in at.metric]
    for expected in ("Traffic split check (p)", "Likely range of the lift", "Chance it is better", "p-value",
                     "Extra revenue per month", "Power reached", "People per group"):
        assert expected in labels
    assert all(m.proto.help for m in at.metric), [m.label for m in at.metric if not m.proto.help]
    verdicts = [s.value for s in at.success] + [s.value for s in at.info] + [s.value for s in at.warning]
    assert any(v.startswith("**Ship it.**") or v.startswith("**Keep running.**") or v.startswith("**Inconclusive.**") for v in verdicts)
    assert any("Fixed-horizon mode" in c.value for c in at.caption)
    # switch to sequential mode: the page says so
    at.sidebar.radio[1].set_value("Any time, e.g. every day (sequential)").run()
    assert not at.exception
    assert any("Sequential mode is on" in c.value for c in at.caption)


def _merchant_frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    group = rng.choice(["control", "treatment"], n)
    page = np.where(group == "control", "old_page", "new_page")
    flip = rng.random(n) < 0.03
    page = np.where(flip, np.where(page == "old_page", "new_page", "old_page"), page)
    df = pd.DataFrame({"user_id": np.arange(n), "group": group, "landing_page": page,
                       "converted": (rng.random(n) < np.where(group == "treatment", 0.13, 0.10)).astype(int)})
    return pd.concat([df, df.iloc[:40]]).astype(str)  # 40 repeated users, text columns as read from CSV


def test_ab_page_merchant_file_with_problems(tmp_path):
    from ecom_ui.common import workspace  # noqa: F401  (same workspace folder as the page, via the env var)
    from ecom_models.workspace.workspace import Workspace, default_workspace_name

    Workspace(default_workspace_name()).save_dataset("landing test", "experiment", _merchant_frame(), source_file="landing.csv")
    at = _app()
    at.run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert int(values["Rows contradicting the variant"].replace(",", "")) > 50
    assert values["Repeated people"] == "40"
    toggle = [t for t in at.toggle if t.label == "Leave out the affected people"]
    assert toggle
    toggle[0].set_value(True).run()
    assert not at.exception, at.exception
    both = [df.value for df in at.dataframe if "data" in df.value.columns]
    assert both and list(both[0]["data"]) == ["as given", "affected people left out"]


def test_ab_page_bad_file_shows_message():
    from ecom_models.workspace.workspace import Workspace, default_workspace_name

    bad = pd.DataFrame({"user_id": range(50), "variant": ["control"] * 50, "converted": [0, 1] * 25}).astype(str)
    Workspace(default_workspace_name()).save_dataset("one arm", "experiment", bad)
    at = _app()
    at.run()
    assert not at.exception, at.exception
    assert any("only one variant" in e.value for e in at.error)


def test_ab_page_ratio_metric():
    from ecom_models.workspace.workspace import Workspace, default_workspace_name

    rng = np.random.default_rng(3)
    n = 2000
    orders = rng.poisson(1.5, n) + 1
    df = pd.DataFrame({"user_id": range(n), "variant": rng.choice(["A", "B"], n), "orders": orders,
                       "basket_value": orders * rng.gamma(3, 10, n)}).astype(str)
    Workspace(default_workspace_name()).save_dataset("ratio", "experiment", df)
    at = _app()
    at.run()
    assert not at.exception, at.exception
    at.sidebar.selectbox(key="ab_ratio_num").set_value("basket_value")
    at.sidebar.selectbox(key="ab_ratio_den").set_value("orders")
    at.run()
    assert not at.exception, at.exception
    assert any("basket_value per orders" in m.value for m in at.markdown)
