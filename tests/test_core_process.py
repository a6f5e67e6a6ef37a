"""A server started as a plain child of another program takes a session (a CPU share) of its own
(ecom_models.core.process); one that leads its group already, or is switched off, stays put."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = ("import os, sys; sys.path.insert(0, {root!r}); from ecom_models.core.process import own_session; "
        "moved = own_session(); print(moved, os.getsid(0))").format(root=str(ROOT))


def _child(**kwargs):
    out = subprocess.run([sys.executable, "-c", CODE], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         check=True, **kwargs)
    moved, sid = out.stdout.split()
    return moved == "True", int(sid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux sessions and autogroups")
def test_a_plain_child_moves_to_a_session_of_its_own():
    mine = os.getsid(0)
    moved, sid = _child()
    assert moved and sid != mine
    # already leading its group (a shell's job, a service, start_new_session): nothing to do
    moved, sid = _child(start_new_session=True)
    assert not moved
    moved, sid = _child(env=dict(os.environ, ECOM_OWN_SESSION="0"))
    assert not moved and sid == mine


def test_only_a_streamlit_server_counts_as_one():
    from ecom_models.core.process import is_streamlit_server

    assert not is_streamlit_server()  # pytest running pages through AppTest must never leave its session
    # the process's real command line: `streamlit run` rewrites sys.argv to ["app.py"] before the app runs
    assert is_streamlit_server(["/venv/bin/python", "-m", "streamlit", "run", "app.py", "--server.port", "8501"])
    assert is_streamlit_server(["/venv/bin/python", "/venv/bin/streamlit", "run", "app.py"])
    assert is_streamlit_server(["streamlit", "run", "app.py"])
    assert not is_streamlit_server(["/venv/bin/streamlit", "hello"])
    assert not is_streamlit_server(["app.py"])
