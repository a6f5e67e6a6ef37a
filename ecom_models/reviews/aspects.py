"""Aspects: which part of the experience a review sentence talks about (shipping, quality, size/fit, price,
service, packaging, colour, battery). English uses the keyword rules below; other languages use the
keyword lists of aspects_i18n (substring rules for Chinese and Japanese), and an aspect is shown under
its name in the store's main language."""

from __future__ import annotations

import re

from ecom_models.reviews import aspects_i18n

ASPECTS = ("shipping", "quality", "size/fit", "price", "service", "packaging", "colour", "battery")
ASPECT_NEUTRAL_BAND = 0.2  # aspect sentences: only clear complaints count as negative

_ASPECT_PATTERNS = {
    "shipping": r"ship(?:ping|ped|ment)?|deliver(?:y|ed|ies)?|arriv(?:e|ed|al|es)|late|delay(?:ed)?|courier|parcel|"
                r"dispatch(?:ed)?|tracking|postage|post(?:man)?|box was|packag(?:e|ing|ed)|packed|got here|"
                r"came (?:quickly|fast|late|early)|took (?:\w+ )?(?:days|weeks)|sooner than promised|on time",
    "quality": r"quality|broke|broken|break(?:s)?|flimsy|defect(?:ive)?|faulty|stopped working|fell apart|"
               r"tore|torn|rip(?:ped)?|leak(?:s|ed|ing|y)?|cheap materials?|feels? cheap|knock-?off|scratch(?:ed|es)?|durable|sturdy|solid|well made|"
               r"cheaply made|feels cheap|material(?:s)?|stitching|crack(?:ed|s)?|built to last|finish(?:ed)?|"
               r"falling apart|poorly made|works (?:great|perfectly|well)|doesn't work|does not work",
    "size/fit": r"size(?:s|d)?|sizing|fit(?:s|ted|ting)?|too (?:small|big|large|tight|loose|short|long)|"
                r"(?:runs|run|ran|came up) (?:very |a bit |really |quite )?(?:small|large|big|narrow)|narrow|"
                r"(?:far |way )?too tight|tight (?:around|on|fit)|loose|sleeves|length|size chart",
    "price": r"price(?:d|s)?|pric(?:ey|y)|expensive|overpriced|cheaper|cheapest|cheap (?:price|deal)|value|money|"
             r"worth|cost(?:s|ly)?|bargain|deal|penny|pennies|afford(?:able)?|rip-?off|paid",
    "service": r"service|support|customer care|seller|refund(?:ed)?|respon(?:d|ded|se|sive)|repl(?:y|ied|ies)|"
               r"rude|helpful|staff|contact(?:ed)?|e-?mail(?:ed|s)?|exchange|returns? (?:process|policy)|"
               r"answer(?:ed)?|sorted my|team|call centre|call center|on hold",
}
_ASPECT_PATTERNS["colour"] = aspects_i18n.ENGLISH_EXTRA["colour"]
_ASPECT_PATTERNS["battery"] = aspects_i18n.ENGLISH_EXTRA["battery"]
_ASPECT_RES = {a: re.compile(r"\b(?:" + p + r")\b", re.IGNORECASE) for a, p in _ASPECT_PATTERNS.items()}
# "want my money back" is about the service/refund rather than the price
_NOT_PRICE = re.compile(r"money back", re.IGNORECASE)


_PRICE_FOR_QUALITY = re.compile(r"(?:expensive|overpriced|price|worth|cost|money)\b.*\bfor (?:this|the|that|such) (?:poor |low )?quality",
                                re.IGNORECASE)


def find_aspects(sentence: str, language: str = "en") -> list[str]:
    """Aspects a sentence talks about (keyword rules, see _ASPECT_PATTERNS; other languages:
    ecom_models/aspects_i18n.py, substring rules for Chinese and Japanese)."""
    if language not in ("en", "und", ""):
        found = aspects_i18n.find_aspects(sentence, language)
        if found is not None:
            return found
    found = [a for a, rx in _ASPECT_RES.items() if rx.search(sentence)]
    if "quality" in found and "price" in found and _PRICE_FOR_QUALITY.search(sentence):
        found.remove("quality")  # "too expensive for this quality" is a price complaint
    if "price" in found and _NOT_PRICE.search(sentence) and not re.search(
            r"price|expensive|overpriced|worth|value|cost|cheap", sentence, re.IGNORECASE):
        found.remove("price")
    return found


def aspect_label(aspect: str, language: str) -> str:
    """'物流 (shipping)' for a Chinese store, 'shipping' for an English one."""
    return aspects_i18n.label(aspect, language)
