"""Reviews in the merchant's own language: Chinese, Japanese, German, Spanish and French reviews are scored
by the bundled multilingual model (head trained on English sentences only), with aspects in the
review's language, cross-lingual search, fine-tuning on Chinese stars, and the CLI and the page on a
mixed-language file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ecom_models import reviews as S
from ecom_models.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "multilingual_reviews.csv"
WAIMAI = ROOT.parent / "shared" / "data" / "chinese_reviews" / "waimai_10k.csv"


@pytest.fixture(scope="module")
def fixture_reviews() -> pd.DataFrame:
    return pd.read_csv(FIXTURE)


@pytest.fixture(scope="module")
def analysis(fixture_reviews) -> S.ReviewAnalysis:
    return S.analyse_reviews(fixture_reviews, fine_tune_on_ratings=False)


def _balanced(y, pred) -> float:
    return float(np.mean([np.mean(pred[y == k] == k) for k in (0, 1)]))


def test_every_language_scored_and_detected(fixture_reviews, analysis):
    scored = analysis.scored
    assert (scored["status"] == "ok").mean() >= 0.98
    assert (scored["language"] == fixture_reviews["language"]).all(), \
        scored.loc[scored["language"] != fixture_reviews["language"], ["review_id", "language"]]
    # a file with several languages is read by the multilingual model throughout (English included)
    assert set(scored["encoder"]) == {"multilingual-e5"} and analysis.space == "multilingual"
    english_only = S.analyse_reviews(fixture_reviews[fixture_reviews["language"] == "en"], fine_tune_on_ratings=False)
    assert set(english_only.scored["encoder"]) == {"minilm"} and english_only.space == "minilm"


def test_balanced_accuracy_per_language_out_of_the_box(fixture_reviews, analysis):
    """Hand-written product reviews (1-2 stars negative, 4-5 positive), no labels used: >= 0.80 in each."""
    y = (fixture_reviews["rating"] >= 4).astype(int).to_numpy()
    pred = (analysis.scored["score"].to_numpy() >= 0).astype(int)
    for lang in ("zh", "de", "es", "fr", "ja"):
        m = (fixture_reviews["language"] == lang).to_numpy()
        assert _balanced(y[m], pred[m]) >= 0.80, lang


def test_chinese_aspects_without_word_spaces(analysis):
    asp = analysis.aspects
    zh = asp[asp["review_id"].str.startswith("zh")]
    found = set(zh["aspect"])
    assert {"shipping", "quality", "size/fit", "price", "service", "packaging", "colour", "battery"} <= found
    neg = zh[(zh["review_id"] == "zh08") & (zh["aspect"] == "size/fit")]
    assert len(neg) == 1 and neg["label"].iat[0] == "negative"  # 尺码偏小，穿着很紧
    assert S.aspect_label("shipping", "zh") == "物流 (shipping)" and S.aspect_label("size/fit", "de") == "Größe (size/fit)"
    assert S.find_aspects("Die Lieferung kam zu spät.", "de") == ["shipping"]


def test_cross_lingual_search(analysis):
    hits = S.semantic_search("the fruit was rotten", analysis, top=3)
    assert "zh10" in hits["review_id"].tolist()  # 收到的水果一半都烂了
    no_answer = {"en02", "de02", "es02", "fr02", "ja02", "zh02", "de14", "es14", "fr14", "ja14", "zh20"}  # support silent
    hits = S.semantic_search("客服不理人", analysis, top=5)  # Chinese query: "customer service ignores you"
    assert len(no_answer & set(hits.loc[~hits["review_id"].str.startswith("zh"), "review_id"])) >= 2
    hits = S.semantic_search("customer service never replied", analysis, top=5)
    assert len(no_answer & set(hits.loc[~hits["review_id"].str.startswith("en"), "review_id"])) >= 2


def test_language_breakdown_and_subset(analysis):
    langs = S.language_breakdown(analysis.scored)
    assert langs["language"].iat[0] == "zh" and langs["reviews"].iat[0] == 24
    assert set(langs["encoder"]) == {"multilingual-e5"}
    sub = S.subset_analysis(analysis, (analysis.scored["language"] == "zh").to_numpy())
    assert len(sub.scored) == 24 and set(sub.aspects["review_id"].str[:2]) == {"zh"}
    assert (sub.aspects["row"] < 24).all()
    hits = S.semantic_search("the fruit was rotten", sub, top=3)
    assert set(hits["language"]) == {"zh"} and hits["review_id"].iat[0] == "zh10"


@pytest.mark.skipif(not WAIMAI.exists(), reason="../shared/data/chinese_reviews not available")
def test_fine_tuning_on_chinese_stars():
    """The merchant's own stars train the fine-tuned head in Chinese too (waimai reviews, measure only)."""
    df = pd.read_csv(WAIMAI).dropna()
    df = pd.concat([g.sample(80, random_state=1) for _, g in df.groupby("label")])
    rng = np.random.default_rng(0)
    stars = np.where(df["label"] == 1, rng.choice([4, 5], len(df)), rng.choice([1, 2], len(df)))
    reviews = pd.DataFrame({"review_id": [f"w{i}" for i in range(len(df))], "rating": stars, "text": df["review"].tolist()})
    res = S.analyse_reviews(reviews, epochs=20)
    comp = res.comparison
    assert comp.trained and comp.n_test >= 35
    assert comp.binary_accuracy["fine_tuned"] >= 0.75
    assert set(res.scored["language"]) == {"zh"} and res.model_used in ("fine_tuned", "bundled")


