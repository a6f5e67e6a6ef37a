"""The bundled multilingual encoder and the language detector (ecom_models/text/encoders.py)."""

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
