"""Item analysis (issue 21): the cache of calculated analyses, and simulated attempts marked as such.

Revision ID: c4e8f2a9b7d1
Revises: c4d8e1f2a6b9
Create Date: 2026-12-04 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8f2a9b7d1'
down_revision = 'c4d8e1f2a6b9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_analysis_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('calculated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_item_analysis_cache_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_analysis_cache')),
    sa.UniqueConstraint('scope', name=op.f('uq_item_analysis_cache_scope'))
    )
    with op.batch_alter_table('item_analysis_cache', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_analysis_cache_role_id'), ['role_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulated', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('simulated')

    with op.batch_alter_table('item_analysis_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_analysis_cache_role_id'))
    op.drop_table('item_analysis_cache')
