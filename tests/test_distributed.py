"""Batch scoring on a Dask LocalCluster (2 worker processes): the same results as one process,
through the library and through the CLI's --dask-scheduler."""

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

from ecom_models import risk as A
from ecom_models.core import cluster as D
from ecom_models.images import cluster as IC
from ecom_models.risk import cluster as RC
from ecom_models.text import cluster as TC
from ecom_models.cli import main
from ecom_models.core.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      env=D.SINGLE_THREAD_ENV) as lc, Client(lc) as client:
        yield lc.scheduler_address, client


@pytest.fixture(scope="module")
def orders_file(tmp_path_factory):
    import scale

    path = tmp_path_factory.mktemp("dask") / "orders.csv"
    scale.make_export(str(path), 8_000, seed=7)
    return path


def test_risk_scores_on_the_cluster_are_identical(cluster, orders_file):
    from ecom_models.intake import load_orders

    _, client = cluster
    orders = load_orders(str(orders_file))
    single = A.score_orders(orders, contamination=0.02)
    spread = RC.score_orders(orders, client, contamination=0.02, partitions=5)
    assert len(single.orders) > 300
    assert spread.orders["order_id"].tolist() == single.orders["order_id"].tolist()
    for col in [c for c in single.orders.columns if c.startswith("score")]:
        assert np.array_equal(spread.orders[col].to_numpy(), single.orders[col].to_numpy()), col
    assert spread.flagged["order_id"].tolist() == single.flagged["order_id"].tolist()
    assert spread.orders["reasons"].tolist() == single.orders["reasons"].tolist()
    # the detectors alone on the cluster (a drop-in for anomaly.detector_scores)
    via = A.score_orders(orders, contamination=0.02, scorer=RC.cluster_scorer(client, partitions=3))
    pd.testing.assert_frame_equal(via.orders, single.orders, check_exact=True)


def _awkward(orders: pd.DataFrame) -> pd.DataFrame:
    """Lines of one order far apart (an export sorted by product), blank and missing product
    names, a customer with orders in every part, guests: every split the workers make."""
    df = orders.sample(frac=1.0, random_state=3).reset_index(drop=True)
    df.loc[df.index % 7 == 0, "product_name"] = "  "
    df.loc[df.index % 11 == 0, "product_name"] = None
    df.loc[df.index % 13 == 0, "unit_price"] = np.nan
    return df


def test_order_features_on_the_workers_are_identical(cluster, orders_file, tmp_path):
    from ecom_models.intake import load_orders

    _, client = cluster
    orders = load_orders(str(orders_file))
    awkward = _awkward(orders)
    parquet = tmp_path / "lines.parquet"
    awkward.to_parquet(parquet, row_group_size=1500)
    for source, parts in ((orders, 3), (awkward, 4), (parquet, 3)):
        local = A.order_features(RC.read_lines(source) if not isinstance(source, pd.DataFrame) else source)
        spread = RC.cluster_order_features(source, client, partitions=parts)
        pd.testing.assert_frame_equal(spread, local, check_exact=True)
    # no product names at all: reasons name products by their ids, in both
    nameless = orders.assign(product_name=None)
    pd.testing.assert_frame_equal(RC.cluster_order_features(nameless, client, partitions=2), A.order_features(nameless),
                                  check_exact=True)
    nothing = orders.assign(line_type="return")
    with pytest.raises(InputError, match="no sale lines"):
        RC.cluster_order_features(nothing, client)
    tiny = orders[orders["order_id"].isin(orders["order_id"].unique()[:3])]
    with pytest.raises(InputError, match="too few"):
        RC.score_orders(tiny, client)


