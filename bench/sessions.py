"""Load bench: N people on one server. Starts the app on the demo store, drives N headless
Chromium sessions at once through every page, and prints:

- per page, the median and worst first visit (seconds from navigation until the page is drawn:
  no spinner, no progress bar, the script idle);
- the health check's latency (GET /_stcore/health every 0.5 s: max and p95);
- the peak memory of the server with its worker processes (sum of PSS over the process tree,
  read from /proc), and
- every time-out or exception.

With --after-save: one session saves 3,000 demo reviews and 2,000 demo tickets on the Data page
(as a merchant would) and times the first visit to Reviews and to Customer service right after
each save (issue 24: 20 s at most each).

Usage: python bench/sessions.py [--sessions/--n 1 3 5] [--root DIR] [--timeout 240] [--after-save] [--every 0.5]
                               [--walks 1] [--shared-session]
`--shared-session` starts the server as a child of the browsers' driver, as a harness might; the app then
moves itself to a session of its own (ecom_models.core.process) unless ECOM_OWN_SESSION=0 is set.
`--root` runs another checkout's app.py (e.g. the main branch, for a "before" figure); each run
gets its own fresh workspace folder. Say how busy the machine was: `uptime` is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

PAGES = ["/", "/data", "/recommendations", "/reviews", "/images", "/risk", "/customers", "/forecast", "/customer_service",
         "/ab_tests", "/business_value"]

# a page's main result (not a progress message): its first visit ends when this text shows (and no
# spinner); pages not listed end when the script is idle with no spinner and no progress bar
MARKERS = {"/recommendations": "Which model wins", "/reviews": "Reviews read", "/images": "Photos that break a rule",
           "/risk": "Orders scored", "/forecast": "Your forecast", "/customer_service": "Tickets read",
           "/business_value": "The business case"}
MARKED_JS = (
    "(text) => [...document.querySelectorAll('[data-testid=\"stMain\"] h1, [data-testid=\"stMain\"] h2,"
    " [data-testid=\"stMain\"] h3, [data-testid=\"stMetricLabel\"]')].some(e => e.innerText.trim().startsWith(text))"
    " && !document.querySelector('[data-testid=\"stSpinner\"]')")
DRAWN_JS = (
    "() => !!document.querySelector('[data-testid=\"stMain\"] h1')"
    " && !document.querySelector('[data-testid=\"stSpinner\"]')"
    " && !document.querySelector('[data-testid=\"stProgress\"]')"
    " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
    " && !['running', 'rerunRequested'].includes(document.querySelector('[data-testid=\"stApp\"]')"
    "        ?.getAttribute('data-test-script-state'))")


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _pss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


class Watch(threading.Thread):
    """Health-check latency and server memory, sampled every `every` seconds (memory at most
    every 0.5 s: reading /proc of the whole tree costs a little)."""

    def __init__(self, url: str, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.url, self.pid, self.health, self.failures, self.peak_mb, self.stop = url, pid, [], 0, 0.0, False
        self.every, self.timeline, self.t0 = every, [], time.perf_counter()

    def run(self):
        last_mem = 0.0
        while not self.stop:
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=30) as r:
                    r.read()
                self.health.append(time.perf_counter() - t)
            except OSError:
                self.failures += 1
                self.health.append(time.perf_counter() - t)
            self.timeline.append((t - self.t0, self.health[-1]))
            if t - last_mem >= 0.5:
                self.peak_mb, last_mem = max(self.peak_mb, _pss_mb(self.pid)), t
            time.sleep(max(0.0, self.every - (time.perf_counter() - t)))


# The health check is also timed from a process of its own: the bench's thread shares a process
# (and its GIL) with five browser drivers, so a slow answer there may be the bench's own delay.
PROBE = """
import sys, time, urllib.request
url, every, out = sys.argv[1], float(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
t0 = time.perf_counter()
while True:
    t = time.perf_counter()
    try:
        urllib.request.urlopen(url + "/_stcore/health", timeout=30).read()
    except OSError:
        pass
    out.write(f"{t - t0:.2f} {time.perf_counter() - t:.4f}\\n")
    time.sleep(max(0.0, every - (time.perf_counter() - t)))
"""


def probe(url: str, every: float, path: Path) -> subprocess.Popen:
    # a session of its own too: in the browsers' session it waits for the CPU behind their threads (Linux
    # shares the CPU per session first), and its own delay read as the server's
    return subprocess.Popen([sys.executable, "-c", PROBE, url, str(every), str(path)], start_new_session=True)


def probed(path: Path) -> list[tuple[float, float]]:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(float(a), float(b)) for a, b in rows]


async def walk(browser, url: str, n: int, timeout_s: float, results: dict, problems: list) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    for path in PAGES:
        started = time.perf_counter()
        try:
            await page.goto(url + path, timeout=timeout_s * 1000)
            await page.wait_for_timeout(700)  # the page's own script run has started
            if path in MARKERS:
                await page.wait_for_function(MARKED_JS, arg=MARKERS[path], timeout=timeout_s * 1000, polling=250)
            else:
                await page.wait_for_function(DRAWN_JS, timeout=timeout_s * 1000, polling=250)
            seconds = time.perf_counter() - started
            if await page.locator('[data-testid="stException"]').count():
                problems.append(f"session {n} {path}: exception: "
                                + (await page.locator('[data-testid="stException"]').first.inner_text())[:200])
            if await page.get_by_text("This app has encountered an error").count():
                problems.append(f"session {n} {path}: app error page")
        except Exception as exc:  # noqa: BLE001 - a time-out is a finding, the walk goes on
            seconds = time.perf_counter() - started
            problems.append(f"session {n} {path}: {type(exc).__name__} after {seconds:.0f} s")
        results.setdefault(path, []).append(seconds)
        print(f"  session {n} {path}: {seconds:.1f} s", file=sys.stderr, flush=True)
    await context.close()


async def drive(url: str, sessions: int, timeout_s: float) -> tuple[dict, list]:
    from playwright.async_api import async_playwright

    results: dict[str, list[float]] = {}
    problems: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        await asyncio.gather(*(walk(browser, url, i, timeout_s, results, problems) for i in range(sessions)))
        await browser.close()
    return results, problems


CONTENT = {"/reviews": "Reviews read", "/customer_service": "Tickets read"}


def _export_files(folder: Path) -> list[tuple[Path, str, str]]:
    from ecom_models.demo.store import demo_store
    from ecom_models.demo.support import demo_support

    reviews, tickets = folder / "reviews_3000.csv", folder / "tickets_2000.csv"
    demo_store().reviews.head(3000).to_csv(reviews, index=False)
    demo_support().tickets.head(2000).to_csv(tickets, index=False)
    return [(reviews, "reviews", "/reviews"), (tickets, "support", "/customer_service")]


async def save_then_visit(url: str, files, timeout_s: float) -> list[str]:
    from playwright.async_api import async_playwright

    lines = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = await (await browser.new_context(viewport={"width": 1400, "height": 1000})).new_page()
        for path, kind, target in files:
            await page.goto(url + "/data")
            await page.locator('.st-key-data_upload input[type="file"]').set_input_files(str(path))
            await page.get_by_role("heading", name=path.name).wait_for(timeout=120_000)
            await page.get_by_role("button", name="Check and save to workspace").click()
            await page.get_by_text(f"Saved {path.name}").wait_for(timeout=120_000)
            started = time.perf_counter()
            await page.goto(url + target)
            await page.wait_for_timeout(700)
            await page.wait_for_function(MARKED_JS, arg=CONTENT[target], timeout=timeout_s * 1000, polling=250)
            seconds = time.perf_counter() - started
            shown = await page.get_by_text(CONTENT[target]).count() > 0  # the analysis, not a message
            lines.append(f"{target:<20} first visit after saving {path.name}: {seconds:.1f} s"
                         + ("" if shown else f" (but '{CONTENT[target]}' is not on the page)"))
        await browser.close()
    return lines


def one(root: Path, sessions: int, timeout_s: float, after_save: bool = False, every: float = 0.5,
        own_session: bool = True, walks: int = 1) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    with streamlit_process(folder, "bench", root=root, log_path=folder / "server.log", start_timeout=120,
                           own_session=own_session) as (
            url, proc, _log):
        watch = Watch(url, proc.pid, every)
        watch.start()
        prober = probe(url, every, folder / "health.txt")
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        if after_save:
            lines = asyncio.run(save_then_visit(url, _export_files(folder), timeout_s))
            watch.stop = True
            print(f"\n== after saving, app from {root}, load avg {load_before:.1f} -> {os.getloadavg()[0]:.1f} ==")
            print("\n".join(lines))
            print(f"peak server memory (PSS, server + workers): {watch.peak_mb:,.0f} MB")
            return
        results, problems = asyncio.run(drive(url, sessions, timeout_s))
        wall = time.perf_counter() - t0
        # later walks: the same pages again on the same server (revisits), to see memory settle, not grow
        peaks, after = [watch.peak_mb], [_pss_mb(proc.pid)]
        for _ in range(walks - 1):
            watch.peak_mb = 0.0
            problems += asyncio.run(drive(url, sessions, timeout_s))[1]
            peaks.append(watch.peak_mb)
            after.append(_pss_mb(proc.pid))
        watch.peak_mb = max(peaks)
        watch.stop = True
        watch.join(5)
        prober.terminate()
        prober.wait(5)
        own = probed(folder / "health.txt")
        health = sorted(watch.health)
        p95 = health[int(0.95 * (len(health) - 1))] if health else float("nan")
        try:  # started in the browsers' session, a server may still have moved to one of its own (core.process)
            moved = not own_session and os.getsid(proc.pid) != os.getsid(0)
        except OSError:
            moved = False
        where = ("its own" if own_session else
                 "the browsers'" + (" (it took one of its own: core.process)" if moved else ""))
        print(f"\n== {sessions} session(s), app from {root}, server in {where} session, load avg {load_before:.1f} -> {os.getloadavg()[0]:.1f},"
              f" walk {wall:.0f} s ==")
        print(f"{'page':<20} {'median s':>9} {'worst s':>8}")
        for path in PAGES:
            values = results.get(path, [])
            if values:
                print(f"{path:<20} {statistics.median(values):>9.1f} {max(values):>8.1f}")
        print(f"health check: max {max(health):.2f} s, p95 {p95:.2f} s over {len(health)} checks"
              f" ({watch.failures} failed, one every {every} s)")
        if own:
            lat = sorted(x for _, x in own)
            print(f"health check from a process of its own: max {lat[-1]:.2f} s, p95 {lat[int(0.95 * (len(lat) - 1))]:.2f} s"
                  f" over {len(lat)} checks; over 1 s at: "
                  + (", ".join(f"{at:.0f}: {x:.2f}" for at, x in own if x > 1.0)[:400] or "none"))
        slow = [(at, s) for at, s in watch.timeline if s > 1.0]
        if slow:
            print("health checks over 1 s (seconds into the walk: latency): "
                  + ", ".join(f"{at:.0f}: {s:.2f}" for at, s in slow[:20]))
        print(f"peak server memory (PSS, server + workers): {watch.peak_mb:,.0f} MB")
        if walks > 1:
            print("per walk, peak / after it (MB): " + ", ".join(f"{p:,.0f} / {a:,.0f}" for p, a in zip(peaks, after)))
        print("problems: " + ("none" if not problems else ""))
        for line in problems:
            print("  - " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", "--n", type=int, nargs="+", default=[1, 3, 5])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--after-save", action="store_true")
    parser.add_argument("--walks", type=int, default=1, help="walks of every page on the same server (memory per walk)")
    parser.add_argument("--shared-session", action="store_true",
                        help="start the server as a child of this bench, in the browsers' session (the CPU is then "
                             "shared among all their threads, as if the five browsers ran inside the server)")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between health checks")
    args = parser.parse_args()
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    if args.after_save:
        one(args.root.resolve(), 1, args.timeout, after_save=True)
        return
    for n in args.sessions:
        one(args.root.resolve(), n, args.timeout, every=args.every, own_session=not args.shared_session,
            walks=args.walks)


if __name__ == "__main__":
    main()
