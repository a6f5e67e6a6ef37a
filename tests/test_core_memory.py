"""Freed memory goes back to the system (ecom_models.core.memory): a server's resident memory must not
keep what a page run freed. Run in a fresh interpreter so other tests' heaps do not blur the figures."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from ecom_models.core import memory

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 1e6

chunks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]  # ~200 MB in 2 kB pieces
keep = [bytes(2000) for _ in range(10)]  # allocated after them: the heap's top cannot shrink by itself
high = rss_mb()
del chunks
freed = rss_mb()
assert memory.release()
print(high, freed, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_hands_freed_pages_back():
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(ROOT))], capture_output=True, text=True,
                         check=True)
    high, freed, trimmed = map(float, out.stdout.split())
    assert freed > high - 50  # glibc kept the pages after the free ...
    assert trimmed < freed - 150  # ... and release() gave them back


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_starts_no_process(monkeypatch):
    # ctypes.util.find_library runs ldconfig in a subprocess: a fork of a 1.5 GB worker after every task
    import subprocess as sp

    from ecom_models.core import memory

    memory.release()  # the library looked up once, here at the latest
    started = []
    monkeypatch.setattr(sp.Popen, "__init__", lambda self, *a, **k: started.append(a) or (_ for _ in ()).throw(OSError))
    for _ in range(3):
        assert memory.release()
    assert memory.limit_arenas(2)
    assert started == []


TRIMMER = """
import gc, sys, time, weakref
sys.path.insert(0, {root!r})
from ecom_models.core import memory

gc.disable()  # as if Python's own thresholds were not reached: only the trimmer may collect
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: reference counting alone never frees it
gone = []
weakref.finalize(a, gone.append, True)
del a, b
assert memory.start_trimmer(0.05)
for _ in range(100):
    if gone:
        break
    time.sleep(0.02)
print(bool(gone))
"""


def test_trimmer_collects_cycles():
    # Streamlit's collection after every script run is off (.streamlit/config.toml): the trimmer's
    # collection is what keeps a long-running server's cyclic garbage from piling up
    out = subprocess.run([sys.executable, "-c", TRIMMER.format(root=str(ROOT))], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_server_config_leaves_collection_to_the_trimmer():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False
