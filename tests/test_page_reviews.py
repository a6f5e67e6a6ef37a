"""The Reviews page runs on the merchant's own reviews: it compares the models on held-out rated reviews,
names the winner, draws every view, searches by meaning, and never renders review text as HTML."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "reviews.py")


def test_reviews_page(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    from ecom_models.demo.store import demo_store
    from ecom_models.workspace.workspace import Workspace

    reviews = demo_store().reviews.sample(240, random_state=5).reset_index(drop=True)
    reviews.loc[0, "text"] = "<img src=x onerror=alert(1)> <b>Terrible</b>, it broke."
    ws = Workspace("test", tmp_path)
    ws.save_dataset("my reviews", "reviews", reviews.drop(columns=["true_complaints"]), source_file="reviews.csv")

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["use_demo"] = True
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    for expected in ("Products with the lowest ratings", "What the complaints are about", "Sentiment over time",
                     "Negative reviews to answer first", "Stars and words that disagree", "Sentiment fell before sales fell",
                     "Search reviews by meaning", "What fixing the top complaints is worth"):
        assert expected in headers
    labels = [m.label for m in at.metric]
    for expected in ("Reviews read", "Negative reviews", "Top complaint",
                     "Extra revenue per month (estimate)"):
        assert expected in labels
    assert all(m.help for m in at.metric)
    assert any("wins** on held-out reviews" in md.value for md in at.markdown)
    assert any(e.label.startswith("Model used:") for e in at.expander)
    frames = [df.value for df in at.dataframe]
    comparison = next(f for f in frames if "Model" in f.columns)
    assert set(comparison["Model"]) == {"Fine-tuned on your stars", "Bundled text model", "VADER word list (baseline)"}
    assert any("1 review with HTML" in i.value for i in at.info)
    # user text is only ever in data frames, never in markdown
    assert not any("onerror" in md.value for md in at.markdown)

    at.text_input(key="reviews_query").input("arrived late").run()
    assert not at.exception, at.exception
    groups = next(df.value for df in at.dataframe if "Match" in df.value.columns and "Reviews" in df.value.columns)
    assert len(groups) > 0 and groups["Match"].is_monotonic_decreasing
    assert groups["Closest sentence"].is_unique
    hits = next(df.value for df in at.dataframe if "Match" in df.value.columns and "Review id" in df.value.columns)
    assert len(hits) >= len(groups) and hits["Match"].is_monotonic_decreasing


def test_reviews_page_text_only(monkeypatch, tmp_path):
    """Reviews with text only (no stars, product or date): the page explains what is missing instead of failing."""
    import pandas as pd

    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    from ecom_models.workspace.workspace import Workspace

    texts = ["Arrived late and the box was crushed.", "Love it, fits perfectly!", "😡😡", "",
             "Das Produkt ist leider nicht gut und sehr teuer.", "Customer service never replied to my emails.",
             "Great value for the money."]
    reviews = pd.DataFrame({"review_id": [f"r{i}" for i in range(len(texts))], "product_id": pd.NA, "date": pd.NaT,
                            "rating": float("nan"), "title": pd.NA, "text": texts})
    Workspace("test", tmp_path).save_dataset("plain", "reviews", reviews, source_file="plain.csv")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any("No fine-tuning" in md.value for md in at.markdown)
    infos = " ".join(i.value for i in at.info)
    assert "No product ids" in infos and "no dates" in infos and "another language" not in infos
    assert [m.value for m in at.metric if m.label == "Reviews read"] == ["6"]  # the German review is read too
