"""The chunked path says what the one-file path says on the same file: broken UTF-8 lines,
implausible dates judged over the whole store, chat conversations split over chunks."""

import pandas as pd
import pytest

from ecom_models import intake
from ecom_models.intake import big as intake_big
from ecom_models.intake.big import store_wide, stream


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


def _both(path, chunk_rows, kind=None):
    """The chunked path's (summary, frame, report) and the one-file path's result, on one file."""
    return (*_big(path, chunk_rows, kind=kind), intake.ingest(path, kind=kind))


def _write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


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
    summary, frame, report, mem = _both(path, chunk_rows=40)
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
    _, frame, report, mem = _both(path, chunk_rows=20)
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
    fmt = stream.file_format(path)
    assert fmt.broken.lines == [3, 4, 40]
    expected = b"\n".join(line for i, line in enumerate(data.split(b"\n"), 1) if i not in (3, 4, 40))
    for size in (1, 7, 64, 1 << 20):
        reader = stream.WithoutBrokenLines(path, fmt.broken)
        got = b""
        while chunk := reader.read(size):
            got += chunk
        reader.close()
        assert got == expected, size


def _orders_with_dates(day_of_line) -> str:
    lines = ["order_id,order_date,sku,qty,price"]
    for i, day in enumerate(day_of_line):
        lines.append(f"B{i // 2},{day},SKU{i % 9},1,{5 + i % 7}.25")
    return "\n".join(lines) + "\n"


def _agree_on_dates(path, chunk_rows, kind=None):
    summary, frame, report, mem = _both(path, chunk_rows=chunk_rows, kind=kind)
    assert report.quirk_counts == mem.report.quirk_counts
    assert report.rows_in == mem.report.rows_in and report.rows_usable == mem.report.rows_usable
    return summary, frame, report, mem


def _implausible(report):
    return next(q for q in report.quirks if q.key == "implausible_dates")


def test_a_clock_reset_in_one_chunk_is_judged_against_the_whole_store(tmp_path):
    # two years of orders; ten lines (five orders) with a reset clock: 2003. They are 3% of their
    # chunk of 300 lines (inside the chunk's own 1st-99th percentile) but 0.8% of the store
    days = [str((pd.Timestamp("2023-01-01") + pd.Timedelta(days=i % 700)).date()) for i in range(1200)]
    days[600:610] = ["2003-06-0%d" % (1 + i % 9) for i in range(10)]
    path = tmp_path / "orders.csv"
    path.write_text(_orders_with_dates(days))
    summary, _, report, mem = _agree_on_dates(path, chunk_rows=300)
    assert report.quirk_counts["implausible_dates"] == 10
    assert summary == intake.summarise_orders(mem.df)
    assert summary["date_min"].startswith("2023")
    q, q_mem = _implausible(report), _implausible(mem.report)
    assert q.examples == q_mem.examples  # the same rows named, with the same values
    assert [e["row"] for e in q.examples] == [602, 603, 604]
    assert q.advice == q_mem.advice and q.label == q_mem.label


def test_a_chunk_of_recent_orders_does_not_flag_an_old_one(tmp_path):
    # five years of orders, not sorted by date: a chunk of 200 lines from one week plus one from
    # 2019 would call 2019 "years away" on its own; the whole store spans 2019-2024
    days = [str((pd.Timestamp("2024-03-01") + pd.Timedelta(days=i % 7)).date()) for i in range(400)]
    days += [str((pd.Timestamp("2019-01-01") + pd.Timedelta(days=3 * i)).date()) for i in range(600)]
    days[20] = "2019-02-02"
    path = tmp_path / "orders.csv"
    path.write_text(_orders_with_dates(days))
    summary, _, report, mem = _agree_on_dates(path, chunk_rows=200)
    assert "implausible_dates" not in report.quirk_counts
    assert summary == intake.summarise_orders(mem.df)


