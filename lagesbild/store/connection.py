"""Opening the store: engines, connections, locks, upgrades and errors in Swedish.

SQLite runs in WAL mode (readers never wait for a writer) with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE`` (PostgreSQL: a transaction-level advisory
lock), so writers queue instead of interleaving and what a writer reads is what it writes
over. PostgreSQL gets a connect and a statement timeout. Database errors are turned into
:class:`StoreError` with a Swedish message (``handle_error``), so no SQL or bound parameter
reaches a user. A store made by an older version gets the columns added since, in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from lagesbild.errors import ConfigError, LagesbildError
from lagesbild.store import deadlines, migrations

log = logging.getLogger(__name__)

# Columns added after the first release: added in place when an older store is opened.
_WRITE = "lagesbild_write"  # execution option: this transaction writes
_PG_LOCK = 0x6C616765  # advisory lock key serialising writers on PostgreSQL ("lage")


class StoreError(LagesbildError):
    """The database cannot do what was asked (busy, read-only, full, gone, unreachable)."""


class StoreGone(StoreError):
    """The SQLite file that was opened is missing or has been replaced by another file."""

    def __init__(self, message: str, replaced: bool):
        super().__init__(message)
        self.replaced = replaced


@dataclass
class _Opened:
    """What was true when the store was opened (kept per engine)."""

    shown: str  # the URL without password, for messages
    path: Path | None  # the SQLite file, if the store is one
    identity: tuple[int, int] | None  # (device, inode) of that file
    new: bool  # the store was created by this connect
    busy_timeout: float
    statement_timeout: float
    connect_timeout: float = 10.0


_OPENED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _shown(url) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(ogiltig adress)"


def _sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or \
            str(url.database).startswith("file:"):
        return None
    return Path(url.database).resolve()


def _identity(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _seconds(value: float) -> str:
    from lagesbild import fmt

    return fmt.number(value, 0 if float(value).is_integer() else 1)


def translate(exc: BaseException, opened: _Opened | None = None) -> StoreError | None:
    """A Swedish StoreError for a database failure we can explain; None for anything else.

    *exc* is what a statement raised (SQLAlchemy's wrapper or the driver's own error; an
    OverflowError while binding a value). The message never holds SQL, parameters or the
    driver's English text.
    """
    where = f"Databasen {opened.shown}" if opened else "Databasen"
    busy = _seconds(opened.busy_timeout) if opened else "flera"
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    kind = type(orig).__module__ + "." + type(orig).__name__
    from_driver = kind.startswith(("sqlite3.", "psycopg"))
    if isinstance(orig, OverflowError) or (from_driver and ("out of range" in text
                                                            or "overflow" in text)):
        return StoreError("Ett tal är för stort för databasen. Kontrollera antalen i filen; "
                          "inget har sparats.")
    if kind.startswith("sqlite3."):
        if "locked" in text or "busy" in text:
            return StoreError(f"{where} är upptagen av en annan skrivning och blev inte ledig "
                              f"inom {busy} sekunder. Försök igen om en stund; inget har "
                              "sparats.")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"{where} är skrivskyddad: inget kan sparas eller ångras. Be "
                              "den som förvaltar lägesbilden att ge skrivrätt till filen och "
                              "mappen den ligger i.")
        if "full" in text:
            return StoreError(f"Disken där {where.lower()} ligger är full: inget har sparats. "
                              "Frigör utrymme och försök igen.")
        if "unable to open" in text or "disk i/o" in text or "not a database" in text \
                or "malformed" in text:
            return StoreError(f"{where} går inte att öppna eller läsa (filen saknas, är skadad "
                              "eller går inte att komma åt). Kontrollera LAGESBILD_DB_URL och "
                              "filen.")
        return None
    if kind.startswith("psycopg"):
        if "querycanceled" in kind.lower() or "statement timeout" in text \
                or "canceling statement" in text:
            limit = _seconds(opened.statement_timeout) if opened else "flera"
            return StoreError(f"{where} svarade inte inom {limit} sekunder och frågan "
                              "avbröts; inget har sparats. Försök igen om en stund, och "
                              "kontakta den som förvaltar databasen om det upprepas.")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"{where} tar bara emot läsningar: inget kan sparas.")
        if "disk full" in text or "no space" in text:
            return StoreError(f"Databasservern för {where.lower()} har slut på diskutrymme: "
                              "inget har sparats.")
        if "OperationalError" in kind or "timeout" in text or "connection" in text:
            return StoreError(f"{where} går inte att nå (servern svarar inte eller vägrar "
                              "anslutningen). Kontrollera att databasen är igång och "
                              "LAGESBILD_DB_URL; försök sedan igen.")
    return None


def _install_events(engine: sa.Engine, opened: _Opened) -> None:
    @sa.event.listens_for(engine, "handle_error")
    def _swedish(context):  # every database error of this engine, in Swedish
        error = translate(context.original_exception, opened)
        if error is not None:
            log.warning("database error: %r", context.original_exception)
        return error

    if engine.dialect.name == "postgresql":
        deadlines.install(engine, opened.statement_timeout, opened.connect_timeout)
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, record):
        dbapi_conn.isolation_level = None  # we say BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(opened.busy_timeout * 1000)}")
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except Exception as exc:  # read-only or locked: reading still works, so go on
            log.warning("cannot switch %s to WAL: %r", opened.shown, exc)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        # A writer takes the write lock at once: what it reads is what it writes over.
        immediate = conn.get_execution_options().get(_WRITE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _pg_identity(engine: sa.Engine) -> tuple[int, int] | None:
    """The PostgreSQL database's own id (a dropped and recreated database has a new one)."""
    with engine.connect() as conn:
        oid = conn.execute(sa.text("SELECT oid FROM pg_database "
                                   "WHERE datname = current_database()")).scalar_one()
    return (0, int(oid))


