"""The store's tables: monthly counts, population and import batches in SQL (SQLAlchemy).

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
from collections.abc import Callable

import sqlalchemy as sa

from lagesbild.errors import ConfigError

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

# Who did what and when (lagesbild.store.audit): sign-ins, imports, undos, profile changes,
# exports. Details are JSON and never hold numbers from the data.
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(255), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_audit_log_at", "at"),
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


