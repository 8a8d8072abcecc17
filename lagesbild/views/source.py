"""The counts every view starts from: the published releases, never the stored rows.

Each measure's frame holds the protected rows of the newest version of every published
month the measure delivered (canonical columns, ``antal`` protected), and names those months
in ``frame.attrs["levererade"]``: a month outside it is "inga uppgifter", never 0
(``analysis.aggregate`` reads it). A month not yet published is not there at all.

:class:`Live` holds them in memory for a long-running process (the app) and brings them up
to date from what changed in the store: a new release is read and put in place of the month
it publishes, a population batch reads the population again, and nothing else is re-read.
Every process asks the store (one query) on every rerun, so several app servers sharing
one database each see a publication on their next rerun.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from lagesbild import store
from lagesbild.analysis.aggregate import DELIVERED
from lagesbild.config import Config, Measure
from lagesbild.errors import DataError, LagesbildError
from lagesbild.store import releases
from lagesbild.store.read import _categories

log = logging.getLogger(__name__)


class Shared(tuple):
    """A frame's attribute that every copy of the frame shares: pandas deep-copies ``attrs``
    on every operation, which for a month list was a third of Översikt's cards."""

    def __deepcopy__(self, memo):
        return self


class SharedDict(dict):
    """As :class:`Shared`, for a mapping (never change one in place)."""

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True)
class Snapshot:
    """Everything the pages read, as of one store version. Never mutate it: it is shared."""

    counts: dict[str, pd.DataFrame]  # published counts per measure code
    population: pd.DataFrame
    batches: pd.DataFrame
    releases: tuple[releases.Release, ...]  # the newest version of each published month
    version: tuple  # store.fingerprint these were read at

    def latest(self, measure: str | None = None) -> pd.Timestamp | None:
        """The newest published month (that *measure* delivered)."""
        months = [r.month for r in self.releases
                  if measure is None or r.delivered(measure)]
        return pd.Timestamp(f"{months[-1]}-01") if months else None

    def release_of(self, month: pd.Timestamp) -> releases.Release | None:
        key = pd.Timestamp(month).strftime("%Y-%m")
        return next((r for r in self.releases if r.month == key), None)


def _order(measure: Measure, column: str, known: list) -> list:
    """The categories of *column*: the catalogue's order, else the sorted values *known*."""
    return list(_categories(measure, column, pd.Series(known, dtype=object)).categories)


