"""Personal data: found on intake, reported, pseudonymised or masked before it is stored or shown."""

import json

import numpy as np
import pandas as pd

from ecom_models.cli import main
from ecom_models.demo.store import demo_store
from ecom_models.intake import ingest
from ecom_models.intake.save import save_result
from ecom_models.intake.pii import detect_pii, mask_text
from ecom_models.workspace.workspace import Workspace


def _orders_with_contacts(path, n=1500):
    o = demo_store().orders.head(n).copy()
    ids = o["customer_id"].fillna("guest")
    o["Customer Email"] = ids.map(lambda c: f"buyer.{c.lower()}@examplemail.com")
    o["Phone"] = ids.map(lambda c: f"+44 7700 9{sum(map(ord, c)) * 37 % 100000:05d}")
    o = o.drop(columns=["customer_id", "line_type", "is_duplicate"])
    o["order_date"] = o["order_date"].astype(str)
    o.loc[o.index[3], "order_date"] = "not a date"  # so the report quotes a row
    o.to_csv(path, index=False)
    return o


def test_detects_personal_columns_and_spares_the_rest():
    df = pd.DataFrame({
        "Order ID": [f"10{i}" for i in range(40)], "Email": [f"a{i}@shop-mail.com" for i in range(40)],
        "Phone": [f"+49 151 {1000000 + i}" for i in range(40)], "Billing Name": ["Jane Doe", "Max Müller"] * 20,
        "Shipping Address1": [f"{i} Main Street" for i in range(40)], "Card": ["4111 1111 1111 1111"] * 40,
        "Product Name": ["Blue Mug"] * 40, "Total": np.arange(40) * 1.5, "Lineitem sku": ["SKU-1"] * 40,
        "Created at": ["2024-01-01 10:00"] * 40, "Customer ID": [str(1000 + i) for i in range(40)],
    })
    assert detect_pii(df) == {"Email": "email", "Phone": "phone", "Billing Name": "person_name",
                              "Shipping Address1": "street_address", "Card": "card_number"}


def test_mask_text_keeps_dates_and_prices():
    text = "Mail jane@x.de or call +49 151 2345678; order 12345 cost 19.99 on 2024-03-01 (card 4111-1111-1111-1111)"
    assert mask_text(text) == "Mail [email] or call [phone]; order 12345 cost 19.99 on 2024-03-01 (card [card])"


def test_order_export_with_email_and_phone_never_reaches_the_workspace_file(tmp_path, capsys,
                                                                            _isolated_workspace):
    raw = _orders_with_contacts(tmp_path / "orders.csv")
    assert main(["ingest", str(tmp_path / "orders.csv"), "--save", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pii"] == {"Customer Email": "email", "Phone": "phone"}
    assert doc["customers"] > 100  # customer figures still work on pseudonyms

    ws = Workspace()
    (info,) = ws.datasets()
    stored = ws.load_dataset(info.id)
    assert stored["customer_id"].dropna().str.match(r"^c-[0-9a-f]{16}$").all()
    assert info.report["privacy"] and info.report["pii"] == doc["pii"]
    exported = ws.export_bytes()
    # the merchant's own ids are kept, in the encrypted key beside the workspace file
    from ecom_models.workspace import load_identities

    key = load_identities(ws)
    assert {r["customer_id"] for r in key.values()} == set(raw["Customer Email"])
    ws.close()
    blob = (_isolated_workspace / "test.duckdb").read_bytes()
    for value in (raw["Customer Email"].iloc[0], raw["Phone"].iloc[0], "examplemail", "+44 7700"):
        assert value.encode() not in blob and value.encode() not in exported
    # every e-mail (the customer ids) and every phone of the file: none in the workspace file or the export
    for value in set(raw["Customer Email"]) | set(raw["Phone"]):
        assert value.encode() not in blob and value.encode() not in exported, value
    assert b"@examplemail" not in blob and b"@examplemail" not in exported


def test_pseudonyms_are_stable_within_a_workspace_and_differ_between_workspaces(tmp_path, fixtures_dir):
    result = ingest(fixtures_dir / "shopify_export.csv")
    a1 = Workspace("a")
    one = a1.load_dataset(save_result(a1, result, "one").id)
    two = a1.load_dataset(save_result(a1, result, "two").id)
    b = Workspace("b")
    other = b.load_dataset(save_result(b, result, "one").id)
    assert one["customer_id"].equals(two["customer_id"])
    assert not one["customer_id"].dropna().isin(other["customer_id"].dropna()).any()
    assert one["customer_id"].nunique() == result.df["customer_id"].nunique()


def test_review_text_is_masked_before_it_is_stored():
    reviews = pd.DataFrame({"review_id": [f"r{i}" for i in range(20)], "rating": [1 + i % 5 for i in range(20)],
                            "text": [f"Broken on arrival, write me at buyer{i}@mail-box.org or +1 (415) 555-01{i:02d}"
                                     for i in range(20)]})
    result = ingest(reviews.to_csv(index=False).encode(), name="reviews.csv", kind="reviews")
    ws = Workspace()
    stored = ws.load_dataset(save_result(ws, result).id)
    assert stored["text"].str.contains(r"\[email\]").all() and stored["text"].str.contains(r"\[phone\]").all()
    assert not stored["text"].str.contains("mail-box.org").any()
    assert stored["text"].str.startswith("Broken on arrival").all()
