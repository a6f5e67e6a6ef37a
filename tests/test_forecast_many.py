"""Many series: local processes, sequential and a Dask LocalCluster give the same forecasts; the CLI."""

from __future__ import annotations

import json

import pandas as pd

from ecom_models import forecast as F
from tests.test_forecast import make_orders


def three_categories():
    parts = []
    for i, (cat, base) in enumerate([("toys", 40), ("home", 25), ("garden", 15)]):
        o = make_orders(days=120, base=base, seed=10 + i)
        o["order_id"] = cat + o["order_id"]
        o["category"] = cat
        o["product_id"] = f"P{i}"
        parts.append(o)
    return pd.concat(parts, ignore_index=True)


FAST = (F.MODEL_NAIVE, F.MODEL_ETS)


def test_forecast_many_sequential_and_processes_agree():
    series = F.build_series(three_categories(), "units", by="category")
    seen = []
    seq = F.forecast_many(series, 14, models=FAST, n_jobs=1, scheduler="", progress=lambda f, m: seen.append(f))
    par = F.forecast_many(series, 14, models=FAST, n_jobs=2, scheduler="")
    assert seq.backend == "sequential" and par.backend.startswith("processes")
    assert seen[-1] == 1.0
    assert list(seq.summary["key"]) == ["toys", "home", "garden"]
    pd.testing.assert_frame_equal(seq.forecast, par.forecast)
    assert len(seq.forecast) == 3 * 14
    assert (seq.summary["mae_chosen"] <= seq.summary["mae_seasonal_naive"] + 1e-9).all()


def test_forecast_many_on_dask_local_cluster(monkeypatch):
    from distributed import LocalCluster

    series = F.build_series(three_categories(), "units", by="category")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        monkeypatch.setenv("ECOM_DASK_SCHEDULER", cluster.scheduler_address)
        res = F.forecast_many(series, 14, models=(F.MODEL_NAIVE, F.MODEL_PROPHET), backtest=True)
    assert res.backend.startswith("dask ")
    assert set(res.forecast["key"]) == {"toys", "home", "garden"}
    assert res.forecast[["yhat", "yhat_lower", "yhat_upper"]].notna().all().all()
    assert (res.forecast["yhat_lower"] <= res.forecast["yhat_upper"]).all()
    assert res.summary["error"].isna().all()


def test_cli_forecast_json(tmp_path, capsys):
    from ecom_models.cli import main

    path = tmp_path / "orders.csv"
    make_orders(days=150, seed=7, closed_weekday=6).to_csv(path, index=False)
    code = main(["forecast", str(path), "--metric", "units", "--horizon", "14", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"rows", "model", "metrics", "leaderboard", "prophet_params", "notes"}
    assert len(doc["rows"]) == 14 and set(doc["rows"][0]) == {"date", "yhat", "yhat_lower", "yhat_upper"}
    assert doc["metrics"]["model"]["name"] == doc["model"]
    assert F.MODEL_NAIVE in doc["metrics"]["baselines"] or doc["model"] == F.MODEL_NAIVE
    sundays = [r for r in doc["rows"] if pd.Timestamp(r["date"]).day_of_week == 6]
    assert sundays and all(r["yhat"] == 0 for r in sundays)

    code = main(["forecast", str(path), "--by", "category", "--horizon", "7", "--jobs", "1", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["key"] for r in doc["rows"]} == {"c1"} and len(doc["rows"]) == 7

    assert main(["forecast", str(path), "--horizon", "0", "--json"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert main(["forecast", str(path), "--horizon", "140", "--json"]) == 2
    assert "history" in capsys.readouterr().err
    assert main(["forecast", str(path), "--scenario", "price=cheap", "--horizon", "7", "--json"]) == 2
