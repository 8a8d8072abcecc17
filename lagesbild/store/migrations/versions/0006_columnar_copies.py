"""Columnar copies of each batch's rows, the app's snapshot, and indexes on batch_id

Revision ID: 0006
Revises: 0005
"""

import pandas as pd
import sqlalchemy as sa
from alembic import op

from lagesbild.store import columnar

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('snapshots',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'name')
    )
    op.create_table('batch_arrow',
    sa.Column('batch_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], ),
    sa.PrimaryKeyConstraint('batch_id')
    )
    with op.batch_alter_table('counts', schema=None) as batch_op:
        batch_op.create_index('ix_counts_batch', ['batch_id', 'month'], unique=False)

    with op.batch_alter_table('population', schema=None) as batch_op:
        batch_op.create_index('ix_population_batch', ['batch_id', 'ar'], unique=False)


    # Copies of the batches stored so far, so an upgraded store reads as fast as a new one.
    conn = op.get_bind()
    listed = conn.execute(sa.text("SELECT id, measure FROM batches WHERE undone_at IS NULL "
                                  "ORDER BY id")).all()
    copies = sa.table("batch_arrow", sa.column("batch_id"), sa.column("rows"))
    for batch_id, measure in listed:
        schema, table = (columnar.POPULATION, "population") if measure == "befolkning" \
            else (columnar.COUNTS, "counts")
        names = ", ".join(field.name for field in schema)
        rows = pd.read_sql(sa.text(f"SELECT {names} FROM {table} WHERE batch_id = :b"), conn,
                           params={"b": batch_id})
        conn.execute(copies.insert().values(batch_id=batch_id,
                                            rows=columnar.encode(rows, schema)))