def test_implausible_dates_in_a_folder_name_file_and_row(tmp_path):
    days = [str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=i % 300)).date()) for i in range(900)]
    days[700] = "2011-05-05"
    text = _orders_with_dates(days).splitlines(keepends=True)
    (tmp_path / "a.csv").write_text("".join(text[:451]))
    (tmp_path / "b.csv").write_text(text[0] + "".join(text[451:]))
    _, _, report = _big(tmp_path, chunk_rows=50)
    q = _implausible(report)
    assert q.count == 1 and q.examples[0]["file"] == "b.csv" and q.examples[0]["row"] == 252
    assert q.examples[0]["order_date"] == "2011-05-05"


def test_reviews_keep_their_text_without_an_implausible_date(tmp_path):
    lines = ["review_id,date,rating,text"]
    for i in range(300):
        day = "2005-01-01" if i == 150 else str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=i)).date())
        lines.append(f"R{i},{day},{1 + i % 5},good product number {i}")
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(lines) + "\n")
    _, frame, report, mem = _agree_on_dates(path, chunk_rows=30, kind="reviews")
    assert report.quirk_counts["implausible_dates"] == 1
    assert frame["date"].isna().sum() == mem.df["date"].isna().sum() == 1
    assert len(frame) == len(mem.df) == 300


def _chat_export(n_conversations=60, interleave=True, missing_every=0) -> pd.DataFrame:
    rows = []
    t0 = pd.Timestamp("2026-03-01 09:00")
    for c in range(n_conversations):
        start = t0 + pd.Timedelta(minutes=7 * c)
        msgs = [("bot", "Hi! How can I help?"), ("customer", f"where is my order {1000 + c}?"),
                ("agent", "Let me check"), ("customer", "thanks")][: 2 + c % 3]
        for m, (sender, text) in enumerate(msgs):
            rows.append({"conversation_id": f"c{c:03d}", "sender": sender,
                         "timestamp": str(start + pd.Timedelta(minutes=3 * m)), "message": text})
    df = pd.DataFrame(rows)
    if interleave:  # exported by time: conversations interleave
        df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    if missing_every:
        df.loc[df.index % missing_every == 5, "conversation_id"] = ""
    return df


def _same_tickets(frame, mem_df):
    cols = ["ticket_id", "text", "messages", "created_at", "resolution_minutes", "customer_id", "channel"]
    pd.testing.assert_frame_equal(frame[cols].reset_index(drop=True), mem_df[cols].reset_index(drop=True),
                                  check_dtype=False)


def test_chats_split_over_chunks_are_grouped_whole(tmp_path):
    path = tmp_path / "chats.csv"
    _chat_export(missing_every=23).to_csv(path, index=False)
    _, frame, report, mem = _both(path, chunk_rows=17)
    assert report.kind == mem.kind == "support"
    _same_tickets(frame, mem.df)
    assert report.quirk_counts == mem.report.quirk_counts
    assert report.rows_in == mem.report.rows_in and report.rows_usable == mem.report.rows_usable
    without = next(q for q in report.quirks if q.key == "messages_without_conversation")
    assert without.examples == next(q for q in mem.report.quirks if q.key == "messages_without_conversation").examples
    assert frame["ticket_id"].str.startswith("row-").sum() == without.count


def test_chats_in_daily_files_are_grouped_across_files(tmp_path):
    df = _chat_export(40)
    half = len(df) // 2
    df.iloc[:half].to_csv(tmp_path / "day1.csv", index=False)
    df.iloc[half:].to_csv(tmp_path / "day2.csv", index=False)
    whole = tmp_path / "whole.csv"
    df.to_csv(whole, index=False)
    _, frame, report = _big([tmp_path / "day1.csv", tmp_path / "day2.csv"], chunk_rows=9)
    mem = intake.ingest(whole)
    _same_tickets(frame, mem.df)
    assert report.quirk_counts == mem.report.quirk_counts


