"""`ingest --save` and `workspace list|export|import`, run through the CLI entry point."""

import json

from ecom_models import intake
from ecom_models.cli import main
from ecom_models.intake.save import remember_mapping
from ecom_models.workspace import reveal
from ecom_models.workspace.workspace import Workspace


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def test_ingest_save_then_list_export_import(capsys, fixtures_dir, tmp_path):
    code, doc, err = _run(capsys, "ingest", str(fixtures_dir / "shopify_export.csv"), "--save", "--as", "Shop", "--json")
    assert code == 0, err
    assert doc["saved"]["name"] == "Shop" and doc["saved"]["workspace"] == "test"
    assert doc["saved"]["rows"] >= doc["rows_usable"]  # refunded lines add a return line
    assert "net_revenue" in doc  # the same document as without --save

    code, listing, _ = _run(capsys, "workspace", "list", "--json")
    assert code == 0
    (ds,) = listing["datasets"]
    assert set(ds) >= {"name", "kind", "rows", "saved_at", "content_hash"}
    assert ds["name"] == "Shop" and ds["kind"] == "orders" and ds["rows"] == doc["saved"]["rows"]

    backup = tmp_path / "backup.duckdb"
    code, exported, _ = _run(capsys, "workspace", "export", str(backup), "--json")
    assert code == 0 and backup.stat().st_size == exported["bytes"]
    assert exported["identities"] == "left out" and "--with-identities" in exported["note"]
    code, imported, _ = _run(capsys, "workspace", "import", str(backup), "--as", "restored", "--json")
    assert code == 0 and imported["workspace"] == "restored" and imported["datasets"] == 1
    assert imported["identities"] == "missing" and "pseudonyms" in imported["note"]
    code, listing2, _ = _run(capsys, "workspace", "list", "--workspace", "restored", "--json")
    assert listing2["datasets"][0]["content_hash"] == ds["content_hash"]

    # with the flag, the key travels and the imported workspace shows the file's own ids again
    with_key = tmp_path / "with_key.duckdb"
    code, exported, _ = _run(capsys, "workspace", "export", str(with_key), "--with-identities", "--json")
    assert code == 0 and exported["identities"] == "included"
    code, imported, _ = _run(capsys, "workspace", "import", str(with_key), "--as", "moved", "--json")
    assert code == 0 and imported["identities"] == "ok"
    moved = Workspace("moved")
    stored = moved.load_dataset(moved.active_dataset("orders").id)["customer_id"].dropna()
    assert stored.str.match(r"^c-[0-9a-f]{16}$").all()
    original = set(intake.ingest(fixtures_dir / "shopify_export.csv").df["customer_id"].dropna())
    assert set(reveal(moved, stored)) == original
    # the secret did not stay inside the imported workspace file
    secret = (moved.folder / "moved.identities.secret").read_bytes().strip()
    moved.close()
    assert secret not in (moved.folder / "moved.duckdb").read_bytes()


def test_ingest_save_uses_the_remembered_mapping(capsys, fixtures_dir):
    path = fixtures_dir / "shopify_export.csv"
    raw = intake.read_table(path)
    auto = intake.map_columns(raw, "orders").mapping
    remember_mapping(Workspace(), raw.columns, "orders", {"customer_id": ""})  # the merchant unmapped it
    code, doc, err = _run(capsys, "ingest", str(path), "--save", "--json")
    assert code == 0, err
    assert "customer_id" in auto and "customer_id" not in doc["mapping"]


def test_workspace_errors_exit_2(capsys, tmp_path):
    assert _run(capsys, "workspace", "list", "--workspace", "nope", "--json")[0] == 2
    assert _run(capsys, "workspace", "import", str(tmp_path / "missing.duckdb"), "--as", "x", "--json")[0] == 2
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database")
    code, _, err = _run(capsys, "workspace", "import", str(junk), "--as", "x", "--json")
    assert code == 2 and "workspace" in err
