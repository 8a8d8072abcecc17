"""The counts every view starts from: the store's current rows, each with its cell key.

:class:`Live` holds them in memory for a long-running process (the app) and brings them up
to date from what changed in the store: a new batch is read and put in place of the months
it replaces, an undone batch's measure is read again, and nothing else is re-read. Every
process asks the store (one query on its batches table) on every rerun, so several app
servers sharing one database each see an import on their next rerun. What a process holds
is also kept in the store as a snapshot (``start``, ``save_snapshot``): a newly started
process reads it and adds the batches imported since, instead of working out a million rows
again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

import lagesbild
from lagesbild import store
from lagesbild.config import Config, Measure
from lagesbild.errors import LagesbildError
from lagesbild.release import cellkey
from lagesbild.store import columnar

log = logging.getLogger(__name__)


def counts(engine: sa.Engine, cfg: Config, measure: Measure, *,
           months: tuple[date, date] | None = None) -> pd.DataFrame:
    """One measure's canonical counts with their count-weighted record keys (``nyckel``),
    of every month or only *months* (first, last)."""
    return cellkey.with_keys(store.read_counts(engine, measure, months=months), cfg.key_seed)


def all_counts(engine: sa.Engine, cfg: Config) -> dict[str, pd.DataFrame]:
    """Every measure's keyed counts, by measure code."""
    return {code: cellkey.with_keys(frame, cfg.key_seed)
            for code, frame in store.read_all(engine, cfg.catalogue).items()}


@dataclass(frozen=True)
class Snapshot:
    """Everything the pages read, as of one store version. Never mutate it: it is shared."""

    counts: dict[str, pd.DataFrame]  # keyed counts per measure code
    population: pd.DataFrame
    batches: pd.DataFrame
    version: tuple  # store.fingerprint these were read at


SNAPSHOT_FORMAT = 2  # raise when what a snapshot holds, or how it is made, changes


