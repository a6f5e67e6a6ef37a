"""The Recommendations page runs on the demo store without an exception and shows the
leaderboard, the chosen model, a customer's list and the value estimate."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "recommendations.py")


def test_recommendations_page_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = True
    at.session_state["rec_deep"] = False  # the Keras model is covered by the unit tests
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    for expected in ("Which model wins", "What a customer would see", "Frequently bought together",
                     "New customers (cold start)", "What it could be worth", "Export"):
        assert expected in headers
    labels = [m.label for m in at.metric]
    assert "Chosen model" in labels and "Extra revenue / month" in labels
    assert any("best-seller baseline" in md.value for md in at.markdown)
    # the leaderboard lists the baseline and the chosen model
    frames = [df.value for df in at.dataframe]
    board = frames[0]
    assert any("Best sellers" in m for m in board["Model"]) and any("chosen" in m for m in board["Model"])
    # a customer we have never seen gets the cold-start list
    at.text_input(key="rec_customer_typed").set_value("NEVER-SEEN-42").run()
    assert not at.exception, at.exception
    assert any("new customer" in t.value.lower() for t in at.text)


def test_recommendations_page_time_split_and_product(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = True
    at.session_state["rec_deep"] = False
    at.run()
    at.sidebar.radio[0].set_value("Latest 25% per customer").run()
    assert not at.exception, at.exception
    assert any("most recent" in c.value for c in at.caption)
    # pick another product for "frequently bought together"
    box = at.selectbox(key="rec_product")
    box.select_index(3).run()
    assert not at.exception, at.exception
    # the value estimate is saved for the Business value page
    from ecom_models.workspace.workspace import Workspace

    saved = Workspace().get("recommend.value", "latest")
    assert saved and saved["model"] == "recommendations"
