"""The store as it was before migrations: batches, counts (categories in dim1–dim3, in the
catalogue's order), population.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_system", sa.String(64)),
        sa.Column("extracted", sa.Date),
        sa.Column("rows_read", sa.Integer),
        sa.Column("rows_stored", sa.Integer),
        sa.Column("created_by", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,  # ids are never reused
    )
    op.create_table(
        "counts",
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
    )
    op.create_index("ix_counts_measure_month", "counts", ["measure", "month", "batch_id"])
    op.create_table(
        "population",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("ar", sa.Integer, nullable=False),
        sa.Column("postnummer", sa.String(5), nullable=False),
        sa.Column("kon", sa.String(1), nullable=False),
        sa.Column("alder", sa.Integer, nullable=False),
        sa.Column("antal", sa.Integer, nullable=False),
    )
    op.create_index("ix_population_ar", "population", ["ar", "batch_id"])
    op.create_index("ix_population_postnummer", "population", ["postnummer"])
