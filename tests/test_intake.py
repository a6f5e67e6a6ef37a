"""Intake on small hand-written fixtures: one per real-world quirk, figures checked by hand."""

import io
import subprocess
import sys

import pandas as pd
import pytest

from ecom_models import intake
from ecom_models.core.errors import InputError
from ecom_models.intake import ingest, parse_dates, parse_number, summarise_orders


def test_invoice_style_export_quirks_and_figures(fixtures_dir):
    result = ingest(fixtures_dir / "invoice_style.csv")
    assert result.kind == "orders"
    assert result.mapping["order_id"] == "InvoiceNo" and result.mapping["product_id"] == "StockCode"
    assert result.mapping["order_date"] == "InvoiceDate" and result.mapping["unit_price"] == "UnitPrice"
    q = result.report.quirk_counts
    assert q["blank_rows"] == 2
    assert q["duplicate_lines"] == 1
    assert q["cancellations"] == 1  # C536380; C536379 is a discount line (non-product)
    assert q["non_product_lines"] == 6  # POST, DOT, BANK CHARGES, Manual, Adjust bad debt, Discount
    assert q["zero_or_negative_price"] == 1
    assert q["guest_checkouts"] == 1
    s = summarise_orders(result.df)
    # Hand count: 536365 (15.30 + 20.34, duplicate once), 536381 (35.40), 536383 (20.00)
    assert s["orders"] == 3
    assert s["customers"] == 1
    assert s["gross_revenue"] == pytest.approx(15.30 + 20.34 + 35.40 + 20.00)
    assert s["net_revenue"] == pytest.approx(91.04 - 9.90)
    assert s["date_min"].startswith("2010-12-01T08:26")
    manual_grinder = result.df[result.df["product_name"] == "MANUAL COFFEE GRINDER"]
    assert manual_grinder["line_type"].tolist() == ["sale"]


def test_bi_export_cp1252_day_first_decimal_comma_discount_rate(fixtures_dir):
    result = ingest(fixtures_dir / "bi_export_cp1252.csv")
    assert result.report.read["encoding"] == "cp1252"
    assert result.report.read["delimiter"] == ";"
    assert result.mapping["order_date"] == "Order Date"  # not Ship Date
    assert result.mapping["revenue"] == "Sales"
    df = result.df
    assert df["order_date"].tolist()[1] == pd.Timestamp("2016-12-25")
    assert df["revenue"].tolist() == pytest.approx([1261.96, 14.62, 100.0])
    assert df["discount"].tolist()[1] == pytest.approx(14.62 / 0.8 * 0.2, abs=0.01)
    assert "Café" in df["product_name"].tolist()[2]
    assert "decimal_commas" in result.report.quirk_counts
    assert summarise_orders(df)["orders"] == 2


def test_chinese_headers_bom_currency_symbol_timezone(fixtures_dir):
    result = ingest(fixtures_dir / "chinese_headers.csv")
    assert {"order_id", "order_date", "product_id", "quantity", "unit_price", "revenue"} <= set(result.mapping)
    assert result.df["unit_price"].tolist() == [1200.0, 50.0]
    assert result.report.quirk_counts["currency_symbols"] == 1
    assert result.report.quirk_counts["dates_with_timezone"] == 1
    assert result.df["order_date"].iloc[0] == pd.Timestamp("2024-03-01 10:00")  # local wall time kept
    assert result.df["currency"].iloc[0] == "CNY"


def test_shopify_export_fills_order_fields_and_handles_status(fixtures_dir):
    result = ingest(fixtures_dir / "shopify_export.csv")
    assert result.mapping["order_id"] == "Name"
    assert result.mapping["unit_price"] == "Lineitem price"
    assert result.report.quirk_counts["order_fields_filled"] == 1
    s = summarise_orders(result.df)
    assert s["orders"] == 2  # #1003 was voided
    assert s["gross_revenue"] == pytest.approx(195.0)  # refunded #1002 was a sale…
    assert s["net_revenue"] == pytest.approx(150.0)  # …paid back
    assert result.report.rows_usable == 4


def test_dotted_day_first_dates_and_parenthesised_negatives(fixtures_dir):
    result = ingest(fixtures_dir / "dates_mixed.csv")
    assert result.df["order_date"].tolist() == [pd.Timestamp("2024-04-03"), pd.Timestamp("2024-04-15"), pd.Timestamp("2024-05-01")]
    assert result.df["unit_price"].iloc[0] == pytest.approx(1234.5)
    assert result.df["line_type"].iloc[2] == "return"