def test_tickets_without_ids_stay_unique_over_chunks(tmp_path):
    path = _write_lines(tmp_path / "tickets.csv", ["created,message"] + [
        f"2026-03-{1 + i % 28:02d} 10:00,ticket text {i} about my refund" for i in range(50)])
    _, frame, _, mem = _both(path, chunk_rows=8, kind="support")
    assert frame["ticket_id"].is_unique and list(frame["ticket_id"]) == list(mem.df["ticket_id"])


def test_times_are_shown_in_the_whole_stores_time_zone(tmp_path):
    # winter orders at +01:00, more summer orders at +02:00: the one-file path shows every time at
    # +02:00 (the column's most common offset); a chunk of winter orders alone would keep +01:00
    lines = ["order_id,created_at,sku,qty,price"]
    for i in range(240):
        if i < 100:
            stamp = f"2024-01-{1 + i % 28:02d} 23:{i % 60:02d}:00 +01:00"
        else:
            stamp = f"2024-06-{1 + i % 28:02d} 10:{i % 60:02d}:00 +02:00"
        lines.append(f"T{i},{stamp},SKU{i % 5},1,9.99")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    summary, frame, report, mem = _agree_on_dates(path, chunk_rows=50)
    assert list(frame["order_date"]) == list(mem.df["order_date"])
    assert frame["order_date"].iloc[0] == pd.Timestamp("2024-01-02 00:00")  # 23:00 +01:00 at +02:00
    assert report.quirk_counts["dates_with_timezone"] == 240
    assert summary == intake.summarise_orders(mem.df)


def test_files_from_a_zip_are_named_as_in_the_zip(tmp_path):
    import io
    import zipfile

    from ecom_models.core.errors import InputError

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("march/day1.csv", _orders_text(30))
        zf.writestr("march/day2.csv", _break_lines(_orders_text(30).replace("A", "B").encode(), (6,)))
    unpacked = intake_big.extract_zip(buf.getvalue(), tmp_path / "out")
    _, _, report = _big(unpacked, chunk_rows=10)
    q = _malformed(report)
    assert q.examples[0]["file"] == "march/day2.csv" and q.examples[0]["line"] == 6

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("march/day1.csv", _orders_text(30))
        zf.writestr("march/day2.csv", "order_id,order_date,product\nA1,2024-03-01,X\n")
    unpacked = intake_big.extract_zip(buf.getvalue(), tmp_path / "out2")
    with pytest.raises(InputError) as exc:
        intake_big.ingest_big(unpacked)
    assert exc.value.file == "march/day2.csv"


def test_text_month_dates_are_read_and_iso_dates_are_not_called_ambiguous(tmp_path):
    # "March 5, 2024" does not match day/month/year: it used to be taken for it and left unread
    lines = ["order_id,order_date,sku,qty,price"] + [f"M{i},March {1 + i % 28}, 2024,S{i % 4},1,3.50" for i in range(40)]
    lines = [ln.replace(", 2024", " 2024") for ln in lines]  # no comma inside the date: one CSV field
    path = tmp_path / "text_dates.csv"
    path.write_text("\n".join(lines) + "\n")
    mem = intake.ingest(path)
    assert mem.report.rows_usable == 40 and "unreadable_dates" not in mem.report.quirk_counts
    _, frame, report = _big(path, chunk_rows=15)
    assert list(frame["order_date"]) == list(mem.df["order_date"])

    iso = tmp_path / "iso.csv"
    iso.write_text(_orders_text(60))
    _, _, report = _big(iso, chunk_rows=20)
    assert not any("day-first" in n for n in report.notes)
    assert report.notes == intake.ingest(iso).report.notes


