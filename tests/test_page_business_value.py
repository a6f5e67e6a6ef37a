"""The Business value page: runs on the demo store without an exception, shows the report's
figures, lists missing models with what they need, and keeps edits in the workspace.

The capability models are replaced by quick stand-ins with hand-checkable formulas (the real
ones have their own tests and are exercised by bench/value.py); everything else is real.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ecom_models import value as V
from ecom_models.value import report as RP
from ecom_models.value import compute as C  # the defining module of lever_*: what the page's pipeline calls
from ecom_models.value import Assumption, CostInputs, Lever, ValueEstimate

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "business_value.py")


def _reco(rate: float = 0.1, visitors: float = 10000.0):
    v = visitors * rate * 5.0
    return ValueEstimate("recommendations", "better widget", v, 0.5 * v, 1.5 * v, "offline hit rate 0.3 vs 0.2",
                         "offline metric", [Assumption("rate", "Click rate", rate, "%", "a guess", 0.05, 0.2),
                                            Assumption("visitors", "Visitors per month", visitors, "visitors/month")])


def _levers():
    return {
        "recommendations": Lever("recommendations", _reco(), lambda ov: V.call_with_overrides(_reco, {}, ov)),
        "forecasting": Lever("forecasting", ValueEstimate("forecasting", "fewer stock-outs", 2000, 1000, 3000,
                                                          "held-out MAE 10 vs 12", "backtest", [])),
        "risk": Lever("risk", problem="no orders with risk scores yet.", source="missing"),
        "reviews": Lever("reviews", problem="This model is not available in this version yet.", source="missing"),
        "images": Lever("images", problem="no product photos analysed yet.", source="missing"),
        "winback": Lever("winback", problem="no customer analysis yet.", source="missing"),
        "abtest": Lever("abtest", ValueEstimate("abtest", "ship 'treatment' (converted)", 3000, -1000, 7000,
                                                "measured A/B test: converted 5.5% vs 5.0%", "measured A/B test", []),
                        context="control treatment converted"),
    }


@pytest.fixture
def stubbed(monkeypatch):
    levers = _levers()
    monkeypatch.setattr(C, "lever_recommendations", lambda *a, **k: levers["recommendations"])
    monkeypatch.setattr(C, "lever_forecasting", lambda *a, **k: levers["forecasting"])
    monkeypatch.setattr(C, "lever_risk", lambda *a, **k: levers["risk"])
    monkeypatch.setattr(C, "lever_reviews", lambda *a, **k: levers["reviews"])
    monkeypatch.setattr(C, "lever_images", lambda *a, **k: levers["images"])
    monkeypatch.setattr(C, "lever_abtest", lambda *a, **k: levers["abtest"])
    monkeypatch.setattr(C, "lever_winback", lambda *a, **k: levers["winback"])
    from ecom_ui import value as U

    monkeypatch.setattr(U, "demo_photo_folder", lambda: None)
    _clear(U)
    yield levers
    _clear(U)


def _clear(U):
    # only this page's caches: the demo store and the workspaces stay cached between tests
    for fn in (U._levers_memory, U.summary, U.report_file):
        fn.clear()


def _run() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def _revenue():
    from ecom_models.demo.store import demo_store

    return V.store_figures(demo_store().orders)["monthly_net_revenue"]


def test_page_shows_the_reports_figures(stubbed):
    at = _run()
    expected = V.summarise(stubbed, {}, None, CostInputs(), monthly_net_revenue=_revenue())
    head = {label: value for label, value, _ in RP.headline(expected)}
    # two totals side by side: backtest 2000 + measured 3000 / offline 5000
    assert _metric(at, "Shown by your data") == head["Shown by your data, per month"] == "$5,000"
    assert _metric(at, "If the assumptions hold") == head["If the assumptions hold, per month"] == "$5,000"
    assert _metric(at, "Your net revenue per month") == V.fmt_money(_revenue())
    assert _metric(at, "Net gain in the first year") == head["Net gain in the first year"]
    assert _metric(at, "Models counted") == f"3 of {len(V.MODELS)}"
    # One count of models everywhere (issue 24: "3 of 6 models valued" in the status box vs "Models
    # counted 3 of 7"): the page's metric is the report's headline, and the status box states none.
    assert head["Models counted"] == expected.models_counted_text == _metric(at, "Models counted")
    assert expected.models_counted == (3, len(V.MODELS))
    assert at.status and not any(" of " in s.label and "models" in s.label for s in at.status)
    assert _metric(at, "First-year ROI") == head["Return on investment, first year"] == "–"  # no costs yet
    # no chance of paying off until costs are entered: the card says what to enter
    assert not any(m.label == "Chance it pays off" for m in at.metric)
    assert head["Chance the first year pays off"] == "enter your costs"
    assert any("Chance it pays off" in i.value and "cost" in i.value for i in at.info)
    assert _metric(at, "Payback time") == head["Payback time"] == "–"  # no costs: no payback either
    assert _metric(at, "Profit per month") == V.fmt_money(expected.monthly_profit.mid)
    captions = " ".join(c.value for c in at.caption)
    for iv in (expected.measured, expected.assumed):
        assert f"90% range {V.fmt_money(iv.low)} to {V.fmt_money(iv.high)}" in captions
    assert f"{RP.fmt_share(expected.share(expected.measured.mid))} of your net revenue" in captions
    # every metric explains itself
    assert all(m.help for m in at.metric)
    # the rows table lists missing models with what they need
    rows = at.dataframe[0].value
    rows = rows.data if hasattr(rows, "data") else rows  # a Styler: its frame
    assert list(rows["Model"]) == ["A/B test", "Forecasting", "Recommendations", "Risk & fraud", "Reviews",
                                   "Product images", "Customer service", "Win-back campaign"]  # measured, backtest, offline; missing rows last
    assert list(rows["Share of revenue"])[:3] == [RP.fmt_share(r.share_of_revenue) for r in expected.rows[:3]]
    images = rows[rows["Model"] == "Product images"].iloc[0]
    assert images["Status"] == "not computed yet" and "Product images page" in images["Evidence"]
    subheaders = [s.value for s in at.subheader]
    for s in ("The business case", "Each model", "Assumptions behind each row", "Which assumptions matter most", "Hand it on"):
        assert s in subheaders


def test_edits_costs_and_ab_link_are_saved_and_survive_a_reload(stubbed):
    at = _run()
    # costs
    boxes = {n.label: n for n in at.number_input}
    boxes["Monthly cost of running it (USD)"].set_value(500.0)
    boxes["One-off setup cost (USD)"].set_value(3000.0)
    boxes["Gross margin on extra sales (%)"].set_value(50.0)
    next(b for b in at.button if b.label == "Save costs").click()
    at.run()
    assert not at.exception, at.exception
    # 5000 x 0.5 + 2000 + 3000 x 0.5 - 500 = 5500 net a month -> 66,000 - 3,000 = 63,000 first year
    assert _metric(at, "Net gain in the first year") == "$63.0k"
    assert _metric(at, "Payback time") == "0.5 months"  # 3000 / 5500
    assert any(m.label == "Chance it pays off" for m in at.metric)  # costs are in
    # an assumption: click rate 10% -> 20% doubles the recommendations row (through the model function)
    at.number_input(key="value-recommendations-rate").set_value(20.0)
    save = next(b for b in at.button if b.label == "Save assumptions" and "recommendations" in b.proto.form_id)
    save.click()
    at.run()
    assert not at.exception, at.exception
    assert _metric(at, "If the assumptions hold") == "$10.0k"
    # the A/B test measured the recommendations: the offline row stops counting
    at.selectbox[0].select("recommendations")
    at.run()
    assert not at.exception, at.exception
    assert _metric(at, "If the assumptions hold") == "$0.00"
    assert _metric(at, "Shown by your data") == "$5,000"
    assert _metric(at, "Models counted") == f"2 of {len(V.MODELS)}"
    # a new browser session (reload) keeps all of it
    again = _run()
    assert _metric(again, "Shown by your data") == "$5,000"
    assert _metric(again, "If the assumptions hold") == "$0.00"
    assert _metric(again, "Payback time") != "0 months"
    rows = again.dataframe[0].value
    rows = rows.data if hasattr(rows, "data") else rows
    assert rows[rows["Model"] == "Recommendations"].iloc[0]["Status"] == "replaced by A/B test"
    assert rows[rows["Model"] == "Recommendations"].iloc[0]["Per month"] == "$10.0k"


def test_merchant_orders_are_never_mixed_with_the_demo_test(stubbed, monkeypatch):
    import os

    import pandas as pd

    from ecom_ui.common import _workspace

    seen = {}

    def abtest_lever(experiment, orders=None, traffic=None):
        seen["experiment"], seen["orders"], seen["traffic"] = experiment, orders, traffic
        return Lever("abtest", problem="no A/B test yet.", source="missing")

    monkeypatch.setattr(C, "lever_abtest", abtest_lever)
    ws = _workspace(os.environ["ECOM_WORKSPACE"], os.environ["ECOM_WORKSPACE_DIR"])
    orders = pd.DataFrame({"order_id": ["A1", "A2"], "order_date": pd.to_datetime(["2026-01-02", "2026-01-05"]),
                           "customer_id": ["c1", "c2"], "product_id": ["p1", "p2"], "quantity": [1.0, 2.0],
                           "unit_price": [10.0, 5.0], "revenue": [10.0, 10.0], "currency": ["EUR", "EUR"],
                           "line_type": ["sale", "sale"], "is_duplicate": [False, False]})
    ws.save_dataset("my orders", "orders", orders, source_file="shop_export.csv")
    at = _run()
    assert seen["experiment"] is None and seen["traffic"] is None  # not the demo store's
    assert list(seen["orders"]["order_id"]) == ["A1", "A2"]
    assert any("shop_export.csv" in c.value for c in at.caption)
    rows = at.dataframe[0].value
    rows = rows.data if hasattr(rows, "data") else rows
    ab = rows[rows["Model"] == "A/B test"].iloc[0]
    assert ab["Status"] == "not computed yet" and "A/B test file" in ab["Evidence"]
    assert _metric(at, "Models counted") == f"2 of {len(V.MODELS)}"


def test_numbers_set_on_a_models_own_page_carry_over(stubbed):
    import os

    from ecom_ui.common import _workspace

    ws = _workspace(os.environ["ECOM_WORKSPACE"], os.environ["ECOM_WORKSPACE_DIR"])
    ws.put("recommend.assumptions", "default", {"rate": 0.2, "visitors": 10000.0})  # set on the Recommendations page
    at = _run()
    assert _metric(at, "If the assumptions hold") == "$10.0k"  # 10000 x 20% x 5
    assert at.number_input(key="value-recommendations-rate").value == pytest.approx(20.0)


def test_without_data_the_page_says_what_it_needs_and_offers_the_demo(stubbed):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["use_demo"] = False
    at.run()
    assert not at.exception, at.exception
    assert any("orders" in w.value for w in at.warning)
    assert any(b.label == "Use the demo store" for b in at.button)
    assert not at.metric  # nothing made up


def test_a_restart_recomputes_nothing(stubbed, monkeypatch):
    """Levers are kept in the workspace's results store: with the in-memory caches gone (a
    server restart) and every model broken, the page shows the same figures."""
    from ecom_ui import value as U

    first = _run()
    before = {m.label: m.value for m in first.metric}
    _clear(U)

    def broken(*a, **k):
        raise AssertionError("a model was fitted again after a restart")

    for name in ("lever_recommendations", "lever_forecasting", "lever_abtest"):
        monkeypatch.setattr(C, name, broken)
    again = _run()
    after = {m.label: m.value for m in again.metric}
    assert after == before
    assert after["Shown by your data"] == "$5,000"


def test_stored_levers_are_priced_again_from_their_evidence():
    """A lever priced from evidence survives the store's round trip with its edits working."""
    import json

    from ecom_models.core.evidence import StockEvidence
    from ecom_models.core.jsonio import dumps

    ev = StockEvidence("ETS", "Seasonal naive", 80.0, 100.0, 5.0, 30.0, 60, 75, 56, 1000.0)
    lever = V.priced("forecasting", "forecasting_value", {"evidence": ev, "unit_value": 1.0, "currency": "EUR"})
    back = V.lever_from_store(json.loads(dumps(V.lever_to_store(lever))))
    assert back.estimate == lever.estimate and back.recompute is not None
    edited, note = V.apply_overrides(back.estimate, {"plan_share": 0.5}, back.recompute)
    assert note == "" and edited.monthly_value == pytest.approx(0.5 * lever.estimate.monthly_value)
