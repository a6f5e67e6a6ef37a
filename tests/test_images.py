"""Product images: safe reading, the bundled model, quality checks, duplicates, categories, value, CLI."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFilter

from ecom_models import images as vision
from ecom_models.core.errors import InputError
from ecom_models.images import ImageFile, QualityRules

ROOT = Path(__file__).resolve().parents[1]


def product_photo(kind: str = "circle", size: int = 1200, colour=(200, 40, 50), background=(255, 255, 255)):
    img = Image.new("RGB", (size, size), background)
    d = ImageDraw.Draw(img)
    s = size / 1000
    if kind == "circle":
        d.ellipse([250 * s, 250 * s, 750 * s, 750 * s], fill=colour, outline=(20, 20, 20), width=int(8 * s))
        d.line([(500 * s, 500 * s), (500 * s, 330 * s)], fill=(0, 0, 0), width=int(12 * s))
    elif kind == "bars":
        for i in range(5):
            d.rectangle([150 * s + i * 150 * s, 300 * s, 230 * s + i * 150 * s, 800 * s], fill=colour)
    else:
        d.polygon([(500 * s, 150 * s), (850 * s, 850 * s), (150 * s, 850 * s)], fill=colour, outline=(0, 0, 0))
    return img


def encode(img, fmt="JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def huge_png_header(width=30_000, height=30_000) -> bytes:
    """A valid PNG whose header claims width x height, built without allocating the pixels."""
    data = encode(Image.new("L", (8, 8), 255), "PNG")
    ihdr_start = 8
    length = struct.unpack(">I", data[ihdr_start:ihdr_start + 4])[0]
    body = bytearray(data[ihdr_start + 4:ihdr_start + 8 + length])  # type + data
    body[4:8] = struct.pack(">I", width)
    body[8:12] = struct.pack(">I", height)
    crc = struct.pack(">I", zlib.crc32(bytes(body)) & 0xFFFFFFFF)
    return data[:ihdr_start + 4] + bytes(body) + crc + data[ihdr_start + 12 + length:]


# -- safe reading ------------------------------------------------------------------------------------
def test_text_file_renamed_to_jpg_is_refused_with_a_clear_message():
    with pytest.raises(InputError) as exc:
        vision.load_image(ImageFile("notes.jpg", b"this is not a photo\n" * 20))
    assert "not a JPEG, PNG or WebP" in exc.value.message
    assert "notes.jpg" in exc.value.message


def test_truncated_and_corrupt_images_are_refused():
    good = encode(product_photo(), "JPEG", quality=90)
    with pytest.raises(InputError) as exc:
        vision.load_image(ImageFile("cut.jpg", good[: len(good) // 3]))
    assert "corrupt or truncated" in exc.value.problem


def test_gif_is_not_an_allowed_format():
    with pytest.raises(InputError):
        vision.load_image(ImageFile("anim.gif", encode(product_photo(size=64), "GIF")))


def test_30000_pixel_image_is_refused_before_decoding():
    data = huge_png_header()
    assert len(data) < 1000
    with pytest.raises(InputError) as exc:
        vision.load_image(ImageFile("huge.png", data))
    assert "900 million pixels" in exc.value.problem


def test_cmyk_16bit_transparent_and_animated_images_are_converted():
    cmyk = vision.load_image(ImageFile("cmyk.jpg", encode(product_photo().convert("CMYK"), "JPEG")))
    assert cmyk.work.mode == "RGB" and "CMYK" in cmyk.note
    arr16 = (np.linspace(0, 65535, 256 * 256).reshape(256, 256)).astype(np.uint16)
    img16 = Image.fromarray(arr16)
    loaded16 = vision.load_image(ImageFile("deep.png", encode(img16, "PNG")))
    assert loaded16.work.mode == "RGB" and "16-bit" in loaded16.note
    assert np.asarray(loaded16.work).max() > 200  # scaled, not clipped to black/white
    rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).ellipse([100, 100, 200, 200], fill=(0, 0, 255, 255))
    loaded = vision.load_image(ImageFile("cut-out.png", encode(rgba, "PNG")))
    assert tuple(np.asarray(loaded.work)[5, 5]) == (255, 255, 255)  # transparency -> white
    frames = [product_photo(size=200, colour=c) for c in [(255, 0, 0), (0, 255, 0)]]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    animated = vision.load_image(ImageFile("spin.webp", buf.getvalue()))
    assert "animated" in animated.note


def test_zip_bomb_traversal_and_counts():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.jpg", encode(product_photo(size=300)))
        zf.writestr("../../etc/evil.jpg", encode(product_photo(size=300)))
        zf.writestr("bomb.png", b"\0" * (20 * 1024 * 1024))
        zf.writestr("readme.txt", "hello")
    files, problems = vision.read_zip(buf.getvalue(), name="photos.zip")
    assert [f.name for f in files] == ["ok.jpg"]
    text = " ".join(p.problem for p in problems)
    assert "unsafe path" in text and "zip bomb" in text
    with pytest.raises(InputError) as exc:
        vision.read_zip(buf.getvalue(), name="photos.zip", max_files=2)
    assert "limit" in exc.value.problem
    with pytest.raises(InputError):
        vision.read_zip(buf.getvalue(), name="photos.zip", max_total_bytes=1024 * 1024)
    with pytest.raises(InputError):
        vision.read_zip(b"not a zip at all", name="photos.zip")


def test_bad_files_do_not_stop_the_batch(tmp_path):
    product_photo("circle").save(tmp_path / "SKU-1.jpg", quality=90)
    product_photo("bars").save(tmp_path / "SKU-2.png")
    (tmp_path / "SKU-3.jpg").write_bytes(b"GIF89a not really")
    (tmp_path / "SKU-4.png").write_bytes(huge_png_header())
    analysis = vision.analyse(tmp_path, learn_categories=False)
    assert sorted(analysis.table["file"]) == ["SKU-1.jpg", "SKU-2.png"]
    refused = {p.file for p in analysis.problems if p.refused}
    assert refused == {"SKU-3.jpg", "SKU-4.png"}


def test_nothing_readable_is_an_input_error(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"nope")
    with pytest.raises(InputError) as exc:
        vision.analyse(tmp_path)
    assert "refused" in exc.value.message


# -- the bundled model ---------------------------------------------------------------------------------
def test_bundled_model_files_are_present_and_small():
    assert vision.MODEL_FILE.stat().st_size <= 30 * 1024 * 1024
    assert len(vision.class_names()) == 1000
    assert vision.class_names()[0] == "tench"
    notice = (vision.MODEL_DIR / "NOTICE").read_text()
    assert "Apache" in notice and (vision.MODEL_DIR / "LICENSE").exists()


def test_real_photo_gets_a_sensible_label_and_category():
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    loaded = vision.load_image(ImageFile(path.name, path.read_bytes()))
    probs, emb = vision.embed([loaded.work])
    assert probs.shape == (1, 1000) and emb.shape == (1, 1280)
    assert abs(float(np.linalg.norm(emb[0])) - 1) < 1e-4
    labels = [x["label"] for x in vision.top_labels(probs, k=3)[0]]
    assert "military uniform" in labels
    cats, _ = vision.coarse_categories(probs)
    assert cats == ["apparel"]


def test_taxonomy_mapping_covers_every_named_class():
    names = set(vision.class_names())
    for cat, classes in vision.TAXONOMY_CLASSES.items():
        missing = [c for c in classes if c not in names]
        assert not missing, (cat, missing)
    m = vision.taxonomy_matrix()
    assert m.shape == (1000, len(vision.TAXONOMY)) and (m.sum(axis=1) == 1).all()


def test_thin_thumbnail_probabilities_still_get_their_group():
    names = vision.class_names()
    probs = np.full((3, 1000), 0.0, dtype=np.float32)
    probs[0, names.index("sunglass")] = 0.07  # a thumbnail's spread-out answer: still eyewear
    probs[1, names.index("safety pin")] = 0.5  # how the model reads a brooch
    probs[2, names.index("loupe")] = 0.5  # a magnifier (or a belt's round buckle), not glasses
    probs += (1.0 - probs.sum(axis=1, keepdims=True)) / 1000
    cats, _ = vision.coarse_categories(probs)
    assert cats[0] == "eyewear" and cats[1] == "jewellery & watches" and cats[2] != "eyewear"


def test_thumbnails_are_blown_up_bicubic_and_large_photos_shrunk_bilinear():
    from ecom_models.images import model as M

    rng = np.random.default_rng(0)
    for size, method in (((60, 60), Image.Resampling.BICUBIC), ((400, 400), Image.Resampling.BILINEAR)):
        img = Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8))
        want = (np.asarray(img.resize((224, 224), method), dtype=np.float32) - 127.0) / 128.0
        assert np.allclose(M.model_input(img), want.transpose(2, 0, 1))


def test_taxonomy_of_merchant_category_names():
    assert vision.taxonomy_of("Watches & Jewellery") == "jewellery & watches"
    assert vision.taxonomy_of("home") == "home & kitchen" and vision.taxonomy_of("Kitchen") == "home & kitchen"
    assert vision.taxonomy_of("Sunglasses") == "eyewear" and vision.taxonomy_of("Dairy") == "groceries & food"
    assert vision.taxonomy_of("Belts") == "accessories" and vision.taxonomy_of("Fragrance") == "beauty"
    assert vision.taxonomy_of("Footwear") == "shoes"
    assert vision.taxonomy_of("Handbags") == "bags"
    assert vision.taxonomy_of(None) is None and vision.taxonomy_of("zzz") is None


# -- quality, duplicates, similar items --------------------------------------------------------------------
def _metrics(img, name="x.jpg", fmt="JPEG"):
    loaded = vision.load_image(ImageFile(name, encode(img, fmt)))
    return {"file": name, **vision.quality_metrics(loaded)}


def test_quality_rules_catch_planted_problems_and_pass_a_good_photo():
    good = product_photo()
    rows = [
        _metrics(good, "good.jpg"),
        _metrics(good.resize((400, 400)), "small.jpg"),
        _metrics(good.filter(ImageFilter.GaussianBlur(12)), "blurry.jpg"),
        _metrics(Image.eval(good, lambda v: v // 5), "dark.jpg"),
        _metrics(product_photo(background=(90, 140, 60)), "green.jpg"),
        _metrics(good.crop((0, 0, 1200, 400)), "wide.jpg"),
    ]
    failures = vision.check_quality(pd.DataFrame(rows), QualityRules())
    by_file = failures.groupby("file")["problem"].apply(set).to_dict()
    assert "good.jpg" not in by_file
    assert "too small" in by_file["small.jpg"]
    assert "blurry" in by_file["blurry.jpg"]
    assert "too dark" in by_file["dark.jpg"]
    assert "background not white" in by_file["green.jpg"]
    assert "odd shape" in by_file["wide.jpg"]
    # rules are editable: a lenient size rule lets the small photo pass
    lenient = vision.check_quality(pd.DataFrame(rows), QualityRules(min_longest_side=300))
    assert "small.jpg" not in set(lenient["file"])


def test_resized_and_reencoded_copies_are_duplicates_but_other_products_are_not(tmp_path):
    a = product_photo("circle", colour=(200, 40, 50))
    b = product_photo("bars", colour=(30, 80, 160))
    c = product_photo("triangle", colour=(40, 130, 70))
    a.save(tmp_path / "A.jpg", quality=92)
    a.resize((700, 700)).save(tmp_path / "A-copy.webp", quality=70)
    b.save(tmp_path / "B.png")
    b.resize((850, 850)).save(tmp_path / "B-copy.jpg", quality=65)
    c.save(tmp_path / "C.jpg")
    analysis = vision.analyse(tmp_path, learn_categories=False)
    groups = [sorted(g) for g in analysis.duplicate_groups]
    assert sorted(groups) == [["A-copy.webp", "A.jpg"], ["B-copy.jpg", "B.png"]]
    similar = analysis.similar("A.jpg", k=2, other_products_only=False)
    assert similar["file"].iloc[0] == "A-copy.webp" and similar["similarity"].iloc[0] > 0.97


def test_product_ids_from_file_names():
    ids = ["SKU-01", "SKU-011", "AB"]
    assert vision.product_id_from_file("SKU-011_2.jpg", ids) == "SKU-011"
    assert vision.product_id_from_file("shoes/SKU-01-back.webp", ids) == "SKU-01"
    assert vision.product_id_from_file("XYZ_front.jpg") == "XYZ"


# -- the merchant's categories ---------------------------------------------------------------------------
def test_category_head_beats_majority_on_held_out_products():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 64))
    X, y, groups = [], [], []
    for k, name in enumerate(["bags", "shoes", "toys"]):
        for p in range(6):
            product_centre = centres[k] + 0.3 * rng.normal(size=64)
            for _ in range(2):
                X.append(product_centre + 0.1 * rng.normal(size=64))
                y.append(name)
                groups.append(f"{name}-{p}")
    X = np.asarray(X, dtype=np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y[0] = "toys"  # a photo filed under the wrong category
    ev = vision.evaluate_categories(X, y, groups, [f"f{i}" for i in range(len(y))], folds=3, epochs=40)
    assert ev.accuracy > ev.majority_accuracy + 0.3
    assert ev.winner == "category model"
    assert ev.accuracy_low <= ev.accuracy <= ev.accuracy_high
    assert ev.predictions.loc[0, "predicted"] == "bags" and bool(ev.predictions.loc[0, "mismatch"])
    with pytest.raises(InputError):
        vision.evaluate_categories(X[:4], ["a"] * 4, ["p1", "p2", "p3", "p4"], ["f"] * 4)
    # products without a category get a suggestion from a head trained on all labelled photos
    new = centres[[2, 0]] + 0.1 * rng.normal(size=(2, 64))
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    suggested, confidence = vision.suggest_categories(X[1:], y[1:], new.astype(np.float32))
    assert list(suggested) == ["toys", "bags"] and (confidence > 0.5).all()


# -- business value -------------------------------------------------------------------------------------------
def test_business_value_is_revenue_at_stake_times_assumed_gain():
    dates = pd.date_range("2026-08-03", "2026-10-31", freq="D")  # 90 days
    orders = pd.DataFrame({
        "order_date": np.repeat(dates, 2), "product_id": ["P1", "P2"] * len(dates),
        "revenue": [100.0, 50.0] * len(dates), "line_type": "sale", "is_duplicate": False, "currency": "EUR",
    })
    from ecom_models.value.valuation import images_value

    est = images_value(orders=orders, problem_products=["P2"], conversion_gain=0.05)
    monthly_p2 = 50.0 * 90 / (90 / 30.44)
    assert est.monthly_value == pytest.approx(monthly_p2 * 0.05, rel=1e-6)
    assert est.monthly_low < est.monthly_value < est.monthly_high
    assert est.currency == "EUR" and est.model == "images"
    assert any(a.key == "conversion_gain" for a in est.assumptions)
    assert "33.3%" in est.evidence


# -- CLI --------------------------------------------------------------------------------------------------------
def test_cli_json_document(tmp_path, capsys):
    from ecom_models.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    product_photo("circle").save(folder / "SKU-1.jpg", quality=90)
    product_photo("circle").resize((600, 600)).save(folder / "SKU-1_copy.jpg", quality=70)
    product_photo("bars").save(folder / "SKU-2.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    zpath = tmp_path / "photos.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
    assert main(["images", str(zpath), "--json", "--neighbours", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    row = next(r for r in doc["images"] if r["file"] == "SKU-1.jpg")
    for key in ["file", "product_id", "top_labels", "category", "quality_flags", "neighbours"]:
        assert key in row
    assert row["product_id"] == "SKU-1" and "too small" not in row["quality_flags"]
    assert row["neighbours"][0]["file"] == "SKU-1_copy.jpg"
    assert doc["duplicate_groups"] == [["SKU-1.jpg", "SKU-1_copy.jpg"]]
    assert [(p["a"], p["b"]) for p in doc["duplicate_pairs"]] == [("SKU-1.jpg", "SKU-1_copy.jpg")]
    assert doc["duplicate_pairs"][0]["grey"] > 0.9 and isinstance(doc["same_product"], list)
    assert isinstance(doc["looks_alike"], list)
    assert [r["file"] for r in doc["refused"]] == ["broken.jpg"]
    assert main(["images", str(tmp_path / "missing"), "--json"]) == 2
    assert "no such file" in capsys.readouterr().err
    # a products.csv next to the photos links them to their listings' categories
    (folder / "products.csv").write_text("SKU,Category\nSKU-1,Watches\nSKU-2,Bags\n")
    emb_file = tmp_path / "emb.npy"
    assert main(["images", str(folder), "--json", "--no-categories", "--embeddings", str(emb_file)]) == 0
    doc = json.loads(capsys.readouterr().out)
    listed = {r["file"]: r["listed_category"] for r in doc["images"]}
    assert listed["SKU-1.jpg"] == "Watches" and listed["SKU-2.png"] == "Bags"
    assert "products.csv" in doc["category_note"]
    emb = np.load(emb_file, allow_pickle=False)
    assert emb.shape == (len(doc["images"]), 1280) and doc["embeddings_file"] == str(emb_file)


def test_small_recompressed_copy_of_a_real_photo_is_a_duplicate_and_a_recolour_is_not(tmp_path):
    import matplotlib

    photo = Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")
    photo.save(tmp_path / "hopper.png")
    photo.resize((photo.width * 45 // 100, photo.height * 45 // 100)).save(tmp_path / "hopper-small.jpg", quality=60)
    shirt = product_photo("bars", colour=(200, 40, 50))
    shirt.save(tmp_path / "red.jpg")
    product_photo("bars", colour=(30, 60, 200)).save(tmp_path / "blue.jpg")
    analysis = vision.analyse(tmp_path, learn_categories=False)
    assert analysis.duplicate_groups == [["hopper-small.jpg", "hopper.png"]]  # red.jpg and blue.jpg are not copies


def test_uploads_are_kept_under_safe_names(tmp_path):
    files = [ImageFile("../../etc/passwd.jpg", b"a"), ImageFile("C:\\shop\\SKU 1.JPG", b"b"),
             ImageFile("SKU 1.jpg", b"c"), ImageFile("<script>.png", b"d")]
    paths = vision.save_uploads(files, tmp_path / "photos")
    assert all(p.parent == tmp_path / "photos" for p in paths)
    assert [p.name for p in paths] == ["passwd.jpg", "SKU 1.jpg", "SKU 1_2.jpg", "_script_.png"]
    assert [f.content() for f in vision.stored_uploads(tmp_path / "photos")] == [b"b", b"c", b"d", b"a"]  # by name
    vision.save_uploads(files[:1], tmp_path / "photos")  # a new upload replaces the old one
    assert [f.name for f in vision.stored_uploads(tmp_path / "photos")] == ["passwd.jpg"]


def test_uploads_from_a_generator_replace_the_old_set_whole(tmp_path):
    folder = tmp_path / "photos"
    vision.save_uploads([ImageFile("old.jpg", b"o")], folder)

    def broken():  # the process dies after the first new photo
        yield ImageFile("new.jpg", b"n")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vision.save_uploads(broken(), folder)
    assert [f.content() for f in vision.stored_uploads(folder)] == [b"o"]  # no mix of old and new
    folder.rename(folder.with_name(".photos.old"))  # killed between the two renames
    assert [f.name for f in vision.stored_uploads(folder)] == ["old.jpg"]
    vision.save_uploads((ImageFile(n, n.encode()) for n in ["a.jpg", "b.jpg"]), folder)
    assert [f.name for f in vision.stored_uploads(folder)] == ["a.jpg", "b.jpg"]
    assert vision.upload_batch_id([("a.jpg", b"1")]) != vision.upload_batch_id([("a.jpg", b"2")])


def test_16bit_rgb_png_is_read_with_correct_brightness():
    h, w = 64, 80
    arr = np.full((h, w, 3), 50000, dtype=">u2")  # about 76% brightness
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    loaded = vision.load_image(ImageFile("rgb16.png", png))
    assert loaded.work.mode == "RGB"
    assert abs(np.asarray(loaded.work).mean() - 50000 / 65535 * 255) < 2


def test_a_batch_of_wrong_files_never_replaces_the_kept_photos(tmp_path):
    """A CSV renamed .zip or a PDF dropped on the photo uploader is left out before saving; a batch
    of nothing but such files keeps last time's photos."""
    import io as _io

    from PIL import Image

    from ecom_models.images import could_hold_photos, save_batch, stored_photos
    from ecom_models.workspace import Workspace

    class Upload:
        def __init__(self, name, data):
            self.name, self._data = name, data

        def getvalue(self):
            return self._data

    buf = _io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buf, format="JPEG")
    photo, fake_zip = Upload("SKU-1.jpg", buf.getvalue()), Upload("shop.zip", b"order_id,total\n1,2\n")
    assert could_hold_photos(photo.getvalue(), photo.name) and not could_hold_photos(fake_zip.getvalue(), fake_zip.name)
    ws = Workspace(folder=tmp_path, name="t")
    first = save_batch(ws, [photo, fake_zip])
    assert first.written and first.in_use and first.skipped == ["shop.zip"]
    assert [f.name for f in stored_photos(ws)] == ["SKU-1.jpg"]
    assert save_batch(ws, [photo, fake_zip]).written is False  # the same set again: nothing rewritten
    only_wrong = save_batch(ws, [fake_zip])
    assert not only_wrong.in_use and not only_wrong.written and only_wrong.skipped == ["shop.zip"]
    assert [f.name for f in stored_photos(ws)] == ["SKU-1.jpg"]