def _mixed_file(path: Path, fixture_reviews: pd.DataFrame) -> Path:
    df = fixture_reviews.rename(columns={"rating": "stars", "text": "review"}).drop(columns=["language"])
    df.to_csv(path, index=False)
    return path


def test_cli_on_mixed_language_file(tmp_path, capsys, fixture_reviews):
    path = _mixed_file(tmp_path / "mixed.csv", fixture_reviews)
    code = main(["sentiment", str(path), "--no-fine-tune", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    assert {"file", "text_column", "rows", "model", "counts", "reviews", "products", "aspects", "comparison",
            "notes"} <= set(doc)
    assert doc["counts"]["not_scored"] == 0
    rows = doc["reviews"]
    assert [r["language"] for r in rows] == fixture_reviews["language"].tolist()
    assert all(r["encoder"] in ("minilm", "multilingual-e5") for r in rows)
    assert {lang["language"] for lang in doc["languages"]} == {"zh", "de", "es", "fr", "ja", "en"}


def test_reviews_page_on_mixed_language_file(monkeypatch, tmp_path, fixture_reviews):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    from ecom_models.workspace.workspace import Workspace

    reviews = fixture_reviews.drop(columns=["language"]).assign(date=pd.Timestamp("2026-03-01"))
    Workspace("test", tmp_path).save_dataset("mixed", "reviews", reviews, source_file="mixed.csv")
    at = AppTest.from_file(str(ROOT / "pages" / "reviews.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert any(e.label.startswith("Languages: Chinese 24") for e in at.expander)
    langs = next(df.value for df in at.dataframe if "Read by" in df.value.columns)
    assert set(langs["Code"]) == {"zh", "de", "es", "fr", "ja", "en"}
    assert [m.value for m in at.metric if m.label == "Reviews read"] == [str(len(reviews))]
    assert any("Across languages" in c.value for c in at.caption)
    at.multiselect(key="reviews_languages").set_value(["zh"]).run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric if m.label == "Reviews read"] == ["24"]
    assert any(m.label == "Top complaint" and "(" in m.value for m in at.metric)  # e.g. "质量 (quality)"
    at.text_input(key="reviews_query").input("the fruit was rotten").run()
    assert not at.exception, at.exception
    hits = next(df.value for df in at.dataframe if "Match" in df.value.columns and "Review id" in df.value.columns)
    assert "zh10" in hits["Review id"].head(3).tolist()
