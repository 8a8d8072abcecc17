"""Published months: releases and their protected rows

Revision ID: 0009
Revises: 0008

The months already stored are published by the app or command that opens the upgraded
store (``release.publish.publish_history``): drawing noise needs the catalogue and
settings, which a migration does not have.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('releases',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('budget', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('month', 'version', name='uq_releases_month_version'),
    sqlite_autoincrement=True,
    )
    op.create_table('release_rows',
    sa.Column('release_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('measure', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], ),
    sa.PrimaryKeyConstraint('release_id', 'measure')
    )
    # The snapshot held counts with cell keys, a scheme the releases replace.
    op.execute(sa.text("DELETE FROM snapshots WHERE kind = 'data'"))


def downgrade() -> None:
    op.drop_table('release_rows')
    op.drop_table('releases')
