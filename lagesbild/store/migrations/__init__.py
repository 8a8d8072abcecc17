"""The store's schema versions: Alembic migrations that upgrade a store in place.

:func:`upgrade` runs them on a connection the caller holds (inside its write lock), so two
processes opening the same store never migrate it twice. A store made before migrations
existed (tables, no ``alembic_version``) is stamped as the first version and upgraded from
there.

Alembic itself is imported only to migrate: opening a store that is up to date (every start
of the app) reads the version with one query, which saves the app a third of a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from lagesbild.config import Catalogue

HERE = Path(__file__).resolve().parent
BASELINE = "0001"


def _config(conn: sa.Connection | None = None, catalogue: Catalogue | None = None):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = conn
    cfg.attributes["catalogue"] = catalogue
    return cfg


def head() -> str:
    """The newest schema version: the revisions are numbered 0001, 0002, … in their files
    (tests check that this agrees with Alembic's own view of the chain)."""
    found = [re.search(r"^revision = ['\"](\d+)['\"]", path.read_text(encoding="utf-8"),
                       re.MULTILINE) for path in (HERE / "versions").glob("*.py")]
    return max(match.group(1) for match in found if match)


def current(conn: sa.Connection) -> str | None:
    """The store's schema version; ``BASELINE`` for a store older than migrations; None for
    an empty database."""
    tables = sa.inspect(conn).get_table_names()
    version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in tables else None
    if version is None and "batches" in tables:
        return BASELINE + "-unstamped"
    return version


def upgrade(conn: sa.Connection, catalogue: Catalogue | None) -> None:
    """Bring the store on *conn* to the newest version (in the caller's transaction)."""
    from alembic import command

    cfg = _config(conn, catalogue)
    if current(conn) == BASELINE + "-unstamped":
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, "head")
