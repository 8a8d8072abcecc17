"""The store: monthly counts, population and import batches in SQL (SQLAlchemy).

SQLite by default; any SQLAlchemy URL works (LAGESBILD_DB_URL). One table holds the counts of
every measure in one canonical shape. A measure's category dimensions are kept in the generic
columns ``dim1``–``dim3`` in catalogue order; reading restores their names. Every write is one
transaction and belongs to a batch, so a failed import leaves earlier data intact.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pandas as pd
import sqlalchemy as sa

from lagesbild.config import Catalogue, Measure
from lagesbild.errors import ConfigError

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
    sa.Index("ix_counts_measure_month", "measure", "month"),
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
    sa.Index("ix_population_ar", "ar"),
)

_DIM_SLOTS = ("dim1", "dim2", "dim3")


def connect(url: str) -> sa.Engine:
    """Create an engine and the tables if they are missing."""
    try:
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


def _bulk_insert(conn, table: sa.Table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows in one DBAPI executemany: much faster than row dictionaries."""
    if frame.empty:
        return
    columns = list(frame.columns)
    compiled = table.insert().values({c: sa.bindparam(c) for c in columns}).compile(
        dialect=conn.dialect)
    # tolist() gives Python ints and strings, which every driver binds; NA becomes None.
    values = {c: frame[c].astype(object).where(frame[c].notna(), None).tolist()
              for c in columns}
    if compiled.positional:
        params = list(zip(*(values[name] for name in compiled.positiontup)))
    else:
        params = [dict(zip(columns, row)) for row in zip(*(values[c] for c in columns))]
    conn.exec_driver_sql(str(compiled), params)


def _new_batch(conn, measure: str, source: str, digest: str, rows_read: int, rows_stored: int,
               source_system: str | None, created_by: str | None) -> int:
    result = conn.execute(batches.insert().values(
        measure=measure, source=source, sha256=digest, source_system=source_system,
        rows_read=rows_read, rows_stored=rows_stored, created_by=created_by,
        created_at=datetime.now(timezone.utc)))
    return int(result.inserted_primary_key[0])


def write_counts(engine: sa.Engine, measure: Measure, frame: pd.DataFrame, *, source: str,
                 digest: str, rows_read: int, source_system: str | None = None,
                 created_by: str | None = None) -> int:
    """Store one measure's validated counts as a new batch; return the batch id.

    Months in *frame* that already hold data for this measure are replaced, in the same
    transaction.
    """
    slots = dict(zip(measure.dimensions, _DIM_SLOTS))
    rows = (
        frame.rename(columns=slots)
        .assign(measure=measure.code, month=lambda f: f["month"].dt.date)
    )
    keep = [c for c in counts.c.keys() if c in rows.columns]
    months = sorted(set(rows["month"]))
    with engine.begin() as conn:
        batch_id = _new_batch(conn, measure.code, source, digest, rows_read, len(rows),
                              source_system, created_by)
        conn.execute(counts.delete().where(counts.c.measure == measure.code,
                                           counts.c.month.in_(months)))
        _bulk_insert(conn, counts, rows[keep].assign(batch_id=batch_id))
    return batch_id


def write_population(engine: sa.Engine, frame: pd.DataFrame, *, source: str, digest: str,
                     rows_read: int, created_by: str | None = None) -> int:
    """Store population as a new batch, replacing the years it holds."""
    years = sorted(int(y) for y in frame["ar"].unique())
    with engine.begin() as conn:
        batch_id = _new_batch(conn, "befolkning", source, digest, rows_read, len(frame),
                              "SCB", created_by)
        conn.execute(population.delete().where(population.c.ar.in_(years)))
        _bulk_insert(conn, population, frame.assign(batch_id=batch_id))
    return batch_id


def read_counts(engine: sa.Engine, measure: Measure) -> pd.DataFrame:
    """Return one measure's counts in the canonical shape, with categorical dimensions."""
    slots = dict(zip(_DIM_SLOTS, measure.dimensions))
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    stored = [counts.c[c] for c in ("month", "postnummer", "kon", "aldersgrupp", *_DIM_SLOTS,
                                     "storhet", "antal")]
    query = sa.select(*stored).where(counts.c.measure == measure.code)
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
    query = sa.select(population.c.ar, population.c.postnummer, population.c.kon,
                      population.c.alder, population.c.antal)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.astype({"ar": "int64", "alder": "int64", "antal": "int64",
                         "postnummer": "category", "kon": "category"})


def read_batches(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.select(batches).order_by(batches.c.id), conn)


def read_all(engine: sa.Engine, cat: Catalogue) -> dict[str, pd.DataFrame]:
    """Every measure's counts, keyed by measure code."""
    return {code: read_counts(engine, m) for code, m in cat.measures.items()}
