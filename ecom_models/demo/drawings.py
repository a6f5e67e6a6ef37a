"""The demo store's products drawn with Pillow: one simple, recognisable object per product name.

`render(product_name, colour, angle, scale, offset)` draws the product's object (`DRAWINGS`, one function
per product name of the demo catalogue; a plain box for any other name) on a transparent layer and places
it on a white `SIZE` x `SIZE` photo with a soft shadow. `pick_colour` and `shift_colour` choose its colour
from a seeded generator, so the same seed draws the same photos. Used by `ecom_models.demo.images`,
which writes the photos and plants their problems. Pillow is imported inside the functions.
"""

from __future__ import annotations

import math

import numpy as np

SIZE = 1000


def pick_colour(rng) -> tuple:
    palette = [(200, 40, 50), (30, 80, 160), (40, 130, 70), (230, 170, 40), (120, 60, 150), (30, 30, 35),
               (150, 90, 50), (220, 110, 150), (60, 150, 170), (110, 110, 115), (235, 120, 40), (90, 50, 30)]
    return palette[int(rng.integers(0, len(palette)))]


def shift_colour(c, rng):
    return tuple(int(np.clip(v + rng.integers(-25, 26), 0, 255)) for v in c)


def _dark(c, f=0.6):
    return tuple(int(v * f) for v in c)


def _light(c, f=0.45):
    return tuple(int(v + (255 - v) * f) for v in c)


def render(product_name: str, colour, angle: float, scale: float, offset: tuple[int, int]):
    """The object drawn on a transparent layer, placed on white with a soft shadow."""
    from PIL import Image, ImageDraw, ImageFilter

    layer = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    DRAWINGS.get(product_name, _box)(d, colour)
    bbox = layer.getbbox() or (0, 0, SIZE, SIZE)
    obj = layer.crop(bbox)
    w, h = obj.size
    k = scale * SIZE / max(w, h)
    obj = obj.resize((max(1, int(w * k)), max(1, int(h * k))), Image.Resampling.BICUBIC, reducing_gap=2.0)
    if angle:
        obj = obj.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    w, h = obj.size
    x = (SIZE - w) // 2 + offset[0]
    y = (SIZE - h) // 2 + offset[1]
    canvas = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    q = 4  # the soft shadow is drawn and blurred at quarter size: same look, 16x less work
    shadow = Image.new("L", (SIZE // q, SIZE // q), 0)
    ImageDraw.Draw(shadow).ellipse([(x + w * 0.1) / q, (y + h * 0.93) / q, (x + w * 0.9) / q, (y + h * 1.03) / q],
                                   fill=70)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18 / q)).resize((SIZE, SIZE), Image.Resampling.BILINEAR)
    canvas.paste((200, 200, 200), (0, 0), shadow)
    canvas.paste(obj, (x, y), obj)
    return canvas


def _poly(d, pts, fill, outline=None, width=6):
    d.polygon(pts, fill=fill, outline=outline or _dark(fill), width=width)


def _tee(d, c, long_sleeves=False, collar="round", coat=False, hood=False):
    body_bottom = 900 if coat else 820
    sleeve = [(300, 260), (130, 420), (210, 500), (300, 400)] if not long_sleeves else \
        [(300, 260), (120, 700), (200, 730), (310, 420)]
    _poly(d, sleeve, c)
    _poly(d, [(1000 - x, y) for x, y in sleeve], c)
    _poly(d, [(300, 250), (420, 210), (580, 210), (700, 250), (700, body_bottom), (300, body_bottom)], c)
    if collar == "round":
        d.chord([420, 160, 580, 270], 0, 180, fill=(255, 255, 255, 255), outline=_dark(c), width=6)
    elif collar == "shirt":
        _poly(d, [(430, 210), (500, 300), (570, 210), (540, 200), (500, 250), (460, 200)], _light(c))
        for y in range(330, body_bottom - 40, 90):
            d.ellipse([490, y, 510, y + 20], fill=_dark(c))
        d.line([(500, 300), (500, body_bottom)], fill=_dark(c), width=4)
    if coat:
        d.line([(500, 230), (500, body_bottom)], fill=_dark(c, 0.4), width=10)
        d.rectangle([340, 560, 440, 620], outline=_dark(c), width=6)
        d.rectangle([560, 560, 660, 620], outline=_dark(c), width=6)
    if hood:
        d.pieslice([400, 90, 600, 300], 180, 360, fill=_dark(c, 0.85))
    if long_sleeves and not coat:
        d.rectangle([300, body_bottom - 50, 700, body_bottom], fill=_dark(c, 0.85))


