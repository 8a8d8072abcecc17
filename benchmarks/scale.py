"""Benchmark: a big city's store (N events over ten years, ~300 postnummer, every measure).

Run:  python benchmarks/scale.py --events 1000000 [--runs 5] [--dir /tmp/scale]

Builds the data set deterministically (seeded), imports it and publishes its 120 months,
then prints every figure of issues 12 and 26 with its goal, its floor and the ratio: the
first start with nothing kept (time and peak memory), a new process's first visit, a filter
change on Översikt and on a measure page beside a one-radio Streamlit app's rerun, 20
concurrent first visits, the first visit after a month is imported and published, the
server's peak memory, ``summary`` for one year beside a process that only imports pandas,
and the command line's import of a month's file beside a process that only reads it with
``pandas.read_excel``. Prints figures; asserts nothing. CPU seconds are the server process's own (/proc), so a
shared machine's load shows in wall time but not in them; the load average is printed too.

The data: the demo's measures (their categories, ages and mix) resampled onto 300 synthetic
postnummer in a square grid (a shapes layer is written for them) and 120 months; one batch
per measure and year, and population for every year. Same seed, same store.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lagesbild import store  # noqa: E402
from lagesbild.config import Config  # noqa: E402
from lagesbild.release import publish  # noqa: E402
from lagesbild.store import ingest  # noqa: E402
from lagesbild.store.write import BatchInfo, write_counts, write_population  # noqa: E402

SEED = 20261130
AREAS = 300
YEARS = range(2016, 2026)
GRID = 1_500  # metres between square areas' corners


def _codes() -> list[str]:
    return [f"{41000 + 5 * i:05d}" for i in range(AREAS)]


def write_shapes(path: Path) -> None:
    """300 square postnummer areas in a grid near Göteborg (EPSG:3006)."""
    import geopandas as gpd
    from shapely.geometry import box

    codes = _codes()
    side = int(np.ceil(np.sqrt(AREAS)))
    x0, y0 = 310_000, 6_390_000
    shapes = [box(x0 + GRID * (i % side), y0 + GRID * (i // side),
                  x0 + GRID * (i % side + 1), y0 + GRID * (i // side + 1))
              for i in range(AREAS)]
    names = [f"Stad {1 + i // 10}" for i in range(AREAS)]
    gpd.GeoDataFrame({"postnummer": codes, "postort": names}, geometry=shapes,
                     crs=3006).to_file(path, driver="GPKG", layer="postnummer")


def _population(rng: np.random.Generator) -> pd.DataFrame:
    """Population by year, postnummer, sex and single year of age 0–99 (about 600 000)."""
    codes = _codes()
    size = rng.lognormal(7.5, 0.5, AREAS)  # people per area, ~2 000 on average
    ages = np.exp(-np.arange(100) / 45.0)
    ages /= ages.sum()
    frames = []
    for year in YEARS:
        grow = 1 + 0.01 * (year - YEARS.start)
        n = rng.poisson(np.outer(size * grow / 2, ages)[:, None, :].repeat(2, axis=1))
        index = pd.MultiIndex.from_product([codes, ["K", "M"], range(100)],
                                           names=["postnummer", "kon", "alder"])
        frames.append(pd.DataFrame({"antal": n.reshape(-1)}, index=index).reset_index()
                      .assign(ar=year))
    return pd.concat(frames, ignore_index=True)[["ar", "postnummer", "kon", "alder", "antal"]]


def _template(cfg: Config, folder: Path) -> dict[str, pd.DataFrame]:
    """The demo's stored counts: what each measure's rows look like and how they mix."""
    demo_cfg = Config(db_url=f"sqlite:///{folder / 'demo.sqlite'}", demo=True)
    engine = ingest.open_store(demo_cfg)
    if store.is_empty(engine):
        ingest.load_demo(engine, demo_cfg)
    frames = {code: store.read_counts(engine, m) for code, m in cfg.catalogue.measures.items()}
    engine.dispose()
    return frames


def _events(template: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """*n* events like the template's (weighted by its counts) in new areas and months."""
    weights = template["antal"].to_numpy(dtype=float)
    rows = template.iloc[rng.choice(len(template), size=n, p=weights / weights.sum())]
    months = pd.date_range(f"{YEARS.start}-01-01", periods=12 * len(YEARS), freq="MS")
    trend = np.linspace(1.0, 1.4, len(months))  # more reports in later years
    out = rows.reset_index(drop=True).assign(
        month=months[rng.choice(len(months), size=n, p=trend / trend.sum())], antal=1)
    if "postnummer" in out and out["postnummer"].notna().any():
        pick = np.asarray(_codes())[rng.choice(AREAS, size=n, p=_area_weights())]
        out["postnummer"] = pd.Categorical(np.where(out["postnummer"].notna(), pick, None))
    keys = [c for c in out.columns if c != "antal"]
    return (out.groupby(keys, dropna=False, observed=True)["antal"].sum().reset_index()
            .query("antal > 0"))


