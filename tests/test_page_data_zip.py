"""Data page: a zip of daily exports is unpacked safely, checked as one dataset and saved; the
same through `ingest FOLDER --save`."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ecom_models import intake
from ecom_models.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _daily_zip(fixtures_dir) -> bytes:
    lines = (fixtures_dir / "invoice_style.csv").read_text().splitlines()
    header, body = lines[0], [ln for ln in lines[1:] if ln.strip()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("exports/day1.csv", "\n".join([header] + body[:6]) + "\n")
        zf.writestr("exports/day2.csv", "\n".join([header] + body[6:]) + "\n")
        zf.writestr("../../outside.csv", "\n".join([header] + body[:1]) + "\n")  # a hostile name stays inside
    return buf.getvalue()


def test_zip_upload_is_checked_and_saved(fixtures_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    from ecom_models.workspace.workspace import Workspace

    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=60)
    at.run()
    at.file_uploader[0].upload("march.zip", _daily_zip(fixtures_dir), "application/zip")
    at.run()
    assert not at.exception, at.exception
    assert any("3 export files in the zip" in c.value for c in at.caption)
    kind_box = next(s for s in at.selectbox if s.key and s.key.startswith("kind-"))
    assert kind_box.value == "orders"
    next(b for b in at.button if b.key and b.key.startswith("save-")).click().run()
    assert not at.exception, at.exception
    assert any("Saved **march.zip**" in s.value for s in at.success)
    [saved] = [d for d in Workspace("test", tmp_path).datasets() if d.name == "march.zip"]
    assert saved.active and saved.kind == "orders" and saved.report["read"]["files"] == 3
    frame = Workspace("test", tmp_path).load_dataset(saved.id)
    one = intake.ingest(fixtures_dir / "invoice_style.csv").df
    assert len(frame) == len(one) + 1  # the day files plus the one line of the renamed member
    assert frame["customer_id"].dropna().str.startswith("c-").all()  # stored as pseudonyms, as for one file
    assert saved.report["privacy"]
    assert not (tmp_path.parent / "outside.csv").exists()


def test_ingest_folder_save(fixtures_dir, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path / "ws"))
    folder = tmp_path / "days"
    folder.mkdir()
    (folder / "day1.csv").write_bytes((fixtures_dir / "invoice_style.csv").read_bytes())
    assert main(["ingest", str(folder), "--save", "--as", "all days", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["saved"]["name"] == "all days" and doc["saved"]["rows"] >= doc["rows_usable"]
    from ecom_models.workspace.workspace import Workspace

    [info] = Workspace().datasets("orders")
    frame = Workspace().load_dataset(info.id)
    assert intake.summarise_orders(frame)["gross_revenue"] == pytest.approx(doc["gross_revenue"])