def test_medians_from_value_counts_are_pandas_medians():
    rng = np.random.default_rng(0)
    n = 20_000
    key = pd.Series(rng.integers(0, 300, n).astype(str), dtype="str")
    v = np.where(rng.random(n) < 0.5, np.round(rng.lognormal(1, 1, n), 2), rng.lognormal(1, 1, n))
    v[rng.random(n) < 0.05] = np.nan
    v[key.to_numpy() == "7"] = np.nan  # a product without any price
    halves = [slice(0, n // 3), slice(n // 3, n)]
    counts = []
    for h in halves:
        codes, uniques = pd.factorize(key[h], sort=False)
        counts.append(RC._counts(codes, uniques, v[h]))
    got = RC._medians(counts)
    want = pd.DataFrame({"k": key, "v": v}).groupby("k")["v"].median()
    assert np.array_equal(got.reindex(want.index).to_numpy(), want.to_numpy(), equal_nan=True)
    assert np.isnan(got.reindex(["7"]).iloc[0])


def test_risk_scores_from_a_parquet_file_read_by_the_workers(cluster, orders_file, tmp_path):
    from ecom_models.intake import load_orders

    _, client = cluster
    parquet = tmp_path / "lines.parquet"
    load_orders(str(orders_file)).to_parquet(parquet, row_group_size=2000)
    single = A.score_orders(RC.read_lines(parquet), contamination=0.02)
    spread = RC.score_orders(parquet, client, contamination=0.02)
    assert spread.orders["order_id"].tolist() == single.orders["order_id"].tolist()
    assert spread.flagged["order_id"].tolist() == single.flagged["order_id"].tolist()
    assert spread.orders["reasons"].tolist() == single.orders["reasons"].tolist()


def test_anomalies_cli_with_a_scheduler_flags_the_same_orders(cluster, orders_file, capsys, monkeypatch):
    address, _ = cluster
    args = ["anomalies", str(orders_file), "--contamination", "0.02", "--top", "30", "--json"]
    assert main(args) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(args + ["--dask-scheduler", address]) == 0
    spread = json.loads(capsys.readouterr().out)
    assert spread == local
    monkeypatch.setenv("ECOM_DASK_SCHEDULER", address)  # the environment variable works too
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == local


def test_anomalies_cli_big_export_read_by_the_workers(cluster, orders_file, tmp_path, capsys, monkeypatch):
    """A big export (or a zip) with a scheduler: ingested in chunks into Parquet, which the
    workers (on this host) read themselves; the same document as one process."""
    import zipfile

    address, client = cluster
    monkeypatch.setenv("ECOM_BIG_FILE_MB", "0.1")  # this small file counts as big
    zipped = tmp_path / "exports.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(orders_file, "orders.csv")
    handed = []  # what score_big_file gave the cluster: a Parquet path the workers read, not a frame
    score_orders = RC.score_orders
    monkeypatch.setattr(RC, "score_orders", lambda orders, *a, **k: handed.append(orders) or score_orders(orders, *a, **k))
    for source in (orders_file, zipped):
        args = ["anomalies", str(source), "--contamination", "0.02", "--top", "30", "--json"]
        assert main(args) == 0
        local = json.loads(capsys.readouterr().out)
        assert main(args + ["--dask-scheduler", address]) == 0
        assert json.loads(capsys.readouterr().out) == local
    assert len(handed) == 2 and all(str(o).endswith(".parquet") for o in handed)
    assert RC.workers_see(client, orders_file) and not RC.workers_see(client, tmp_path / "missing.parquet")


def test_unreachable_scheduler_is_a_clear_message(capsys, orders_file, monkeypatch):
    monkeypatch.setenv("ECOM_DASK_TIMEOUT", "2s")
    assert main(["anomalies", str(orders_file), "--dask-scheduler", "tcp://127.0.0.1:9", "--json"]) == 2
    err = capsys.readouterr().err
    assert "could not reach the Dask scheduler" in err and "Traceback" not in err


def test_sentence_embeddings_on_the_cluster_match(cluster):
    from ecom_models.text import minilm as S

    _, client = cluster
    texts = [f"The {w} arrived {d} and works {q}." for w in ("mug", "lamp", "bag", "card") for d in
             ("late", "on time", "broken") for q in ("well", "badly", "fine, I guess")] + ["", "ok", "x" * 3000]
    local, local_cut = S.get_encoder().encode(texts)
    spread, spread_cut = TC.ClusterEncoder(client, partitions=3, min_partition=1).encode(texts)
    assert np.allclose(spread, local, atol=1e-5)
    assert (spread_cut == local_cut).all()


def test_reviews_cli_with_a_scheduler(cluster, tmp_path, capsys):
    address, _ = cluster
    rows = ["I love this mug, great quality.", "Terrible. It broke after two days and support never answered.",
            "Arrived on time.", "Too expensive for what it is.", "Beautiful colours, my daughter adores it!"] * 4
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review": rows}).to_csv(path, index=False)
    args = ["sentiment", str(path), "--no-fine-tune", "--json"]
    assert main(args) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(args + ["--dask-scheduler", address]) == 0
    spread = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in spread["reviews"]] == [r["label"] for r in local["reviews"]]
    assert np.allclose([r["score"] for r in spread["reviews"]], [r["score"] for r in local["reviews"]], atol=1e-4)
    assert spread["counts"] == local["counts"]


def test_model_files_are_shipped_to_a_worker_that_lacks_them(cluster, tmp_path):
    import hashlib
    import shutil
    import uuid

    _, client = cluster
    name = f"test-model-{uuid.uuid4().hex[:8]}"
    wanted = {"model.onnx": hashlib.sha256(b"weights").hexdigest()}
    assert set(client.run(D.worker_model_dir, name, wanted).values()) == {None}
    client.run(D.install_model, name, wanted, {"model.onnx": b"weights"})
    found = client.run(D.worker_model_dir, name, wanted)
    assert all(f and f.endswith(D.model_key(wanted)) for f in found.values())
    with pytest.raises(Exception):
        client.run(D.install_model, name, wanted, {"model.onnx": b"tampered"})
    shutil.rmtree(os.path.dirname(next(iter(found.values()))), ignore_errors=True)
    # the bundled models are found in place on workers built from this repository
    assert all(client.run(D.worker_model_dir, "minilm", D.manifest("minilm")).values())


def test_connect_needs_workers():
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as lc:
        with pytest.raises(InputError, match="no workers"):
            with D.connect(lc.scheduler_address, timeout="1s"):
                pass


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    import shutil
    from pathlib import Path

    src = Path(ROOT).parent / "shared" / "data" / "product_photos" / "grocery"
    folder = tmp_path_factory.mktemp("photos")
    picked = sorted(p for p in src.rglob("*.jpg"))[:9]
    if not picked:
        pytest.skip("the shared real product photos are not here")
    for i, p in enumerate(picked):
        shutil.copy(p, folder / f"SKU-{i}.jpg")
    shutil.copy(picked[0], folder / "SKU-0-copy.jpg")  # a duplicate
    (folder / "broken.jpg").write_bytes(b"not an image")
    return folder


def test_photos_on_the_cluster_match_one_process(cluster, photos):
    from ecom_models.images import analysis as vision

    _, client = cluster
    local = vision.analyse(photos, chunk_size=3, keep_thumbnails=False)
    spread = vision.analyse(photos, chunk_size=3, keep_thumbnails=False,
                            map_chunks=IC.image_chunk_runner(client, in_flight=2))
    assert local.table["file"].tolist() == spread.table["file"].tolist()
    assert np.allclose(local.embeddings, spread.embeddings, atol=1e-5)
    for col in ("category", "sha1", "sharpness", "contrast", "duplicate_group", "problems"):
        assert local.table[col].tolist() == spread.table[col].tolist(), col
    assert local.duplicate_groups == spread.duplicate_groups and len(local.duplicate_groups) == 1
    assert [p.file for p in local.problems] == [p.file for p in spread.problems] == ["broken.jpg"]


def test_images_cli_with_a_scheduler(cluster, photos, capsys):
    address, _ = cluster
    assert main(["images", str(photos), "--json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(["images", str(photos), "--json", "--dask-scheduler", address]) == 0
    spread = json.loads(capsys.readouterr().out)
    for key in ("duplicate_groups", "refused", "counts"):
        assert spread[key] == local[key], key
    assert [r["category"] for r in spread["images"]] == [r["category"] for r in local["images"]]


def test_support_cli_with_a_scheduler(cluster, tmp_path, capsys):
    from ecom_models.demo import support_synth as synth

    address, _ = cluster
    path = tmp_path / "tickets.csv"
    synth.messages(240, seed=3).drop(columns=["intent"]).to_csv(path, index=False)
    args = ["support", str(path), "--k", "8", "--json"]
    assert main(args) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(args + ["--dask-scheduler", address]) == 0
    spread = json.loads(capsys.readouterr().out)
    assert [t["intent"] for t in spread["tickets"]] == [t["intent"] for t in local["tickets"]]
    assert np.allclose([t["confidence"] for t in spread["tickets"]], [t["confidence"] for t in local["tickets"]],
                       atol=1e-4)
    assert spread["intents"] == local["intents"]


def test_multilingual_embeddings_on_the_cluster_match(cluster):
    from ecom_models.text import encoders as TE

    _, client = cluster
    texts = ["我的包裹在哪里", "where is my parcel?", "Wo ist mein Paket?", "退款什么时候到账", "refund please"] * 3 + [""]
    local = TE.get_model("multilingual").encode(texts)
    spread, _ = TC.ClusterEncoder(client, partitions=2, min_partition=1, model="multilingual").encode(texts, batch_size=4)
    batched = TE.get_model("multilingual").encode(texts, batch_size=4)
    assert np.allclose(spread, batched, atol=1e-5)
    assert np.allclose(local, batched, atol=0.1)  # the same texts, other batches: close, not identical
