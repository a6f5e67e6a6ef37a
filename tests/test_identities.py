"""The key to the merchant's own customer ids (ecom_models.workspace.identities): filled by intake,
encrypted beside the workspace with a 0600 secret, merged across uploads, written atomically,
shown on pages unless hidden, left out of exports unless asked, and missing without harm."""

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ecom_models.cli import main
from ecom_models.intake import check_and_save
from ecom_models.intake.pii import pseudonym
from ecom_models.workspace import (
    get_hide_identities,
    identities_status,
    import_workspace,
    load_identities,
    reveal,
    save_identities,
    set_hide_identities,
)
from ecom_models.workspace import identities as I
from ecom_models.workspace.workspace import Workspace, delete_workspace

ROOT = Path(__file__).resolve().parents[1]
RISK = str(ROOT / "pages" / "risk.py")


def _contacts_file(path: Path, n: int = 600) -> pd.DataFrame:
    from ecom_models.demo.store import demo_store

    o = demo_store().orders.head(n).copy()
    key = o["customer_id"].fillna("guest").str.lower()
    o["Customer ID"] = o["customer_id"].map(lambda c: f"{c.lower()}@shop-mail.net", na_action="ignore")
    o["Phone"] = key.map(lambda c: f"+44 7700 9{sum(map(ord, c)) * 37 % 100000:05d}")
    first, last = ["Jane", "Omar", "Li", "Anna", "Tom", "Sara"], ["Doe", "Khan", "Wang", "Berg", "Moss", "Ruiz", "Lund"]
    o["Billing Name"] = key.map(lambda c: f"{first[sum(map(ord, c)) * 7 % 6]} {last[sum(map(ord, c)) % 7]}")
    o = o.drop(columns=["customer_id", "line_type", "is_duplicate"])
    o["order_date"] = o["order_date"].astype(str)
    o.to_csv(path, index=False)
    return o


def test_intake_fills_an_encrypted_key_with_ids_and_contacts(tmp_path, _isolated_workspace):
    raw = _contacts_file(tmp_path / "orders.csv")
    ws = Workspace()
    check_and_save(ws, tmp_path / "orders.csv")
    key = load_identities(ws)
    first = raw.dropna(subset=["Customer ID"]).iloc[0]
    rec = key[pseudonym(first["Customer ID"], ws.get("privacy", "salt"))]
    assert rec == {"customer_id": first["Customer ID"], "email": first["Customer ID"], "phone": first["Phone"],
                   "name": first["Billing Name"]}
    assert len(key) == raw["Customer ID"].nunique()
    # the secret is the merchant's alone; neither file holds a readable e-mail, phone or name
    secret = I.secret_path(ws)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(I.key_path(ws).stat().st_mode) == 0o600
    for path in (I.key_path(ws), secret):
        blob = path.read_bytes()
        assert b"shop-mail" not in blob and b"+44 7700" not in blob and b"Jane" not in blob
    # models still get pseudonyms; reveal gives the ids back, unknown values unchanged
    stored = ws.load_dataset(ws.active_dataset("orders").id)["customer_id"]
    shown = reveal(ws, pd.concat([stored.head(50), pd.Series(["c-0000000000000000", None])], ignore_index=True))
    assert shown.iloc[:50].str.endswith("@shop-mail.net").all()
    assert shown.iloc[50] == "c-0000000000000000" and pd.isna(shown.iloc[51])
    assert reveal(ws, stored.head(5), "phone").str.startswith("+44").all()
    assert identities_status(ws) == "ok"


def test_key_merges_across_uploads_and_a_failed_write_keeps_the_old_key(tmp_path, monkeypatch, _isolated_workspace):
    ws = Workspace()
    save_identities(ws, pd.DataFrame({"pseudonym": ["c-aaaaaaaaaaaaaaaa"], "customer_id": ["A-1"],
                                      "email": ["a@x.org"]}))
    save_identities(ws, pd.DataFrame({"pseudonym": ["c-aaaaaaaaaaaaaaaa", "c-bbbbbbbbbbbbbbbb"],
                                      "customer_id": ["A-1", "B-2"], "phone": ["+1 415 555 0100", None]}))
    assert load_identities(ws) == {"c-aaaaaaaaaaaaaaaa": {"customer_id": "A-1", "email": "a@x.org",
                                                          "phone": "+1 415 555 0100"},
                                   "c-bbbbbbbbbbbbbbbb": {"customer_id": "B-2"}}
    before = I.key_path(ws).read_bytes()

    def killed(fd):  # the process dies after writing the new key's bytes, before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        save_identities(ws, pd.DataFrame({"pseudonym": ["c-cccccccccccccccc"], "customer_id": ["C-3"]}))
    monkeypatch.undo()
    assert I.key_path(ws).read_bytes() == before
    assert [p.name for p in ws.folder.iterdir() if p.name.endswith(".tmp")] == []
    assert set(load_identities(ws)) == {"c-aaaaaaaaaaaaaaaa", "c-bbbbbbbbbbbbbbbb"}