def _trousers(d, c):
    _poly(d, [(330, 150), (670, 150), (700, 880), (560, 880), (500, 350), (440, 880), (300, 880)], c)
    d.rectangle([330, 150, 670, 200], fill=_dark(c, 0.8))
    d.line([(500, 200), (500, 330)], fill=_dark(c), width=5)


def _shoe(d, c, kind="runner"):
    sole = (245, 245, 245) if kind in ("runner", "sneaker") else (40, 30, 25)
    if kind == "boot":
        _poly(d, [(330, 200), (520, 200), (540, 560), (800, 640), (820, 760), (300, 760)], c)
    elif kind == "slipper":
        _poly(d, [(200, 620), (500, 560), (780, 600), (840, 700), (200, 720)], c)
        d.ellipse([180, 600, 560, 760], fill=_light(c))
    elif kind == "sandal":
        d.rounded_rectangle([160, 680, 860, 740], radius=30, fill=(150, 100, 60))
        for x in (330, 520, 700):
            d.arc([x - 120, 520, x + 80, 780], 190, 350, fill=c, width=36)
        return
    else:
        _poly(d, [(200, 700), (260, 470), (420, 440), (560, 560), (780, 610), (850, 700)], c)
    if kind == "dress":
        _poly(d, [(180, 700), (250, 540), (420, 520), (600, 600), (850, 650), (870, 720)], c)
        d.ellipse([300, 560, 420, 600], fill=_light(c, 0.7))
    d.rounded_rectangle([170, 700, 880, 770], radius=30, fill=sole, outline=(90, 90, 90), width=5)
    if kind in ("runner", "sneaker", "boot"):
        for i in range(5):
            x = 330 + i * 45 if kind != "boot" else 380 + i * 25
            y = 500 + i * 25 if kind != "boot" else 260 + i * 60
            d.line([(x, y), (x + 60, y - 10)], fill=(255, 255, 255), width=8)
    if kind == "runner":
        d.arc([380, 520, 720, 760], 200, 300, fill=_light(c), width=20)


def _bag(d, c, kind):
    if kind == "backpack":
        d.rounded_rectangle([290, 200, 710, 860], radius=120, fill=c, outline=_dark(c), width=6)
        d.rounded_rectangle([350, 560, 650, 820], radius=50, fill=_dark(c, 0.8))
        d.arc([400, 110, 600, 300], 180, 360, fill=_dark(c), width=22)
        d.line([(350, 580), (650, 580)], fill=(220, 220, 220), width=6)
    elif kind == "tote":
        _poly(d, [(250, 380), (750, 380), (800, 860), (200, 860)], c)
        d.arc([330, 170, 500, 520], 180, 360, fill=_dark(c), width=22)
        d.arc([500, 170, 670, 520], 180, 360, fill=_dark(c), width=22)
    elif kind == "duffel":
        d.rounded_rectangle([150, 400, 850, 760], radius=170, fill=c, outline=_dark(c), width=6)
        d.arc([380, 240, 620, 520], 180, 360, fill=_dark(c), width=26)
        d.line([(230, 470), (770, 470)], fill=(200, 200, 200), width=8)
        d.ellipse([130, 470, 250, 690], fill=_dark(c, 0.8))
        d.ellipse([750, 470, 870, 690], fill=_dark(c, 0.8))
    elif kind == "sleeve":
        d.rounded_rectangle([160, 280, 840, 760], radius=40, fill=(90, 90, 95), outline=(40, 40, 40), width=6)
        d.line([(200, 320), (800, 320)], fill=(30, 30, 30), width=10)
        d.rectangle([780, 310, 820, 350], fill=(200, 200, 200))
    elif kind == "crossbody":
        d.line([(300, 560), (500, 120), (700, 560)], fill=_dark(c), width=18)
        d.rounded_rectangle([280, 520, 720, 830], radius=40, fill=c, outline=_dark(c), width=6)
        _poly(d, [(280, 540), (720, 540), (720, 680), (500, 720), (280, 680)], _dark(c, 0.85))
        d.ellipse([480, 680, 520, 720], fill=(220, 190, 80))
    else:  # wallet
        d.rounded_rectangle([220, 330, 780, 700], radius=30, fill=c, outline=_dark(c), width=8)
        d.rounded_rectangle([220, 330, 780, 470], radius=30, fill=_dark(c, 0.85))
        d.line([(240, 510), (760, 510)], fill=_light(c), width=4)
        d.rectangle([260, 360, 420, 420], fill=(220, 220, 225))


