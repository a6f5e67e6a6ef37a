"""Real-browser helpers: start `streamlit run app.py` on a free port, drive Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ECOM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(workspace_dir: Path, workspace: str = "browser", port: int | None = None,
                     extra_env: dict | None = None, extra_args: tuple[str, ...] = ()):
    """`streamlit run app.py` on a fresh workspace; yields its URL."""
    with streamlit_process(workspace_dir, workspace, port, extra_env, extra_args) as (url, _proc, _log):
        yield url


@contextlib.contextmanager
def streamlit_process(workspace_dir: Path, workspace: str = "browser", port: int | None = None,
                      extra_env: dict | None = None, extra_args: tuple[str, ...] = (), root: Path = ROOT,
                      log_path: Path | None = None, start_timeout: float = 90, own_session: bool = False):
    """Like `streamlit_server`, yielding (url, the server's Popen, its log file's path) for callers
    that watch the process too (bench/sessions.py: its memory). `root`: the checkout whose app.py runs.
    `own_session`: start the server in a session of its own, as an operator's shell or a service
    manager does, instead of as a child of the browsers' driver (Linux then shares the CPU between
    the two groups rather than among all their threads)."""
    port = port or free_port()
    env = dict(os.environ, ECOM_WORKSPACE_DIR=str(workspace_dir), ECOM_WORKSPACE=workspace, **(extra_env or {}))
    env.pop("ECOM_RUNS_INLINE", None)  # a real server runs models in the background
    if Path(root).resolve() != ROOT:  # another checkout's packages, not this one's
        env["PYTHONPATH"] = str(root)
    # The server's output goes to a file: an unread pipe fills up (64 kB of model-run logs) and
    # then blocks the server in the middle of a page run.
    log = open(log_path, "w") if log_path else tempfile.NamedTemporaryFile(
        "w", prefix="streamlit-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", *extra_args],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_session)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("streamlit did not start: " + Path(log.name).read_text(errors="replace")[-20000:])
        yield url, proc, Path(log.name)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit has finished running the script (no spinner, no 'running' widget)."""
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSpinner\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"] [data-testid=\"stStatusWidgetRunningIcon\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
        # the app's own flag (Streamlit 1.67): a page drawing a progress bar has no spinner
        " && !['running', 'rerunRequested'].includes(document.querySelector('[data-testid=\"stApp\"]')"
        "        ?.getAttribute('data-test-script-state'))",
        timeout=timeout_ms)
    page.wait_for_timeout(300)


def uploader(page, key: str):
    """The file input of the `st.file_uploader` created with `key=key`: Streamlit puts the class
    `st-key-<key>` on a keyed widget's container (checked on 1.67), so two uploaders on one page
    are never confused, whatever their order or label."""
    return page.locator(f'.st-key-{key} input[type="file"]')


def upload(page, key: str, *files) -> None:
    """Drop `files` (paths) on the uploader with this key, as a merchant's file dialog would.
    tests/test_uploader_guard.py reads these calls: every uploader's key must appear in one."""
    uploader(page, key).set_input_files([str(f) for f in files])


CRASH_TEXT = "This app has encountered an error"


def assert_no_crash(page) -> None:
    """No Python exception box and no 'app has encountered an error' page."""
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()
    assert page.get_by_text(CRASH_TEXT).count() == 0
