"""Kolada: comparison figures, KPI titles and area names

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kolada_areas',
    sa.Column('kommun', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kommun')
    )
    op.create_table('kolada_kpis',
    sa.Column('kpi', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=512), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('by_sex', sa.Boolean(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kpi')
    )
    op.create_table('kolada_values',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kpi', sa.String(length=16), nullable=False),
    sa.Column('kommun', sa.String(length=16), nullable=False),
    sa.Column('ar', sa.Integer(), nullable=False),
    sa.Column('kon', sa.String(length=1), nullable=False),
    sa.Column('varde', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=True),
    sa.Column('underlag', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kpi', 'kommun', 'ar', 'kon', name='uq_kolada_values_cell')
    )
