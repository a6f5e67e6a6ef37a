"""The product photo analysis kept in the results store: what the Images page shows (tables, duplicate
groups and their evidence, categories, thumbnails, similar items, other rules or thresholds applied
later) is the same after a round trip through the workspace file, and a restart reads it back
without starting a run."""

import shutil

import numpy as np
import pandas as pd
import pytest

from ecom_models.demo import ensure_demo_photos
from ecom_models.demo.store import demo_store
from ecom_models.images import QualityRules, analyse, export_table, listing_problems, photo_issues, reassess
from ecom_models.images import pipeline as IP
from ecom_models.images.store import analysis_to_doc
from ecom_models.workspace import results, runs
from ecom_models.workspace.results import ResultsStore
from ecom_models.workspace.workspace import Workspace


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A part of the demo photos (three products of each category and the planted copies of two of
    them) and a file that is not a photo."""
    demo = ensure_demo_photos(42)
    folder = tmp_path_factory.mktemp("photos")
    for path in sorted(demo.iterdir()):
        name = path.name
        if name.startswith("SKU-") and (name[6:8] in {"01", "02", "03"} or name in {"SKU-0101-dup.jpg",
                                                                                      "SKU-0302-dup.jpg"}):
            shutil.copy(path, folder / name)
    (folder / "notes.jpg").write_bytes(b"not a photo")
    products = demo_store().products[["product_id", "product_name", "category"]]
    return folder, products


@pytest.fixture(scope="module")
def analysed(photos):
    folder, products = photos
    return analyse(str(folder), products=products)


def _restart() -> None:
    results._memory.clear()
    from ecom_ui import background

    background._loaded().clear()


def _same_page(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_dtype=False)
    assert all(isinstance(v, list) for v in b.table["problems"])
    assert b.table["top_labels"].tolist() == a.table["top_labels"].tolist()
    pd.testing.assert_frame_equal(export_table(a.table), export_table(b.table), check_dtype=False)
    pd.testing.assert_frame_equal(listing_problems(a), listing_problems(b), check_dtype=False)
    assert photo_issues(a.table).tolist() == photo_issues(b.table).tolist()
    pd.testing.assert_frame_equal(a.failures, b.failures, check_dtype=False)
    assert np.array_equal(a.embeddings, b.embeddings) and b.embeddings.dtype == a.embeddings.dtype
    assert b.duplicate_groups == a.duplicate_groups
    assert b.duplicate_pairs == a.duplicate_pairs and b.pairs_by_group == a.pairs_by_group
    assert b.same_product == a.same_product and b.looks_alike == a.looks_alike
    assert b.problems == a.problems and [p.file for p in b.refused] == [p.file for p in a.refused]
    assert b.thumbnails == a.thumbnails
    assert (b.rules, b.threshold, b.category_note, b.seconds) == (a.rules, a.threshold, a.category_note, a.seconds)
    pd.testing.assert_frame_equal(a.similar(a.table["file"].iloc[0]), b.similar(b.table["file"].iloc[0]))
    if a.categories is None:
        assert b.categories is None
    else:
        for name in ("n_images", "n_products", "n_categories", "folds", "accuracy", "accuracy_low", "accuracy_high",
                     "majority_accuracy", "taxonomy_accuracy", "winner"):
            assert getattr(b.categories, name) == getattr(a.categories, name), name
        pd.testing.assert_frame_equal(a.categories.predictions, b.categories.predictions, check_dtype=False)
        pd.testing.assert_frame_equal(a.categories.per_category, b.categories.per_category, check_dtype=False)


def test_the_photo_analysis_round_trips(analysed):
    a = analysed
    assert a.duplicate_groups and a.refused and a.categories is not None  # every part is exercised
    ws = Workspace("test")
    assert ResultsStore(ws).put(IP.KIND, "k", analysis_to_doc(a))
    _restart()
    b = IP.load_analysis(Workspace("test"), "k")
    assert b is not None
    _same_page(a, b)
    assert len(b.fingerprints) == len(a.fingerprints)
    for fa, fb in zip(a.fingerprints, b.fingerprints):
        assert np.array_equal(fa.grey, fb.grey) and np.array_equal(fa.colour, fb.colour)
        assert fb.box == fa.box and isinstance(fb.box, tuple)
        assert (fb.aspect, fb.box_side, fb.photo_side) == (fa.aspect, fa.box_side, fa.photo_side)
    # the merchant's rules and duplicate threshold, applied later, act on the stored analysis as on the fresh one
    strict = QualityRules(min_longest_side=1400, min_sharpness=60.0)
    _same_page(reassess(a, strict, 0.8), reassess(b, strict, 0.8))


def test_a_restart_reads_the_stored_photo_analysis_and_starts_no_run(photos, analysed, monkeypatch):
    from ecom_ui import background

    folder, products = photos
    computed = []
    monkeypatch.setattr("ecom_models.images.analysis.analyse", lambda *x, **k: computed.append(1) or analysed)
    ws = Workspace("test")
    first = background.photos_analysis("upload-abc", str(folder), products, ws=ws)  # the run computes and stores
    key = IP.analysis_key("upload-abc", products)
    assert computed == [1] and IP.analysis_ready(ws, key) and not runs.get(key).has_value

    _restart()
    runs.forget(key)
    again = background.photos_analysis("upload-abc", str(folder), products, ws=Workspace("test"))
    assert runs.get(key) is None and computed == [1]  # read back, no run started
    _same_page(first, again)
    # another products file is another analysis (the categories are learned from it)
    assert IP.analysis_key("upload-abc", products.iloc[:-1]) != key
    assert IP.analysis_key("upload-abc", None) != key


def test_a_photo_analysis_that_no_longer_reads_is_dropped(analysed):
    ws = Workspace("test")
    doc = analysis_to_doc(analysed)
    doc["fingerprints"]["fields"].pop("grey")  # as stored by code whose fingerprints had other fields
    ResultsStore(ws).put(IP.KIND, "old", doc)
    _restart()
    assert IP.load_analysis(ws, "old") is None and not IP.analysis_ready(ws, "old")