def test_whole_column_decisions_are_the_whole_stores(tmp_path):
    # discounts in money: the first 60 lines only have 0.50 off (a chunk alone would take them for
    # 50% rates), later lines 5.00 off
    lines = ["order_id,order_date,sku,qty,price,discount"]
    for i in range(180):
        off = "0.50" if i < 60 else ("5.00" if i % 3 == 0 else "0")
        lines.append(f"D{i // 2},2024-04-{1 + i % 28:02d},S{i % 6},1,20.00,{off}")
    path = tmp_path / "discounts.csv"
    path.write_text("\n".join(lines) + "\n")
    summary, frame, report, mem = _agree_on_dates(path, chunk_rows=60)
    assert summary == intake.summarise_orders(mem.df)
    assert not any(n.startswith("Discount was given as a rate") for n in report.notes)
    assert frame["discount"].tolist() == mem.df["discount"].tolist()

    # ratings out of 100: one chunk's best is 90, the store's 100
    lines = ["review_id,date,rating,text"] + [
        f"R{i},2024-05-{1 + i % 28:02d},{(i % 9 + 1) * 10 if i < 50 else (i % 10 + 1) * 10},review text {i}"
        for i in range(150)]
    path = tmp_path / "reviews.csv"
    path.write_text("\n".join(lines) + "\n")
    _, frame, report, mem = _agree_on_dates(path, chunk_rows=50, kind="reviews")
    assert frame["rating"].tolist() == mem.df["rating"].tolist()

    # a day of cancellations only (C + 4 digits) among numeric invoice numbers
    lines = ["InvoiceNo,InvoiceDate,StockCode,Quantity,UnitPrice"]
    lines += [f"{5000 + i},2024-06-{1 + i % 28:02d},S{i % 5},2,3.00" for i in range(60)]
    lines += [f"C{5000 + i},2024-06-29,S{i % 5},-2,3.00" for i in range(30)]
    path = tmp_path / "invoices.csv"
    path.write_text("\n".join(lines) + "\n")
    summary, frame, report, mem = _agree_on_dates(path, chunk_rows=30)
    assert report.quirk_counts["cancellations"] == 30
    assert summary == intake.summarise_orders(mem.df)


