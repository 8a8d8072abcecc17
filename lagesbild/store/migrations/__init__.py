"""The store's schema versions: Alembic migrations that upgrade a store in place.

:func:`upgrade` runs them on a connection the caller holds (inside its write lock), so two
processes opening the same store never migrate it twice. A store made before migrations
existed (tables, no ``alembic_version``) is stamped as the first version and upgraded from
there.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from lagesbild.config import Catalogue

HERE = Path(__file__).resolve().parent
BASELINE = "0001"


def _config(conn: sa.Connection | None = None, catalogue: Catalogue | None = None
            ) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = conn
    cfg.attributes["catalogue"] = catalogue
    return cfg


def head() -> str:
    """The newest schema version."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(conn: sa.Connection) -> str | None:
    """The store's schema version; ``BASELINE`` for a store older than migrations; None for
    an empty database."""
    version = MigrationContext.configure(conn).get_current_revision()
    if version is None and "batches" in sa.inspect(conn).get_table_names():
        return BASELINE + "-unstamped"
    return version


def upgrade(conn: sa.Connection, catalogue: Catalogue | None) -> None:
    """Bring the store on *conn* to the newest version (in the caller's transaction)."""
    cfg = _config(conn, catalogue)
    if current(conn) == BASELINE + "-unstamped":
        command.stamp(cfg, BASELINE)
    command.upgrade(cfg, "head")
