"""Review sentiment: text preparation, aspects, the bundled model against VADER on sentences it never
saw, fine-tuning on star ratings (held-out), the views, search, business value and persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecom_models import reviews as S
from ecom_models import text as T
from ecom_models.core.errors import InputError
from ecom_models.core.evidence import ValueEstimate
from ecom_models.value.valuation import reviews_value

# Written for this test: not in the training sentences (data/models/minilm/product_sentences.tsv, UCI set).
UNSEEN = [
    ("The blender crushes ice in seconds, really happy.", 1),
    ("These trainers are the comfiest I have owned.", 1),
    ("Arrived a day early and neatly wrapped.", 1),
    ("The lamp gives a warm, pleasant light.", 1),
    ("My wife adores the scarf, lovely soft wool.", 1),
    ("Setup was painless and the app is intuitive.", 1),
    ("Great little speaker for the money.", 1),
    ("The seller sorted out my problem the same day.", 1),
    ("Sturdy frame, and it looks fantastic in the hallway.", 1),
    ("I keep recommending this to friends.", 1),
    ("The handle snapped off the first time I used it.", 0),
    ("Two weeks late and nobody could tell me where it was.", 0),
    ("The jeans were so tight I couldn't close them.", 0),
    ("It stopped charging after a fortnight.", 0),
    ("Paint was peeling straight out of the box.", 0),
    ("Terrible smell that never went away.", 0),
    ("I asked for a refund three times and heard nothing.", 0),
    ("The picture on the website is misleading.", 0),
    ("Ridiculously overpriced for cheap plastic.", 0),
    ("Mine was missing the screws, so it is useless.", 0),
]


@pytest.fixture(scope="module")
def demo_reviews() -> pd.DataFrame:
    from ecom_models.demo.store import demo_store

    reviews = demo_store().reviews
    return reviews.sample(320, random_state=3).sort_values("date").reset_index(drop=True)


@pytest.fixture(scope="module")
def demo_analysis(demo_reviews) -> S.ReviewAnalysis:
    return S.analyse_reviews(demo_reviews, epochs=30)


def test_prepare_texts_statuses():
    prep = S.prepare_texts([None, "   ", "😍😍👍", "<p>Great <b>mug</b></p><script>x()</script>",
                            "Ce produit est vraiment très mauvais, je ne le recommande pas.",
                            "Das Produkt ist leider nicht gut und sehr teuer.", "这个产品质量很好，我很喜欢", "Nice!", "!!!"])
    # French, German and Chinese are read by the multilingual encoder: scored, not set aside
    assert prep["status"].tolist() == ["empty", "empty", "emoji_only", "ok", "ok", "ok", "ok", "ok", "empty"]
    assert prep.loc[3, "clean"] == "Great mug" and bool(prep.loc[3, "had_html"])
    assert prep.loc[4, "language"] == "fr" and prep.loc[5, "language"] == "de" and prep.loc[6, "language"] == "zh"
    short = S.prepare_texts(["Sehr gut", "Muy bueno", "Love it", "No good", "Not bad at all", "de facto the best"])
    assert short["language"].tolist() == ["de", "es", "en", "en", "en", "en"]


def test_find_aspects():
    assert S.find_aspects("It arrived a week late and the box was crushed.") == ["shipping"]
    assert S.find_aspects("Runs very small, order a size up.") == ["size/fit"]
    assert S.find_aspects("Far too expensive for this quality.") == ["price"]
    assert S.find_aspects("Customer service never answered my emails.") == ["service"]
    assert S.find_aspects("The stitching came apart after one wash.") == ["quality"]
    assert S.find_aspects("Love it!") == []


def test_encoder_embeddings_and_truncation():
    enc = T.get_encoder()
    texts = ["The parcel arrived late.", "Delivery took three weeks.", "The colour is a lovely deep blue.",
             "word " * 400]
    emb, truncated = enc.encode(texts)
    assert emb.shape == (4, T.EMBED_DIM)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-3)
    assert emb[0] @ emb[1] > emb[0] @ emb[2]  # meaning, not words
    assert truncated.tolist() == [False, False, False, True]


def test_bundled_head_beats_vader_on_unseen_sentences():
    texts = [t for t, _ in UNSEEN]
    y = np.array([lab for _, lab in UNSEEN])
    head_acc = np.mean((S.score_texts(texts) >= 0) == y)
    vader_acc = np.mean((S.vader_scores(texts) >= 0) == y)
    assert head_acc >= 0.85, head_acc
    assert head_acc > vader_acc


def test_fine_tuned_beats_bundled_on_held_out_ratings(demo_analysis):
    comp = demo_analysis.comparison
    assert comp.trained and comp.n_test >= 60
    assert comp.balanced_accuracy["fine_tuned"] > comp.balanced_accuracy["bundled"]
    assert comp.winner == "fine_tuned"
    lo, hi = comp.interval["fine_tuned"]
    assert lo <= comp.balanced_accuracy["fine_tuned"] <= hi
    assert set(comp.binary_accuracy) == {"fine_tuned", "bundled", "vader"}


def test_analysis_rows_and_labels(demo_reviews, demo_analysis):
    s = demo_analysis.scored
    assert len(s) == len(demo_reviews)
    assert s["review_id"].tolist() == demo_reviews["review_id"].tolist()  # input order kept
    assert set(s["label"].dropna()) <= {"positive", "negative", "neutral"}
    assert s["score"].between(-1, 1).all()
    # text and stars mostly agree for the chosen model
    pol = s[s["rating"] != 3]
    agree = np.mean((pol["score"] >= 0) == (pol["rating"] >= 4))
    assert agree > 0.85, agree


def test_aspects_match_planted_complaints(demo_reviews, demo_analysis):
    truth = demo_reviews["true_complaints"].fillna("")
    found = demo_analysis.scored["aspects"]
    for aspect in ("shipping", "service", "price"):
        planted = truth.str.contains(aspect, regex=False)
        assert planted.sum() > 5
        recall = (found[planted].str.contains(aspect, regex=False)).mean()
        assert recall >= 0.8, (aspect, recall)
    summary = S.aspect_summary(demo_analysis.scored, demo_analysis.aspects)
    assert list(summary.columns) == ["aspect", "mentions", "negative_mentions", "share_of_negative_reviews",
                                     "mean_score", "example"]
    assert summary["share_of_negative_reviews"].between(0, 1).all()


def test_views(demo_analysis):
    s, a = demo_analysis.scored, demo_analysis.aspects
    products = S.product_summary(s, a)
    assert (products["share_negative_low"] <= products["share_negative"]).all()
    assert (products["share_negative"] <= products["share_negative_high"]).all()
    assert products["mean_rating"].iloc[0] <= products["mean_rating"].iloc[-1]
    queue = S.answer_queue(s, limit=20)
    assert len(queue) > 0 and queue["priority"].is_monotonic_decreasing
    monthly = S.sentiment_over_time(s)
    assert monthly["reviews"].sum() == s["label"].notna().sum()
    dis = S.disagreements(s)
    assert ((dis["rating"] >= 4) & (dis["bundled_score"] < 0) | (dis["rating"] <= 2) & (dis["bundled_score"] > 0)).all()


def test_semantic_search(demo_analysis):
    long = pd.DataFrame({"text": ["I love the colour and the shape. Sadly the bottle leaks all over my bag, so I had to "
                                  "throw it away. Otherwise it is fine.", "Great shoes, fast delivery.", "Nice mug."]})
    found = S.semantic_search("leaking bottle", S.analyse_reviews(long), top=3)
    assert found["text"].iloc[0].startswith("I love the colour")  # found by its one relevant sentence
    assert found["matched_sentence"].iloc[0].startswith("Sadly the bottle leaks")
    hits = S.semantic_search("the delivery was very late", demo_analysis, top=5)
    assert len(hits) == 5
    assert hits["similarity"].is_monotonic_decreasing
    assert all(any(w in t.lower() for w in ("deliver", "arriv", "ship", "late", "weeks")) for t in hits["text"])
    with pytest.raises(InputError):
        S.semantic_search("  ", demo_analysis)


def test_early_warning_found_on_planted_drop():
    months = pd.date_range("2025-01-01", periods=10, freq="MS")
    reviews, orders = [], []
    for i, m in enumerate(months):
        for k in range(6):
            good = i < 5
            reviews.append({"review_id": f"r{i}-{k}", "product_id": "A", "date": m + pd.Timedelta(days=k),
                            "rating": 5 if good else 1, "title": "",
                            "text": "Works perfectly, love it." if good else "Broke after a day, awful."})
            reviews.append({"review_id": f"s{i}-{k}", "product_id": "B", "date": m + pd.Timedelta(days=k),
                            "rating": 5, "title": "", "text": "Works perfectly, love it."})
        for pid, q in (("A", 100 if i < 7 else 40), ("B", 100)):
            orders.append({"order_date": m + pd.Timedelta(days=3), "product_id": pid, "quantity": float(q),
                           "line_type": "sale", "is_duplicate": False, "revenue": 10.0 * q})
    analysis = S.analyse_reviews(pd.DataFrame(reviews), fine_tune_on_ratings=False)
    warn = S.early_warnings(analysis.scored, pd.DataFrame(orders))
    assert warn["product_id"].tolist() == ["A"]
    assert warn["sentiment_drop_month"].iloc[0] == "2025-06" and warn["sales_drop_month"].iloc[0] == "2025-08"
    assert warn["lead_months"].iloc[0] == 2


def test_business_value_and_assumptions(demo_analysis):
    from ecom_models.demo.store import demo_store

    orders = demo_store().orders
    est = reviews_value(demo_analysis, orders)
    assert isinstance(est, ValueEstimate) and est.model == "reviews"
    assert 0 < est.monthly_low <= est.monthly_value <= est.monthly_high
    bigger = reviews_value(demo_analysis, orders, assumptions={"revenue_per_star": 0.09})
    assert bigger.monthly_value > est.monthly_value
    assert reviews_value(None, None).monthly_value == 0.0


def test_save_and_load_analysis(tmp_path, demo_reviews, demo_analysis):
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace("sent", tmp_path)
    S.save_analysis(ws, "k1", demo_analysis)
    back = S.load_analysis(ws, "k1", demo_reviews)
    assert back is not None
    assert back.scored["label"].tolist() == demo_analysis.scored["label"].tolist()
    assert np.allclose(back.embeddings, demo_analysis.embeddings)
    assert back.comparison.winner == demo_analysis.comparison.winner
    a = S.semantic_search("arrived late", demo_analysis, top=5)
    b = S.semantic_search("arrived late", back, top=5)
    assert a["review_id"].tolist() == b["review_id"].tolist()
    assert (b["matched_sentence"].str.len() > 0).all()
    assert S.load_analysis(ws, "missing") is None


def test_bad_input():
    with pytest.raises(InputError):
        S.analyse_reviews(pd.DataFrame(columns=["text"]))
    with pytest.raises(InputError):
        S.analyse_reviews(pd.DataFrame({"text": ["", "  ", None]}))
    with pytest.raises(InputError):
        S.analyse_reviews(pd.DataFrame({"text": ["ok"]}), text_col="body")
    few = S.analyse_reviews(pd.DataFrame({"text": ["Great!", "Awful."], "rating": [5, 1]}))
    assert not few.comparison.trained and "fine-tuning needs" in few.comparison.reason
    assert few.scored["label"].tolist() == ["positive", "negative"]