def test_store_percentiles_are_pandas_percentiles():
    import duckdb
    import numpy as np

    from ecom_models.core import dates

    rng = np.random.default_rng(4)
    con = duckdb.connect()
    for n in (20, 21, 250, 4001):
        stamps = pd.Series(pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 400, n) * 3_600_000_123, unit="us"))
        stamps = stamps.astype("datetime64[us]")
        con.execute("CREATE OR REPLACE TABLE _dates (c INTEGER, d TIMESTAMP, n BIGINT)")
        for c, start in enumerate(range(0, n, n // 3 + 1)):  # three chunks, repeated timestamps
            store_wide.date_collector(con, c)(stamps.iloc[start:start + n // 3 + 1])
        bounds, _ = store_wide.store_bulk(con)
        assert bounds == dates.bulk_bounds(stamps), n


def test_chat_times_use_the_whole_stores_time_zone(tmp_path):
    df = _chat_export(50)
    stamps = pd.to_datetime(df["timestamp"])
    # the first conversations in winter (+01:00), most in summer (+02:00)
    df["timestamp"] = [str(t.replace(month=1)) + " +01:00" if i < 40 else str(t.replace(month=6)) + " +02:00"
                       for i, t in enumerate(stamps)]
    path = tmp_path / "chats.csv"
    df.to_csv(path, index=False)
    _, frame, report, mem = _both(path, chunk_rows=12)
    _same_tickets(frame, mem.df)


def test_the_same_reviews_exported_twice_count_once(tmp_path):
    lines = ["review_id,date,rating,text"] + [f"R{i},2024-02-{1 + i % 28:02d},{1 + i % 5},review number {i}"
                                              for i in range(40)]
    (tmp_path / "week1.csv").write_text("\n".join(lines[:31]) + "\n")
    (tmp_path / "week2.csv").write_text("\n".join([lines[0]] + lines[21:]) + "\n")  # ten reviews in both
    whole = tmp_path / "whole.csv"
    whole.write_text("\n".join(lines[:31] + lines[21:]) + "\n")
    _, frame, report = _big([tmp_path / "week1.csv", tmp_path / "week2.csv"], chunk_rows=7, kind="reviews")
    mem = intake.ingest(whole, kind="reviews")
    assert report.quirk_counts["duplicate_reviews"] == mem.report.quirk_counts["duplicate_reviews"] == 10
    assert len(frame) == len(mem.df) == report.rows_usable == 40
    assert sorted(frame["text"]) == sorted(mem.df["text"])


def test_a_stray_quote_costs_its_line_only(tmp_path):
    # the quote opened on line 11 used to swallow every following line of the chunked read
    lines = _orders_text(3000).splitlines()
    lines[10] = lines[10].replace(",Crème", ',"Crème', 1)
    lines[2500] = lines[2500].replace(",Crème", ',"Crème', 1)
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    summary, frame, report, mem = _both(path, chunk_rows=400)
    assert report.rows_in == mem.report.rows_in == 3000
    assert report.rows_usable == mem.report.rows_usable == 2998
    assert [e["line"] for e in _malformed(report).examples] == [e["line"] for e in _malformed(mem.report).examples] == [11, 2501]
    assert summary == intake.summarise_orders(mem.df)


def test_damaged_json_lines_and_a_broken_header_agree(tmp_path):
    records = [f'{{"order_id": "J{i}", "order_date": "2024-05-{1 + i % 28:02d}", "sku": "S{i % 3}", "qty": 1, "price": 4.5}}'
               for i in range(30)]
    records[7] = records[7][:25]  # a truncated line
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(records) + "\n")
    _, _, report, mem = _both(path, chunk_rows=10)
    assert report.rows_in == mem.report.rows_in == 30 and report.quirk_counts == mem.report.quirk_counts
    assert _malformed(report).examples == _malformed(mem.report).examples[:3]

    text = _orders_text(50).encode()
    path = tmp_path / "header.csv"
    path.write_bytes(text.replace(b"product", b"prod\xe8uct", 1))  # broken bytes in the column names
    _, frame, report, mem = _both(path, chunk_rows=20)
    assert report.rows_usable == mem.report.rows_usable == 50  # the header is kept on both paths
    assert list(frame["product_name"]) == list(mem.df["product_name"])


def test_a_stray_quote_running_on_past_a_block_costs_its_line_only(tmp_path):
    # no other quote in the next 8 MB: Arrow gave up on the whole file ("straddles two blocks")
    n = 300_000
    body = "".join(f"K{i},2024-03-{1 + i % 28:02d},SKU{i % 50},1,2.50\n" for i in range(n))
    lines = body.splitlines(keepends=True)
    lines[1000] = lines[1000].replace(",SKU", ',"SKU', 1)
    path = tmp_path / "orders.csv"
    path.write_text("order_id,order_date,sku,qty,price\n" + "".join(lines))
    assert path.stat().st_size > 9_000_000
    summary, _, report = _big(path, chunk_rows=100_000)
    assert report.rows_in == n and report.rows_usable == n - 1
    assert [e["line"] for e in _malformed(report).examples] == [1002]
    assert summary["orders"] == n - 1


def test_a_stray_quote_in_the_first_rows_is_repaired_in_the_sample_too(tmp_path):
    lines = _orders_text(100).splitlines()
    lines[2] = lines[2].replace(",Crème", ',"Crème', 1)
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    sample, kind = intake_big.peek([path])  # what the Data page shows first: no exception
    assert kind == "orders" and len(sample) == 99
    _, _, report = _big(path, chunk_rows=30)
    assert report.rows_usable == 99 and [e["line"] for e in _malformed(report).examples] == [3]


def test_reviews_without_ids_are_compared_as_whole_rows(tmp_path):
    # the same short text under two labels is two reviews; the same row twice is one
    path = _write_lines(tmp_path / "reviews.csv", ["label,review"] + [f"{i % 2},tasty {i % 15}" for i in range(60)])
    _, frame, report, mem = _both(path, chunk_rows=10, kind="reviews")
    assert report.quirk_counts == mem.report.quirk_counts and report.quirk_counts["duplicate_reviews"] == 30
    assert len(frame) == len(mem.df) == 30 and sorted(frame["text"]) == sorted(mem.df["text"])
