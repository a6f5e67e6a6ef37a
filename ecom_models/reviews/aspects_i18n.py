"""Review aspects in the merchant's language: keyword lists per language, names in that language.

Chinese and Japanese have no spaces between words, so their keywords are matched as substrings
(物流 in 物流太慢了); Latin-script languages match whole words (case-insensitive, accents as
written). Every aspect keeps one English key (the same keys as English reviews use:
`shipping`, `quality`, `size/fit`, `price`, `service`, plus `packaging`, `colour`, `battery`), so
aspects from reviews in different languages add up; `local_name(aspect, lang)` gives the name a
merchant reading that language expects (物流, Versand, envío …), and `label(aspect, lang)` both,
e.g. "物流 (shipping)".

Keyword lists are hand-written for shop reviews; like the English rules they are transparent and
miss paraphrases.
"""

from __future__ import annotations

import re

EXTRA_ASPECTS = ("packaging", "colour", "battery")

LOCAL_NAMES = {
    "zh": {"shipping": "物流", "quality": "质量", "size/fit": "尺码", "price": "价格", "service": "客服",
           "packaging": "包装", "colour": "颜色", "battery": "电池"},
    "ja": {"shipping": "配送", "quality": "品質", "size/fit": "サイズ", "price": "価格", "service": "対応",
           "packaging": "梱包", "colour": "色", "battery": "バッテリー"},
    "de": {"shipping": "Versand", "quality": "Qualität", "size/fit": "Größe", "price": "Preis", "service": "Service",
           "packaging": "Verpackung", "colour": "Farbe", "battery": "Akku"},
    "es": {"shipping": "envío", "quality": "calidad", "size/fit": "talla", "price": "precio", "service": "atención",
           "packaging": "embalaje", "colour": "color", "battery": "batería"},
    "fr": {"shipping": "livraison", "quality": "qualité", "size/fit": "taille", "price": "prix", "service": "service",
           "packaging": "emballage", "colour": "couleur", "battery": "batterie"},
}