def _watch(d, c, smart=False):
    strap = _dark(c, 0.7)
    d.rounded_rectangle([420, 80, 580, 920], radius=40, fill=strap)
    for y in range(700, 900, 50):
        d.ellipse([490, y, 510, y + 20], fill=(240, 240, 240))
    if smart:
        d.rounded_rectangle([370, 340, 630, 660], radius=60, fill=(25, 25, 30), outline=(160, 160, 170), width=10)
        d.text((430, 460), "10:09", fill=(120, 220, 255))
        d.rounded_rectangle([410, 560, 590, 600], radius=10, fill=(60, 200, 120))
        return
    d.ellipse([320, 320, 680, 680], fill=(200, 200, 205), outline=(120, 120, 125), width=12)
    d.ellipse([350, 350, 650, 650], fill=(250, 250, 245))
    for i in range(12):
        a = i * math.pi / 6
        d.line([(500 + 130 * math.sin(a), 500 - 130 * math.cos(a)), (500 + 145 * math.sin(a), 500 - 145 * math.cos(a))],
               fill=(30, 30, 30), width=8)
    d.line([(500, 500), (500, 390)], fill=(20, 20, 20), width=10)
    d.line([(500, 500), (590, 500)], fill=(20, 20, 20), width=8)
    d.rectangle([680, 480, 710, 520], fill=(150, 150, 155))


def _chain(d, c, points, r=16, fill=(215, 215, 220)):
    for x, y in points:
        d.ellipse([x - r, y - r, x + r, y + r], fill=fill, outline=(130, 130, 135), width=3)


def _jewel(d, c, kind):
    silver, gold = (205, 205, 210), (225, 185, 70)
    if kind == "necklace":
        pts = [(500 + 300 * math.cos(t), 300 + 380 * math.sin(t)) for t in np.linspace(0.15, math.pi - 0.15, 40)]
        _chain(d, c, pts, 12, silver)
        _poly(d, [(460, 700), (540, 700), (500, 800)], c)
    elif kind == "earrings":
        for x in (340, 660):
            d.arc([x - 40, 200, x + 40, 300], 180, 360, fill=gold, width=10)
            d.line([(x, 300), (x, 420)], fill=gold, width=8)
            d.ellipse([x - 80, 420, x + 80, 640], fill=gold, outline=_dark(gold), width=6)
            d.ellipse([x - 35, 480, x + 35, 580], fill=c)
    elif kind == "bracelet":
        pts = [(500 + 300 * math.cos(t), 500 + 300 * math.sin(t)) for t in np.linspace(0, 2 * math.pi, 36, endpoint=False)]
        _chain(d, c, pts, 14, silver)
        for t in (0.5, 2.1, 3.7, 5.3):
            x, y = 500 + 300 * math.cos(t), 560 + 300 * math.sin(t)
            d.ellipse([x - 35, y - 35, x + 35, y + 35], fill=c)
    else:  # ring
        d.ellipse([300, 380, 700, 780], outline=gold, width=60)
        d.rounded_rectangle([400, 240, 600, 420], radius=30, fill=_dark(gold, 0.8))
        d.ellipse([440, 270, 560, 390], fill=c)


