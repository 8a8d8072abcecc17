"""Each batch keeps the first and last month (year) it holds, written with its rows

Listing the batches computed these from every stored row (a scan that grew with the store
and was most of a new process's first read at a big city's size).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_period', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('last_period', sa.String(length=10), nullable=True))
    conn = op.get_bind()
    for table, column in (("counts", "month"), ("population", "ar")):
        spans = conn.execute(sa.text(
            f"SELECT batch_id, CAST(MIN({column}) AS VARCHAR), CAST(MAX({column}) AS VARCHAR) "
            f"FROM {table} GROUP BY batch_id")).all()
        for batch_id, first, last in spans:
            conn.execute(sa.text("UPDATE batches SET first_period = :f, last_period = :l "
                                 "WHERE id = :i"),
                         {"f": str(first)[:7], "l": str(last)[:7], "i": batch_id})


def downgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_column('last_period')
        batch_op.drop_column('first_period')
