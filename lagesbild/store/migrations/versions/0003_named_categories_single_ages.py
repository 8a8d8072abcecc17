"""Categories stored by name, ages in single years, the catalogue recorded with each batch.

``dim1``–``dim3`` held a measure's categories by their position in the catalogue, so
reordering two dimensions in katalog.yaml swapped reasons and reporters. The rows move to
``kategorier`` (JSON by dimension name), named with the catalogue in force when the store is
upgraded — the one the rows were written with. ``alder`` holds single years from now on
(earlier rows keep their age group). Each existing batch gets its measure's catalogue entry.

Revision ID: 0003
"""

import json

import sqlalchemy as sa
from alembic import context, op

from lagesbild.errors import ConfigError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _entry(measure) -> str:
    return json.dumps({"dimensioner": {code: list(dim.categories)
                                       for code, dim in measure.dimensions.items()},
                       "aldersgrupper": [[g.code, g.low, g.high] for g in measure.age_groups]},
                      ensure_ascii=False, sort_keys=True)


def upgrade() -> None:
    catalogue = context.config.attributes.get("catalogue")
    conn = op.get_bind()
    with op.batch_alter_table("counts") as batch:
        batch.add_column(sa.Column("alder", sa.Integer))
        batch.add_column(sa.Column("kategorier", sa.Text, nullable=False, server_default="{}"))
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("katalog", sa.Text))
    counts = sa.table("counts", sa.column("measure"), sa.column("dim1"), sa.column("dim2"),
                      sa.column("dim3"), sa.column("kategorier"))
    used = conn.execute(sa.select(counts.c.measure, counts.c.dim1, counts.c.dim2,
                                  counts.c.dim3).distinct()).all()
    if used and catalogue is None:
        raise ConfigError("Databasen behöver uppgraderas och det kräver katalogen "
                          "(LAGESBILD_KATALOG). Öppna den med appen eller kommandoraden.")
    for measure_code, *slots in used:
        if measure_code not in catalogue.measures:
            raise ConfigError(f"Databasen har uppgifter för måttet ”{measure_code}”, som inte "
                              "finns i katalogen. Lägg tillbaka måttet i katalogen innan "
                              "databasen uppgraderas.")
        names = list(catalogue.measure(measure_code).dimensions)
        named = {name: value for name, value in zip(names, slots) if value is not None}
        where = [counts.c.measure == measure_code] + [
            (counts.c[slot] == value) if value is not None else counts.c[slot].is_(None)
            for slot, value in zip(("dim1", "dim2", "dim3"), slots)]
        conn.execute(counts.update().where(*where).values(
            kategorier=json.dumps(named, ensure_ascii=False, sort_keys=True)))
    with op.batch_alter_table("counts") as batch:
        for slot in ("dim1", "dim2", "dim3"):
            batch.drop_column(slot)
    if catalogue is not None:
        batches = sa.table("batches", sa.column("measure"), sa.column("katalog"))
        for code, measure in catalogue.measures.items():
            conn.execute(batches.update().where(batches.c.measure == code)
                         .values(katalog=_entry(measure)))
