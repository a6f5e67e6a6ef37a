"""Mangled copies of real-looking exports, for the fuzz test and bench/fuzz.py.

`seed_files(folder)` writes small clean exports of every kind (orders, reviews, A/B test,
traffic) from the demo store; `mangle(data, rng)` returns a damaged copy and the name of
the damage: flipped bytes, truncation, binary noise, stray byte-order marks, bad quotes, a
huge field, impossible dates, a wrong field count, or nothing at all (a control). Every
reader and command must answer a mangled file with a result or a clear message (exit 0 or
2), never a traceback, within a bounded time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MANGLERS = ("flip_bytes", "truncate", "binary", "stray_bom", "bad_quotes", "huge_field", "impossible_dates",
            "wrong_field_count", "blank_lines", "control")


def seed_files(folder: str | Path, rows: int = 400, seed: int = 42) -> dict[str, Path]:
    """Clean exports of each kind: {"orders", "reviews", "experiment", "traffic", "support"}: path."""
    from ecom_models.demo.store import demo_store

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = demo_store(seed)
    orders = store.orders
    # whole days from the last weeks, so forecasts and daily alerts have something to fit
    last = orders["order_date"].max().normalize()
    recent = orders[orders["order_date"] >= last - np.timedelta64(120, "D")]
    step = max(1, len(recent) // rows)
    paths = {
        "orders": folder / "orders.csv",
        "reviews": folder / "reviews.csv",
        "experiment": folder / "experiment.csv",
        "traffic": folder / "traffic.csv",
    }
    recent.iloc[::step].drop(columns=["line_type", "is_duplicate"]).to_csv(paths["orders"], index=False)
    store.reviews.head(rows).to_csv(paths["reviews"], index=False)
    store.experiment.head(rows * 2).to_csv(paths["experiment"], index=False)
    store.traffic.tail(120).to_csv(paths["traffic"], index=False)
    try:  # support tickets (issue 14's kind), where that capability is installed
        from ecom_models.demo.support_synth import messages

        paths["support"] = folder / "support.csv"
        messages(n=rows, seed=seed).to_csv(paths["support"], index=False)
    except ImportError:
        pass
    return paths


def mangle(data: bytes, rng: np.random.Generator, how: str | None = None) -> tuple[bytes, str]:
    how = how or str(rng.choice(MANGLERS))
    lines = data.split(b"\n")
    n = len(lines)

    def some_lines(k):
        return rng.choice(np.arange(1, max(n - 1, 2)), size=min(k, max(n - 2, 1)), replace=False)

    if how == "flip_bytes":
        arr = bytearray(data)
        for pos in rng.integers(0, len(arr), size=max(1, len(arr) // 2000)):
            arr[pos] ^= 1 << int(rng.integers(0, 8))
        return bytes(arr), how
    if how == "truncate":
        return data[: int(rng.integers(1, max(len(data), 2)))], how
    if how == "binary":
        noise = rng.integers(0, 256, size=int(rng.integers(16, 4096)), dtype=np.uint8).tobytes()
        return (noise if rng.random() < 0.5 else data[: len(data) // 2] + noise), how
    if how == "stray_bom":
        for i in some_lines(3):
            lines[i] = b"\xef\xbb\xbf" + lines[i]
        return (b"\xef\xbb\xbf" * int(rng.integers(1, 3))) + b"\n".join(lines), how
    if how == "bad_quotes":
        for i in some_lines(3):
            cut = int(rng.integers(0, max(len(lines[i]), 1)))
            lines[i] = lines[i][:cut] + b'"' + lines[i][cut:]
        return b"\n".join(lines), how
    if how == "huge_field":
        i = int(some_lines(1)[0])
        lines[i] = lines[i] + b"x" * int(rng.integers(1 << 16, 1 << 21))
        return b"\n".join(lines), how
    if how == "impossible_dates":
        text = data.decode("utf-8", errors="replace")
        out = []
        for j, line in enumerate(text.split("\n")):
            if j and rng.random() < 0.02:
                for year in ("2024", "2025", "2026"):
                    line = line.replace(year, str(rng.choice(["5010", "0001", "1900", "9999", "1970"])), 1)
            out.append(line)
        return "\n".join(out).encode("utf-8"), how
    if how == "wrong_field_count":
        for i in some_lines(5):
            lines[i] = lines[i] + b",extra" if rng.random() < 0.5 else lines[i].rsplit(b",", 1)[0]
        return b"\n".join(lines), how
    if how == "blank_lines":
        for i in sorted(some_lines(5), reverse=True):
            lines.insert(int(i), b"" if rng.random() < 0.5 else b",,,,")
        return b"\n".join(lines), how
    return data, "control"
