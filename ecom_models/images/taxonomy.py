"""Coarse shop categories from the bundled ImageNet model.

Each coarse category owns a list of ImageNet classes; a photo's category is the one with the most
probability mass. The lists were written from what the classes *are* (a 'sunglass' is eyewear,
a 'grocery store' shelf is groceries), then checked against real catalog photos (studio fashion
shots and in-store grocery photos, see docs/images.md): classes the model reaches for on real
product photos were added where their meaning fits, e.g. an 'analog clock' on a product photo is
almost always a wristwatch (wall clocks have their own class), a 'tobacco shop' is a shelf of
packaged goods.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from ecom_models.core import paths

GROCERIES = "groceries & food"
# Embeddings of real grocery photos (GroceryStoreDataset, MIT; built by scripts/build_grocery_prototypes.py).
GROCERY_PROTOTYPES = (paths.MODELS_DIR / "efficientnet_lite0"
                      / "grocery_prototypes.npy")
# A photo this close to one of them is groceries. Measured with bench/images.py: held out by fine
# class (apples tested against prototypes without apples), 95% of grocery photos reach 0.55;
# no studio fashion photo came above 0.48.
GROCERY_MIN_SIMILARITY = 0.55

TAXONOMY = ["apparel", "shoes", "bags", "jewellery & watches", "eyewear", "accessories", "beauty", "electronics",
            "home & kitchen", "toys", "sports", "groceries & food", "other"]

# Photos whose longest side is below this are "too small to tell" (a 60 x 80 thumbnail is judged).
MIN_SIDE_FOR_CATEGORY = 48
TOO_SMALL = "too small to tell"

TAXONOMY_CLASSES: dict[str, list[str]] = {
    "apparel": [
        "abaya", "academic gown", "apron", "bikini", "brassiere", "cardigan", "cloak", "fur coat", "gown",
        "hoopskirt", "jean", "jersey", "kimono", "lab coat", "maillot", "maillot tank suit", "military uniform",
        "miniskirt", "overskirt", "pajama", "poncho", "sarong", "suit", "sweatshirt", "swimming trunks",
        "trench coat", "vestment", "sock", "ski mask", "feather boa", "bulletproof vest", "wool", "velvet",
        "bib",
    ],
    "shoes": ["clog", "cowboy boot", "Loafer", "running shoe", "sandal", "shoe shop"],
    "bags": ["backpack", "mailbag", "purse", "wallet", "plastic bag", "pencil box", "sleeping bag", "shopping basket",
             "combination lock"],
    # A 'safety pin' is how the model reads a brooch, a 'hair slide' an earring or a hair clip: on
    # 60 x 80 catalog thumbnails of jewellery they are its commonest answers.
    "jewellery & watches": ["digital watch", "analog clock", "stopwatch", "necklace", "chain", "magnetic compass",
                            "hook", "safety pin", "hair slide"],
    "eyewear": ["sunglass", "sunglasses"],
    # A 'loupe' (a magnifier, hardly ever a shop's product) is how the model reads a coiled belt's
    # round buckle: 12 of 29 real belt thumbnails tuned on; glasses read as 'sunglass'.
    "accessories": ["bow tie", "bolo tie", "Windsor tie", "buckle", "seat belt", "stole", "mitten", "handkerchief",
                    "cowboy hat", "sombrero", "bonnet", "bathing cap", "mortarboard", "umbrella", "loupe"],
    "beauty": [
        "face powder", "hair spray", "lipstick", "lotion", "perfume", "sunscreen", "hand blower",
        "shower cap", "wig", "soap dispenser", "pill bottle", "Band Aid", "swab", "nipple", "paintbrush",
    ],
    "electronics": [
        "cellular telephone", "CD player", "cassette player", "desktop computer", "dial telephone",
        "hand-held computer", "hard disc", "home theater", "iPod", "joystick", "laptop", "loudspeaker", "microphone",
        "modem", "monitor", "mouse", "notebook", "Polaroid camera", "printer", "projector", "radio", "reflex camera",
        "remote control", "screen", "television", "tape player", "computer keyboard", "space bar",
        "typewriter keyboard", "switch", "oscilloscope", "lens cap", "cassette", "power drill", "electric fan",
    ],
    "home & kitchen": [
        "wall clock", "digital clock", "bookcase", "chiffonier", "china cabinet", "chest", "cradle",
        "crib", "desk", "dining table", "folding chair", "four-poster", "lampshade", "table lamp", "candle",
        "pillow", "quilt", "rocking chair", "studio couch", "vase", "wardrobe", "window shade", "shower curtain",
        "doormat", "prayer rug", "bath towel", "toilet seat", "hamper", "birdhouse", "bucket", "broom", "vacuum",
        "iron", "space heater", "radiator", "ashcan", "fire screen", "mosquito net", "throne", "chime", "hourglass",
        "medicine chest", "washbasin", "bathtub", "tub", "plunger", "paper towel", "toilet tissue",
        "Christmas stocking", "theater curtain", "shoji", "window screen", "entertainment center",
        "washer", "sewing machine", "safe", "padlock", "hammer", "screwdriver", "shovel", "pot", "envelope",
        "barrel", "spotlight", "torch",
        "caldron", "coffee mug", "coffeepot", "cocktail shaker", "corkscrew", "Crock Pot", "cleaver", "cup",
        "dishwasher", "Dutch oven", "espresso maker", "frying pan", "goblet", "ladle", "measuring cup", "microwave",
        "mixing bowl", "pitcher", "plate", "plate rack", "refrigerator", "rotisserie", "saltshaker", "soup bowl",
        "spatula", "stove", "strainer", "teapot", "toaster", "tray", "waffle iron", "water bottle", "water jug",
        "whiskey jug", "wok", "wooden spoon", "can opener", "beer glass", "milk can", "beaker", "dishrag",
        "letter opener", "mortar",
    ],
    "toys": [
        "teddy", "toyshop", "jigsaw puzzle", "piggy bank", "pinwheel", "balloon", "tricycle", "carousel",
        "comic book", "crossword puzzle", "jack-o'-lantern", "go-kart", "maraca", "rubber eraser", "parachute",
    ],
    "sports": [
        "balance beam", "barbell", "baseball", "basketball", "croquet ball", "dumbbell", "football helmet",
        "golf ball", "horizontal bar", "mountain bike", "bicycle-built-for-two", "parallel bars",
        "ping-pong ball", "punching bag", "racket", "rugby ball", "ski", "soccer ball", "tennis ball",
        "volleyball", "crash helmet", "snorkel", "paddle", "mountain tent", "puck", "pool table",
        "bow", "canoe", "unicycle", "binoculars", "knee pad",
    ],
    "groceries & food": [
        "grocery store", "tobacco shop", "confectionery", "bakery", "butcher shop", "packet", "carton",
        "vending machine", "wine bottle", "beer bottle", "pop bottle", "bottlecap", "espresso", "hot pot",
        "guacamole", "consomme", "trifle", "ice cream", "ice lolly", "French loaf", "bagel", "pretzel",
        "cheeseburger", "hotdog", "mashed potato", "head cabbage", "broccoli", "cauliflower", "zucchini",
        "spaghetti squash", "acorn squash", "butternut squash", "cucumber", "artichoke", "bell pepper", "cardoon",
        "mushroom", "Granny Smith", "strawberry", "orange", "lemon", "fig", "pineapple", "banana", "jackfruit",
        "custard apple", "pomegranate", "carbonara", "chocolate sauce", "dough", "meat loaf", "pizza", "potpie",
        "burrito", "red wine", "eggnog", "corn", "ear", "acorn", "agaric", "hen-of-the-woods", "bolete", "crate",
    ],
}

# Words in a merchant's category name -> the coarse category it corresponds to (first match wins).
CATEGORY_WORDS = [
    ("eyewear", ("eyewear", "sunglass", "glasses", "spectacle", "optical", "eye wear")),
    ("jewellery & watches", ("watch", "jewel", "jewelry", "ring", "necklace", "bracelet", "earring", "pendant")),
    ("shoes", ("shoe", "footwear", "boot", "sneaker", "sandal", "trainer", "heel", "flip flop", "slipper")),
    ("bags", ("bag", "luggage", "wallet", "backpack", "purse", "handbag", "clutch")),
    ("accessories", ("accessor", "belt", "tie", "cap", "hat", "scarf", "glove", "headwear", "cufflink")),
    ("groceries & food", ("grocer", "food", "fruit", "vegetable", "drink", "beverage", "dairy", "snack", "bakery",
                          "pantry", "produce", "juice", "milk", "yoghurt", "yogurt")),
    ("beauty", ("beauty", "cosmetic", "makeup", "skin", "hair", "fragrance", "perfume", "personal care", "lip",
                "nail")),
    ("apparel", ("apparel", "cloth", "fashion", "wear", "shirt", "dress", "garment", "textile", "top", "jacket",
                 "trouser", "jean", "sweater")),
    ("electronics", ("electronic", "tech", "gadget", "computer", "phone", "audio", "camera")),
    ("home & kitchen", ("home", "kitchen", "cook", "dining", "tableware", "cutlery", "furniture", "decor", "living",
                        "garden", "bed", "bath", "household")),
    ("toys", ("toy", "game", "kid", "child", "baby", "puzzle")),
    ("sports", ("sport", "fitness", "outdoor", "gym", "yoga", "cycling")),
]

# Earlier names of coarse categories, still understood (saved results, merchants' files).
ALIASES = {"watches & jewellery": "jewellery & watches", "jewelry & watches": "jewellery & watches",
           "home & furniture": "home & kitchen", "kitchen": "home & kitchen", "home": "home & kitchen",
           "groceries": "groceries & food", "grocery": "groceries & food", "food": "groceries & food"}


def taxonomy_of(category) -> str | None:
    """The coarse category a merchant's category name corresponds to, or None."""
    if category is None or (isinstance(category, float) and math.isnan(category)) or category is pd.NA:
        return None
    text = " ".join(str(category).strip().lower().replace("_", " ").split()).replace(" and ", " & ")
    for name in TAXONOMY:
        if text == name.lower() or text == name.lower().replace(" & ", " and "):
            return name
    if text in ALIASES:
        return ALIASES[text]
    for name, words in CATEGORY_WORDS:
        if any(w in text for w in words):
            return name
    return None


@lru_cache(maxsize=1)
def _grocery_prototypes() -> np.ndarray | None:
    if not GROCERY_PROTOTYPES.exists():
        return None
    proto = np.load(GROCERY_PROTOTYPES, allow_pickle=False).astype(np.float32)
    return proto / np.maximum(np.linalg.norm(proto, axis=1, keepdims=True), 1e-6)


def grocery_similarity(embeddings: np.ndarray, prototypes: np.ndarray | None = None) -> np.ndarray | None:
    """Highest cosine similarity of each embedding to the grocery reference photos (None without them)."""
    proto = _grocery_prototypes() if prototypes is None else prototypes
    if proto is None:
        return None
    out = np.empty(len(embeddings), dtype=np.float32)
    for start in range(0, len(embeddings), 256):
        out[start:start + 256] = (embeddings[start:start + 256] @ proto.T).max(axis=1)
    return out