def _electronics(d, c, kind):
    black, grey = (30, 30, 35), (170, 170, 175)
    if kind == "earbuds":
        d.rounded_rectangle([300, 500, 700, 800], radius=140, fill=(245, 245, 245), outline=(150, 150, 150), width=6)
        d.line([(310, 610), (690, 610)], fill=(150, 150, 150), width=5)
        for x in (330, 600):
            d.ellipse([x, 220, x + 110, 330], fill=(245, 245, 245), outline=(150, 150, 150), width=5)
            d.rounded_rectangle([x + 30, 300, x + 75, 470], radius=20, fill=(245, 245, 245), outline=(150, 150, 150), width=5)
    elif kind == "speaker":
        d.rounded_rectangle([330, 150, 670, 860], radius=150, fill=c, outline=_dark(c), width=8)
        for y in range(230, 800, 30):
            for x in range(380, 640, 30):
                d.ellipse([x, y, x + 10, y + 10], fill=_dark(c, 0.5))
        d.ellipse([440, 780, 560, 830], fill=black)
    elif kind == "charger":
        d.rounded_rectangle([330, 300, 670, 640], radius=40, fill=(245, 245, 245), outline=(140, 140, 140), width=6)
        d.rectangle([440, 640, 470, 740], fill=grey)
        d.rectangle([530, 640, 560, 740], fill=grey)
        d.line([(500, 300), (500, 200), (750, 150), (800, 300)], fill=(230, 230, 230), width=20)
    elif kind == "hub":
        d.rounded_rectangle([150, 400, 850, 600], radius=40, fill=grey, outline=(90, 90, 90), width=6)
        for x in (230, 360, 490, 620):
            d.rectangle([x, 470, x + 80, 520], fill=black)
        d.line([(850, 500), (950, 500)], fill=black, width=24)
    elif kind == "camera":
        d.rounded_rectangle([220, 330, 780, 720], radius=40, fill=black, outline=(80, 80, 80), width=6)
        d.ellipse([370, 400, 630, 660], fill=(60, 60, 70), outline=(150, 150, 160), width=14)
        d.ellipse([440, 470, 560, 590], fill=(20, 40, 80))
        d.rectangle([260, 290, 360, 330], fill=c)
    else:  # e-reader
        d.rounded_rectangle([270, 120, 730, 880], radius=40, fill=black)
        d.rectangle([310, 170, 690, 780], fill=(235, 235, 225))
        for y in range(200, 760, 40):
            d.line([(340, y), (660, y)], fill=(120, 120, 120), width=6)


def _home(d, c, kind):
    if kind == "blanket":
        d.rounded_rectangle([200, 300, 800, 760], radius=30, fill=c)
        for y in range(330, 760, 70):
            d.line([(200, y), (800, y)], fill=_light(c), width=18)
        for x in range(210, 800, 25):
            d.line([(x, 760), (x, 820)], fill=_dark(c), width=6)
    elif kind == "lamp":
        _poly(d, [(340, 180), (660, 180), (760, 470), (240, 470)], _light(c, 0.3))
        d.rectangle([480, 470, 520, 800], fill=(120, 100, 70))
        d.ellipse([330, 780, 670, 860], fill=(90, 75, 55))
    elif kind == "candle":
        d.rounded_rectangle([330, 360, 670, 840], radius=40, fill=_light(c, 0.6), outline=(180, 180, 180), width=6)
        d.line([(500, 330), (500, 380)], fill=(40, 40, 40), width=6)
        d.ellipse([470, 220, 530, 340], fill=(255, 190, 50))
        d.rectangle([380, 560, 620, 680], fill=(240, 235, 220))
    elif kind == "clock":
        d.ellipse([180, 180, 820, 820], fill=(250, 250, 250), outline=c, width=36)
        for i in range(12):
            a = i * math.pi / 6
            d.line([(500 + 240 * math.sin(a), 500 - 240 * math.cos(a)), (500 + 280 * math.sin(a), 500 - 280 * math.cos(a))],
                   fill=(20, 20, 20), width=12)
        d.line([(500, 500), (500, 300)], fill=(20, 20, 20), width=16)
        d.line([(500, 500), (650, 580)], fill=(20, 20, 20), width=12)
    elif kind == "cushion":
        d.rounded_rectangle([220, 220, 780, 780], radius=120, fill=c, outline=_dark(c), width=8)
        for x in range(300, 760, 90):
            d.line([(x, 260), (x, 740)], fill=_light(c), width=10)
    else:  # picture frame
        d.rectangle([220, 180, 780, 820], fill=(120, 80, 40))
        d.rectangle([290, 250, 710, 750], fill=(170, 210, 240))
        _poly(d, [(290, 750), (420, 520), (540, 680), (620, 580), (710, 750)], (60, 130, 70), width=1)
        d.ellipse([600, 300, 670, 370], fill=(250, 220, 80))


