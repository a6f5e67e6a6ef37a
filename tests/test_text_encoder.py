"""The bundled multilingual encoder and the language detector (ecom_models/text/encoders.py)."""

from pathlib import Path

import numpy as np
import pytest

from ecom_models.text import encoders as te


@pytest.mark.parametrize("text,lang", [
    ("这个手机非常好用，电池也很耐用", "zh"),
    ("物流太慢了", "zh"),
    ("とても使いやすくて満足しています。", "ja"),
    ("届いた商品が壊れていました", "ja"),
    ("배송이 빠르고 품질이 좋아요", "ko"),
    ("Das Produkt ist leider nach einer Woche kaputt gegangen.", "de"),
    ("El envío fue rápido y la calidad es excelente.", "es"),
    ("Très bon produit, je le recommande à tous.", "fr"),
    ("The lid broke after a week and support never answered.", "en"),
    ("Love it", "en"),
    ("Доставка быстрая, всё отлично", "ru"),
    ("12345 !!!", "und"),
])
def test_detect_language(text, lang):
    assert te.detect_language(text) == lang


def test_routing_and_readability():
    assert te.best_model("en") == "minilm"
    assert te.best_model("zh") == te.best_model("ja") == te.best_model("de") == "multilingual"
    assert te.readable("und") and te.readable("ko") and not te.readable("xx")
    assert te.best_model("xx") is None


def test_encode_is_unit_length_and_cross_lingual():
    texts = ["The delivery was very slow.", "物流太慢了，等了一个星期才到。", "The battery lasts a long time.",
             "电池很耐用，用了三天才充电。", "Die Lieferung war sehr langsam.", "バッテリーの持ちがとても良いです。"]
    emb = te.encode(texts)
    assert emb.shape == (6, te.EMBED_DIM) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    sim = emb @ emb.T
    # an English sentence is closest to its Chinese (and German/Japanese) translation, not to the other topic
    assert sim[0, 1] > sim[0, 3] and sim[2, 3] > sim[2, 1]
    # and the reverse: a German or Japanese query is closest to the English sentence on its topic
    assert sim[4, 0] > sim[4, 2] and sim[5, 2] > sim[5, 0]
    # the same text in another batch: nearly the same vector (int8 activations are scaled per batch);
    # an empty text does not fail
    again = te.encode(["物流太慢了，等了一个星期才到。", ""])
    assert float(again[0] @ emb[1]) > 0.98


def test_minilm_through_the_same_interface():
    emb = te.encode(["Great kettle", "Terrible kettle"], model="minilm")
    assert emb.shape == (2, te.EMBED_DIM)
    with pytest.raises(ValueError):
        te.get_model("bert-xl")


SENTENCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sentiment_labelled_sentences"
CHINESE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "chinese_reviews"


@pytest.mark.skipif(not (SENTENCES / "yelp_labelled.txt").exists(), reason="the shared English sentences are not here")
def test_short_real_english_sentences_stay_english():
    # 2,000 real English review sentences (imdb, yelp): 18 were taken for Portuguese, Dutch or
    # Spanish by one shared short word ("A bit predictable.", "What a mistake."); now 1 is
    # ("Con: spotty service."). "10/10" has no letters: undetermined. A sample of every 4th.
    texts = []
    for name in ("imdb_labelled.txt", "yelp_labelled.txt"):
        lines = (SENTENCES / name).read_text(encoding="utf-8").split("\n")  # U+0085 inside one sentence
        texts += [line.rsplit("\t", 1)[0] for line in lines if "\t" in line][::4]
    other = [t for t in texts if te.detect_language(t) not in ("en", "und")]
    assert len(other) <= 1, other
    for text in ("A bit predictable.", "What a mistake.", "Overall, a delight!", "He's a national treasure.",
                 "Barney is definitely super DE duper.", "A greasy, unhealthy meal."):
        assert te.detect_language(text) == "en", text


@pytest.mark.skipif(not (CHINESE / "waimai_10k.csv").exists(), reason="the shared Chinese reviews are not here")
def test_real_chinese_reviews_stay_chinese():
    import csv

    with open(CHINESE / "waimai_10k.csv", encoding="utf-8") as fh:
        texts = [r["review"] for r in csv.DictReader(fh)][::20]
    assert all(te.detect_language(t) == "zh" for t in texts)


@pytest.mark.parametrize("text,lang", [
    ("Sehr gut", "de"), ("Leider kaputt", "de"), ("Muy bueno", "es"), ("Excelente producto", "es"),
    ("Très bien", "fr"), ("Pas terrible", "fr"), ("Ottimo prodotto", "it"), ("Muito bom", "pt"),
    ("Chaussures confortables et jolies. Livraison rapide.", "fr"),
])
def test_short_texts_in_other_latin_languages(text, lang):
    # the margin over English applies only when English has a word too: one word still decides
    assert te.detect_language(text) == lang
