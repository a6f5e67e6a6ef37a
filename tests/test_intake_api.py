"""The intake package's public API: the facade's names are the functions callers rely on, and
the Data page and `ingest --save` share one check-and-save."""

import importlib
import pkgutil

import pytest

import ecom_models.intake


def test_ingest_on_the_package_is_the_function_whatever_is_imported():
    from ecom_models.intake.load import ingest as defined

    # every module of the package (and of intake.big) imported: none may shadow the facade's names
    for info in pkgutil.walk_packages(ecom_models.intake.__path__, "ecom_models.intake."):
        importlib.import_module(info.name)
    from ecom_models.intake import ingest, load_orders

    assert callable(ecom_models.intake.ingest) and ecom_models.intake.ingest is defined
    assert ingest is defined and callable(load_orders)
    from ecom_models.intake import big

    assert callable(big.ingest_big) and callable(big.load_orders)


def test_guess_kind_falls_back(fixtures_dir):
    import pandas as pd

    from ecom_models.intake import guess_kind, read_table

    assert guess_kind(read_table(fixtures_dir / "shopify_export.csv")) == "orders"
    assert guess_kind(pd.DataFrame({"a": ["x"], "b": ["y"]}), fallback="reviews") == "reviews"


def test_check_and_save_stores_the_dataset_and_remembers_the_mapping(fixtures_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    from ecom_models.intake import ReadInfo, check_and_save, map_columns, read_table, remembered_mapping
    from ecom_models.workspace import Workspace

    ws = Workspace("api")
    info = ReadInfo(format="")
    raw = read_table(fixtures_dir / "shopify_export.csv", info=info)
    override = dict(map_columns(raw, "orders").mapping, customer_id="")
    result, saved = check_and_save(ws, raw, kind="orders", mapping_override=override, name="shop.csv",
                                   dataset_name="My shop", read_info=info, remember=True)
    assert saved.name == "My shop" and saved.rows == len(result.df) and result.kind == "orders"
    assert ws.active_dataset("orders").name == "My shop"
    assert remembered_mapping(ws, raw.columns, "orders") == override
    assert "customer_id" not in result.mapping
    # a path, kind detected, the remembered mapping used
    again, _ = check_and_save(ws, fixtures_dir / "shopify_export.csv")
    assert again.kind == "orders" and "customer_id" not in again.mapping and again.report.file == "shopify_export.csv"
    ws.close()


def test_check_and_save_saves_nothing_when_the_file_is_unusable(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOM_WORKSPACE_DIR", str(tmp_path))
    from ecom_models.core.errors import InputError
    from ecom_models.intake import check_and_save
    from ecom_models.workspace import Workspace

    path = tmp_path / "nothing.csv"
    path.write_text("colour,size\nred,M\n")
    ws = Workspace("api")
    with pytest.raises(InputError):
        check_and_save(ws, path)
    assert ws.datasets() == []
