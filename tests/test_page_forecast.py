"""The Forecast & what-if page runs on the demo store without an exception and shows the forecast,
the leaderboard with the seasonal-naive baseline, the what-if effects, the reorder point and the value."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "forecast.py")


def test_forecast_page_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["use_demo"] = True
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    for expected in ("Your forecast", "Which model wins", "What if…", "Every product or category at once",
                     "Stock: when to reorder", "What it could be worth", "Export"):
        assert expected in headers, headers
    labels = [m.label for m in at.metric]
    for expected in ("Likely range (80%): low", "Price elasticity", "Promotion lift", "Reorder point",
                     "Stock costs avoided per month (estimate)"):
        assert expected in labels, labels
    assert all(m.help for m in at.metric)
    board = at.dataframe[0].value
    assert any("Seasonal naive" in m for m in board["Model"]) and any("✓ used" in m for m in board["Model"])
    assert any("best on your data" in md.value or "no model beat" in md.value for md in at.markdown)

    # a 10% price cut: more units, and it is outside the demo's price history -> extrapolation warning
    at.slider(key="fc_sc_price").set_value(-10)
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception, at.exception
    assert any("extrapolation" in w.value for w in at.warning)
    units = next(m for m in at.metric if m.label == "Units vs no change")
    assert units.value.startswith("+")

    # save it and see it in the side-by-side table
    at.button(key="fc_save").click()
    at.run()
    assert not at.exception, at.exception
    assert "Saved scenarios side by side" in [s.value for s in at.subheader]

    # every category at once, over local processes, stored in the workspace
    at.slider(key="fc_many_max").set_value(5)
    at.button(key="fc_many_go").click()
    at.run()
    assert not at.exception, at.exception
    assert any("beat 'same weekday last week'" in md.value for md in at.markdown)
    many = next(df.value for df in at.dataframe if "Model used" in df.value.columns)
    assert len(many) == 5
