"""Benchmark: a monthly deck for the ledningsgrupp (about 15 slides) must build in under 30 s.

Run:  python benchmarks/report_speed.py [--runs 3] [--manad 2026-10]
Builds the demo store in a temporary folder (unless LAGESBILD_DB_URL is set), then times the
report's numbers (``report.build``) and the whole .pptx (numbers, charts and maps as PNG,
slides) as ``python -m lagesbild rapport`` makes it, and the PDF of the same report. Prints
each figure beside its floor and exits 1 if the deck's median is over it.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLOOR_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--manad", default="2026-10")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="lagesbild-rapport-")
    os.environ.setdefault("LAGESBILD_DB_URL", f"sqlite:///{Path(folder) / 'demo.sqlite'}")
    os.environ.setdefault("LAGESBILD_LOGG", str(Path(folder) / "lagesbild.log"))

    from pptx import Presentation

    from lagesbild import cli
    from lagesbild.config import Config
    from lagesbild.store import ingest
    from lagesbild.views import report_files

    cfg = Config.from_env()
    engine = ingest.open_store(cfg)
    decks, pdfs, numbers, slides = [], [], [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        built, inputs = cli.report_inputs(cfg, engine, "manad", args.manad, "ledningsgrupp")
        numbers.append(time.perf_counter() - start)
        data = report_files.write(built, "pptx", cfg, inputs)
        decks.append(time.perf_counter() - start)
        slides = len(Presentation(io.BytesIO(data)).slides)
        start = time.perf_counter()
        built, inputs = cli.report_inputs(cfg, engine, "manad", args.manad, "ledningsgrupp")
        report_files.write(built, "pdf", cfg, inputs)
        pdfs.append(time.perf_counter() - start)
    load = os.getloadavg()[0]
    print(f"Monthly deck ({args.manad}, {slides} slides), {args.runs} runs, load average "
          f"{load:.1f}:")
    print(f"  numbers and summary (report.build + store reads): "
          f"{statistics.median(numbers):.2f} s median")
    print(f"  whole .pptx: {statistics.median(decks):.2f} s median, {max(decks):.2f} s max "
          f"(floor {FLOOR_S:.0f} s)")
    print(f"  whole PDF:   {statistics.median(pdfs):.2f} s median, {max(pdfs):.2f} s max "
          f"(floor {FLOOR_S:.0f} s)")
    return 0 if statistics.median(decks) < FLOOR_S else 1


if __name__ == "__main__":
    sys.exit(main())
