"""Implausible dates: counted by intake, kept out of every daily index, and daily indexes capped."""

import pandas as pd

from ecom_models.core import dates
from ecom_models.demo.store import demo_store
from ecom_models.intake import ingest, summarise_orders


def _orders_with_bad_dates(tmp_path, n=3000):
    o = demo_store().orders.head(n).copy()
    o["order_date"] = o["order_date"].astype(str)
    o.loc[5, "order_date"] = "5010-03-04 10:00:00"
    o.loc[6, "order_date"] = "0001-01-01"
    o.loc[7, "order_date"] = "1900-01-01"
    path = tmp_path / "orders.csv"
    o.to_csv(path, index=False)
    return path


def test_implausible_window_and_bulk():
    bulk = list(pd.date_range("2024-01-01", periods=300, freq="D"))
    s = pd.Series(bulk + [pd.Timestamp("5010-01-01"), pd.Timestamp("0001-01-01"), pd.Timestamp("1900-01-01"),
                          pd.Timestamp("2012-06-01"), pd.Timestamp("2023-06-01"), pd.NaT], dtype="datetime64[us]")
    bad = dates.implausible_dates(s, today=pd.Timestamp("2026-11-30"))
    assert not bad.iloc[:300].any()
    assert bad.iloc[300:304].all()  # 2012 is eight years before a one-year file
    assert not bad.iloc[304]  # six months early is plausible
    assert not bad.iloc[305]  # missing is a different quirk


def test_ingest_reports_impossible_years_and_keeps_date_range(tmp_path):
    result = ingest(_orders_with_bad_dates(tmp_path))
    quirk = next(q for q in result.report.quirks if q.key == "implausible_dates")
    assert quirk.count == 3
    assert {"5010", "0001", "1900"} <= {str(e.get("order_date", ""))[:4] for e in quirk.examples}
    summary = summarise_orders(result.df)
    assert "2020" < summary["date_min"] and summary["date_max"] < "2027"


def test_guard_caps_daily_index_with_a_note():
    s = pd.Series(pd.date_range("1996-01-01", "2026-01-01", freq="7D"))
    keep, notes = dates.guard_daily(s, "the forecast", max_days=400, today=pd.Timestamp("2026-11-30"))
    kept = s[keep]
    assert (kept.max() - kept.min()).days < 400
    assert any("last 400 days" in n for n in notes)


def test_time_index_builders_ignore_impossible_dates():
    from ecom_models.risk.daily import daily_metrics
    from ecom_models.forecast.series import build_series
    from ecom_models.overview.kpi import revenue_trend

    o = demo_store().orders.head(20000).copy()
    o["order_date"] = o["order_date"].astype("datetime64[us]")
    o.loc[o.index[10], "order_date"] = pd.Timestamp("5010-03-04")
    o.loc[o.index[11], "order_date"] = pd.Timestamp("0001-01-01")
    series = build_series(o, freq="D")
    assert series.frame["ds"].nunique() < 400
    assert any("implausible" in n for n in series.notes)
    assert len(revenue_trend(o, freq="D")) < 400
    assert daily_metrics(o)["date"].nunique() < 400
    from ecom_models.risk.daily import daily_anomalies

    assert any("5010" in n for n in daily_anomalies(o).attrs["notes"])


def test_a_megabyte_in_a_date_column_is_not_parsed_for_minutes():
    import time

    from ecom_models.intake import parse_dates

    s = pd.Series(["2024-01-01"] * 50 + ["2024-01-02 " + "x" * 1_000_000])
    started = time.perf_counter()
    assert dates.parse_loose(s).isna().sum() == 1
    assert parse_dates(s)[0].isna().sum() == 1
    assert time.perf_counter() - started < 5  # dateutil took 40 s on such a value
