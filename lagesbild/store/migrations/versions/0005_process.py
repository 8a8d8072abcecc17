"""The lägesbild process: actions with history, meetings and their items, omvärld notes

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('moten',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('typ', sa.String(length=16), nullable=False),
    sa.Column('datum', sa.Date(), nullable=False),
    sa.Column('period_slut', sa.Date(), nullable=True),
    sa.Column('oppnat_av', sa.String(length=255), nullable=False),
    sa.Column('oppnat', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stangt_av', sa.String(length=255), nullable=True),
    sa.Column('stangt', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_table('omvarld',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('datum', sa.Date(), nullable=False),
    sa.Column('rubrik', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kalla', sa.String(length=200), nullable=False),
    sa.Column('lank', sa.String(length=500), nullable=False),
    sa.Column('matt', sa.String(length=64), nullable=True),
    sa.Column('omrade', sa.String(length=200), nullable=True),
    sa.Column('skapad_av', sa.String(length=255), nullable=False),
    sa.Column('skapad', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('atgarder',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('titel', sa.String(length=200), nullable=False),
    sa.Column('beskrivning', sa.Text(), nullable=False),
    sa.Column('typ', sa.String(length=16), nullable=False),
    sa.Column('niva', sa.String(length=16), nullable=False),
    sa.Column('postnummer', sa.Text(), nullable=False),
    sa.Column('omrade', sa.String(length=200), nullable=False),
    sa.Column('kon', sa.String(length=1), nullable=True),
    sa.Column('aldersgrupp', sa.String(length=16), nullable=True),
    sa.Column('indikatorer', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('slut', sa.Date(), nullable=True),
    sa.Column('ansvarig', sa.String(length=200), nullable=False),
    sa.Column('samverkan', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mote_id', sa.Integer(), nullable=True),
    sa.Column('skapad_av', sa.String(length=255), nullable=False),
    sa.Column('skapad', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mote_id'], ['moten.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_table('atgard_historik',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('atgard_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('who', sa.String(length=255), nullable=False),
    sa.Column('handelse', sa.String(length=16), nullable=False),
    sa.Column('andringar', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['atgard_id'], ['atgarder.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('atgard_historik', schema=None) as batch_op:
        batch_op.create_index('ix_atgard_historik_atgard', ['atgard_id'], unique=False)

    op.create_table('motesposter',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mote_id', sa.Integer(), nullable=False),
    sa.Column('typ', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('matt', sa.String(length=64), nullable=True),
    sa.Column('omrade', sa.String(length=200), nullable=True),
    sa.Column('aktor', sa.String(length=200), nullable=True),
    sa.Column('atgard_id', sa.Integer(), nullable=True),
    sa.Column('oppen', sa.Boolean(), nullable=False),
    sa.Column('stangd_mote_id', sa.Integer(), nullable=True),
    sa.Column('skapad_av', sa.String(length=255), nullable=False),
    sa.Column('skapad', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['atgard_id'], ['atgarder.id'], ),
    sa.ForeignKeyConstraint(['mote_id'], ['moten.id'], ),
    sa.ForeignKeyConstraint(['stangd_mote_id'], ['moten.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('motesposter', schema=None) as batch_op:
        batch_op.create_index('ix_motesposter_mote', ['mote_id'], unique=False)

