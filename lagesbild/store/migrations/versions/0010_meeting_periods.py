"""Meetings own their period; items can be changed and deleted with history; protocols

Revision ID: 0010
Revises: 0009
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('moten', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_kod', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('deltagare', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('release_version', sa.String(length=64), nullable=True))
    with op.batch_alter_table('motesposter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ansvarig', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('uppfoljning', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('borttagen', sa.DateTime(timezone=True), nullable=True))
    op.create_table('motespost_historik',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('mote_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('who', sa.String(length=255), nullable=False),
    sa.Column('handelse', sa.String(length=16), nullable=False),
    sa.Column('andringar', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['mote_id'], ['moten.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['motesposter.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('motespost_historik', schema=None) as batch_op:
        batch_op.create_index('ix_motespost_historik_mote', ['mote_id'], unique=False)
    op.create_table('motesprotokoll',
    sa.Column('mote_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('innehall', sa.LargeBinary(), nullable=False),
    sa.Column('skapad', sa.DateTime(timezone=True), nullable=False),
    sa.Column('skapad_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['mote_id'], ['moten.id'], ),
    sa.PrimaryKeyConstraint('mote_id', 'format')
    )
    # Meetings opened before: their period is the month the agenda was built on (monthly)
    # or the quarter that month lies in (quarterly).
    moten = sa.table('moten', sa.column('id', sa.Integer), sa.column('typ', sa.String),
                     sa.column('period_slut', sa.Date), sa.column('period_kod', sa.String))
    conn = op.get_bind()
    for id_, typ, end in conn.execute(sa.select(moten.c.id, moten.c.typ,
                                                moten.c.period_slut)).all():
        if end is None:
            continue
        end = date.fromisoformat(str(end)[:10])
        code = f"{end:%Y-%m}" if typ == 'avstamning' else \
            f"{end.year}-Q{(end.month + 2) // 3}"
        conn.execute(moten.update().where(moten.c.id == id_).values(period_kod=code))
