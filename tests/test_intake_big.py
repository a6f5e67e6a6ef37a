"""Big exports in chunks: the same figures as the in-memory path, folders, zips, dates decided
from the whole column, duplicates across files, and the CLI on a folder."""

import io
import json
import os
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from ecom_models import intake
from ecom_models.intake import big as intake_big
from ecom_models.core.errors import InputError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    import scale

    path = tmp_path_factory.mktemp("big") / "invoices.csv"
    scale.make_export(str(path), 6000, seed=3)
    return path


def _both_ways(path, chunk_rows, **kw):
    big = intake_big.ingest_big(path, chunk_rows=chunk_rows, **kw)
    try:
        summary, frame, report = big.summary(), big.to_frame(), big.report
    finally:
        big.close()
    mem = intake.ingest(path, **kw)
    return summary, frame, report, intake.summarise_orders(mem.df), mem


def test_chunked_ingest_gives_the_in_memory_figures(invoices):
    summary, frame, report, expected, mem = _both_ways(invoices, chunk_rows=700)
    assert summary == expected  # every KPI, gross revenue included, to the cent
    assert report.rows_in == mem.report.rows_in and report.rows_usable == mem.report.rows_usable
    assert report.quirk_counts == mem.report.quirk_counts
    assert report.mapping == mem.report.mapping
    assert report.read["date_format"] == mem.report.read["date_format"]
    assert len(frame) == len(mem.df)
    assert frame["is_duplicate"].sum() == mem.df["is_duplicate"].sum()


def test_fixture_quirks_survive_tiny_chunks(fixtures_dir):
    # the hand-checked invoice fixture (blank rows, a duplicate, cancellations) in chunks of 3 lines
    summary, _, report, expected, mem = _both_ways(fixtures_dir / "invoice_style.csv", chunk_rows=3)
    assert summary == expected
    assert report.quirk_counts == mem.report.quirk_counts
    assert report.rows_in == mem.report.rows_in


def test_shopify_order_fields_filled_across_chunk_boundaries(fixtures_dir):
    # order-level fields only on an order's first line: an order must not be cut in two
    summary, _, report, expected, mem = _both_ways(fixtures_dir / "shopify_full.csv", chunk_rows=1)
    assert summary == expected
    assert report.quirk_counts == mem.report.quirk_counts


def test_folder_of_daily_files_equals_one_file(invoices, tmp_path):
    df = pd.read_csv(invoices, dtype=str, keep_default_na=False)
    folder = tmp_path / "days"
    folder.mkdir()
    for i, start in enumerate(range(0, len(df), 1500)):
        part = df.iloc[start:start + 1500]
        if i % 2:
            part.to_parquet(folder / f"day{i:02d}.parquet", index=False)  # CSV and Parquet mixed
        else:
            part.to_csv(folder / f"day{i:02d}.csv", index=False)
    (folder / ".hidden.csv").write_text("junk")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    big = intake_big.ingest_big(folder, chunk_rows=500)
    try:
        got = big.summary()
        assert big.report.read["files"] == 4
        assert set(big.report.read["format"].split(", ")) == {"csv", "parquet"}
    finally:
        big.close()
    expected = intake.summarise_orders(intake.ingest(invoices).df)
    assert got["gross_revenue"] == pytest.approx(expected["gross_revenue"], abs=0.005)
    assert got["orders"] == expected["orders"] and got["units"] == expected["units"]


def test_same_daily_file_twice_counts_once(fixtures_dir, tmp_path):
    src = (fixtures_dir / "invoice_style.csv").read_bytes()
    (tmp_path / "a.csv").write_bytes(src)
    (tmp_path / "b.csv").write_bytes(src)
    big = intake_big.ingest_big(tmp_path)
    try:
        got = big.summary()
        dups = big.report.quirk_counts["duplicate_lines"]
    finally:
        big.close()
    one = intake.ingest(fixtures_dir / "invoice_style.csv")
    assert got == intake.summarise_orders(one.df)
    usable_lines = one.report.rows_usable
    assert dups == one.report.quirk_counts["duplicate_lines"] * 2 + (usable_lines - one.report.quirk_counts["duplicate_lines"])


