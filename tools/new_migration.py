"""Write a new schema migration after a change to lagesbild/store/schema.py.

Run:  python tools/new_migration.py "what changed"

Builds a throw-away SQLite store at the newest version, lets Alembic compare it with the
tables the code declares, and writes the difference as the next revision under
lagesbild/store/migrations/versions/. Read it before committing: Alembic writes what it can
see (tables, columns, indexes), not how existing rows should move.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lagesbild.config import Config  # noqa: E402
from lagesbild.store import migrations  # noqa: E402


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = sa.create_engine(f"sqlite:///{Path(folder) / 'ny.sqlite'}")
        with engine.begin() as conn:
            migrations.upgrade(conn, Config().catalogue)
            number = int(migrations.head()) + 1
            command.revision(migrations._config(conn), message=message, autogenerate=True,
                             rev_id=f"{number:04d}")
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit('Användning: python tools/new_migration.py "vad som ändrats"')
    main(sys.argv[1])
