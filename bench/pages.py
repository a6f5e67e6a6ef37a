"""Bench: the app driven in Chromium on a generated invoice export (bench/invoices.py), as a
merchant would: upload and save on the Data page, then open each model page; then restart the
server on the same workspace and open every page again.

Prints, per page, the seconds from navigation until the page's main content is drawn (first
visit, right after saving the data) and after the restart (results read from the workspace's
results store, nothing fitted again), plus the home page's KPIs on a warm server.

With --home-only: the home page alone, on the demo store, N times (--repeat): a fresh server
each time, the seconds from the first request until the KPIs are drawn (cold: the server's
first script run imports everything), then again on the same server (warm).

Usage: python bench/pages.py [--rows 500000] [--port 8590]
       python bench/pages.py --home-only [--repeat 3]
Needs Debian's chromium (/usr/bin/chromium) and playwright. Say how busy the machine was when
quoting the figures: `uptime` is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.invoices import write_invoices  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

# page path -> text that appears once its main result is drawn (not a progress message)
PAGES = {
    "Recommendations": ("/recommendations", "Which model wins"),
    "Risk & anomalies": ("/risk", "Orders scored"),
    "Forecast & what-if": ("/forecast", "Your forecast"),
    "Business value": ("/business_value", "The business case"),
}


def server(folder: Path, port: int):
    return streamlit_server(folder, workspace="bench", port=port, extra_env={"ECOM_MAX_UPLOAD_MB": "2000"},
                            extra_args=("--server.maxUploadSize", "2000"))


def visit(page, url: str, path: str, text: str, timeout_s: float = 600) -> tuple[float, bool]:
    """Seconds until `text` shows; whether the demo store note was on the page."""
    started = time.perf_counter()
    page.goto(url + path)
    page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
    seconds = time.perf_counter() - started
    demo = page.get_by_text("You are looking at the demo store").count() > 0
    return seconds, demo


def home_page(port: int, repeat: int) -> None:
    """Cold (fresh server, first request) and warm (same server, next navigation) home page."""
    import statistics

    from playwright.sync_api import sync_playwright

    print("load before:", os.popen("uptime").read().strip())
    cold, warm = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(repeat):
            with tempfile.TemporaryDirectory() as tmp, server(Path(tmp), port + i) as url:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                cold.append(visit(page, url, "/", "Net revenue")[0])
                warm.append(min(visit(page, url, "/", "Net revenue")[0] for _ in range(3)))
                page.close()
                print(f"run {i + 1}: cold {cold[-1]:5.2f} s   warm {warm[-1]:5.2f} s", flush=True)
        browser.close()
    print("load after:", os.popen("uptime").read().strip())
    print(f"home page KPIs: cold median {statistics.median(cold):.2f} s (max {max(cold):.2f}), "
          f"warm median {statistics.median(warm):.2f} s (max {max(warm):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--port", type=int, default=8590)
    parser.add_argument("--home-only", action="store_true", help="time the home page alone, cold and warm")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.home_only:
        home_page(args.port, args.repeat)
        return
    from playwright.sync_api import sync_playwright

    print("load before:", os.popen("uptime").read().strip())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = str(folder / "invoices.csv")
        write_invoices(csv, args.rows)
        print(f"generated {args.rows:,} invoice lines ({os.path.getsize(csv) / 1e6:.0f} MB)")
        first, again = {}, {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            with server(folder, args.port) as url:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url + "/data")
                page.get_by_text("Drop one or more exports").first.wait_for(timeout=120_000)
                started = time.perf_counter()
                page.locator('input[type="file"]').first.set_input_files(csv)
                page.get_by_role("button", name="Check and save to workspace").click(timeout=300_000)
                page.get_by_text("rows usable").first.wait_for(timeout=600_000)
                print(f"Data page: upload, check and save {time.perf_counter() - started:6.1f} s")
                for name, (path, text) in PAGES.items():
                    first[name] = visit(page, url, path, text)
                    print(f"first visit    {name:20s} {first[name][0]:6.1f} s", flush=True)
                seconds, _ = visit(page, url, "/", "Net revenue")
                seconds, _ = visit(page, url, "/", "Net revenue")  # warm server, second navigation
                print(f"home page KPIs (warm server) {seconds:6.1f} s")
            with server(folder, args.port + 1) as url:  # a restart on the same workspace
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                for name, (path, text) in PAGES.items():
                    again[name] = visit(page, url, path, text)
                    print(f"after restart  {name:20s} {again[name][0]:6.1f} s"
                          + ("  (DEMO STORE shown!)" if again[name][1] else ""), flush=True)
            browser.close()
    print("load after:", os.popen("uptime").read().strip())
    print("\npage                 first visit   after restart")
    for name in PAGES:
        print(f"{name:20s} {first[name][0]:8.1f} s   {again[name][0]:8.1f} s")


if __name__ == "__main__":
    main()
