"""Writing the store: one transaction per import batch, and undoing a batch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pandas as pd
import sqlalchemy as sa

from lagesbild.config import Measure
from lagesbild.errors import DataError, UnknownError
from lagesbild.store import columnar
from lagesbild.store.connection import writing
from lagesbild.store.schema import Progress, batch_arrow, batches, counts, population

CHUNK = 20_000  # rows per executemany, so that progress can be reported


def _bulk_insert(conn, table: sa.Table, frame: pd.DataFrame,
                 progress: Progress | None = None) -> None:
    """Insert a frame's rows with DBAPI executemany: much faster than row dictionaries."""
    if frame.empty:
        return
    columns = list(frame.columns)
    compiled = table.insert().values({c: sa.bindparam(c) for c in columns}).compile(
        dialect=conn.dialect)
    # Dates: SQLite stores them as ISO text anyway, and formatting them in one vectorised call
    # saves a Python adapter call per row; other drivers get date objects.
    dates = [c for c in columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    frame = frame.assign(**{c: frame[c].dt.strftime("%Y-%m-%d") if conn.dialect.name == "sqlite"
                            else frame[c].dt.date for c in dates})
    # tolist() gives Python ints and strings, which every driver binds; NA becomes None.
    values = {c: frame[c].astype(object).where(frame[c].notna(), None).tolist()
              for c in columns}
    if compiled.positional:
        params = list(zip(*(values[name] for name in compiled.positiontup)))
    else:
        params = [dict(zip(columns, row)) for row in zip(*(values[c] for c in columns))]
    for start in range(0, len(params), CHUNK):
        conn.exec_driver_sql(str(compiled), params[start:start + CHUNK])
        if progress:
            done = min(start + CHUNK, len(params))
            progress(done / len(params), f"Sparar rad {done:,} av {len(params):,}"
                     .replace(",", "\u00a0"))


@dataclass(frozen=True)
class BatchInfo:
    """What is recorded about an import besides its rows."""

    source: str
    digest: str
    rows_read: int
    source_system: str | None = None
    extracted: date | None = None
    created_by: str | None = None


def catalogue_entry(measure: Measure) -> str:
    """The measure's catalogue entry a batch is imported with (JSON): its dimensions with
    their categories, and its age groups."""
    return json.dumps({"dimensioner": {code: list(dim.categories)
                                       for code, dim in measure.dimensions.items()},
                       "aldersgrupper": [[g.code, g.low, g.high] for g in measure.age_groups]},
                      ensure_ascii=False, sort_keys=True)


def named_categories(frame: pd.DataFrame, dimensions: list[str]) -> pd.Series:
    """Each row's categories by dimension name, as the JSON the store keeps
    (``{"anmalare": "skola", "orsak": "ovrigt"}``); built once per distinct combination."""
    if not dimensions:
        return pd.Series("{}", index=frame.index, dtype=object)
    groups = frame.groupby(dimensions, dropna=False, sort=False, observed=True)
    ids = groups.ngroup()
    firsts = frame.loc[groups.head(1).index, dimensions]
    texts = {}
    for index, row in firsts.iterrows():
        named = {d: str(v) for d, v in row.items() if not pd.isna(v)}
        texts[ids[index]] = json.dumps(named, ensure_ascii=False, sort_keys=True)
    return ids.map(texts)


def _span(values: pd.Series) -> tuple[str | None, str | None]:
    """The first and last month ("ÅÅÅÅ-MM") or year of *values*, as the batch list shows."""
    if values.empty:
        return None, None
    if pd.api.types.is_numeric_dtype(values):
        return str(int(values.min())), str(int(values.max()))
    months = pd.to_datetime(values)
    return f"{months.min():%Y-%m}", f"{months.max():%Y-%m}"


def _new_batch(conn, measure: str, info: BatchInfo, rows_stored: int,
               katalog: str | None = None, span: tuple = (None, None)) -> int:
    result = conn.execute(batches.insert().values(
        measure=measure, source=info.source, sha256=info.digest,
        source_system=info.source_system, extracted=info.extracted, rows_read=info.rows_read,
        rows_stored=rows_stored, created_by=info.created_by, katalog=katalog,
        first_period=span[0], last_period=span[1], created_at=datetime.now(timezone.utc)))
    return int(result.inserted_primary_key[0])


def _info(info: BatchInfo | None, **legacy) -> BatchInfo:
    return info if info is not None else BatchInfo(**legacy)


def write_counts(engine: sa.Engine | sa.Connection, measure: Measure, frame: pd.DataFrame,
                 info: BatchInfo | None = None, *, progress: Progress | None = None,
                 **legacy) -> int:
    """Store one measure's validated counts as a new batch; return the batch id.

    The batch replaces the months (per variable) it holds for this measure; see the module
    docstring. Given a connection from :func:`writing`, the batch joins its transaction.
    *legacy* keywords (source, digest, rows_read, …) build the BatchInfo when none is given.
    """
    info = _info(info, **legacy)
    rows = frame.assign(measure=measure.code,
                        kategorier=named_categories(frame, list(measure.dimensions)))
    keep = [c for c in counts.c.keys() if c in rows.columns]
    with writing(engine) as conn:
        batch_id = _new_batch(conn, measure.code, info, len(rows), catalogue_entry(measure),
                              _span(rows["month"]))
        rows = rows[keep].assign(batch_id=batch_id)
        _bulk_insert(conn, counts, rows, progress)
        _copy(conn, batch_id, rows, columnar.COUNTS)
    return batch_id


def _copy(conn, batch_id: int, rows: pd.DataFrame, schema) -> None:
    """The batch's columnar copy (see ``columnar``), in the rows' transaction."""
    full = rows.reindex(columns=[f.name for f in schema])
    conn.execute(batch_arrow.insert().values(batch_id=batch_id,
                                             rows=columnar.encode(full, schema)))


def write_population(engine: sa.Engine | sa.Connection, frame: pd.DataFrame,
                     info: BatchInfo | None = None, *, progress: Progress | None = None,
                     **legacy) -> int:
    """Store population as a new batch, replacing the years it holds."""
    info = _info(info, **legacy)
    with writing(engine) as conn:
        batch_id = _new_batch(conn, "befolkning", info, len(frame), span=_span(frame["ar"]))
        rows = frame.assign(batch_id=batch_id)
        _bulk_insert(conn, population, rows, progress)
        _copy(conn, batch_id, rows, columnar.POPULATION)
    return batch_id


def undo(engine: sa.Engine, batch_id: int, undone_by: str | None = None) -> dict:
    """Undo one batch in one transaction: delete its rows, keep its row as a tombstone.

    Months (years) the batch had replaced show the earlier batch's numbers again. The batch
    row stays with who undid it and when, so its id is never given to another batch. Returns
    what the batch was.
    """
    with writing(engine) as conn:
        row = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().first()
        if row is None:
            raise UnknownError(f"Det finns ingen batch {batch_id}. "
                               "Se python -m lagesbild batches.")
        if row["undone_at"] is not None:
            when = pd.Timestamp(row["undone_at"]).strftime("%Y-%m-%d %H:%M")
            who = f" av {row['undone_by']}" if row["undone_by"] else ""
            raise DataError(f"Batch {batch_id} är redan ångrad ({when}{who}). Inget har "
                            "ändrats.")
        for table in (counts, population, batch_arrow):
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        conn.execute(batches.update().where(batches.c.id == batch_id).values(
            undone_at=datetime.now(timezone.utc), undone_by=undone_by, first_period=None,
            last_period=None))  # it holds no rows now
    return dict(row)