# Substrings for zh/ja; whole words (regex alternatives) for de/es/fr.
KEYWORDS = {
    "zh": {
        "shipping": ["物流", "快递", "发货", "送货", "到货", "配送", "派送", "送达", "收到货", "运输", "快递员", "速度快", "速度慢",
                     "物流慢", "送得", "送来", "外卖小哥", "骑手", "送餐"],
        "packaging": ["包装", "盒子", "箱子", "外包装", "破损", "压坏", "漏了", "撒了"],
        "quality": ["质量", "品质", "做工", "材质", "面料", "坏了", "破了", "掉色", "起球", "线头", "耐用", "结实", "正品", "假货",
                    "盗版", "瑕疵", "不新鲜", "新鲜", "烂了", "异味", "死机", "黑屏", "好用", "不好用"],
        "size/fit": ["尺码", "尺寸", "大小", "偏大", "偏小", "合身", "太紧", "太松", "码数", "版型", "号码"],
        "price": ["价格", "价钱", "便宜", "贵", "性价比", "划算", "值这个价", "不值", "优惠", "实惠"],
        "service": ["客服", "服务", "售后", "态度", "退货", "退款", "换货", "商家", "卖家", "店家", "回复", "不理人", "前台"],
        "colour": ["颜色", "色差", "褪色", "掉色"],
        "battery": ["电池", "续航", "充电", "电量", "待机"],
    },
    "ja": {
        "shipping": ["配送", "発送", "届い", "到着", "配達", "遅れ", "早く届", "梱包が"],
        "packaging": ["梱包", "包装", "箱", "袋が破れ"],
        "quality": ["品質", "作り", "縫製", "壊れ", "不良", "丈夫", "安っぽ", "しっかり", "傷", "割れ"],
        "size/fit": ["サイズ", "大きさ", "小さ", "大き", "きつ", "ゆる", "ぴったり"],
        "price": ["価格", "値段", "安い", "高い", "コスパ", "お得", "お金"],
        "service": ["対応", "サポート", "返品", "返金", "交換", "販売者", "ショップ", "問い合わせ", "返事"],
        "colour": ["色", "カラー"],
        "battery": ["バッテリー", "電池", "充電"],
    },
    "de": {
        "shipping": r"versand|lieferung|geliefert|liefer\w*|paket|zustellung|angekommen|kam|verspätet|spät|schnell da",
        "packaging": r"verpackung|verpackt|karton|packung",
        "quality": r"qualität|verarbeitung|kaputt|defekt|billig|stabil|robust|material|nähte|zerbrochen|funktioniert",
        "size/fit": r"größe|grösse|passt|passen|zu klein|zu groß|zu eng|zu weit|sitzt",
        "price": r"preis|teuer|günstig|billiger|geld|preis-leistung|wert",
        "service": r"service|support|kundendienst|händler|verkäufer|rücksendung|erstattung|umtausch|antwort\w*|reagiert",
        "colour": r"farbe|farben|verfärbt",
        "battery": r"akku|batterie|laden|ladezeit",
    },
    "es": {
        "shipping": r"envío|envio|entrega|llegó|llego|llegaron|paquete|repartidor|tarde|retraso|rápido en llegar",
        "packaging": r"embalaje|empaque|caja|envoltorio|paquete llegó roto",
        "quality": r"calidad|roto|rota|defectuoso|se rompió|resistente|material|costuras|funciona|dejó de funcionar",
        "size/fit": r"talla|tallas|tamaño|pequeño|pequeña|grande|ajusta|queda",
        "price": r"precio|caro|cara|barato|barata|dinero|vale la pena|calidad-precio",
        "service": r"atención|servicio|vendedor|devolución|reembolso|cambio|responde|respuesta|soporte",
        "colour": r"color|colores|destiñe",
        "battery": r"batería|bateria|carga|cargar",
    },
    "fr": {
        "shipping": r"livraison|livré|livrée|colis|arrivé|arrivée|reçu|expédition|retard|en retard",
        "packaging": r"emballage|emballé|carton|boîte",
        "quality": r"qualité|cassé|cassée|défectueux|défectueuse|solide|matière|coutures|fonctionne|abîmé|abîmée",
        "size/fit": r"taille|tailles|petit|petite|grand|grande|serré|serrée|ample",
        "price": r"prix|cher|chère|bon marché|argent|rapport qualité-prix",
        "service": r"service|vendeur|retour|remboursement|échange|répond|réponse|sav|client",
        "colour": r"couleur|couleurs|déteint",
        "battery": r"batterie|charge|recharge|autonomie",
    },
}

_LATIN_RES = {lang: {a: re.compile(r"(?<!\w)(?:" + p + r")(?!\w)", re.IGNORECASE) for a, p in table.items()}
              for lang, table in KEYWORDS.items() if lang not in ("zh", "ja")}

ENGLISH_EXTRA = {
    "packaging": r"packag(?:e|ing|ed)|box(?:es)?|wrapp(?:ed|ing)|packed",
    "colour": r"colou?r(?:s|ed)?|shade",
    "battery": r"batter(?:y|ies)|charg(?:e|es|ing|er)",
}


def find_aspects(sentence: str, lang: str) -> list[str] | None:
    """Aspects a sentence in `lang` talks about, or None when there is no list for that language."""
    if lang in ("zh", "ja"):
        table = KEYWORDS[lang]
        return [a for a, words in table.items() if any(w in sentence for w in words)]
    if lang in _LATIN_RES:
        return [a for a, rx in _LATIN_RES[lang].items() if rx.search(sentence)]
    return None


def local_name(aspect: str, lang: str) -> str:
    return LOCAL_NAMES.get(lang, {}).get(aspect, aspect)


def label(aspect: str, lang: str) -> str:
    local = local_name(aspect, lang)
    return aspect if local == aspect else f"{local} ({aspect})"