@contextmanager
def writing(engine: sa.Engine | sa.Connection) -> Iterator[sa.Connection]:
    """One write transaction that holds the store's write lock from its first statement.

    Given a connection that is already writing, it is used as is (one transaction).
    """
    if isinstance(engine, sa.Connection):
        yield engine
        return
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            yield conn


def _upgrade(engine: sa.Engine, catalogue) -> bool:
    """Create the tables of a new store, or migrate an older one to the newest schema
    version; True if the store was brand new.

    Checked first without the write lock, so a read-only or busy store that is up to date
    still opens for reading; migrated inside the lock, so two processes never both do it.
    """
    with engine.connect() as conn:
        if migrations.current(conn) == migrations.head():
            return False
    with writing(engine) as conn:
        version = migrations.current(conn)
        if version == migrations.head():  # another process got there first
            return False
        migrations.upgrade(conn, catalogue)
        log.info("store at schema version %s (was %s)", migrations.head(), version or "empty")
    return version is None


def connect(url: str, *, busy_timeout: float = 30.0, connect_timeout: float = 10.0,
            statement_timeout: float = 120.0, create: bool = True,
            catalogue=None) -> sa.Engine:
    """Open the store: an engine with the tables (created or upgraded if missing).

    Parameters
    ----------
    url : str
        SQLAlchemy URL; ``postgresql://`` uses psycopg 3.
    busy_timeout : float
        SQLite: seconds a statement waits for another writer's lock before giving up.
    connect_timeout, statement_timeout : float
        PostgreSQL: seconds to wait for a connection, and for one statement.
    create : bool
        False: refuse to create an SQLite file that does not exist (a store that was
        expected) instead of starting a new, empty one.
    catalogue : Catalogue, optional
        The catalogue in force: an older store's migration names its categories with it.
    """
    shown = _shown(url)
    try:
        parsed = sa.make_url(url)
        if parsed.drivername == "postgresql":  # psycopg 3, the driver requirements.txt installs
            parsed = parsed.set(drivername="postgresql+psycopg")
        path = _sqlite_path(parsed)
        existed = path is not None and path.exists()
        if path is not None and not existed and not create:
            raise ConfigError(f"Databasen {shown} finns inte. Kontrollera LAGESBILD_DB_URL; "
                              "en ny databas skapas bara av import eller load-demo.")
        args = {}
        if parsed.get_backend_name() == "postgresql":
            args = {"connect_timeout": max(1, round(connect_timeout)),
                    "options": f"-c statement_timeout={round(statement_timeout * 1000)}",
                    # a server or network that vanishes mid-query is noticed in about a minute
                    "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                    "keepalives_count": 3}
        elif path is not None:
            args = {"timeout": busy_timeout}
        engine = sa.create_engine(parsed, connect_args=args)
    except (sa.exc.SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"Databasen {shown} går inte att öppna ({type(exc).__name__}). Kontrollera "
            "LAGESBILD_DB_URL och att databasen är igång.") from exc
    opened = _Opened(shown, path, None, False, busy_timeout, statement_timeout,
                     connect_timeout)
    _install_events(engine, opened)
    try:
        opened.new = _upgrade(engine, catalogue) or (path is not None and not existed)
    except StoreError:
        engine.dispose()
        raise
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigError(
            f"Databasen {shown} går inte att öppna ({type(exc).__name__}). Kontrollera "
            "LAGESBILD_DB_URL och att databasen är igång.") from exc
    opened.identity = _identity(path) if engine.dialect.name != "postgresql" else \
        _pg_identity(engine)
    _OPENED[engine] = opened
    return engine


def is_new(engine: sa.Engine) -> bool:
    """Whether :func:`connect` created this store (a new file or new tables)."""
    opened = _OPENED.get(engine)
    return bool(opened and opened.new)


def check(engine: sa.Engine) -> None:
    """Raise StoreGone if the SQLite file opened is missing or is now another file, or the
    PostgreSQL database was dropped and created again (a new, perhaps empty, database).

    Connections already open keep reading a deleted file; this notices it, so that old data
    are not served as if they were current.
    """
    opened = _OPENED.get(engine)
    if opened is not None and engine.dialect.name == "postgresql":
        if _pg_identity(engine) != opened.identity:
            raise StoreGone(f"Databasen {opened.shown} har tagits bort och skapats på nytt "
                            "sedan den öppnades. Det som visades kommer från den gamla "
                            "databasen; ladda om sidan för att läsa den nya.", replaced=True)
        return
    if opened is None or opened.path is None:
        return
    now = _identity(opened.path)
    if now is None:
        raise StoreGone(f"Databasfilen {opened.path} finns inte längre. Inga uppgifter visas "
                        "förrän den är återställd; kontakta den som förvaltar lägesbilden.",
                        replaced=False)
    if now != opened.identity:
        raise StoreGone(f"Databasfilen {opened.path} har bytts ut sedan den öppnades. Ladda "
                        "om sidan (eller kör kommandot igen) för att läsa den nya filen.",
                        replaced=True)


@contextmanager
def exclusive(engine: sa.Engine, name: str) -> Iterator[None]:
    """Hold a lock named *name* across several transactions (one process at a time).

    SQLite: ``flock`` on a file beside the database; PostgreSQL: a session advisory lock.
    Elsewhere (an in-memory database), nothing to share, so no lock.
    """
    opened = _OPENED.get(engine)
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    if opened is None or opened.path is None:
        yield
        return
    import fcntl

    lock = opened.path.with_name(f"{opened.path.name}.{name}.lock")
    with open(lock, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
