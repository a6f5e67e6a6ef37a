"""The chunked path says what the one-file path says on the same file: broken UTF-8 lines,
implausible dates judged over the whole store, chat conversations split over chunks."""

import pandas as pd
import pytest

from ecom_models import intake, intake_big


def _orders_text(n: int = 300) -> str:
    lines = ["order_id,order_date,product,qty,price"]
    for i in range(n):
        lines.append(f"A{i // 3},2024-03-{1 + i % 28:02d},Crème brûlée {i % 7},{1 + i % 3},{10 + i % 5}.50")
    return "\n".join(lines) + "\n"


def _big(path, chunk_rows, **kw):
    res = intake_big.ingest_big(path, chunk_rows=chunk_rows, **kw)
    try:
        return res.summary() if res.kind == "orders" else None, res.to_frame(), res.report
    finally:
        res.close()


def _malformed(report):
    return next((q for q in report.quirks if q.key == "malformed_lines"), None)


def _break_lines(data: bytes, line_numbers) -> bytes:
    parts = data.split(b"\n")
    for n in line_numbers:  # 1-based, header = 1: a cp1252 byte in a UTF-8 file
        parts[n - 1] = parts[n - 1].replace("è".encode(), b"\xe8", 1)
    return b"\n".join(parts)


def test_utf8_with_a_few_broken_lines_loses_only_those_lines(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(_break_lines(_orders_text().encode(), (8, 121, 251)))
    summary, frame, report = _big(path, chunk_rows=40)
    mem = intake.ingest(path)
    assert report.read["encoding"] == mem.report.read["encoding"] == "utf-8"
    assert set(frame["product_name"]) == set(mem.df["product_name"])  # no mojibake anywhere
    assert all("Crème brûlée" in p for p in frame["product_name"])
    assert report.rows_in == mem.report.rows_in == 300
    assert report.rows_usable == mem.report.rows_usable == 297
    assert report.quirk_counts == mem.report.quirk_counts
    assert [e["line"] for e in _malformed(report).examples] == [8, 121, 251]
    assert _malformed(report).examples == _malformed(mem.report).examples[:3]
    assert summary == intake.summarise_orders(mem.df)


def test_broken_lines_in_a_folder_name_their_file(tmp_path):
    (tmp_path / "day1.csv").write_text(_orders_text(60))
    (tmp_path / "day2.csv").write_bytes(_break_lines(_orders_text(60).replace("A", "B").encode(), (5,)))
    _, frame, report = _big(tmp_path, chunk_rows=25)
    q = _malformed(report)
    assert q.count == 1 and q.examples[0]["file"] == "day2.csv" and q.examples[0]["line"] == 5
    assert len(frame) == 119 and frame["product_name"].str.contains("Crème").all()


def test_windows_1252_file_is_still_read_as_windows_1252(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(_orders_text().encode("cp1252"))
    _, frame, report = _big(path, chunk_rows=40)
    assert report.read["encoding"] == intake.ingest(path).report.read["encoding"] == "cp1252"
    assert frame["product_name"].str.startswith("Crème brûlée").all()
    assert "malformed_lines" not in report.quirk_counts


def test_many_broken_lines_mean_another_encoding(tmp_path):
    # accents written in Windows-1252 on most lines, one real UTF-8 character: not a damaged UTF-8 file
    text = _orders_text(100).encode("cp1252").replace(b"A0,", "A0,€".encode(), 1)
    path = tmp_path / "orders.csv"
    path.write_bytes(text)
    _, _, report = _big(path, chunk_rows=40)
    assert report.read["encoding"] == intake.ingest(path).report.read["encoding"] == "cp1252"


def test_bom_file_with_broken_bytes_is_read_like_the_one_file_path(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _break_lines(_orders_text(90).encode(), (4,)))
    _, frame, report = _big(path, chunk_rows=20)
    mem = intake.ingest(path)
    # a byte-order mark proves UTF-8: the broken line goes on both paths, the rest keeps its accents
    assert report.rows_usable == mem.report.rows_usable == 89
    assert report.read["encoding"] == mem.report.read["encoding"] == "utf-8-sig"
    assert [e["line"] for e in _malformed(report).examples] == [e["line"] for e in _malformed(mem.report).examples] == [4]
    assert sorted(frame["product_name"]) == sorted(mem.df["product_name"])
    assert frame["product_name"].str.startswith("Crème brûlée").all()


def test_reader_skips_broken_ranges_whatever_the_read_size(tmp_path):
    data = _break_lines(_orders_text(50).encode(), (3, 4, 40))
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    fmt = intake_big._file_format(path)
    assert fmt.broken.lines == [3, 4, 40]
    expected = b"\n".join(line for i, line in enumerate(data.split(b"\n"), 1) if i not in (3, 4, 40))
    for size in (1, 7, 64, 1 << 20):
        reader = intake_big._WithoutBrokenLines(path, fmt.broken)
        got = b""
        while chunk := reader.read(size):
            got += chunk
        reader.close()
        assert got == expected, size
