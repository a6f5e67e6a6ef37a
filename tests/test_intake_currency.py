"""The store's currency when the export names none (intake.currency, issue 24): the dominant
country decides, an explicit column or --currency wins, the report says which was done, and the
merchant's choice on the Data page is used by every page."""

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ecom_models.intake import (choose_currency, chosen_currency, country_currency, infer_currency, ingest,
                                summarise_orders)
from ecom_models.workspace.workspace import Workspace


def _orders(countries, currency=None):
    n = len(countries)
    df = pd.DataFrame({"InvoiceNo": [f"5{i:05d}" for i in range(n)], "StockCode": [f"P{i % 5}" for i in range(n)],
                       "Quantity": 1, "InvoiceDate": "2024-03-01", "UnitPrice": 10.0, "CustomerID": "c1",
                       "Country": countries})
    if currency is not None:
        df["Currency"] = currency
    return df


@pytest.mark.parametrize("written", ["United Kingdom", "UK", "GB", "GBR", "united kingdom ", "Great Britain"])
def test_uk_names_and_codes(written):
    assert country_currency(written)[0] == "GBP"
    result = ingest(_orders([written] * 9 + ["France"]), kind="orders")
    assert summarise_orders(result.df)["currency"] == "GBP"
    assert "No currency column: amounts read as GBP because 90% of sale lines are from the United Kingdom." \
        in result.report.notes[-1]
    assert result.report.currency == {"code": "GBP", "from": "country"}


@pytest.mark.parametrize("written,currency", [("Germany", "EUR"), ("DE", "EUR"), ("Deutschland", "EUR"),
                                              ("EIRE", "EUR"), ("USA", "USD"), ("United States", "USD"),
                                              ("Japan", "JPY"), ("CN", "CNY"), ("Canada", "CAD"),
                                              ("AU", "AUD"), ("Switzerland", "CHF"), ("SE", "SEK")])
def test_other_countries(written, currency):
    assert country_currency(written)[0] == currency


def test_one_currency_area_counts_as_a_whole():
    # 50% Germany + 40% France + 10% other: no single country, but 90% of lines pay in euros
    found = infer_currency({"Germany": 5, "France": 4, "United Kingdom": 1})
    assert found[0] == "EUR" and found[1] == "countries that use EUR" and found[2] == pytest.approx(0.9)


def test_mixed_store_below_80_percent_keeps_the_default():
    result = ingest(_orders(["United Kingdom"] * 7 + ["Germany"] * 3), kind="orders")
    assert summarise_orders(result.df)["currency"] == "USD"
    assert any(n.startswith("No currency in the file: amounts are taken to be in USD") for n in result.report.notes)
    assert result.report.currency == {"code": "USD", "from": "default"}


def test_explicit_column_and_given_currency_win():
    with_column = ingest(_orders(["United Kingdom"] * 10, currency="EUR"), kind="orders")
    assert summarise_orders(with_column.df)["currency"] == "EUR"
    assert not any("currency" in n.lower() for n in with_column.report.notes)
    assert with_column.report.currency == {}
    given = ingest(_orders(["United Kingdom"] * 10), kind="orders", default_currency="SEK")
    assert summarise_orders(given.df)["currency"] == "SEK"
    assert given.report.currency == {"code": "SEK", "from": "given"}


def test_blank_currency_cells_take_the_country_currency():
    df = _orders(["United Kingdom"] * 10, currency=[None] * 10)
    assert summarise_orders(ingest(df, kind="orders").df)["currency"] == "GBP"


def test_big_path_agrees_and_states_the_whole_store_share(tmp_path, fixtures_dir):
    from ecom_models.intake.big import ingest_big

    src = tmp_path / "uk.csv"
    _orders(["United Kingdom"] * 17 + ["France"] * 3).to_csv(src, index=False)
    res = ingest_big(src, kind="orders", chunk_rows=5)
    try:
        notes = res.report.notes
        # chunks of 5 lines: the last ones are all from France; the store is 85% from the UK
        assert res.summary()["currency"] == "GBP"
        assert res.report.currency == {"code": "GBP", "from": "country"}
    finally:
        res.close()
    assert [n for n in notes if n.startswith("No currency")] == [
        "No currency column: amounts read as GBP because 85% of sale lines are from the United Kingdom. "
        "If that is wrong, choose the currency on the Data page."]


def test_invoice_style_uk_file_shows_pounds_on_the_overview(fixtures_dir):
    # tests/fixtures/invoice_style.csv: an Online-Retail-style export, no currency column,
    # Country United Kingdom on every sale line
    result = ingest(fixtures_dir / "invoice_style.csv")
    Workspace().save_dataset("invoice", "orders", result.df, source_file="invoice_style.csv",
                             report=result.report.to_dict())
    at = AppTest.from_file("../pages/overview.py", default_timeout=120).run()
    assert not at.exception
    values = [m.value for m in at.metric if m.label in ("Net revenue", "Average order value")]
    assert values and all(v.startswith("£") for v in values), values


def test_currency_chosen_on_the_data_page_is_used_by_the_overview(fixtures_dir):
    df = _orders(["United Kingdom"] * 6 + ["Germany"] * 4)  # no dominant country: USD
    result = ingest(df, kind="orders", name="mixed.csv")
    ws = Workspace()
    info = ws.save_dataset("mixed", "orders", result.df, source_file="mixed.csv", report=result.report.to_dict())
    data = AppTest.from_file("../pages/data.py", default_timeout=120).run()
    assert not data.exception
    select = next(s for s in data.selectbox if s.label.startswith("Currency of the amounts"))
    assert select.value == "USD"
    select.set_value("EUR").run()
    assert not data.exception
    assert chosen_currency(ws, info.id) == "EUR"
    at = AppTest.from_file("../pages/overview.py", default_timeout=120).run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Net revenue").startswith("€")
    choose_currency(ws, info.id, None)  # back to the one read from the file
    assert chosen_currency(ws, info.id) is None
