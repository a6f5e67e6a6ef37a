"""The web server's place among the machine's programs.

Linux (with autogroup scheduling, the default on desktop and many server kernels) shares the CPU
between *sessions* first, then between the processes of each session. A server started as a plain
child of another program (a test harness that also drives five Chromium browsers, a script that
starts the app and then other work) shares that program's one slice of the CPU with all of it: on
a 2-core machine, five browsers used 59% of the CPU and the server's health check waited 2-2.5 s
behind them (docs/speed.md, "Third pass"). Started from a login shell or a service manager, a
server has a session of its own and answered within 1 s under the same load.

`own_session()` gives the server that session when it was started as a child without one:
`os.setsid()`, which creates a new scheduling group. It does nothing

- when the process already leads its process group (started from an interactive shell, a service
  manager, or with `start_new_session`): there is nothing to gain, and setsid would fail;
- when standard input is a terminal: Ctrl-C must keep reaching the server;
- when `ECOM_OWN_SESSION=0`, and off Linux.

The worker processes started afterwards belong to the same new session. The app calls it only in a
`streamlit run` server (`is_streamlit_server`), never in a test runner that runs the pages itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def is_streamlit_server(cmdline: list[str] | None = None) -> bool:
    """True in the process of `streamlit run` (the console script or `python -m streamlit`).

    Read from /proc/self/cmdline, not sys.argv: `streamlit run` rewrites sys.argv to the page
    script's own (["app.py"]) before the app runs."""
    if cmdline is None:
        try:
            cmdline = Path("/proc/self/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            cmdline = list(sys.argv)
    args = [a for a in cmdline if a]
    for i, a in enumerate(args[:-1]):
        if args[i + 1] == "run" and ("streamlit" in Path(a).parts[-2:] or a == "streamlit"):
            return True
    return False


def own_session() -> bool:
    """True when the process moved to a session of its own now."""
    if os.environ.get("ECOM_OWN_SESSION", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        if os.getpgid(0) == os.getpid() or os.isatty(0):
            return False
        os.setsid()
        return True
    except OSError:  # not permitted (a group leader after all), or stdin closed in an unusual way
        return False
