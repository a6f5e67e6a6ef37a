"""Identities bench: what the key to the merchant's own customer ids costs.

    python bench/identities.py [--customers 4300 100000] [--lines 541909]

Prints, per size: collecting the originals on saving (pii.identity_frame on a file of `--lines`
order lines with e-mail ids, phones and names), writing the encrypted key (first save, and a
second upload merged into it), reading it back in a fresh process's first call (decrypt +
decompress, `load_frame`) and from the in-process cache, mapping every line's pseudonym to its own id
(reveal), and the key file's size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecom_models.intake.pii import identity_frame, new_salt, pseudonymise
from ecom_models.workspace import identities as I
from ecom_models.workspace.workspace import Workspace


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run(customers: int, lines: int) -> None:
    rng = np.random.default_rng(0)
    who = rng.integers(0, customers, lines)
    ids = pd.Series([f"buyer{i:06d}@mail-{i % 97}.example" for i in who], dtype="str")
    raw = pd.DataFrame({"Email": ids, "Phone": [f"+44 7700 9{i % 100000:05d}" for i in who],
                        "Billing Name": [f"Jane Doe{'x' * (i % 3)}" for i in who]})
    canonical = pd.DataFrame({"customer_id": ids})
    salt = new_salt()
    frame, t_collect = timed(lambda: identity_frame(canonical, salt, raw, "Email",
                                                    {"Email": "email", "Phone": "phone", "Billing Name": "person_name"}))
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace("bench", folder)
        _, t_first = timed(lambda: I.save_identities(ws, frame))
        _, t_merge = timed(lambda: I.save_identities(ws, frame.assign(phone="+1 415 555 0100")))
        I._cache.clear()
        _, t_load = timed(lambda: I.load_frame(ws))
        _, t_cached = timed(lambda: I.load_frame(ws))
        stored = pseudonymise(ids, salt)
        shown, t_reveal = timed(lambda: I.reveal(ws, stored))
        assert shown.equals(ids.astype(object)) or (shown.to_numpy() == ids.to_numpy()).all()
        size = I.key_path(ws).stat().st_size
        ws.close()
    print(f"{customers:>7,} customers, {lines:,} lines: collect {t_collect:.2f} s, first save {t_first:.2f} s, "
          f"merge {t_merge:.2f} s, load {t_load:.2f} s (cached {t_cached * 1000:.2f} ms), "
          f"reveal {t_reveal:.2f} s, key {size / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, nargs="+", default=[4300, 100_000])
    parser.add_argument("--lines", type=int, default=541_909)
    args = parser.parse_args()
    for n in args.customers:
        run(n, args.lines)


if __name__ == "__main__":
    main()
