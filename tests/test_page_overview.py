"""AppTest: the Overview and Data pages on the demo store and on an uploaded dataset."""

import subprocess
import sys

import pandas as pd
from streamlit.testing.v1 import AppTest

from ecom_models.intake import ingest
from ecom_models.workspace.workspace import Workspace


def test_overview_on_demo_store_shows_kpis():
    at = AppTest.from_file("../pages/overview.py", default_timeout=120).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    for label in ("Net revenue", "Orders", "Average order value", "Customers", "Repeat-purchase rate",
                  "Conversion", "Cancellation rate", "Return rate"):
        assert label in labels
    assert all(m.help for m in at.metric)  # every number explained


def test_home_page_does_not_import_tensorflow():
    # A fresh interpreter: other tests in this process may have loaded TensorFlow already.
    code = ("import sys; from streamlit.testing.v1 import AppTest; "
            "at = AppTest.from_file('app.py', default_timeout=120).run(); "
            "assert not at.exception, at.exception; "
            "assert any(m.label == 'Net revenue' for m in at.metric); "
            "print('tensorflow' in sys.modules, 'prophet' in sys.modules, 'onnxruntime' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False False"


def test_overview_uses_the_uploaded_dataset(fixtures_dir):
    result = ingest(fixtures_dir / "invoice_style.csv")
    Workspace().save_dataset("invoice", "orders", result.df, source_file="invoice_style.csv",
                             report=result.report.to_dict())
    at = AppTest.from_file("../pages/overview.py", default_timeout=120).run()
    assert not at.exception
    # The whole file spans 13 days; choose it all.
    at.date_input[0].set_value((pd.Timestamp("2010-12-01").date(), pd.Timestamp("2010-12-14").date())).run()
    values = {m.label: m.value for m in at.metric}
    assert values["Orders"] == "3"
    # Pounds: the file has no currency column and its sale lines are all from the United Kingdom
    # (issue 24; it used to show "$81.14", the default currency).
    assert values["Net revenue"] == "£81.14"


def test_overview_without_data_offers_the_demo():
    at = AppTest.from_file("../pages/overview.py", default_timeout=120)
    at.session_state["use_demo"] = False
    at.run()
    assert not at.exception
    assert any("needs **orders** data" in w.value for w in at.warning)
    assert any(b.label == "Use the demo store" for b in at.button)


def test_data_page_renders_and_lists_workspace():
    at = AppTest.from_file("../pages/data.py", default_timeout=120).run()
    assert not at.exception
    assert any("demo store" in i.value for i in at.info)
    assert any("Kept model results" in c.value for c in at.caption)


def test_a_new_traffic_file_with_the_same_orders_changes_conversion(fixtures_dir):
    """The KPIs were cached on the orders, period and segments only: a new traffic file with the
    same orders showed the old conversion rate."""
    result = ingest(fixtures_dir / "invoice_style.csv")
    ws = Workspace()
    ws.save_dataset("invoice", "orders", result.df, source_file="invoice_style.csv", report=result.report.to_dict())
    days = pd.date_range("2010-12-01", "2010-12-14", freq="D")

    def save_traffic(name, sessions):
        ws.save_dataset(name, "traffic", pd.DataFrame({"date": days, "sessions": sessions}), source_file=f"{name}.csv")

    save_traffic("traffic-a", 100)
    at = AppTest.from_file("../pages/overview.py", default_timeout=120).run()
    at.date_input[0].set_value((days[0].date(), days[-1].date())).run()
    first = {m.label: m.value for m in at.metric}["Conversion"]
    save_traffic("traffic-b", 10)  # ten times fewer sessions: ten times the conversion
    at.run()
    assert not at.exception
    second = {m.label: m.value for m in at.metric}["Conversion"]
    assert first == "0.2%" and second == "2.1%", (first, second)
