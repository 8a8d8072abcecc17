"""The store: monthly counts, population and import batches in SQL (SQLAlchemy).

SQLite by default; any SQLAlchemy URL works (LAGESBILD_DB_URL). One table holds the counts of
every measure in one canonical shape. A measure's category dimensions are kept in the generic
columns ``dim1``–``dim3`` in catalogue order; reading restores their names. Every write is one
transaction and belongs to a batch, so a failed import leaves earlier data intact.

A batch replaces the months it holds (years, for population) without deleting anything: for
each measure, month and variable (storhet) the newest batch that holds it is the one read. Undoing a batch
deletes its rows, and the months it had replaced show the earlier batch's numbers again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from collections.abc import Callable
from datetime import date, datetime, timezone

import pandas as pd
import sqlalchemy as sa

from lagesbild.config import Catalogue, Measure
from lagesbild.errors import ConfigError, UnknownError

Progress = Callable[[float, str], None]  # fraction done (0–1), Swedish text

metadata = sa.MetaData()

batches = sa.Table(
    "batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("measure", sa.String(64), nullable=False),  # measure code or "befolkning"
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("source_system", sa.String(64)),
    sa.Column("extracted", sa.Date),
    sa.Column("rows_read", sa.Integer),
    sa.Column("rows_stored", sa.Integer),
    sa.Column("created_by", sa.String(128)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

counts = sa.Table(
    "counts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("measure", sa.String(64), nullable=False),
    sa.Column("storhet", sa.String(64), nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("postnummer", sa.String(5)),
    sa.Column("kon", sa.String(1)),
    sa.Column("aldersgrupp", sa.String(16)),
    sa.Column("dim1", sa.String(64)),
    sa.Column("dim2", sa.String(64)),
    sa.Column("dim3", sa.String(64)),
    sa.Column("antal", sa.Integer, nullable=False),
    sa.Index("ix_counts_measure_month", "measure", "month", "batch_id"),
)

population = sa.Table(
    "population", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
    sa.Column("ar", sa.Integer, nullable=False),
    sa.Column("postnummer", sa.String(5), nullable=False),
    sa.Column("kon", sa.String(1), nullable=False),
    sa.Column("alder", sa.Integer, nullable=False),
    sa.Column("antal", sa.Integer, nullable=False),
    sa.Index("ix_population_ar", "ar", "batch_id"),
    sa.Index("ix_population_postnummer", "postnummer"),
)

_DIM_SLOTS = ("dim1", "dim2", "dim3")


def connect(url: str) -> sa.Engine:
    """Create an engine and the tables if they are missing."""
    try:
        parsed = sa.make_url(url)
        if parsed.drivername == "postgresql":  # psycopg 3, the driver requirements.txt installs
            url = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(url)
        metadata.create_all(engine)
    except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
        try:
            shown = sa.make_url(url).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            shown = "(ogiltig adress)"
        raise ConfigError(
            f"Databasen {shown} går inte att öppna ({type(exc).__name__}). Kontrollera "
            "LAGESBILD_DB_URL och att databasen är igång.") from exc
    return engine


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(engine: sa.Engine) -> tuple[int, int, int, str]:
    """A cheap value that changes whenever data are written or removed (for cache keys)."""
    with engine.connect() as conn:
        n, last, when = conn.execute(sa.select(sa.func.count(), sa.func.max(batches.c.id),
                                               sa.func.max(batches.c.created_at))).one()
        rows = conn.execute(sa.select(sa.func.count()).select_from(counts)).scalar_one()
    return int(n), int(last or 0), int(rows), str(when)


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(batches)).scalar_one() == 0


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


def _new_batch(conn, measure: str, info: BatchInfo, rows_stored: int) -> int:
    result = conn.execute(batches.insert().values(
        measure=measure, source=info.source, sha256=info.digest,
        source_system=info.source_system, extracted=info.extracted, rows_read=info.rows_read,
        rows_stored=rows_stored, created_by=info.created_by,
        created_at=datetime.now(timezone.utc)))
    return int(result.inserted_primary_key[0])


def _info(info: BatchInfo | None, **legacy) -> BatchInfo:
    return info if info is not None else BatchInfo(**legacy)


def write_counts(engine: sa.Engine, measure: Measure, frame: pd.DataFrame,
                 info: BatchInfo | None = None, *, progress: Progress | None = None,
                 **legacy) -> int:
    """Store one measure's validated counts as a new batch; return the batch id.

    The batch replaces the months (per variable) it holds for this measure; see the module
    docstring.
    *legacy* keywords (source, digest, rows_read, …) build the BatchInfo when none is given.
    """
    info = _info(info, **legacy)
    slots = dict(zip(measure.dimensions, _DIM_SLOTS))
    rows = frame.rename(columns=slots).assign(measure=measure.code)
    keep = [c for c in counts.c.keys() if c in rows.columns]
    with engine.begin() as conn:
        batch_id = _new_batch(conn, measure.code, info, len(rows))
        _bulk_insert(conn, counts, rows[keep].assign(batch_id=batch_id), progress)
    return batch_id


def write_population(engine: sa.Engine, frame: pd.DataFrame, info: BatchInfo | None = None,
                     *, progress: Progress | None = None, **legacy) -> int:
    """Store population as a new batch, replacing the years it holds."""
    info = _info(info, **legacy)
    with engine.begin() as conn:
        batch_id = _new_batch(conn, "befolkning", info, len(frame))
        _bulk_insert(conn, population, frame.assign(batch_id=batch_id), progress)
    return batch_id


def _current_only(query: sa.Select, table: sa.Table, keys: list[str], *where) -> sa.Select:
    """Keep only rows of the newest batch for each value of *keys* (month and storhet, say)."""
    latest = (sa.select(*(table.c[k] for k in keys), sa.func.max(table.c.batch_id)
                        .label("batch_id"))
              .where(*where).group_by(*(table.c[k] for k in keys)).subquery())
    on = [table.c[k] == latest.c[k] for k in keys] + [table.c.batch_id == latest.c.batch_id]
    return query.join_from(table, latest, sa.and_(*on))


def read_counts(engine: sa.Engine, measure: Measure) -> pd.DataFrame:
    """Return one measure's counts in the canonical shape, with categorical dimensions."""
    slots = dict(zip(_DIM_SLOTS, measure.dimensions))
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    stored = [counts.c[c] for c in ("month", "postnummer", "kon", "aldersgrupp", *_DIM_SLOTS,
                                     "storhet", "antal")]
    mine = counts.c.measure == measure.code
    query = _current_only(sa.select(*stored), counts, ["month", "storhet"], mine).where(mine)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame = frame.rename(columns=slots)
    frame = frame.assign(month=pd.to_datetime(frame["month"]),
                         antal=frame["antal"].astype("int64"))[columns]
    categorical = {c: _categories(measure, c, frame[c]) for c in columns
                   if c not in ("month", "antal")}
    return frame.astype(categorical).sort_values("month", kind="stable").reset_index(drop=True)


