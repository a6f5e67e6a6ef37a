"""The workspace shared by real processes: SIGKILL at any moment, two saves at once, a busy file.

Each case runs `python -m ecom_models ingest FILE --save` as its own process, as a scheduler would.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecom_models.demo.store import demo_store

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "ecom_models", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def _start(*args, env):
    return subprocess.Popen([sys.executable, "-m", "ecom_models", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _listing(env, check_data: bool = False) -> dict:
    """What `workspace list` shows (read in this process, to keep the test fast), and with
    check_data, every listed dataset loaded in full."""
    from ecom_models.workspace.workspace import Workspace

    ws = Workspace(env["ECOM_WORKSPACE"], env["ECOM_WORKSPACE_DIR"])
    try:
        infos = ws.datasets()
        if check_data:
            for info in infos:
                assert len(ws.load_dataset(info.id)) == info.rows
        return {d.name: {"rows": d.rows, "content_hash": d.content_hash} for d in infos}
    finally:
        ws.close()


def _held_by_other(lock_path: Path) -> bool:
    if not lock_path.exists():
        return False
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@pytest.fixture(scope="module")
def orders_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    orders = demo_store().orders
    small, big = folder / "earlier.csv", folder / "today.csv"
    orders.head(3000).to_csv(small, index=False)
    orders.head(30000).to_csv(big, index=False)
    return small, big


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ, ECOM_WORKSPACE_DIR=str(tmp_path / "ws"), ECOM_WORKSPACE="shop")
    e.pop("ECOM_DEBUG", None)
    return e


def test_sigkill_at_six_moments_never_breaks_the_workspace(orders_files, env, tmp_path):
    small, big = orders_files
    first = _cli("ingest", str(small), "--save", "--as", "earlier", "--json", env=env)
    assert first.returncode == 0, first.stderr
    earlier = _listing(env)["earlier"]
    lock = tmp_path / "ws" / "shop.duckdb.lock"

    # A clean run first: how long the child holds the workspace, from its first lock to its exit.
    proc = _start("ingest", str(big), "--save", "--as", "victim", "--json", env=env)
    while not _held_by_other(lock) and proc.poll() is None:
        time.sleep(0.002)
    started = time.monotonic()
    proc.communicate(timeout=120)
    held = time.monotonic() - started
    assert proc.returncode == 0
    full_rows = _listing(env)["victim"]["rows"]

    # Six kills spread over the save. On a busy machine a run can finish sooner than the clean one
    # did, so a kill that came after the exit is retried earlier (the invariant is checked every time).
    killed, attempts = 0, 0
    fractions = [0.05, 0.25, 0.45, 0.65, 0.8, 0.95]
    while fractions and attempts < 14:
        fraction = fractions[0]
        attempts += 1
        proc = _start("ingest", str(big), "--save", "--as", "victim", "--json", env=env)
        while not _held_by_other(lock) and proc.poll() is None:
            time.sleep(0.002)
        time.sleep(held * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        listed = _listing(env, check_data=True)
        assert listed["earlier"] == earlier, fraction
        assert listed["victim"]["rows"] == full_rows, fraction  # the old copy or the new one, never half of one
        if proc.returncode == -signal.SIGKILL:
            killed += 1
            fractions.pop(0)
        else:  # it had finished: aim earlier next time
            fractions[0] = fraction * 0.7
    assert killed >= 5  # the kills landed while the save was running, not after it
    listing = _cli("workspace", "list", "--json", env=env)
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    assert {d["name"] for d in json.loads(listing.stdout)["datasets"]} == {"earlier", "victim"}


def test_two_saves_at_once_both_land(orders_files, env):
    small, big = orders_files
    a = _start("ingest", str(big), "--save", "--as", "a", "--json", env=env)
    b = _start("ingest", str(small), "--save", "--as", "b", "--json", env=env)
    for proc in (a, b):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert json.loads(out)["saved"]["rows"] > 0
    listed = _listing(env)
    assert {"a", "b"} <= set(listed)


def test_busy_workspace_waits_then_exits_2(orders_files, env, tmp_path):
    from ecom_models.workspace.lock import FileGate

    small, _ = orders_files
    assert _cli("ingest", str(small), "--save", "--json", env=env).returncode == 0
    gate = FileGate(tmp_path / "ws" / "shop.duckdb")
    with gate.exclusive():  # another program holding the workspace for longer than the timeout
        started = time.monotonic()
        out = _cli("ingest", str(small), "--save", "--as", "late", "--json", env=dict(env, ECOM_WORKSPACE_TIMEOUT="1"))
        waited = time.monotonic() - started
    assert out.returncode == 2
    assert "workspace busy" in out.stderr and "Traceback" not in out.stderr
    assert waited < 30
    assert "late" not in _listing(env)