def _frame(measure: Measure, kept: pd.DataFrame | None, fresh: pa.Table | None,
           delivered: list[str]) -> pd.DataFrame:
    """One measure's published months as one canonical frame with its delivered months:
    the rows *kept* from before (a frame of this shape) and the *fresh* release rows (with
    their month), text as categoricals in catalogue order.

    The fresh rows go from Arrow to categorical codes in Arrow (``index_in``), not through
    Python strings: at a big city's size that was most of a new process's first read.
    """
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    parts = []
    if kept is not None:
        parts.append(kept)
    if fresh is not None and fresh.num_rows:
        out = {"month": fresh["month"].to_numpy().astype("datetime64[s]")}
        for c in columns[1:-1]:
            if c not in fresh.column_names or pa.types.is_null(fresh[c].type):
                out[c] = pd.Series([None] * fresh.num_rows, dtype=object)
                continue
            column = fresh[c]
            if pa.types.is_dictionary(column.type):  # as read (see _compact)
                seen = {v for ch in column.chunks for v in ch.dictionary.to_pylist()}
            else:
                column = column.cast(pa.large_string())
                seen = set(pc.unique(column).drop_null().to_pylist())
            if kept is not None and isinstance(kept[c].dtype, pd.CategoricalDtype):
                seen |= set(kept[c].cat.categories)
            order = _order(measure, c, sorted(seen - {None}))
            out[c] = pd.Categorical.from_codes(_codes(column, order),
                                               dtype=pd.CategoricalDtype(order))
        out["antal"] = fresh["antal"].to_numpy(zero_copy_only=False).astype("int64")
        parts.append(pd.DataFrame(out, columns=columns))
    if not parts:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    elif len(parts) == 1:
        frame = parts[0]
    else:  # the same categories on both sides, so the concatenation stays categorical
        kept, new = parts
        kept = kept.assign(**{c: kept[c].cat.set_categories(new[c].cat.categories)
                              for c in columns[1:-1]
                              if isinstance(new[c].dtype, pd.CategoricalDtype)
                              and isinstance(kept[c].dtype, pd.CategoricalDtype)})
        frame = pd.concat([kept, new], ignore_index=True)
    # Each step only when needed: at a big city's size every copy is a hundred megabytes.
    if list(frame.columns) != columns:
        frame = frame.reindex(columns=columns)
    dtypes = {c: _categories(measure, c, frame[c].astype(object)) for c in columns
              if c not in ("month", "antal") and not isinstance(frame[c].dtype,
                                                                pd.CategoricalDtype)}
    if frame["month"].dtype != "datetime64[s]":
        dtypes["month"] = "datetime64[s]"
    if frame["antal"].dtype != "int64":
        dtypes["antal"] = "int64"
    if dtypes:
        frame = frame.astype(dtypes)
    if not frame["month"].is_monotonic_increasing:
        frame = frame.sort_values("month", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs = {}
    frame.attrs[DELIVERED] = Shared(sorted(delivered))
    return frame


def _codes(column: pa.ChunkedArray, order: list) -> np.ndarray:
    """The categorical codes of a text column in *order* (-1 for a missing value)."""
    if not pa.types.is_dictionary(column.type):
        codes = pc.index_in(column, value_set=pa.array(order, column.type))
        return codes.fill_null(-1).to_numpy(zero_copy_only=False).astype("int32")
    wanted = pa.array(order, column.type.value_type)
    parts = []
    for chunk in column.chunks:  # each month's own dictionary, mapped once
        mapping = np.append(pc.index_in(chunk.dictionary, value_set=wanted).fill_null(-1)
                            .to_numpy(zero_copy_only=False), -1).astype("int32")
        parts.append(mapping[chunk.indices.fill_null(len(chunk.dictionary))
                             .to_numpy(zero_copy_only=False)])
    return np.concatenate(parts) if parts else np.empty(0, "int32")


def _compact(table: pa.Table) -> pa.Table:
    """A release table with its text dictionary-encoded: a big city's month holds the same
    few hundred postnummer and categories many thousand times."""
    for i, field in enumerate(table.schema):
        if field.name == "antal":
            continue
        column = table[i]
        if not pa.types.is_large_string(field.type):  # an empty column came as null or double
            column = column.cast(pa.large_string())
        table = table.set_column(i, field.name, pc.dictionary_encode(column))
    return table


def _with_months(tables: list[tuple[pa.Table, str]]) -> pa.Table:
    """The release tables as one, each row with its release's month."""
    joined = pa.concat_tables([t for t, _ in tables], promote_options="permissive")
    stamps = np.repeat(np.array([f"{m}-01" for _, m in tables], dtype="datetime64[s]"),
                       [t.num_rows for t, _ in tables])
    return joined.append_column("month", pa.array(stamps, pa.timestamp("s")))


def _read_releases(engine: sa.Engine, cfg: Config, chosen: list[releases.Release],
                   old: dict[str, pd.DataFrame] | None = None,
                   only: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Each measure's frame (or *only* these measures') from *chosen* (the releases in
    force), reading only the releases *old* does not hold already."""
    old = old or {}
    out = {}
    # One measure at a time: its release rows are decoded, turned into its frame and let go
    # before the next is read, so a first read holds one measure's Arrow tables at most.
    for code in only or cfg.catalogue.measures:
        mine = [r for r in chosen if r.delivered(code)]
        before = old.get(code)
        had = set(before.attrs.get("releases", ())) if before is not None else set()
        ids = {r.id for r in mine}
        if before is not None and had == ids:
            out[code] = before
            continue
        kept = None
        if before is not None:  # the months whose release is still in force
            keep = {pd.Timestamp(f"{r.month}-01") for r in mine if r.id in had}
            kept = before[before["month"].isin(keep)]
        rows = releases.read_rows(engine, sorted(ids - had), [code],
                                  decode=lambda data: _compact(releases.decode(data)))
        fresh = [(rows[(r.id, code)], r.month)
                 for r in mine if r.id not in had and (r.id, code) in rows]
        # Decoded and joined in Arrow, converted to pandas once.
        frame = _frame(cfg.catalogue.measures[code], kept,
                       _with_months(fresh) if fresh else None, [r.month for r in mine])
        del rows, fresh
        frame.attrs["releases"] = Shared(sorted(ids))
        if mine:  # the noise the counts carry, for tests and limits that allow for it
            frame.attrs["skalor"] = SharedDict(mine[-1].budget.get("skalor") or {})
        out[code] = frame
    return out


def counts(engine: sa.Engine, cfg: Config, measure: Measure, *, exact: bool = False,
           months: tuple | None = None) -> pd.DataFrame:
    """One measure's published counts; with *exact*, the stored rows themselves (of every
    month or only *months*: first, last), for those with access to the store only."""
    if exact:
        return store.read_counts(engine, measure, months=months)
    chosen = releases.latest(engine)
    if months is not None:  # only the releases of those months are read
        first, last = (f"{pd.Timestamp(m):%Y-%m}" for m in months)
        chosen = [r for r in chosen if first <= r.month <= last]
    return _read_releases(engine, cfg, chosen, only=[measure.code])[measure.code]


def all_counts(engine: sa.Engine, cfg: Config, *, exact: bool = False
               ) -> dict[str, pd.DataFrame]:
    """Every measure's published counts (or, with *exact*, stored rows), by measure code."""
    if exact:
        return store.read_all(engine, cfg.catalogue)
    return _read_releases(engine, cfg, releases.latest(engine))


