"""Skills gap (issue 27): which institution an instructor or administrator works for.

Revision ID: d2a7b5c9e3f1
Revises: c4e8f2a9b7d1
Create Date: 2026-12-04 15:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a7b5c9e3f1'
down_revision = 'c4e8f2a9b7d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_institutions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_staff_institutions_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_institutions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'institution_id', name=op.f('pk_staff_institutions'))
    )
    with op.batch_alter_table('staff_institutions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_institutions_institution_id'), ['institution_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_institutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_institutions_institution_id'))
    op.drop_table('staff_institutions')
