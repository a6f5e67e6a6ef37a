"""Real review exports are recognised as reviews by their content, with the text column mapped:
an Amazon-style export whose "variation" (a colour) is not an A/B-test arm, and a Chinese export
whose headers (评论ID, 评论内容, 评分) no English synonym matches."""

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from ecom_models.intake import review_columns
from ecom_models.intake import detect_kind, ingest

ROOT = Path(__file__).resolve().parents[1]


def test_amazon_style_review_export_is_reviews_not_experiment(fixtures_dir):
    result = ingest(fixtures_dir / "amazon_style_reviews.csv")
    assert result.kind == "reviews"
    assert result.mapping["text"] == "verified_reviews" and result.mapping["rating"] == "rating"
    assert result.mapping["date"] == "date"
    assert result.df["date"].iloc[0] == pd.Timestamp("2018-07-31")
    assert result.df["rating"].tolist()[:3] == [5, 4, 1]


def test_chinese_header_review_export_maps_the_text(fixtures_dir):
    result = ingest(fixtures_dir / "chinese_review_headers.csv")
    assert result.kind == "reviews"
    assert result.mapping == {"review_id": "评论ID", "text": "评论内容", "rating": "评分"}
    assert result.df["text"].iloc[0] == "这个手机非常好用，电池也很耐用"


def test_review_headers_in_other_languages():
    texts = ["Sehr gutes Produkt, schnelle Lieferung.", "Leider nach zwei Wochen kaputt gegangen.",
             "Passt perfekt, gerne wieder.", "Die Farbe ist anders als auf dem Bild."]
    for headers in (("Bewertung", "Sterne"), ("reseña", "puntuación"), ("avis", "note"), ("レビュー", "評価")):
        df = pd.DataFrame({headers[0]: texts, headers[1]: [5, 1, 4, 2]})
        kind, m = detect_kind(df)
        assert kind == "reviews" and m.mapping["text"] == headers[0] and m.mapping["rating"] == headers[1], headers


def test_text_column_found_by_content_when_no_header_matches():
    df = pd.DataFrame({"c1": ["A12", "A13", "A14", "A15"], "farbe": ["rot", "blau", "rot", "grün"],
                       "col_x": ["Great kettle, boils fast and looks nice.", "The lid broke after a week.",
                                 "Okay for the price but loud.", "Would buy again, arrived early."],
                       "n": [5, 1, 3, 5]})
    kind, m = detect_kind(df)
    assert kind == "reviews" and m.mapping["text"] == "col_x"
    assert review_columns.text_score(df["farbe"]) < 0.6 and review_columns.text_score(df["c1"]) < 0.6


def test_a_real_experiment_is_still_an_experiment():
    df = pd.DataFrame({"user_id": range(8), "variant": ["A", "B"] * 4, "converted": [0, 1, 0, 0, 1, 1, 0, 1]})
    assert detect_kind(df)[0] == "experiment"
    agg = pd.DataFrame({"variation": ["control", "treatment"], "visitors": [1000, 1010], "conversions": [50, 61]})
    assert detect_kind(agg)[0] == "experiment"


def _upload(at: AppTest, path: Path) -> AppTest:
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv")
    return at.run()


def test_data_page_detects_review_exports_and_maps_the_text(fixtures_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    from ecom_models.workspace.workspace import Workspace

    for fixture, text_col in (("amazon_style_reviews.csv", "verified_reviews"), ("chinese_review_headers.csv", "评论内容")):
        at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
        at.run()
        _upload(at, fixtures_dir / fixture)
        assert not at.exception, at.exception
        kind_box = next(s for s in at.selectbox if s.key and s.key.startswith("kind-"))
        assert kind_box.value == "reviews", fixture
        text_box = next(s for s in at.selectbox if s.key and s.key.endswith("-reviews-text"))
        assert text_box.value == text_col
        next(b for b in at.button if b.key and b.key.startswith("save-")).click().run()
        assert not at.exception, at.exception
        saved = [d for d in Workspace("test", tmp_path).datasets() if d.kind == "reviews" and d.name == fixture]
        assert len(saved) == 1
        report = at.session_state["report-" + kind_box.key.removeprefix("kind-")]
        assert report["kind"] == "reviews" and report["mapping"]["text"] == text_col
        # the Reviews page then analyses the saved file (the last one saved is the active dataset)
        page = AppTest.from_file(str(ROOT / "pages" / "reviews.py"), default_timeout=180)
        page.run()
        assert not page.exception, page.exception
        n_rows = len(pd.read_csv(fixtures_dir / fixture))
        assert [m.value for m in page.metric if m.label == "Reviews read"] == [str(n_rows)]