KEPT = "publicerat"  # the snapshot kind: every measure's frame of the releases in force
KEPT_FORMAT = 1  # raise when what a kept frame holds, or how it is made, changes


def _kept_key(cfg: Config, chosen: list[releases.Release]) -> str:
    """What a kept copy was made from: the releases in force, the catalogue's categories
    and this code."""
    import lagesbild

    catalogue = {code: [m.dimension_columns, {d: list(v.categories)
                                              for d, v in m.dimensions.items()},
                        [g.code for g in m.age_groups], list(m.variables)]
                 for code, m in cfg.catalogue.measures.items()}
    text = json.dumps([lagesbild.__version__, KEPT_FORMAT, [r.id for r in chosen], catalogue],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _keep(engine: sa.Engine, key: str, counts: dict[str, pd.DataFrame]) -> None:
    """Keep the frames in the store (they hold published numbers only), so the next process
    reads one stream per measure instead of every release. A store that cannot be written
    to only loses the shortcut."""
    from lagesbild.store.columnar import frame_bytes

    parts = {code: frame_bytes(frame) for code, frame in counts.items()}
    parts["attrs"] = json.dumps({code: {k: list(v) if isinstance(v, tuple) else v
                                        for k, v in frame.attrs.items()}
                                 for code, frame in counts.items()}).encode()
    try:
        store.save_snapshot(engine, KEPT, key, parts)
    except (LagesbildError, sa.exc.SQLAlchemyError) as exc:  # a read-only store, say
        log.warning("published frames not kept: %s", exc)


def _kept(engine: sa.Engine, key: str) -> dict[str, pd.DataFrame] | None:
    """The frames kept under *key*, or None."""
    try:
        parts = store.load_snapshot(engine, KEPT, key)
    except (LagesbildError, sa.exc.SQLAlchemyError) as exc:
        log.warning("published frames not read: %s", exc)
        return None
    if not parts or "attrs" not in parts:
        return None
    attrs = json.loads(parts.pop("attrs"))
    out = {}
    for code, data in parts.items():
        frame = pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas()
        frame.attrs = {k: Shared(v) if isinstance(v, list) else SharedDict(v)
                       if isinstance(v, dict) else v for k, v in attrs[code].items()}
        out[code] = frame
    return out


def read(engine: sa.Engine, cfg: Config, version: tuple) -> Snapshot:
    """Everything: from the copy kept in the store if it was made from the releases in force,
    else read afresh (and kept for the next process)."""
    chosen = releases.latest(engine)
    key = _kept_key(cfg, chosen)
    counts = _kept(engine, key)
    if counts is None or set(counts) != set(cfg.catalogue.measures):
        counts = _read_releases(engine, cfg, chosen)
        _keep(engine, key, counts)
    return Snapshot(counts, store.read_population(engine), store.read_batches(engine),
                    tuple(chosen), version)


def _updated(engine: sa.Engine, cfg: Config, old: Snapshot, version: tuple) -> Snapshot:
    """*old* brought up to the store's present state by reading only what changed."""
    chosen = releases.latest(engine)
    batches = store.read_batches(engine)
    population = old.population
    pop_ids = lambda b: set(b.loc[(b["measure"] == "befolkning")  # noqa: E731
                                  & b["undone_at"].isna(), "id"])
    if pop_ids(batches) != pop_ids(old.batches):
        population = store.read_population(engine)
    counts = _read_releases(engine, cfg, chosen, old.counts)
    if any(counts[c] is not old.counts.get(c) for c in counts):  # a publication: keep it
        _keep(engine, _kept_key(cfg, chosen), counts)
    return Snapshot(counts, population, batches, tuple(chosen), version)


def as_published(engine: sa.Engine, cfg: Config, month: str, version: int | None = None
                 ) -> Snapshot:
    """The releases as they stood when *month* (ÅÅÅÅ-MM) was published in *version* (the
    newest by default), up to that month: what a report of that month reads, the same
    whenever it is made again (later months and later versions left out)."""
    mine = [r for r in releases.listed(engine) if r.month == month]
    if version is not None:
        mine = [r for r in mine if r.version == version]
        if not mine:
            raise DataError(f"Det finns ingen version {version} av publiceringen för {month}. "
                            "Se python -m lagesbild publicera --lista.")
    as_of = mine[-1].created_at if mine else None
    chosen = releases.latest(engine, until=month, as_of=as_of)
    return Snapshot(_read_releases(engine, cfg, chosen), store.read_population(engine),
                    store.read_batches(engine), tuple(chosen), store.fingerprint(engine))


class Live:
    """The published data in memory, brought up to date on demand (one per process and
    store).

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
                self._now = now = read(engine, cfg, version)
            elif now.version != version:
                self._now = now = _updated(engine, cfg, now, version)
            return now

    def clear(self) -> None:
        with self._lock:
            self._now = None