def _kitchen(d, c, kind):
    steel = (200, 202, 206)
    if kind == "knife":
        _poly(d, [(150, 470), (640, 430), (640, 540), (250, 540)], steel, (120, 120, 125))
        d.rounded_rectangle([630, 440, 900, 535], radius=30, fill=(40, 30, 25))
        for x in (700, 780, 850):
            d.ellipse([x, 475, x + 20, 495], fill=(200, 200, 200))
    elif kind == "grinder":
        d.rectangle([360, 420, 640, 860], fill=c, outline=_dark(c), width=6)
        _poly(d, [(330, 180), (670, 180), (640, 420), (360, 420)], (230, 240, 245), (150, 150, 150))
        d.ellipse([430, 240, 570, 300], fill=(110, 70, 40))
        d.rectangle([640, 560, 720, 600], fill=(60, 60, 60))
    elif kind == "bottle":
        d.rounded_rectangle([390, 260, 610, 880], radius=70, fill=c, outline=_dark(c), width=6)
        d.rounded_rectangle([420, 160, 580, 270], radius=20, fill=(40, 40, 45))
        d.rectangle([400, 500, 600, 620], fill=_light(c))
    elif kind == "pan":
        d.ellipse([120, 300, 620, 760], fill=(45, 45, 48), outline=(20, 20, 20), width=14)
        d.ellipse([180, 350, 560, 710], fill=(70, 70, 74))
        d.rounded_rectangle([590, 500, 930, 560], radius=25, fill=(35, 35, 38))
    elif kind == "kettle":
        d.ellipse([250, 330, 750, 840], fill=c, outline=_dark(c), width=8)
        _poly(d, [(700, 540), (880, 380), (900, 410), (740, 640)], c)
        d.arc([330, 170, 670, 520], 180, 360, fill=(30, 30, 30), width=26)
        d.ellipse([460, 300, 540, 350], fill=(30, 30, 30))
    else:  # salad bowl
        d.ellipse([200, 380, 800, 520], fill=(90, 160, 60))
        for x in range(240, 760, 70):
            d.ellipse([x, 330, x + 90, 420], fill=(60 + x % 90, 170, 60))
        d.ellipse([420, 360, 480, 410], fill=(220, 40, 40))
        d.chord([200, 200, 800, 800], 0, 180, fill=(170, 120, 70), outline=(110, 70, 40), width=8)


