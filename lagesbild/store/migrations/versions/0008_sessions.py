"""sessions: a server-side record of sign-ins, so that logout and idleness end them

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sessioner',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('skapad', sa.DateTime(timezone=True), nullable=False),
        sa.Column('senast', sa.DateTime(timezone=True), nullable=False),
        sa.Column('avslutad', sa.DateTime(timezone=True), nullable=True),
        sa.Column('orsak', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sessioner_senast', 'sessioner', ['senast'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sessioner_senast', table_name='sessioner')
    op.drop_table('sessioner')