def _categories(measure: Measure, column: str, values: pd.Series) -> pd.CategoricalDtype:
    """Catalogue order for categories, so charts and tables list them as configured."""
    if column in measure.dimensions:
        order = list(measure.dimensions[column].categories)
    elif column == "aldersgrupp":
        order = [g.code for g in measure.age_groups]
    elif column == "storhet":
        order = list(measure.variables)
    elif column == "kon":
        order = ["K", "M"]
    else:
        order = sorted(values.dropna().unique())
    return pd.CategoricalDtype(order)


def read_population(engine: sa.Engine) -> pd.DataFrame:
    """Return population (ar, postnummer, kon, alder, antal)."""
    query = _current_only(sa.select(population.c.ar, population.c.postnummer,
                                    population.c.kon, population.c.alder, population.c.antal),
                          population, ["ar"])
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.astype({"ar": "int64", "alder": "int64", "antal": "int64",
                         "postnummer": "category", "kon": "category"})


def month_totals(engine: sa.Engine, measure: Measure, storhet: str) -> dict[date, int]:
    """Stored total of one variable per month (what a new batch would replace)."""
    mine = counts.c.measure == measure.code
    query = _current_only(sa.select(counts.c.month, sa.func.sum(counts.c.antal)), counts,
                          ["month", "storhet"], mine).where(mine, counts.c.storhet == storhet)
    with engine.connect() as conn:
        rows = conn.execute(query.group_by(counts.c.month)).all()
    return {pd.Timestamp(m).date(): int(n) for m, n in rows}


def year_totals(engine: sa.Engine) -> dict[int, int]:
    """Stored population total per year."""
    query = _current_only(sa.select(population.c.ar, sa.func.sum(population.c.antal)),
                          population, ["ar"])
    with engine.connect() as conn:
        rows = conn.execute(query.group_by(population.c.ar)).all()
    return {int(y): int(n) for y, n in rows}


def postnummer_codes(engine: sa.Engine) -> set[str]:
    """The postnummer in the stored population: the municipality's areas."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(population.c.postnummer).distinct()).scalars())


def read_batches(engine: sa.Engine) -> pd.DataFrame:
    """Every batch, oldest first, with the first and last month (or year) it holds."""
    spans = sa.union_all(
        sa.select(counts.c.batch_id,
                  sa.cast(sa.func.min(counts.c.month), sa.String).label("first"),
                  sa.cast(sa.func.max(counts.c.month), sa.String).label("last"))
        .group_by(counts.c.batch_id),
        sa.select(population.c.batch_id,
                  sa.cast(sa.func.min(population.c.ar), sa.String).label("first"),
                  sa.cast(sa.func.max(population.c.ar), sa.String).label("last"))
        .group_by(population.c.batch_id),
    ).subquery()
    query = (sa.select(batches, spans.c["first"], spans.c["last"])
             .join_from(batches, spans, batches.c.id == spans.c.batch_id, isouter=True)
             .order_by(batches.c.id))
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.assign(first=frame["first"].astype("string").str.slice(0, 7),
                        last=frame["last"].astype("string").str.slice(0, 7))


def undo(engine: sa.Engine, batch_id: int) -> dict:
    """Delete one batch and its rows in one transaction; return what the batch was.

    Months (years) the batch had replaced show the earlier batch's numbers again.
    """
    with engine.begin() as conn:
        row = conn.execute(sa.select(batches).where(batches.c.id == batch_id)).mappings().first()
        if row is None:
            raise UnknownError(f"Det finns ingen batch {batch_id}. "
                               "Se python -m lagesbild batches.")
        for table in (counts, population):
            conn.execute(table.delete().where(table.c.batch_id == batch_id))
        conn.execute(batches.delete().where(batches.c.id == batch_id))
    return dict(row)


def read_all(engine: sa.Engine, cat: Catalogue) -> dict[str, pd.DataFrame]:
    """Every measure's counts, keyed by measure code."""
    return {code: read_counts(engine, m) for code, m in cat.measures.items()}