def _toys(d, c, kind):
    if kind == "blocks":
        colours = [(220, 60, 60), (60, 120, 220), (240, 200, 50), (70, 170, 90), (200, 110, 50), (150, 80, 180)]
        spots = [(200, 600), (440, 600), (680, 600), (320, 370), (560, 370), (440, 140)]
        for (x, y), col in zip(spots, colours):
            d.rectangle([x, y, x + 220, y + 220], fill=col, outline=_dark(col), width=8)
            d.text((x + 95, y + 95), "ABCDEF"[colours.index(col)], fill=(255, 255, 255))
    elif kind == "puzzle":
        d.rectangle([180, 180, 820, 820], fill=(120, 170, 220))
        for i in range(1, 4):
            d.line([(180 + i * 160, 180), (180 + i * 160, 820)], fill=(40, 60, 90), width=6)
            d.line([(180, 180 + i * 160), (820, 180 + i * 160)], fill=(40, 60, 90), width=6)
            for j in range(4):
                d.ellipse([150 + i * 160, 230 + j * 160, 210 + i * 160, 290 + j * 160], fill=(120, 170, 220),
                          outline=(40, 60, 90), width=6)
        _poly(d, [(180, 820), (450, 500), (650, 820)], (80, 150, 80), width=1)
    elif kind == "bear":
        brown = (160, 110, 60)
        d.ellipse([300, 480, 700, 900], fill=brown)
        d.ellipse([330, 160, 670, 500], fill=brown)
        for x in (300, 610):
            d.ellipse([x, 130, x + 110, 240], fill=brown)
            d.ellipse([x + 25, 155, x + 85, 215], fill=(220, 180, 140))
        d.ellipse([430, 340, 570, 450], fill=(220, 180, 140))
        d.ellipse([420, 280, 450, 310], fill=(20, 20, 20))
        d.ellipse([550, 280, 580, 310], fill=(20, 20, 20))
        d.ellipse([480, 350, 520, 385], fill=(40, 25, 20))
        for x in (240, 640):
            d.ellipse([x, 540, x + 120, 700], fill=brown)
        d.ellipse([330, 800, 460, 930], fill=(220, 180, 140))
        d.ellipse([540, 800, 670, 930], fill=(220, 180, 140))
    elif kind == "kite":
        _poly(d, [(500, 100), (760, 420), (500, 800), (240, 420)], c)
        d.line([(500, 100), (500, 800)], fill=_dark(c), width=6)
        d.line([(240, 420), (760, 420)], fill=_dark(c), width=6)
        pts = [(500 + 60 * math.sin(t * 3), 800 + t * 40) for t in np.linspace(0, 4, 20)]
        d.line(pts, fill=(80, 80, 80), width=5)
        for x, y in pts[4::5]:
            _poly(d, [(x - 25, y), (x, y - 20), (x + 25, y), (x, y + 20)], (240, 200, 50), width=2)
    elif kind == "train":
        d.rectangle([100, 380, 420, 700], fill=c, outline=_dark(c), width=6)
        d.rectangle([130, 300, 260, 400], fill=_dark(c, 0.7))
        d.rectangle([330, 260, 380, 380], fill=(40, 40, 40))
        for x0 in (470, 720):
            d.rectangle([x0, 450, x0 + 220, 700], fill=(60, 130, 200), outline=(30, 70, 110), width=6)
        for x in (150, 330, 500, 640, 750, 890):
            d.ellipse([x - 55, 650, x + 55, 760], fill=(40, 40, 40))
            d.ellipse([x - 20, 685, x + 20, 725], fill=(200, 200, 200))
    else:  # board game
        d.rectangle([160, 160, 840, 840], fill=(240, 230, 200), outline=(120, 80, 40), width=14)
        for i in range(8):
            for j in range(8):
                if (i + j) % 2 == 0:
                    d.rectangle([200 + i * 75, 200 + j * 75, 275 + i * 75, 275 + j * 75], fill=(60, 60, 60))
        for x, y in ((240, 240), (390, 240), (540, 690), (690, 690)):
            d.ellipse([x - 30, y - 30, x + 30, y + 30], fill=c, outline=(255, 255, 255), width=4)


def _beauty(d, c, kind):
    if kind == "serum":
        d.rounded_rectangle([380, 420, 620, 860], radius=40, fill=_light(c, 0.2), outline=_dark(c), width=6)
        d.rectangle([430, 320, 570, 420], fill=(220, 220, 225))
        d.rounded_rectangle([445, 140, 555, 330], radius=50, fill=(30, 30, 30))
        d.rectangle([400, 580, 600, 700], fill=(250, 250, 245))
    elif kind == "balm":
        d.rounded_rectangle([420, 380, 580, 840], radius=20, fill=c, outline=_dark(c), width=5)
        d.rounded_rectangle([420, 200, 580, 400], radius=20, fill=(240, 240, 240), outline=(160, 160, 160), width=5)
        d.line([(420, 390), (580, 390)], fill=(120, 120, 120), width=6)
    elif kind == "shampoo":
        d.rounded_rectangle([240, 380, 760, 700], radius=130, fill=_light(c, 0.35), outline=_dark(c), width=6)
        d.ellipse([420, 480, 580, 600], outline=_dark(c), width=8)
    elif kind == "cream":
        _poly(d, [(380, 200), (620, 200), (580, 760), (420, 760)], _light(c, 0.5))
        d.rectangle([380, 160, 620, 210], fill=_dark(c, 0.8))
        d.rounded_rectangle([440, 760, 560, 880], radius=15, fill=(240, 240, 240), outline=(150, 150, 150), width=5)
        d.rectangle([420, 380, 580, 520], fill=(255, 255, 255))
    elif kind == "perfume":
        _poly(d, [(320, 420), (680, 420), (720, 860), (280, 860)], _light(c, 0.55), _dark(c))
        d.rectangle([450, 330, 550, 420], fill=(210, 180, 90))
        d.rounded_rectangle([420, 180, 580, 330], radius=25, fill=(30, 30, 30))
        d.rectangle([380, 560, 620, 680], fill=(255, 255, 255))
    else:  # hair brush
        d.ellipse([330, 120, 670, 560], fill=c, outline=_dark(c), width=8)
        for y in range(180, 520, 40):
            for x in range(380, 640, 40):
                if (x - 500) ** 2 / 170 ** 2 + (y - 340) ** 2 / 220 ** 2 < 0.8:
                    d.ellipse([x, y, x + 14, y + 14], fill=(30, 30, 30))
        d.rounded_rectangle([450, 540, 550, 900], radius=40, fill=_dark(c, 0.75))


