"""Publishing a month: what was delivered, protected once (``topdown``), stored as a release.

Every view, command, report and file reads the releases (``views.source``), never the stored
rows: a month is seen only once it is published, and a measure that did not deliver a month
is "inga uppgifter" for it, never 0. A corrected delivery for a published month is seen only
when the month is published again, as a new version; the older stays readable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from lagesbild import store
from lagesbild.analysis.aggregate import categories
from lagesbild.config import Config, Measure
from lagesbild.errors import DataError
from lagesbild.release import topdown
from lagesbild.store import opening, releases
from lagesbild.store.schema import counts as counts_table

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


def budget(cfg: Config) -> topdown.Budget:
    """The noise scales in force: the defaults, or those the setting names
    (``LAGESBILD_BRUSNIVAER``, e.g. ``postnummer=2.5,kategori=3``)."""
    text = (cfg.noise_scales or "").strip()
    if not text:
        return topdown.Budget()
    known = {f.name for f in fields(topdown.Budget)}
    values = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value.replace(",", ".")) if name in known else None
        except ValueError:
            number = None
        if number is None or number <= 0:
            raise DataError(f"LAGESBILD_BRUSNIVAER: ”{part.strip()}” förstås inte. Skriv "
                            "nivå=tal, till exempel postnummer=2,5, med nivåerna "
                            + ", ".join(sorted(known)) + ".")
        values[name] = number
    return topdown.Budget(**values)


def _month(month: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(f"{month}-01")
    except ValueError as exc:
        raise DataError(f"”{month}” är ingen månad; skriv ÅÅÅÅ-MM, till exempel 2026-10.") \
            from exc


def delivered_months(batches: pd.DataFrame, measure: str) -> set[str]:
    """The months (ÅÅÅÅ-MM) a measure's current batches hold: what it has delivered."""
    mine = batches[(batches["measure"] == measure) & batches["undone_at"].isna()]
    out: set[str] = set()
    for first, last in zip(mine["first"], mine["last"]):
        if pd.isna(first) or pd.isna(last):
            continue
        out.update(p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M"))
    return out


def _postnummer_domain(engine: sa.Engine, measure: Measure) -> list[str]:
    """Every postnummer the measure can be published for: the population's, and any its
    stored rows have ever held (not only this month's: the set must not tell the month)."""
    with engine.connect() as conn:
        seen = set(conn.execute(sa.select(counts_table.c.postnummer).distinct().where(
            counts_table.c.measure == measure.code, counts_table.c.postnummer.is_not(None)))
            .scalars())
    return sorted(seen | store.postnummer_codes(engine))


def domain(engine: sa.Engine, cfg: Config, measure: Measure, true: pd.DataFrame
           ) -> topdown.Domain:
    """The cells of the measure's release: every combination of its dimensions' values."""
    values: dict[str, list] = {}
    for column in measure.dimension_columns:
        if column == "postnummer":
            values[column] = _postnummer_domain(engine, measure)
        else:
            values[column] = list(categories(measure, column) or [])
        if column in true and true[column].isna().any():
            values[column] = [*values[column], topdown.NA]
    values["storhet"] = list(measure.variables)
    areas = None
    if "postnummer" in values and cfg.omraden.exists():
        from lagesbild.geo import groupings

        grouping = groupings.load_grouping(cfg.omraden)
        areas = {p: a for p, a in grouping.assign(values["postnummer"]).items() if a}
    return topdown.Domain(values, areas)


def protect_measure(engine: sa.Engine, cfg: Config, measure: Measure, true: pd.DataFrame,
                    noise: topdown.Noise, scales: topdown.Budget) -> pd.DataFrame:
    """One measure's month (true canonical rows, without ``month``) as protected rows."""
    dom = domain(engine, cfg, measure, true)
    without = {s for s, v in measure.variables.items() if v.without_sex}
    parts = []
    for storhet in dom.values["storhet"]:
        rows = true[true["storhet"] == storhet]
        values = dict(dom.values, storhet=[storhet])
        if storhet in without and "kon" in values:
            values["kon"] = [topdown.NA]
        parts.append(topdown.protect_month(rows, topdown.Domain(values, dom.areas), noise,
                                           scales, np.random.default_rng()))
    frame = pd.concat(parts, ignore_index=True)
    return frame


@dataclass(frozen=True)
class Status:
    """What one measure delivered for a month, before it is published."""

    measure: str
    label: str
    delivered: bool
    rows: int
    changed_since: bool  # delivered again after the month's newest release


def _utc(when) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def status(engine: sa.Engine, cfg: Config, month: str) -> list[Status]:
    """Per measure: delivered or not, stored rows, and whether the delivery changed since
    the month was last published (a corrected delivery waiting for a new version)."""
    _month(month)
    batches = store.read_batches(engine)
    current = {r.month: r for r in releases.latest(engine)}.get(month)
    out = []
    for code, measure in cfg.catalogue.measures.items():
        delivered = month in delivered_months(batches, code)
        rows = len(store.read_counts(engine, measure, months=(_month(month).date(),) * 2)) \
            if delivered else 0
        mine = batches[batches["measure"] == code]
        changed = (current is not None and len(mine) > 0
                   and (delivered or current.delivered(code))
                   and _utc(mine["created_at"].max()) > _utc(current.created_at))
        out.append(Status(code, measure.short, delivered, rows, bool(changed)))
    return out


def publish_month(engine: sa.Engine, cfg: Config, month: str, created_by: str,
                  noise: topdown.Noise | None = None, batches: pd.DataFrame | None = None
                  ) -> releases.Release:
    """Publish *month* (ÅÅÅÅ-MM): each delivered measure protected once and stored, with
    the delivery status of every measure and the budget spent. A month published before
    gets a new version."""
    start = _month(month)
    noise = noise or topdown.Noise()
    scales = budget(cfg)
    batches = store.read_batches(engine) if batches is None else batches
    frames, state, spent = {}, {}, {}
    for code, measure in cfg.catalogue.measures.items():
        delivered = month in delivered_months(batches, code)
        state[code] = {"levererad": delivered}
        if not delivered:
            continue
        true = store.read_counts(engine, measure, months=(start.date(), start.date()))
        noise.spent.clear()
        frames[code] = protect_measure(engine, cfg, measure, true.drop(columns="month"),
                                       noise, scales)
        state[code]["rader"] = int(len(true))
        spent[code] = round(sum(noise.spent.values()), 6)
    record = {"skalor": scales.as_dict(), "rho": spent, "metod": "TopDown, OpenDP diskret "
              "gaussiskt brus (zCDP)"}
    if not any(s["levererad"] for s in state.values()):
        raise DataError(f"Inget mått har levererat {month}: det finns inget att publicera.")
    return releases.save(engine, month, frames, record, state, created_by)


def unpublished_months(engine: sa.Engine, cfg: Config) -> list[str]:
    """Months some measure has delivered that have no release yet, oldest first."""
    batches = store.read_batches(engine)
    months: set[str] = set()
    for code in cfg.catalogue.measures:
        months |= delivered_months(batches, code)
    done = {r.month for r in releases.listed(engine)}
    return sorted(months - done)


def publish_history(engine: sa.Engine, cfg: Config, created_by: str = "system",
                    progress: Progress | None = None, until: str | None = None
                    ) -> list[releases.Release]:
    """Publish every delivered month that has no release yet (up to *until*): what a
    store made before releases, or the demo, gets once."""
    todo = [m for m in unpublished_months(engine, cfg) if until is None or m <= until]
    noise, batches, done = topdown.Noise(), store.read_batches(engine), []
    for i, month in enumerate(todo):
        if progress:
            progress(i / max(len(todo), 1), f"Publicerar {month} …")
        done.append(publish_month(engine, cfg, month, created_by, noise, batches))
    if todo:
        log.info("published %d months (%s–%s)", len(todo), todo[0], todo[-1])
    return done


DEMO_RELEASES = "publicering.arrow"  # the demo's releases, shipped beside its files


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema,
                           options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _sources(engine: sa.Engine) -> list[str]:
    batches = store.read_batches(engine)
    return sorted(batches.loc[batches["undone_at"].isna(), "sha256"])


def export_releases(engine: sa.Engine, path: Path) -> int:
    """Every release of the store, with the sources it was published from, as one file
    (how the demo ships published: its noise drawn once, when the demo was made)."""
    found = releases.listed(engine)
    rows = releases.read_rows(engine, [r.id for r in found])
    records = [{"month": r.month, "version": r.version, "created_by": r.created_by,
                "budget": json.dumps(r.budget), "status": json.dumps(r.status),
                "measure": measure, "rows": _table_bytes(table)}
               for r in found for (rid, measure), table in rows.items() if rid == r.id]
    empty = [{"month": r.month, "version": r.version, "created_by": r.created_by,
              "budget": json.dumps(r.budget), "status": json.dumps(r.status),
              "measure": None, "rows": None} for r in found
             if not any(rid == r.id for rid, _ in rows)]
    table = pa.Table.from_pylist(records + empty).replace_schema_metadata(
        {"sources": json.dumps(_sources(engine))})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return len(found)


def import_releases(engine: sa.Engine, path: Path) -> int:
    """The releases of :func:`export_releases`, if they were made from the very sources
    this store holds (else nothing, and 0)."""
    table = pa.ipc.open_file(str(path)).read_all()
    if json.loads(table.schema.metadata[b"sources"]) != _sources(engine):
        log.warning("%s was made from other sources: publishing afresh", path.name)
        return 0
    grouped: dict[tuple, dict] = {}
    for rec in table.to_pylist():
        key = (rec["month"], rec["version"])
        entry = grouped.setdefault(key, {"rec": rec, "frames": {}})
        if rec["measure"] is not None:
            entry["frames"][rec["measure"]] = rec["rows"]
    for (month, _), entry in sorted(grouped.items()):
        rec = entry["rec"]
        releases.save(engine, month, entry["frames"], json.loads(rec["budget"]),
                      json.loads(rec["status"]), rec["created_by"])
    return len(grouped)


def open_store(cfg: Config, *, create: bool = True,
               notice: Callable[[str], None] | None = None) -> sa.Engine:
    """The store, opened as ``store.opening.open_store`` does, with its months published
    once if it has none published: a store made before releases, or the demo just loaded
    (the demo ships published up to its last month)."""
    engine = opening.open_store(cfg, create=create, notice=notice)
    if not releases.listed(engine) and not store.is_empty(engine):
        with store.exclusive(engine, "publicering"):
            if not releases.listed(engine):  # another process may have done it meanwhile
                shipped = Path(cfg.demo_dir) / DEMO_RELEASES
                if cfg.demo and shipped.exists() and import_releases(engine, shipped):
                    return engine
                done = publish_history(engine, cfg, created_by="system")
                if notice and done:
                    notice(f"{len(done)} månader har publicerats (skyddade en gång för alla; "
                           "se Om data).")
    return engine
