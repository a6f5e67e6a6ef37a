"""One bad line costs one line, in every reader path, and the report shows which lines went."""

import subprocess
import sys

import pytest

from ecom_models.intake import ReadInfo, ingest, read_table

REVIEWS = "review_id,product_id,rating,text\n" + "".join(
    f"r{i},p{i % 7},{1 + i % 5},Avis numéro {i}: très bien et merci\n" for i in range(60))


def _damaged(text: str) -> bytes:
    lines = text.encode("utf-8").split(b"\n")
    lines[5] = lines[5][:12] + b"\xff\xfe" + lines[5][12:]  # broken bytes
    lines[8] = b"r7,p7"  # a missing field
    lines[12] = lines[12].replace(b",Avis", b',"Avis')  # a quote that never closes
    return b"\n".join(lines)


def _dropped(result):
    quirk = next(q for q in result.report.quirks if q.key == "malformed_lines")
    return quirk.count, [e["line"] for e in quirk.examples]


def test_reviews_lose_only_the_bad_lines():
    result = ingest(_damaged(REVIEWS), name="reviews.csv", kind="reviews")
    assert result.report.rows_usable == 57
    assert _dropped(result) == (3, [6, 9, 13])
    assert result.df["text"].str.contains("très").all()  # still read as UTF-8, no mojibake


def test_experiment_kind_loses_only_the_bad_lines():
    text = "user_id,variant,converted\n" + "".join(f"u{i},{'AB'[i % 2]},{i % 3 == 0:d}\n" for i in range(80))
    data = text.encode().replace(b"u10,A,0\n", b"u10,A\n").replace(b"u20,A,0", b'u20,"A,0')
    result = ingest(data, name="ab.csv", kind="experiment")
    assert result.report.rows_usable == 78
    assert _dropped(result)[0] == 2


def test_jsonl_damaged_line_is_dropped():
    good = "".join(f'{{"review_id": "r{i}", "rating": 4, "text": "fine {i}"}}\n' for i in range(30))
    data = good.replace('{"review_id": "r3"', '{"review_id": "r3" BROKEN', 1)
    info = ReadInfo(format="")
    df = read_table(data.encode(), name="reviews.jsonl", info=info)
    assert len(df) == 29 and info.bad_lines == 1 and info.dropped[0]["line"] == 4


def test_huge_field_is_read():
    text = "review_id,text\n" + "r1," + "x" * (20 << 20) + "\nr2,short\n"
    df = read_table(text.encode(), name="huge.csv")
    assert len(df) == 2


def test_cli_prints_no_traceback_from_reader_callbacks(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_bytes(_damaged(REVIEWS))
    out = subprocess.run([sys.executable, "-m", "ecom_models", "ingest", str(path), "--kind", "reviews", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr
    import json

    doc = json.loads(out.stdout)
    assert doc["quirks"]["malformed_lines"] == 3
    assert [d["line"] for d in doc["dropped_lines"]] == [6, 9, 13]


@pytest.mark.parametrize("kind", ["orders", "reviews", "experiment", "traffic"])
def test_every_kind_survives_a_truncated_last_line(kind, fixtures_dir):
    files = {"orders": "shopify_export.csv", "reviews": "reviews.csv", "traffic": "traffic.csv"}
    if kind == "experiment":
        data = ("user_id,variant,converted\n" + "".join(f"u{i},{'AB'[i % 2]},{i % 2}\n" for i in range(20))).encode()
    else:
        data = (fixtures_dir / files[kind]).read_bytes()
    cut = data.rstrip(b"\n")
    cut = cut[: cut.rfind(b",")]  # the last line loses its last field
    full = ingest(data, name=f"{kind}.csv", kind=kind).report.rows_in
    result = ingest(cut, name=f"{kind}.csv", kind=kind)
    assert result.report.rows_in == full
