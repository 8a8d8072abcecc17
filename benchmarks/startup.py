"""Benchmark: cold start to a rendered Översikt, and the time to re-render after a filter change.

Run:  python benchmarks/startup.py [--runs 3]
Needs Debian's chromium. Prints figures; asserts nothing. The store is built once beforehand
(first-ever start, which also reads the demo files, is timed separately).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def _wait_health(url: str) -> None:
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return
        except OSError:
            time.sleep(0.05)


def _wait_idle(page) -> None:
    """Until the script has finished running (Streamlit shows a status widget while running)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def cold_start(browser, env) -> tuple[float, float]:
    """(server launch → map drawn, first request → map drawn) in seconds."""
    t0 = time.perf_counter()
    proc, url = _start(env)
    try:
        _wait_health(url)
        t1 = time.perf_counter()
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url)
        page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=60_000)
        page.locator('[data-testid="stMetric"]').nth(6).wait_for(timeout=60_000)
        _wait_idle(page)
        t2 = time.perf_counter()
        page.close()
        return t2 - t0, t2 - t1
    finally:
        proc.terminate()
        proc.wait()


def filter_rerun(runs: int) -> list[float]:
    """Server-side time of a rerun after a sidebar filter change (AppTest)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    times = []
    for i in range(runs):
        value = "K" if i % 2 == 0 else "M"
        t = time.perf_counter()
        at.radio(key="kon").set_value(value).run()
        times.append(time.perf_counter() - t)
    return times


def browser_rerun(browser, env, runs: int) -> list[float]:
    """Click a sex filter in the browser and wait until the page is idle again."""
    proc, url = _start(env)
    try:
        _wait_health(url)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url)
        page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(timeout=60_000)
        _wait_idle(page)
        times = []
        for i in range(runs):
            label = "Flickor/kvinnor" if i % 2 == 0 else "Pojkar/män"
            before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            t = time.perf_counter()
            page.get_by_text(label, exact=True).click()
            page.wait_for_function(
                "(b) => document.querySelector('[data-testid=\"stMetricValue\"]')"
                ".innerText !== b", arg=before, timeout=30_000)
            _wait_idle(page)
            times.append(time.perf_counter() - t)
        page.close()
        return times
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "HOME": str(tmp), "LAGESBILD_DB_URL": f"sqlite:///{tmp / 'bench.sqlite'}"}
    os.environ.update(env)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first, _ = cold_start(browser, env)
        print(f"first-ever start (builds the store from demo files): {first:.2f} s")
        colds = [cold_start(browser, env) for _ in range(args.runs)]
        print("cold start, server launch -> Översikt with map drawn: "
              f"median {statistics.median(c[0] for c in colds):.2f} s "
              f"({', '.join(f'{c[0]:.2f}' for c in colds)})")
        print("cold start, first page request -> Översikt with map drawn: "
              f"median {statistics.median(c[1] for c in colds):.2f} s")
        clicks = browser_rerun(browser, env, args.runs * 3)
        print(f"filter change in the browser -> page idle: median "
              f"{statistics.median(clicks):.3f} s ({', '.join(f'{c:.3f}' for c in clicks)})")
        browser.close()
    reruns = filter_rerun(args.runs * 3)
    print(f"filter change, server-side script rerun (AppTest): median "
          f"{statistics.median(reruns):.3f} s, max {max(reruns):.3f} s")


if __name__ == "__main__":
    main()
