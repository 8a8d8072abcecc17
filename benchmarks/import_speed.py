"""Import speed: 100 000 event rows from .xlsx, read, validated and stored.

Writes a synthetic Combine-style workbook (openpyxl), then in the same run times our import
(read with python-calamine, personnummer guard, normalise, validate, compare, store in SQLite)
and plain ``pandas.read_excel(engine="openpyxl")`` reading the same file. Prints the figures;
asserts nothing. Run from the repository root::

    python benchmarks/import_speed.py [--rader 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lagesbild import store
from lagesbild.config import Config  # noqa: E402
from lagesbild.store import ingest  # noqa: E402

REASONS = ["Våld mot barnet", "Omsorgsbrist/föräldraförmåga", "Förälders missbruk",
           "Skolfrånvaro", "Barnets psykiska ohälsa", "Övrigt"]
REPORTERS = ["Polis", "Skola", "Förskola", "Hälso- och sjukvård", "Socialtjänst",
             "Privatperson/anonym"]


def write_events(path: Path, rows: int, postnummer: list[str], seed: int = 1) -> None:
    """One row per report over 2019–2025, with a title row like a real export."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2019-01-01", "2025-12-31", freq="D").strftime("%Y-%m-%d")
    # openpyxl writes text cells inline (Excel itself uses a shared-strings table), so this
    # file is larger and slower to read than Excel's own would be.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Aktualiseringar")
    ws.append(["Aktualiseringar barn och unga, uttag ur Combine 2026-01-10 (SYNTETISKT)"])
    ws.append([])
    ws.append(["Inkomstdatum", "Postnummer", "Kön", "Ålder", "Aktualiseringsorsak",
               "Anmälare"])
    picks = {
        "day": rng.integers(len(days), size=rows), "pc": rng.integers(len(postnummer), size=rows),
        "sex": rng.integers(2, size=rows), "age": rng.integers(21, size=rows),
        "reason": rng.integers(len(REASONS), size=rows),
        "reporter": rng.integers(len(REPORTERS), size=rows),
    }
    for i in range(rows):
        code = postnummer[picks["pc"][i]]
        ws.append([days[picks["day"][i]], f"{code[:3]} {code[3:]}",
                   ("Flicka", "Pojke")[picks["sex"][i]], int(picks["age"][i]),
                   REASONS[picks["reason"][i]], REPORTERS[picks["reporter"][i]]])
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rader", type=int, default=100_000, help="Number of event rows.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-bench-"))
    cfg = Config(db_url=f"sqlite:///{folder / 'bench.sqlite'}", demo=False)
    engine = store.connect(cfg.db_url)
    # The municipality's population first (not timed): it says which postnummer are valid.
    population = (cfg.demo_dir / "befolkning_scb.csv").read_bytes()
    ingest.import_bytes(engine, cfg, population, "befolkning_scb.csv", "befolkning")
    codes = sorted(store.postnummer_codes(engine))

    path = folder / "aktualiseringar.xlsx"
    started = time.perf_counter()
    write_events(path, args.rader, codes)
    print(f"wrote {args.rader:,} event rows to {path.name} "
          f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

    # Wall-clock and CPU time: on a shared machine the CPU time shows what the work costs.
    data = path.read_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    plan = ingest.plan(engine, cfg, data, path.name, "orosanmalningar")
    planned, planned_cpu = time.perf_counter(), time.process_time()
    assert plan.ok, plan.problems[:5]
    done = ingest.commit(engine, cfg, plan, created_by="benchmark")
    ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"ours: read + check + validate + store {ours:.2f} s wall, {ours_cpu:.2f} s CPU "
          f"(plan {planned - started:.2f} s wall / {planned_cpu - cpu:.2f} s CPU, "
          f"store {ours - (planned - started):.2f} s wall); "
          f"{done.rows_read:,} rows read, {done.rows_stored:,} count rows stored")

    started, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_excel(path, engine="openpyxl", skiprows=2)
    plain, plain_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"pandas.read_excel(engine='openpyxl'), reading only: {plain:.2f} s wall, "
          f"{plain_cpu:.2f} s CPU ({len(frame):,} rows)")
    print(f"target: under 5 s for ours -> {'met' if ours < 5 else 'NOT met'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
