"""Undone batches stay as tombstones (undone_at, undone_by); the audit log.

Stores opened by a development version between the two may have either already: both steps
look before they add.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = {c["name"] for c in inspector.get_columns("batches")}
    with op.batch_alter_table("batches") as batch:
        if "undone_at" not in have:
            batch.add_column(sa.Column("undone_at", sa.DateTime(timezone=True)))
        if "undone_by" not in have:
            batch.add_column(sa.Column("undone_by", sa.String(128)))
    if "audit_log" not in inspector.get_table_names():
        op.create_table(
            "audit_log",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("who", sa.String(255), nullable=False),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("details", sa.Text, nullable=False),
        )
        op.create_index("ix_audit_log_at", "audit_log", ["at"])
