"""Benchmark: the Karta page — map payload, domain time, server rerun and browser render.

Run:  python benchmarks/karta.py [--runs 5]
Needs Debian's chromium for the browser figure. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import startup  # noqa: E402  (the server and browser helpers)


def payload_and_domain() -> None:
    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.config import Config
    from lagesbild.geo import groupings, layers
    from lagesbild.present import maps
    from lagesbild.store import ingest
    from lagesbild.views import areas as area_views
    from lagesbild.views import source

    cfg = Config.from_env()
    engine = ingest.open_store(cfg)
    measure = cfg.catalogue.measure("orosanmalningar")
    counts = source.counts(engine, cfg, measure)
    population = store.read_population(engine)
    layer = layers.read_layer(cfg.shapes)
    postorter = dict(zip(layer["postnummer"], layer["postort"].fillna("")))
    grouping = groupings.load_grouping(cfg.omraden)
    latest = aggregate.latest_complete_month(counts)
    for level in ("postnummer", "omrade"):
        t = time.perf_counter()
        shown = area_views.display_layer(layer, level, grouping)
        t_layer = time.perf_counter() - t
        times = []
        for _ in range(5):
            t = time.perf_counter()
            v = area_views.view(cfg, counts, population, measure, "rullande", f"{latest:%Y-%m}",
                           "per_1000", level, aggregate.Filters(), shown, postorter, grouping)
            deck = maps.FrozenDeck(maps.deck(v.coloured, shown.bounds, "Per 1 000", "Antal",
                                             layers.outline_geojson(layer), key=shown.key))
            times.append(time.perf_counter() - t)
        size = len(deck.to_json().encode())
        print(f"{level}: map payload (deck JSON) {size / 1024:.0f} KB; display layer built "
              f"once in {t_layer:.2f} s; table + colours + deck median "
              f"{statistics.median(times):.3f} s")


def server_reruns(runs: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    t = time.perf_counter()
    at.switch_page("app_pages/karta.py").run()
    print(f"Karta, first server-side run (builds its caches): {time.perf_counter() - t:.2f} s")
    times = []
    for i in range(runs):
        t = time.perf_counter()
        at.selectbox(key="varde").set_value("antal" if i % 2 == 0 else "per_1000").run()
        times.append(time.perf_counter() - t)
    print(f"Karta, server-side rerun after changing what the map shows: median "
          f"{statistics.median(times):.3f} s, max {max(times):.3f} s")


def browser_render(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    env = dict(os.environ)
    proc, url = startup._start(env)
    try:
        startup._wait_health(url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=startup.CHROMIUM, args=startup.ARGS)
            times = []
            for _ in range(runs + 1):
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                t = time.perf_counter()
                page.goto(f"{url}/karta")
                page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(
                    timeout=120_000)
                page.get_by_text("trattens kanter", exact=False).wait_for(timeout=120_000)
                startup._wait_idle(page)
                times.append(time.perf_counter() - t)
                page.close()
            browser.close()
        print(f"Karta in Chromium, request -> map and funnel drawn: first {times[0]:.2f} s, "
              f"then median {statistics.median(times[1:]):.2f} s")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    os.environ.update({"HOME": str(tmp),
                       "LAGESBILD_DB_URL": f"sqlite:///{tmp / 'bench.sqlite'}"})
    payload_and_domain()
    server_reruns(args.runs)
    if Path(startup.CHROMIUM).exists():
        browser_render(args.runs)


if __name__ == "__main__":
    main()