def test_big_file_path_fills_the_key_too(tmp_path, _isolated_workspace):
    from ecom_models.intake.big import cli_document

    raw = _contacts_file(tmp_path / "orders.csv")
    ws = Workspace()
    cli_document(tmp_path / "orders.csv", save_to=ws)
    key = load_identities(ws)
    assert {r["customer_id"] for r in key.values()} == set(raw["Customer ID"].dropna())
    assert all(r["phone"].startswith("+44") for r in key.values())


def test_import_without_the_key_shows_pseudonyms_and_keeps_working(tmp_path, monkeypatch, _isolated_workspace):
    _contacts_file(tmp_path / "orders.csv")
    ws = Workspace()
    check_and_save(ws, tmp_path / "orders.csv")
    moved = import_workspace("moved", ws.export_bytes())
    assert identities_status(moved) == "missing" and load_identities(moved) is None
    stored = moved.load_dataset(moved.active_dataset("orders").id)["customer_id"]
    assert reveal(moved, stored).equals(stored)
    # a key left behind by a deleted workspace of the same name is not taken for this one's
    delete_workspace("moved")
    assert not I.key_path(moved).exists()
    monkeypatch.setenv("ECOM_WORKSPACE", "moved")
    moved = import_workspace("moved", ws.export_bytes(with_identities=True))
    assert identities_status(moved) == "ok"
    monkeypatch.setenv("ECOM_WORKSPACE", "plain")
    import_workspace("plain", ws.export_bytes())
    at = AppTest.from_file(RISK, default_timeout=180)
    at.session_state["use_demo"] = False
    at.run()
    assert not at.exception, at.exception
    flagged = next(df.value for df in at.dataframe if "Customer" in df.value.columns)
    assert flagged["Customer"].str.match(r"^c-[0-9a-f]{16}$|^guest$").all()


def test_risk_page_shows_own_ids_unless_hidden(tmp_path, _isolated_workspace):
    raw = _contacts_file(tmp_path / "orders.csv", n=1500)
    ws = Workspace()
    check_and_save(ws, tmp_path / "orders.csv")
    own = set(raw["Customer ID"].dropna()) | {"guest"}

    def customers():
        at = AppTest.from_file(RISK, default_timeout=180)
        at.session_state["use_demo"] = False
        at.run()
        assert not at.exception, at.exception
        table = next(df.value for df in at.dataframe if "Customer" in df.value.columns)["Customer"]
        who = [t.value for t in at.text if t.value.startswith("Order ")]
        return table, who

    table, who = customers()
    assert len(table) > 0 and table.isin(own).all()
    assert any("@shop-mail.net" in t for t in who if "guest checkout" not in t)
    set_hide_identities(ws, True)
    assert get_hide_identities(Workspace())
    table, who = customers()
    assert table.str.match(r"^c-[0-9a-f]{16}$|^guest$").all()
    assert not any("@shop-mail.net" in t for t in who)


def test_cli_hide_identities(tmp_path, capsys, _isolated_workspace):
    raw = _contacts_file(tmp_path / "orders.csv", n=1500)
    own = set(raw["Customer ID"].dropna())
    assert main(["anomalies", str(tmp_path / "orders.csv"), "--top", "20", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["customer_id"] for r in rows if r["customer_id"]} <= own
    assert main(["anomalies", str(tmp_path / "orders.csv"), "--top", "20", "--json", "--hide-identities"]) == 0
    hidden = json.loads(capsys.readouterr().out)["rows"]
    assert all(r["customer_id"] is None or r["customer_id"].startswith("c-") for r in hidden)
    assert [r["order_id"] for r in hidden] == [r["order_id"] for r in rows]


def test_recommendations_page_takes_and_shows_own_ids(tmp_path, _isolated_workspace):
    raw = _contacts_file(tmp_path / "orders.csv", n=1500)
    ws = Workspace()
    check_and_save(ws, tmp_path / "orders.csv")
    at = AppTest.from_file(str(ROOT / "pages" / "recommendations.py"), default_timeout=240)
    at.session_state["use_demo"] = False
    at.session_state["rec_deep"] = False
    at.run()
    assert not at.exception, at.exception
    box = at.selectbox(key="rec_customer")
    assert box.value.startswith("c-")  # the models work on pseudonyms...
    assert all(o.endswith("@shop-mail.net") for o in box.options[:20])  # ...the merchant reads their own ids
    own = box.options[0]
    at.text_input(key="rec_customer_typed").set_value(own.upper()).run()  # typed by hand, another case
    assert not at.exception, at.exception
    assert not any("new customer" in t.value.lower() for t in at.text)
    assert own in set(raw["Customer ID"])


def test_data_page_export_says_whether_the_key_went(tmp_path, _isolated_workspace):
    _contacts_file(tmp_path / "orders.csv", n=300)
    check_and_save(Workspace(), tmp_path / "orders.csv")
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    at.run()
    next(b for b in at.button if b.label == "Export this workspace").click().run()
    assert not at.exception, at.exception
    assert any("leaves out the key" in c.value for c in at.caption)
    at.checkbox(key="workspace_export_ids").check().run()
    next(b for b in at.button if b.label == "Export this workspace").click().run()
    assert any("includes the key" in c.value for c in at.caption)
    exported, with_key = at.session_state["workspace_export"]
    assert with_key and b"identities.export" in exported and b"shop-mail" not in exported
