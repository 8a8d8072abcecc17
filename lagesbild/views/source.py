"""The counts every view starts from: the store's current rows, each with its cell key.

:class:`Live` holds them in memory for a long-running process (the app) and brings them up
to date from what changed in the store: a new batch is read and put in place of the months
it replaces, an undone batch's measure is read again, and nothing else is re-read. At a
million stored rows a full read costs a second of CPU; a month's import costs a few
hundredths. Every process asks the store (one query on its batches table) on every rerun,
so several app servers sharing one database each see an import on their next rerun.
"""

from __future__ import annotations

import hashlib
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
from lagesbild.release import cellkey

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


SNAPSHOT_FORMAT = 1  # raise when what a snapshot holds, or how it is made, changes


def snapshot_key(cfg: Config, version: tuple) -> str:
    """Names what a snapshot holds: the store version, the catalogue, the cell-key seed
    (hashed: the seed itself is never stored) and the code that made it."""
    parts = [repr(version), hashlib.sha256(Path(cfg.katalog).read_bytes()).hexdigest(),
             hashlib.sha256(("cellnyckel:" + cfg.key_seed).encode()).hexdigest(),
             lagesbild.__version__, str(SNAPSHOT_FORMAT)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read(engine: sa.Engine, cfg: Config, version: tuple, *, snapshot: bool = False
         ) -> Snapshot:
    """Everything, read afresh; with *snapshot*, from the store's snapshot of this version
    if it has one, else worked out and then saved as the snapshot (in the background: a
    failure to save, a read-only store say, is only logged)."""
    key = snapshot_key(cfg, version) if snapshot else ""
    kept = store.load_snapshot(engine, key) if snapshot else None
    if kept is not None and set(kept) == {*cfg.catalogue.measures, "befolkning"}:
        population = kept.pop("befolkning")
        log.info("store read from its snapshot")
        return Snapshot(kept, population, store.read_batches(engine), version)
    now = Snapshot(all_counts(engine, cfg), store.read_population(engine),
                   store.read_batches(engine), version)
    if snapshot:
        save_snapshot(engine, cfg, now)
    return now


def save_snapshot(engine: sa.Engine, cfg: Config, now: Snapshot) -> None:
    """Save *now* as the store's snapshot, in the background: a failure (a read-only store,
    say) is only logged, as a snapshot only saves time at the next start."""
    def save():
        try:
            store.save_snapshot(engine, snapshot_key(cfg, now.version),
                                {**now.counts, "befolkning": now.population})
        except Exception as exc:  # noqa: BLE001
            log.warning("could not save the store's snapshot: %r", exc)

    threading.Thread(target=save, daemon=True, name="lagesbild-snapshot").start()


def _month_keys(frame: pd.DataFrame) -> np.ndarray:
    """One integer per (month, storhet) of each row."""
    months = frame["month"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    return months * 1024 + frame["storhet"].cat.codes.to_numpy(dtype=np.int64)


def _aligned(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """*new* with the categories of *old* (and any it adds), so the two concatenate."""
    for column in old.columns:
        a, b = old[column].dtype, new[column].dtype
        if isinstance(a, pd.CategoricalDtype) and a != b:
            extra = [c for c in new[column].dropna().unique() if c not in set(a.categories)]
            old_order = list(a.categories)
            order = sorted(old_order + extra) if old_order == sorted(old_order) \
                else old_order + extra
            new[column] = new[column].astype(pd.CategoricalDtype(order))
    return new


def replaced(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """*old* counts with the months (per storhet) that *new*, a newer batch, holds replaced
    by its rows: what reading the store again would give."""
    if new.empty:
        return old
    if old.empty:
        return new
    new = _aligned(old, new.copy())
    for column in old.columns:  # categories the new batch added
        if isinstance(old[column].dtype, pd.CategoricalDtype) and \
                old[column].dtype != new[column].dtype:
            old = old.assign(**{column: old[column].astype(new[column].dtype)})
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

    def at(self, engine: sa.Engine, cfg: Config, version: tuple) -> Snapshot:
        now = self._now
        if now is not None and now.version == version:
            return now
        with self._lock:
            now = self._now
            if now is None or now.version != version:
                if now is None:
                    now = read(engine, cfg, version, snapshot=True)
                else:  # and saved, so that the next process to start need not do it again
                    now = _updated(engine, cfg, now, version)
                    save_snapshot(engine, cfg, now)
                self._now = now
            return now

    def clear(self) -> None:
        with self._lock:
            self._now = None