def test_excel_serial_dates_and_camel_case(fixtures_dir):
    result = ingest(fixtures_dir / "excel_serial.csv")
    assert result.mapping["revenue"] == "lineTotal"
    assert result.df["order_date"].iloc[0] == pd.Timestamp("2024-01-01")
    assert result.df["order_date"].iloc[1] == pd.Timestamp("2024-01-02 12:00")
    assert result.df["unit_price"].tolist() == pytest.approx([10.0, 5.5])  # derived from the line total


@pytest.mark.parametrize("name", ["woocommerce.xlsx", "woocommerce.parquet", "orders.jsonl"])
def test_other_formats(fixtures_dir, name):
    result = ingest(fixtures_dir / name)
    assert result.kind == "orders"
    assert len(result.df) == 2


def test_reviews_and_traffic_kinds(fixtures_dir):
    reviews = ingest(fixtures_dir / "reviews.csv")
    assert reviews.kind == "reviews"
    assert reviews.report.quirk_counts == {"empty_reviews": 1, "rating_only": 1}
    assert "<script>" in reviews.df["text"].iloc[1]  # kept as text; pages never render it as HTML
    traffic = ingest(fixtures_dir / "traffic.csv")
    assert traffic.kind == "traffic" and traffic.df["sessions"].sum() == 2500


def test_ambiguous_dates_are_reported():
    values = pd.Series(["01/02/2024", "03/04/2024"])
    parsed, stats = parse_dates(values)
    assert stats.ambiguous and parsed.iloc[0] == pd.Timestamp("2024-01-02")  # '/' reads month first
    parsed, stats = parse_dates(pd.Series(["01/02/2024", "13/04/2024"]))
    assert not stats.ambiguous and parsed.iloc[0] == pd.Timestamp("2024-02-01")
    parsed, _ = parse_dates(pd.Series(["31/12/24", "01/01/25"]))
    assert parsed.iloc[0] == pd.Timestamp("2024-12-31")


def test_numbers_with_symbols_and_separators():
    parsed, stats = parse_number(pd.Series(["$1,234.50", "£12", "(3.00)", "7-", ""]))
    assert parsed.tolist()[:4] == [1234.5, 12.0, -3.0, -7.0] and pd.isna(parsed.iloc[4])
    parsed, stats = parse_number(pd.Series(["1.234,50 €", "12,5"]))
    assert stats.decimal_comma and parsed.tolist() == [1234.5, 12.5] and stats.currency == "EUR"


@pytest.mark.parametrize("content,expected", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00" * 50, "binary"),
    (b"just one field\nvalue\n", "could not tell"),
    (b"\n\n,,\n", "column names"),
    (b"PK\x03\x04truncated zip", "damaged"),
    (b"colour,shape\nred,round\nblue,square\n", "could not tell"),
    (b"order_id,order_date,sku,price\n", "no data rows"),
])
def test_bad_files_get_clear_messages(content, expected):
    with pytest.raises(InputError) as info:
        ingest(content, name="upload.csv")
    assert expected in info.value.message and "upload.csv" in info.value.message


def test_unmappable_for_a_chosen_kind():
    with pytest.raises(InputError, match="no column for"):
        ingest(b"a,b\n1,2\n", kind="traffic", name="t.csv")


