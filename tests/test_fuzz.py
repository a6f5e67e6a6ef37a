"""Seeded fuzzing: mangled exports into every reader and command. Nothing may raise a traceback;
each command answers with exit status 0 (a result) or 2 (a clear message) in bounded time.

The longer run (100 mangled files, real processes) is bench/fuzz.py.
"""

import contextlib
import io
import time

import numpy as np
import pytest

from ecom_models.cli import main
from ecom_models.core.errors import InputError
from ecom_models.demo.fuzz import MANGLERS, mangle, seed_files
from ecom_models.intake import KINDS, ReadInfo, ingest, read_table

SEED = 17
MAX_SECONDS = 90


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return seed_files(tmp_path_factory.mktemp("seed"), rows=300)


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--json"])
    return code, err.getvalue(), time.perf_counter() - started


def _check(argv, what):
    code, err, seconds = _cli(argv)
    assert code in (0, 2), f"{what}: exit {code}: {err[-500:]}"
    assert "Traceback" not in err and "Exception ignored" not in err and "unexpected problem" not in err, f"{what}: {err[-500:]}"
    assert seconds < MAX_SECONDS, f"{what}: {seconds:.0f} s"
    if code == 2:
        assert err.startswith("error: "), f"{what}: {err[-300:]}"  # a message, not a dump
    return code


def test_every_reader_survives_every_mangler(seeds, tmp_path):
    rng = np.random.default_rng(SEED)
    outcomes = {}
    for kind in KINDS:
        data = seeds[kind].read_bytes()
        for how in MANGLERS:
            damaged, _ = mangle(data, rng, how)
            for suffix in (".csv", ".jsonl") if how in ("flip_bytes", "truncate") else (".csv",):
                name = f"{kind}-{how}{suffix}"
                try:
                    info = ReadInfo(format="")
                    raw = read_table(damaged, name=name, info=info)
                    result = ingest(raw, kind=kind, name=name, read_info=info)
                    outcomes[name] = result.report.rows_usable
                except InputError as exc:
                    assert name in exc.message or exc.file is None or exc.file == name
                    outcomes[name] = "refused"
    # one bad line costs one line: mild damage leaves most rows usable
    for kind in KINDS:
        for how in ("stray_bom", "bad_quotes", "wrong_field_count", "blank_lines", "impossible_dates"):
            assert outcomes[f"{kind}-{how}.csv"] != "refused", f"{kind}-{how}"


def test_every_command_answers_mangled_files(seeds, tmp_path):
    rng = np.random.default_rng(SEED + 1)

    def damaged(kind, how=None):
        data, how = mangle(seeds[kind].read_bytes(), rng, how)
        path = tmp_path / f"{kind}-{how}-{rng.integers(1 << 30)}.csv"
        path.write_bytes(data)
        return str(path), how

    for kind in KINDS:
        for how in MANGLERS:
            path, _ = damaged(kind, how)
            _check(["ingest", path], f"ingest {kind} {how}")
    for how in ("flip_bytes", "bad_quotes", "impossible_dates", "truncate", "binary"):
        path, _ = damaged("experiment", how)
        _check(["abtest", path], f"abtest {how}")
    for how in ("impossible_dates", "wrong_field_count", "huge_field"):
        path, _ = damaged("orders", how)
        _check(["anomalies", path, "--level", "daily"], f"anomalies daily {how}")
        _check(["recommend", path, "--no-deep"], f"recommend {how}")
    path, _ = damaged("orders", "impossible_dates")  # the forecast that once never finished
    _check(["forecast", path, "--horizon", "7"], "forecast impossible_dates")
    path, _ = damaged("orders", "stray_bom")
    _check(["anomalies", path], "anomalies order stray_bom")
    for how in ("flip_bytes", "bad_quotes"):
        path, _ = damaged("reviews", how)
        _check(["sentiment", path, "--no-fine-tune"], f"sentiment {how}")
    path, _ = damaged("support", "wrong_field_count")
    _check(["support", path], "support wrong_field_count")
    for how in ("bad_quotes", "truncate"):
        path, _ = damaged("orders", how)
        _check(["ingest", path, "--save", "--as", how], f"ingest --save {how}")
    _check(["workspace", "list"], "workspace list")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(mangle(seeds["orders"].read_bytes(), rng, "binary")[0])
    assert _check(["workspace", "import", str(junk), "--as", "junk"], "workspace import junk") == 2


def test_images_command_answers_damaged_photos(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(SEED + 2)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, format="PNG")
        good = buf.getvalue()
        (folder / f"good{i}.png").write_bytes(good)
        (folder / f"bad{i}.jpg").write_bytes(mangle(good, rng, ("flip_bytes", "truncate", "binary")[i])[0])
    _check(["images", str(folder)], "images")


def test_binary_formats_damaged_are_refused_cleanly(seeds):
    import pandas as pd

    df = pd.read_csv(seeds["orders"], dtype=str).head(150)
    parquet, excel = io.BytesIO(), io.BytesIO()
    df.to_parquet(parquet)
    df.to_excel(excel, index=False)
    rng = np.random.default_rng(SEED + 3)
    for name, data in (("orders.parquet", parquet.getvalue()), ("orders.xlsx", excel.getvalue())):
        for i in range(40):
            damaged, how = mangle(data, rng, ("flip_bytes", "truncate", "binary", "stray_bom")[i % 4])
            try:
                info = ReadInfo(format="")
                ingest(read_table(damaged, name=name, info=info), name=name, read_info=info)
            except InputError:
                pass  # a damaged workbook or Parquet file cannot be read in part: a clear refusal is right