def snapshot_key(cfg: Config) -> str:
    """Names what a snapshot was made with: the catalogue, the cell-key seed (hashed: the
    seed itself is never stored) and the code. The store version it holds is kept inside."""
    parts = [hashlib.sha256(Path(cfg.katalog).read_bytes()).hexdigest(),
             hashlib.sha256(("cellnyckel:" + cfg.key_seed).encode()).hexdigest(),
             lagesbild.__version__, str(SNAPSHOT_FORMAT)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read(engine: sa.Engine, cfg: Config, version: tuple) -> Snapshot:
    """Everything, read afresh."""
    return Snapshot(all_counts(engine, cfg), store.read_population(engine),
                    store.read_batches(engine), version)


_BATCH_COLUMNS = ["id", "measure", "undone_at", "first", "last"]  # what _updated compares


def _kept(engine: sa.Engine, cfg: Config) -> Snapshot | None:
    """The store's snapshot, if it was made with this catalogue, seed and code."""
    try:
        kept = store.load_snapshot(engine, "data", snapshot_key(cfg))
    except LagesbildError as exc:
        log.warning("the store's snapshot could not be read: %s", exc)
        return None
    if not kept or set(kept) != {*cfg.catalogue.measures, "befolkning", "batches", "version"}:
        return None
    version = tuple(json.loads(kept.pop("version")))
    frames = {name: columnar.bytes_frame(data) for name, data in kept.items()}
    population, batches = frames.pop("befolkning"), frames.pop("batches")
    return Snapshot(frames, population, batches, version)


def start(engine: sa.Engine, cfg: Config, version: tuple) -> Snapshot:
    """What a newly started process holds: the store's snapshot brought up to date (the
    batches imported or undone since it was made are added or read again), or, without
    one, everything read afresh; the result is then saved as the snapshot."""
    kept = _kept(engine, cfg)
    if kept is None:
        now = read(engine, cfg, version)
    else:
        log.info("store read from its snapshot (made at %s)", kept.version)
        now = _updated(engine, cfg, kept, version)
        if now.version == kept.version:
            return now
    save_snapshot(engine, cfg, now)
    return now


def save_snapshot(engine: sa.Engine, cfg: Config, now: Snapshot) -> None:
    """Save *now* as the store's snapshot, in the background: a failure (a read-only store,
    say) is only logged, as a snapshot only saves time at the next start."""
    def save():
        try:
            frames = {**now.counts, "befolkning": now.population,
                      "batches": now.batches[_BATCH_COLUMNS]}
            parts = {name: columnar.frame_bytes(f) for name, f in frames.items()}
            parts["version"] = json.dumps(list(now.version)).encode()
            store.save_snapshot(engine, "data", snapshot_key(cfg), parts)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not save the store's snapshot: %r", exc)

    threading.Thread(target=save, daemon=True, name="lagesbild-snapshot").start()


def _month_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (month, storhet) of each row."""
    months = frame["month"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    return months * 1024 + frame["storhet"].cat.codes.to_numpy(dtype=np.int64)


def _same_categories(old: pd.DataFrame, new: pd.DataFrame
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames with one categorical dtype per column (old's categories, and any *new*
    adds: in sorted order where old's were sorted, after them otherwise), so they
    concatenate as categoricals."""
    for column in old.columns:
        a, b = old[column].dtype, new[column].dtype
        if isinstance(a, pd.CategoricalDtype) and a != b:
            known = list(a.categories)
            extra = [c for c in new[column].dropna().unique() if c not in set(known)]
            order = sorted(known + extra) if known == sorted(known) else known + extra
            both = pd.CategoricalDtype(order)
            old = old.assign(**{column: old[column].astype(both)})
            new = new.assign(**{column: new[column].astype(both)})
    return old, new


def replaced(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """*old* counts with the months (per storhet) that *new*, a newer batch, holds replaced
    by its rows: what reading the store again would give."""
    if new.empty:
        return old
    if old.empty:
        return new
    old, new = _same_categories(old, new)
    kept = old[~np.isin(_month_keys(old), _month_keys(new))]
    return pd.concat([kept, new], ignore_index=True).sort_values("month", kind="stable")\
        .reset_index(drop=True)


def _updated(engine: sa.Engine, cfg: Config, old: Snapshot, version: tuple) -> Snapshot:
    """*old* brought up to the store's present state by reading only what changed."""
    listed = store.read_batches(engine, spans_of=[])
    before = old.batches.set_index("id")
    known = listed["id"].isin(before.index)
    undone = listed[known & listed["undone_at"].notna()]
    undone = undone[before.loc[undone["id"], "undone_at"].isna().to_numpy()]
    fresh = listed[~known & listed["undone_at"].isna()]
    if not before.index.isin(listed["id"]).all():  # batches gone: another store
        log.info("store changed beyond new and undone batches: reading it again")
        return read(engine, cfg, version)
    frames = dict(old.counts)
    population = old.population
    measures = cfg.catalogue.measures
    for measure in set(undone["measure"]):  # months an undone batch held show older rows
        if measure in measures:
            frames[measure] = counts(engine, cfg, measures[measure])
        elif measure == "befolkning":
            population = store.read_population(engine)
    for batch, measure in zip(fresh["id"], fresh["measure"]):
        if measure in measures:
            new = cellkey.with_keys(store.read_counts(engine, measures[measure],
                                                      batch=int(batch)), cfg.key_seed)
            frames[measure] = replaced(frames[measure], new)
        elif measure == "befolkning":
            population = store.read_population(engine)
    spans = store.read_batches(engine, spans_of=[int(i) for i in fresh["id"]])
    spans = spans.set_index("id")
    first = before["first"].combine_first(spans["first"])
    last = before["last"].combine_first(spans["last"])
    batches = listed.assign(first=listed["id"].map(first).astype("string"),
                            last=listed["id"].map(last).astype("string"))
    batches.loc[batches["undone_at"].notna(), ["first", "last"]] = pd.NA
    log.info("store updated in memory: %d new and %d undone batches", len(fresh), len(undone))
    return Snapshot(frames, population, batches, version)


class Live:
    """The store's data in memory, brought up to date on demand (one per process and store).

    ``at(version)`` returns the snapshot of that store version: the held one if nothing
    changed, else one made from it by :func:`_updated` (a full read the first time). Threads
    (one per browser session) share it; one of them updates while the others wait.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: Snapshot | None = None

    def held(self, version: tuple) -> Snapshot | None:
        """The held snapshot if it is of *version*, else None (nothing is read)."""
        now = self._now
        return now if now is not None and now.version == version else None

    def at(self, engine: sa.Engine, cfg: Config, version: tuple) -> Snapshot:
        if (now := self.held(version)) is not None:
            return now
        with self._lock:
            now = self._now
            if now is None:
                self._now = now = start(engine, cfg, version)
            elif now.version != version:  # and saved, for the next process to start
                self._now = now = _updated(engine, cfg, now, version)
                save_snapshot(engine, cfg, now)
            return now

    def clear(self) -> None:
        with self._lock:
            self._now = None