def _sports(d, c, kind):
    if kind == "yoga":
        d.rounded_rectangle([150, 380, 850, 640], radius=130, fill=c)
        d.ellipse([700, 380, 960, 640], fill=_dark(c, 0.85))
        d.ellipse([770, 450, 890, 570], outline=_light(c), width=10)
        d.line([(200, 420), (780, 420)], fill=_light(c), width=6)
    elif kind == "dumbbell":
        d.rectangle([300, 470, 700, 530], fill=(150, 150, 155))
        for x in (180, 250, 680, 750):
            d.rounded_rectangle([x, 340, x + 70, 660], radius=12, fill=(40, 40, 45), outline=(10, 10, 10), width=4)
    elif kind == "racket":
        d.ellipse([300, 80, 700, 580], fill=None, outline=c, width=30)
        for x in range(340, 680, 30):
            d.line([(x, 110), (x, 550)], fill=(220, 220, 220), width=3)
        for y in range(120, 560, 30):
            d.line([(320, y), (680, y)], fill=(220, 220, 220), width=3)
        _poly(d, [(460, 570), (540, 570), (520, 680), (480, 680)], c)
        d.rounded_rectangle([470, 670, 530, 930], radius=20, fill=(30, 30, 30))
    elif kind == "gloves":
        for dx in (0, 330):
            d.rounded_rectangle([170 + dx, 420, 440 + dx, 800], radius=60, fill=c)
            for i in range(4):
                d.rounded_rectangle([185 + dx + i * 65, 250 + abs(i - 1.5) * 25, 240 + dx + i * 65, 450], radius=25,
                                    fill=_dark(c, 0.85))
            d.rectangle([170 + dx, 720, 440 + dx, 800], fill=(30, 30, 30))
    elif kind == "rope":
        pts = [(200 + t * 600, 350 + 380 * math.sin(math.pi * t)) for t in np.linspace(0, 1, 40)]
        d.line(pts, fill=c, width=14)
        for x in (200, 800):
            d.rounded_rectangle([x - 35, 160, x + 35, 380], radius=30, fill=(30, 30, 30))
    else:  # football
        d.ellipse([200, 200, 800, 800], fill=(250, 250, 250), outline=(30, 30, 30), width=8)
        centres = [(500, 500)] + [(500 + 210 * math.sin(a), 500 - 210 * math.cos(a))
                                  for a in np.linspace(0, 2 * math.pi, 5, endpoint=False)]
        for k, (x, y) in enumerate(centres):
            r = 85 if k == 0 else 65
            pts = [(x + r * math.sin(a), y - r * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 5, endpoint=False)]
            d.polygon(pts, fill=(25, 25, 25))
            if k:
                d.line([(x, y), (500, 500)], fill=(30, 30, 30), width=5)


def _box(d, c):
    d.rectangle([250, 250, 750, 750], fill=c)