def test_day_first_dates_settled_by_a_later_file(tmp_path):
    # day 1 and day 2: every date fits both orders; file 3 has the 13th -> day first everywhere
    header = "order_id,order_date,sku,qty,price\n"
    (tmp_path / "1.csv").write_text(header + "A1,05/03/2024,X,1,10\nA2,06/03/2024,Y,2,5\n")
    (tmp_path / "2.csv").write_text(header + "A3,07/03/2024,X,1,10\n")
    (tmp_path / "3.csv").write_text(header + "A4,13/03/2024,Y,1,5\n")
    big = intake_big.ingest_big(tmp_path, kind="orders")
    try:
        frame = big.to_frame()
        assert big.report.read["date_format"] == "day/month/year"
    finally:
        big.close()
    dates = dict(zip(frame["order_id"], frame["order_date"].dt.strftime("%Y-%m-%d")))
    assert dates == {"A1": "2024-03-05", "A2": "2024-03-06", "A3": "2024-03-07", "A4": "2024-03-13"}


def test_folder_with_different_columns_is_refused_by_name(tmp_path):
    (tmp_path / "a.csv").write_text("order_id,order_date,sku,qty,price\nA1,2024-03-05,X,1,10\n")
    (tmp_path / "b.csv").write_text("order_id,order_date,product,qty\nA2,2024-03-06,X,1\n")
    with pytest.raises(InputError) as exc:
        intake_big.ingest_big(tmp_path)
    assert "b.csv" in exc.value.message and "price" in exc.value.message


def test_cli_folder_has_the_keys_of_one_file(fixtures_dir, tmp_path, capsys):
    from ecom_models.cli import main

    (tmp_path / "day1.csv").write_bytes((fixtures_dir / "invoice_style.csv").read_bytes())

    def run(p):
        assert main(["ingest", str(p), "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    folder, single = run(tmp_path), run(fixtures_dir / "invoice_style.csv")
    assert set(folder) == set(single)
    for key in ("rows_in", "rows_usable", "orders", "gross_revenue", "net_revenue", "quirks", "mapping"):
        assert folder[key] == single[key], key


def _zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def test_zip_is_unpacked_safely(fixtures_dir, tmp_path):
    csv = (fixtures_dir / "invoice_style.csv").read_bytes()
    data = _zip({"../../escape.csv": csv, "/abs/day2.csv": csv, "sub/day3.csv": csv, "__MACOSX/._day3.csv": b"x",
                 "readme.exe": b"MZ"}, links=("link.csv",))
    dest = tmp_path / "out"
    got = intake_big.extract_zip(data, dest)
    assert [name for name, _ in got] == ["../../escape.csv", "/abs/day2.csv", "sub/day3.csv"]
    for _, path in got:
        assert path.parent == dest  # never outside the private folder, whatever the member's path
    assert not (tmp_path / "escape.csv").exists() and not (tmp_path.parent / "escape.csv").exists()
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for _, p in got)


def test_zip_bomb_stops_at_the_limit(tmp_path):
    data = _zip({"day.csv": b"order_id,order_date,sku,qty,price\n" + b"A1,2024-03-05,X,1,10\n" * 200_000})
    assert len(data) < 100_000  # compresses ~100x
    with pytest.raises(InputError) as exc:
        intake_big.extract_zip(data, tmp_path / "out", max_bytes=1_000_000)
    assert "limit" in exc.value.message
    with pytest.raises(InputError):
        intake_big.extract_zip(b"not a zip", tmp_path / "out2")


def test_cli_zip_of_daily_exports(fixtures_dir, tmp_path, capsys):
    from ecom_models.cli import main

    src = fixtures_dir / "invoice_style.csv"
    (tmp_path / "days.zip").write_bytes(_zip({"d1/day1.csv": src.read_bytes()}))
    assert main(["ingest", str(tmp_path / "days.zip"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["gross_revenue"] == pytest.approx(intake.summarise_orders(intake.ingest(src).df)["gross_revenue"])
    assert main(["ingest", str(tmp_path / "missing.zip"), "--json"]) == 2  # a clear message, no traceback


def test_peak_memory_does_not_grow_with_the_input(tmp_path):
    """Four times the lines, about the same peak RSS (chunks of 5k lines, fresh processes)."""
    import scale

    peaks = []
    for rows in (20_000, 80_000):
        path = tmp_path / f"inv{rows}.csv"
        scale.make_export(str(path), rows, seed=5)
        code = ("import resource, sys; sys.path.insert(0, %r)\n"
                "from ecom_models.intake import big as intake_big\n"
                "r = intake_big.ingest_big(%r, chunk_rows=5000, memory_limit='200MB'); r.summary(); r.close()\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (ROOT, str(path))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        peaks.append(int(out.stdout.split()[-1]) / 1024)
    assert peaks[1] < peaks[0] * 1.3 + 30, peaks