def _area_weights() -> np.ndarray:
    w = np.random.default_rng(SEED + 1).lognormal(0, 0.6, AREAS)
    return w / w.sum()


def build(folder: Path, events: int, db_url: str | None = None) -> tuple[Config, dict]:
    """The store of *events* events in *folder*, or in the database *db_url* (made once: an
    existing one is reused)."""
    shapes = folder / "postnummer.gpkg"
    env = {"LAGESBILD_DB_URL": db_url or f"sqlite:///{folder / 'scale.sqlite'}",
           "LAGESBILD_DEMO": "0",
           "LAGESBILD_SHAPES": str(shapes), "LAGESBILD_OMRADEN": str(folder / "inga.yaml"),
           "LAGESBILD_LOGG": str(folder / "lagesbild.log")}
    os.environ.update(env)
    cfg = Config.from_env()
    engine = ingest.open_store(cfg)
    if store.is_empty(engine):
        _write(engine, cfg, folder, shapes, events)
    # A city's store has its months published, one release a month as they came in.
    started = time.perf_counter()
    done = publish.publish_history(engine, cfg, created_by="benchmark")
    if done:
        print(f"published {len(done)} months in {time.perf_counter() - started:.0f} s")
    return cfg, env


def _write(engine, cfg: Config, folder: Path, shapes: Path, events: int) -> None:
    started = time.perf_counter()
    write_shapes(shapes)
    rng = np.random.default_rng(SEED)
    write_population(engine, _population(rng),
                     BatchInfo("befolkning_skala.csv", "0" * 64, 0, created_by="benchmark"))
    templates = _template(cfg, folder)
    # The mix: each measure's share of the demo's stored rows (its events, for event-level
    # measures; counts such as nights in emergency housing are not events).
    total = sum(len(f) for f in templates.values())
    stored = 0
    for code, template in templates.items():
        measure = cfg.catalogue.measure(code)
        share = int(round(events * len(template) / total))
        frame = _events(template, share, rng)
        for year in YEARS:
            part = frame[frame["month"].dt.year == year]
            write_counts(engine, measure, part,
                         BatchInfo(f"{code}_{year}.csv", "0" * 64, int(part["antal"].sum()),
                                   created_by="benchmark"))
        stored += len(frame)
    print(f"built {events:,} events as {stored:,} stored rows over {AREAS} postnummer and "
          f"{len(YEARS) * 12} months in {time.perf_counter() - started:.0f} s")



# --- measuring ---------------------------------------------------------------------------

def _cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _row(what: str, value: float, unit: str, goal: str, floor: float | None = None) -> None:
    ratio = f"; {value / floor:.1f}× the floor {floor:.3f} {unit}" if floor else ""
    print(f"  {what}: {value:.3f} {unit} (goal {goal}{ratio})")