DRAWINGS = {
    "Linen Shirt": lambda d, c: _tee(d, _light(c, 0.5), long_sleeves=True, collar="shirt"),
    "Merino Sweater": lambda d, c: _tee(d, c, long_sleeves=True),
    "Denim Jacket": lambda d, c: _tee(d, (60, 90, 140), long_sleeves=True, collar="shirt", coat=False),
    "Cotton T-Shirt": lambda d, c: _tee(d, c),
    "Rain Coat": lambda d, c: _tee(d, c, long_sleeves=True, collar="none", coat=True, hood=True),
    "Chino Trousers": lambda d, c: _trousers(d, (190, 160, 110) if c[0] < 100 else c),
    "Trail Runner": lambda d, c: _shoe(d, c, "runner"),
    "Leather Boot": lambda d, c: _shoe(d, (110, 70, 40), "boot"),
    "Canvas Sneaker": lambda d, c: _shoe(d, c, "sneaker"),
    "House Slipper": lambda d, c: _shoe(d, c, "slipper"),
    "Sandal": lambda d, c: _shoe(d, c, "sandal"),
    "Dress Shoe": lambda d, c: _shoe(d, (35, 25, 20), "dress"),
    "Backpack": lambda d, c: _bag(d, c, "backpack"),
    "Tote Bag": lambda d, c: _bag(d, c, "tote"),
    "Duffel Bag": lambda d, c: _bag(d, c, "duffel"),
    "Laptop Sleeve": lambda d, c: _bag(d, c, "sleeve"),
    "Crossbody Bag": lambda d, c: _bag(d, c, "crossbody"),
    "Wallet": lambda d, c: _bag(d, (90, 50, 30), "wallet"),
    "Field Watch": lambda d, c: _watch(d, c),
    "Silver Necklace": lambda d, c: _jewel(d, c, "necklace"),
    "Gold Earrings": lambda d, c: _jewel(d, c, "earrings"),
    "Smart Band": lambda d, c: _watch(d, c, smart=True),
    "Charm Bracelet": lambda d, c: _jewel(d, c, "bracelet"),
    "Signet Ring": lambda d, c: _jewel(d, c, "ring"),
    "Wireless Earbuds": lambda d, c: _electronics(d, c, "earbuds"),
    "Bluetooth Speaker": lambda d, c: _electronics(d, c, "speaker"),
    "Phone Charger": lambda d, c: _electronics(d, c, "charger"),
    "USB-C Hub": lambda d, c: _electronics(d, c, "hub"),
    "Action Camera": lambda d, c: _electronics(d, c, "camera"),
    "E-Reader": lambda d, c: _electronics(d, c, "ereader"),
    "Throw Blanket": lambda d, c: _home(d, c, "blanket"),
    "Table Lamp": lambda d, c: _home(d, c, "lamp"),
    "Scented Candle": lambda d, c: _home(d, c, "candle"),
    "Wall Clock": lambda d, c: _home(d, c, "clock"),
    "Cushion Cover": lambda d, c: _home(d, c, "cushion"),
    "Picture Frame": lambda d, c: _home(d, c, "frame"),
    "Chef Knife": lambda d, c: _kitchen(d, c, "knife"),
    "Coffee Grinder": lambda d, c: _kitchen(d, c, "grinder"),
    "Water Bottle": lambda d, c: _kitchen(d, c, "bottle"),
    "Cast Iron Pan": lambda d, c: _kitchen(d, c, "pan"),
    "Tea Kettle": lambda d, c: _kitchen(d, c, "kettle"),
    "Salad Bowl": lambda d, c: _kitchen(d, c, "bowl"),
    "Wooden Blocks": lambda d, c: _toys(d, c, "blocks"),
    "Puzzle 1000": lambda d, c: _toys(d, c, "puzzle"),
    "Plush Bear": lambda d, c: _toys(d, c, "bear"),
    "Kite": lambda d, c: _toys(d, c, "kite"),
    "Toy Train": lambda d, c: _toys(d, c, "train"),
    "Board Game": lambda d, c: _toys(d, c, "board"),
    "Face Serum": lambda d, c: _beauty(d, c, "serum"),
    "Lip Balm": lambda d, c: _beauty(d, c, "balm"),
    "Shampoo Bar": lambda d, c: _beauty(d, c, "shampoo"),
    "Hand Cream": lambda d, c: _beauty(d, c, "cream"),
    "Perfume": lambda d, c: _beauty(d, c, "perfume"),
    "Hair Brush": lambda d, c: _beauty(d, c, "brush"),
    "Yoga Mat": lambda d, c: _sports(d, c, "yoga"),
    "Dumbbell Set": lambda d, c: _sports(d, c, "dumbbell"),
    "Tennis Racket": lambda d, c: _sports(d, c, "racket"),
    "Cycling Gloves": lambda d, c: _sports(d, c, "gloves"),
    "Jump Rope": lambda d, c: _sports(d, c, "rope"),
    "Football": lambda d, c: _sports(d, c, "football"),
}
