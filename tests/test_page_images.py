"""The Product images page runs on the demo photos without an exception and shows the checks,
the duplicates, the category model against its baselines, similar items and the value."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "images.py")


def test_images_page_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.session_state["use_demo"] = True
    at.run()
    assert not at.exception, at.exception
    headers = [h.value for h in at.header]
    for expected in ("Photos that break a rule", "Duplicate photos", "Categories", "Similar items", "Gallery",
                     "What fixing the photos could be worth", "Export"):
        assert expected in headers, headers
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Photos checked"] == "126"
    assert metrics["Duplicate groups"] == "6"
    assert "Category model" in metrics and "Baseline: top category" in metrics
    assert "Extra revenue / month (est.)" in metrics and metrics["Share of revenue"].endswith("%")
    # the similarity setting only moves pairs between "same product" and "looks alike": the same-photo
    # groups come from the pixel check and stay
    at.radio(key="img_dup_kind").set_value(at.radio(key="img_dup_kind").options[1]).run()
    assert not at.exception, at.exception
    before = at.radio(key="img_dup_kind").options[1]
    at.slider(key="img_threshold").set_value(0.82).run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Duplicate groups"] == "6"
    after = at.radio(key="img_dup_kind").options[1]
    count = lambda label: int(label.split("(")[1].split()[0])  # noqa: E731
    assert count(after) > count(before)
    at.slider(key="img_threshold").set_value(0.90).run()
    # click-through from the gallery to similar items
    button = next(b for b in at.button if b.key.startswith("img_sim_3_"))
    target = button.key.split("_", 3)[3]
    button.click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="img_focus").value == target


def test_images_page_with_photos_kept_from_an_earlier_upload(monkeypatch, tmp_path):
    import io

    from PIL import Image, ImageDraw

    from ecom_models.images import ImageFile, save_uploads

    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    monkeypatch.chdir(Path(PAGE).parents[1])
    photos = []
    for name, colour in (("SKU-1.jpg", (200, 30, 30)), ("SKU-2.png", (30, 30, 200))):
        img = Image.new("RGB", (1200, 1200), "white")
        ImageDraw.Draw(img).ellipse([300, 300, 900, 900], fill=colour)
        buf = io.BytesIO()
        img.save(buf, "JPEG" if name.endswith("jpg") else "PNG")
        photos.append(ImageFile(name, buf.getvalue()))
    photos.append(ImageFile("../notes [1].jpg", b"not a photo"))
    save_uploads(photos, tmp_path / "photos" / "test")
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Photos checked"] == "2" and metrics["Files refused"] == "1"
    assert any("uploaded earlier" in i.value for i in at.info)