class Server:
    """One app process on the big store, visited by Chromium."""

    def __init__(self, env: dict, script: Path | None = None):
        import startup

        self.port = startup._port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"),
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        startup._wait_health(self.url)

    def cpu(self) -> float:
        return _cpu(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def _visit(browser, url: str) -> object:
    import startup

    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(url)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    startup._wait_idle(page)
    return page


def _timed_visit(browser, server: Server) -> tuple[float, float]:
    """(server CPU, wall) of one first visit to Översikt, until the page is idle."""
    cpu, wall = server.cpu(), time.perf_counter()
    _visit(browser, server.url).close()
    return server.cpu() - cpu, time.perf_counter() - wall


def _click(page, label: str, server: Server) -> float:
    import startup

    cpu = server.cpu()
    page.get_by_text(label, exact=True).first.click()
    time.sleep(0.3)  # the rerun starts
    startup._wait_idle(page)
    _quiet(server)  # all the click caused, counted here and not in the next one
    return server.cpu() - cpu


def _quiet(server: Server, timeout: float = 30) -> None:
    """Until the server has used no CPU for 0.3 s: a long computation (a new choice's charts)
    can outlast the status widget the browser shows."""
    deadline = time.time() + timeout
    before = server.cpu()
    while time.time() < deadline:
        time.sleep(0.3)
        now = server.cpu()
        if now - before < 0.005:
            return
        before = now


def _concurrent(server: Server, n: int) -> None:
    """*n* first visits to Översikt at once, through Streamlit's websocket protocol
    (``wsclient``: what a browser sends, without drawing): time to ``script_finished``."""
    import wsclient

    wsclient.first_visit(server.url)  # the process has read the store once
    cpu = server.cpu()
    visits = wsclient.concurrent_visits(server.url, n)
    used = server.cpu() - cpu
    errors = sum(len(v.errors) for v in visits)
    _row(f"{n} first visits at once (websocket client), median", statistics.median(
        v.seconds for v in visits), "s", "< 2 s, no error")
    print(f"    max {max(v.seconds for v in visits):.2f} s, errors {errors}, server CPU "
          f"{used:.2f} s in all ({used / n:.3f} s a visit)")


FLOOR_APP = """
import pandas as pd
import streamlit as st

@st.cache_resource
def counts():
    from lagesbild.config import Config
    from lagesbild.store import ingest
    from lagesbild.views import source
    cfg = Config.from_env()
    return source.counts(ingest.open_store(cfg), cfg, cfg.catalogue.measure("orosanmalningar"))

frame = counts()
kon = st.radio("Kön", ["Alla", "Flickor/kvinnor", "Pojkar/män"], horizontal=True)
part = frame if kon == "Alla" else frame[frame["kon"] == ("K" if kon.startswith("F") else "M")]
st.metric("Antal", int(part.groupby("month", observed=True)["antal"].sum().iloc[-1]))
"""


def month_file(folder: Path, rows: int) -> Path:
    """A month's events for orosanmälningar (December 2025) as a Combine-style .xlsx."""
    import import_speed
    from openpyxl import Workbook

    path = folder / f"oros_2025-12_{rows}.xlsx"
    if path.exists():
        return path
    rng = np.random.default_rng(SEED)
    codes, days = _codes(), pd.date_range("2025-12-01", "2025-12-31").strftime("%Y-%m-%d")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Aktualiseringar")
    ws.append(["Aktualiseringar barn och unga, uttag ur Combine 2026-01-10 (SYNTETISKT)"])
    ws.append([])
    ws.append(["Inkomstdatum", "Postnummer", "Kön", "Ålder", "Aktualiseringsorsak",
               "Anmälare"])
    for _ in range(rows):
        code = codes[rng.integers(len(codes))]
        ws.append([days[rng.integers(len(days))], f"{code[:3]} {code[3:]}",
                   ("Flicka", "Pojke")[rng.integers(2)], int(rng.integers(21)),
                   import_speed.REASONS[rng.integers(len(import_speed.REASONS))],
                   import_speed.REPORTERS[rng.integers(len(import_speed.REPORTERS))]])
    wb.save(path)
    return path


def _process_cpu(argv: list[str], env: dict) -> tuple[float, float, float]:
    """(wall, CPU, peak MB) of a new process running *argv*, measured by GNU time."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", *argv], cwd=ROOT,
                          env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{argv[2:]} failed: {done.stderr[-500:]}")
    user, system, peak = done.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(peak) / 1024


def _median(runs: list[tuple], i: int) -> float:
    return statistics.median(r[i] for r in runs)


def commands(folder: Path, env: dict, runs: int) -> None:
    """``summary`` for a year beside a process that only imports pandas; a month's file
    imported by the command line beside a process that only reads it with read_excel."""
    python = sys.executable
    floor = [_process_cpu([python, "-c", "import pandas"], env) for _ in range(runs)]
    summary = [_process_cpu([python, "-m", "lagesbild", "summary", "orosanmalningar",
                             "--ar", "2023"], env) for _ in range(runs)]
    _row("summary orosanmalningar --ar 2023 (a new process), wall", _median(summary, 0), "s",
         "≤ 1 s")
    _row("    the same, CPU", _median(summary, 1), "s", "≤ 1.5× the floor",
         _median(floor, 1))
    print(f"    (floor: python -c 'import pandas'; summary's peak memory "
          f"{_median(summary, 2):.0f} MB, goal ≤ 300 MB)")
    path = month_file(folder, 3_000)
    read = [_process_cpu([python, "-c", "import pandas; pandas.read_excel("
                          f"{str(path)!r}, engine='openpyxl', skiprows=2)"], env)
            for _ in range(runs)]
    # Each run replaces the same month (the store asks; --ja answers).
    imports = [_process_cpu([python, "-m", "lagesbild", "import", str(path), "--matt",
                             "orosanmalningar", "--ja"], env) for _ in range(runs)]
    _row("python -m lagesbild import of a month's file (3 000 events) into the big store, "
         "CPU", _median(imports, 1), "s", "≤ the floor", _median(read, 1))
    print(f"    (floor: a process that only runs pandas.read_excel on the file; wall "
          f"{_median(imports, 0):.2f} s against {_median(read, 0):.2f} s)")


def _server_peak_first_start(browser, env: dict) -> None:
    """The first start with nothing kept in the store: the map's kept parts removed, so the
    layer is read with GeoPandas and every release is decoded."""
    import sqlalchemy as sa

    engine = sa.create_engine(env["LAGESBILD_DB_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM snapshots"))
    engine.dispose()
    started, server = time.perf_counter(), Server(env)
    cpu, _ = _timed_visit(browser, server)
    wall = time.perf_counter() - started
    _row("first start with nothing kept (launch and first visit), server CPU",
         server.cpu(), "s", "≤ 3 s")
    print(f"    of which the first visit {cpu:.2f} s; wall {wall:.2f} s; server peak memory "
          f"{_peak_mb(server.proc.pid):.0f} MB (goal ≤ 600 MB)")
    server.stop()


MEASURE_PAGE = "barn-och-unga"


def measure(folder: Path, env: dict, runs: int) -> None:
    import startup
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp())
    env = {**env, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    print(f"figures ({_load()}), median of {runs} unless said:")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=startup.CHROMIUM, args=startup.ARGS)
        _server_peak_first_start(browser, env)
        colds, launches = [], []
        for _ in range(runs):
            server = Server(env)
            launches.append(server.cpu())
            colds.append(_timed_visit(browser, server))
            server.stop()
        print(f"  server launch (Python, Streamlit, before any visit): "
              f"{statistics.median(launches):.2f} s CPU")
        _row("cold start: a new process's first visit to Översikt, server CPU",
             statistics.median(c[0] for c in colds), "s", "≤ 1.5 s")
        print(f"    (wall {statistics.median(c[1] for c in colds):.2f} s, browser render "
              f"included; {_load()})")

        server = Server(env)
        _visit(browser, server.url).close()
        warm = [_timed_visit(browser, server) for _ in range(runs)]
        _row("another first visit (data in memory), server CPU",
             statistics.median(w[0] for w in warm), "s", "–")

        floor_script = folder / "floor_app.py"
        floor_script.write_text(FLOOR_APP)
        floor = Server(env, floor_script)
        fpage = _visit(browser, floor.url)
        # Means over many clicks: /proc counts CPU in 10 ms ticks, too coarse for a median.
        floors = [_click(fpage, ("Flickor/kvinnor", "Pojkar/män")[i % 2], floor)
                  for i in range(runs * 4)]
        floor.stop()
        f = statistics.mean(floors)
        print(f"  floor: a one-radio Streamlit app's rerun, server CPU (mean of "
              f"{len(floors)}): {f:.3f} s")
        _concurrent(server, 20)
        for label, path in (("Översikt", ""), ("the measure page Barn och unga",
                                                MEASURE_PAGE)):
            page = _visit(browser, f"{server.url}/{path}")
            # The first choice of each sex is worked out (its charts and expected band);
            # every later one is a choice seen before, answered from the caches.
            first = [_click(page, label, server) for label in ("Flickor/kvinnor", "Pojkar/män")]
            clicks = [_click(page, ("Flickor/kvinnor", "Pojkar/män")[i % 2], server)
                      for i in range(runs * 4)]
            page.close()
            _row(f"filter change (Kön) on {label}, server CPU (mean of {len(clicks)}; "
                 f"median {statistics.median(clicks):.3f} s)", statistics.mean(clicks), "s",
                 "≤ 0.1 s", f)
            print(f"    a choice nobody had made before: {statistics.mean(first):.3f} s "
                  f"(mean of the first girls and boys); all {len(first) + len(clicks)} "
                  f"clicks: mean {statistics.mean(first + clicks):.3f} s")

        engine = ingest.open_store(Config.from_env())
        plan = ingest.plan(engine, Config.from_env(), month_file(folder, 3_000).read_bytes(),
                           "oros_2025-12.xlsx", "orosanmalningar")
        ingest.commit(engine, Config.from_env(), plan, created_by="benchmark")
        publish.publish_month(engine, Config.from_env(), "2025-12", created_by="benchmark")
        engine.dispose()
        after = _timed_visit(browser, server)
        _row("first visit after a month imported and published, server CPU", after[0], "s",
             "≤ 1.5 s")
        print(f"  server peak memory: {_peak_mb(server.proc.pid):.0f} MB (goal ≤ 1 024 MB)")
        server.stop()
        browser.close()
    commands(folder, env, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", help="Folder for the store (kept and reused).")
    parser.add_argument("--db-url", help="Another store than SQLite in --dir, e.g. an empty "
                        "PostgreSQL database (postgresql+psycopg://…).")
    args = parser.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="lagesbild-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    _, env = build(folder, args.events, args.db_url)
    print(f"store: {Config.from_env().db_url.split('://')[0]}")
    measure(folder, env, args.runs)


if __name__ == "__main__":
    main()
