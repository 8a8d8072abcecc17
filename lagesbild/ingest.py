"""The import flow: file bytes -> read -> normalise -> validate -> store, as one batch."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lagesbild import load, normalize, store
from lagesbild.config import Config
from lagesbild.errors import DataError

log = logging.getLogger(__name__)

POPULATION = "befolkning"


@dataclass(frozen=True)
class Imported:
    batch_id: int
    measure: str
    source: str
    rows_read: int
    rows_stored: int


def import_bytes(engine: sa.Engine, cfg: Config, data: bytes, name: str, measure: str,
                 *, created_by: str | None = None) -> Imported:
    """Read, check and store one file for a measure (or ``befolkning``) as a new batch."""
    # Imported here: pandera takes a third of a second to import, and the dashboard's start
    # only needs it when the store is empty.
    from lagesbild import validate

    cat = cfg.catalogue
    if measure == POPULATION:
        sheets = load.read_export(data, name, None)
        frame, rows_read = normalize.population(sheets, cat)
        frame = validate.population(frame)
        batch = store.write_population(engine, frame, source=name, digest=store.sha256(data),
                                       rows_read=rows_read, created_by=created_by)
    else:
        m = cat.measure(measure)
        sheets = load.read_export(data, name, m)
        frame, rows_read = normalize.counts(sheets, m, cat)
        frame = validate.counts(frame, m, cat)
        batch = store.write_counts(engine, m, frame, source=name, digest=store.sha256(data),
                                   rows_read=rows_read, created_by=created_by)
    return Imported(batch, measure, name, rows_read, len(frame))


def measure_for_file(path: Path, cfg: Config) -> str | None:
    """Guess the measure from a demo file name such as ``orosanmalningar_combine.csv``."""
    stem = path.stem.lower()
    for code in [POPULATION, *cfg.catalogue.measures]:
        if stem == code or stem.startswith(code + "_"):
            return code
    return None


def load_demo(engine: sa.Engine, cfg: Config) -> list[Imported]:
    """Import every demo file in ``cfg.demo_dir`` (population first)."""
    files = sorted(p for p in Path(cfg.demo_dir).iterdir()
                   if p.suffix.lower() in (".csv", ".xlsx") and measure_for_file(p, cfg))
    if not files:
        raise DataError(f"Hittar inga demofiler i {cfg.demo_dir}. "
                        "Kör python -m lagesbild demo för att skapa dem.")
    files.sort(key=lambda p: measure_for_file(p, cfg) != POPULATION)
    done = []
    for path in files:
        done.append(import_bytes(engine, cfg, path.read_bytes(), path.name,
                                 measure_for_file(path, cfg), created_by="demo"))
        log.info("demo: %s -> %s rows", path.name, done[-1].rows_stored)
    return done


def open_store(cfg: Config) -> sa.Engine:
    """Connect to the store; fill it with the demo data when it is empty and demo is on."""
    engine = store.connect(cfg.db_url)
    if cfg.demo and store.is_empty(engine):
        load_demo(engine, cfg)
    return engine