def test_size_limit(monkeypatch):
    monkeypatch.setenv("ECOM_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(InputError, match="limit"):
        ingest(b"order_id,order_date,price\n" + b"1,2024-01-01,3\n" * 200, name="big.csv")


def test_truncated_csv_keeps_the_good_rows():
    data = b"order_id,order_date,sku,price\n1,2024-01-01,A,3\n2,2024-01-02,B,4\n3,2024-01-0"
    result = ingest(data, name="cut.csv")
    assert result.report.rows_usable == 2
    assert result.report.quirk_counts["malformed_lines"] == 1


def test_mapping_override_wins():
    df = pd.DataFrame({"when": ["2024-01-01"], "what": ["A"], "cost": ["3"], "price": ["5"]})
    auto = intake.map_columns(df, "orders")
    assert auto.mapping["unit_price"] == "price"
    forced = intake.map_columns(df, "orders", {"unit_price": "cost", "order_date": "when"})
    assert forced.mapping["unit_price"] == "cost" and forced.confidence["unit_price"] == 1.0


def test_cli_ingest_json_and_exit_codes(fixtures_dir, tmp_path):
    out = subprocess.run([sys.executable, "-m", "ecom_models", "ingest", str(fixtures_dir / "invoice_style.csv"), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    doc = json.loads(out.stdout)
    for key in ("kind", "rows_in", "rows_usable", "mapping", "quirks", "orders", "customers", "products",
                "gross_revenue", "net_revenue", "date_min", "date_max"):
        assert key in doc
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x00\x00")
    out = subprocess.run([sys.executable, "-m", "ecom_models", "ingest", str(bad), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "bad.csv" in out.stderr and "Traceback" not in out.stderr


def test_demo_orders_roundtrip_through_csv():
    from ecom_models.demo.store import demo_store

    orders = demo_store().orders
    sample = orders.head(3000)
    buffer = io.StringIO()
    sample.drop(columns=["line_type", "is_duplicate"]).to_csv(buffer, index=False)
    result = ingest(buffer.getvalue().encode(), name="demo.csv")
    a, b = summarise_orders(sample), summarise_orders(result.df)
    assert b["orders"] == a["orders"]
    assert b["gross_revenue"] == pytest.approx(a["gross_revenue"], rel=1e-9)
    assert b["net_revenue"] == pytest.approx(a["net_revenue"], rel=1e-9)


@pytest.mark.parametrize("name,orders,customers,gross,net,currency,expected_mapping", [
    # Amazon seller report: item-price is the line total; shipping-price must not become the unit price.
    ("amazon_orders.txt", 2, 0, 59.97, 59.97, "USD",
     {"order_id": "amazon-order-id", "order_date": "purchase-date", "revenue": "item-price", "product_id": "sku"}),
    # WooCommerce: order totals include shipping and must not be read as line totals; refunded and cancelled by status.
    ("woocommerce_export.csv", 2, 2, 42.0, 30.0, "USD",
     {"order_id": "Order ID", "customer_id": "Email (Billing)", "unit_price": "Item Cost", "product_name": "Item Name"}),
    # Shopify: 'Total' is per order (first line only); the line price and quantity give the line totals.
    ("shopify_full.csv", 2, 2, 135.0, 135.0, "EUR",
     {"order_id": "Name", "order_date": "Created at", "unit_price": "Lineitem price", "customer_id": "Email"}),
])
def test_common_exports_are_recognised(fixtures_dir, name, orders, customers, gross, net, currency, expected_mapping):
    result = ingest(fixtures_dir / name)
    for field, column in expected_mapping.items():
        assert result.mapping.get(field) == column, field
    assert "revenue" not in result.mapping or result.mapping["revenue"] not in ("Total", "Order Total Amount")
    s = summarise_orders(result.df)
    assert (s["orders"], s["customers"], s["currency"]) == (orders, customers, currency)
    assert s["gross_revenue"] == pytest.approx(gross)
    assert s["net_revenue"] == pytest.approx(net)


def test_utf16_export_is_read():
    text = "Order ID\tOrder Date\tSKU\tQuantity\tPrice\n1\t2024-01-01\tA\t2\t3.50\n"
    result = ingest(text.encode("utf-16"), name="excel-unicode.txt")
    assert result.df["revenue"].iloc[0] == pytest.approx(7.0)


def test_xlsx_zip_bomb_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(260):
                f.write(chunk)
    with pytest.raises(InputError, match="zip bomb"):
        ingest(path)


def test_text_renamed_to_xlsx_and_garbage_parquet(tmp_path):
    fake = tmp_path / "orders.xlsx"
    fake.write_text("order_id,order_date\n1,2024-01-01\n")
    with pytest.raises(InputError, match="orders.xlsx"):
        ingest(fake)
    bad = tmp_path / "orders.parquet"
    bad.write_bytes(b"PAR1" + b"\x00garbage" * 10)
    with pytest.raises(InputError, match="Parquet"):
        ingest(bad)


def test_single_column_review_file():
    result = ingest(b'review\nGreat mug\nArrived broken, sadly\n"Fast, ""great"" service"\n', name="reviews.csv")
    assert result.kind == "reviews"
    assert result.df["text"].tolist() == ["Great mug", "Arrived broken, sadly", 'Fast, "great" service']


def test_missing_values_survive_the_workspace(tmp_path):
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace("w", tmp_path)
    df = pd.DataFrame({"a": pd.Series(["x", pd.NA], dtype=object), "b": pd.Series([pd.NA, pd.NA], dtype=object)})
    info = ws.save_dataset("d", "reviews", df)
    back = ws.load_dataset(info.id)
    assert back["a"].isna().tolist() == [False, True] and back["b"].isna().all()


def test_counts_survive_reading_first(fixtures_dir):
    info = intake.ReadInfo(format="")
    raw = intake.read_table(fixtures_dir / "invoice_style.csv", info=info)
    result = ingest(raw, kind="orders", name="invoice_style.csv", read_info=info)
    assert result.report.rows_in == 15 and result.report.quirk_counts["blank_rows"] == 2
