"""Exam-taking aids (issue 24): options a trainee struck out per attempt item, and each user's
text size and theme. The choices are checked by the app (examsite.accounts.preferences): a
CHECK constraint would make SQLite rebuild the users table, which every other table refers to.

Revision ID: d5a1e7c3b2f8
Revises: 0d42716481be
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5a1e7c3b2f8'
down_revision = '0d42716481be'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('struck', sa.JSON(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_size', sa.Integer(), server_default='100', nullable=False))
        batch_op.add_column(sa.Column('theme', sa.String(length=16), server_default='default', nullable=False))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch: a batch rebuilds the table,
    # and SQLite refuses to drop the old users table while other rows refer to it.
    op.drop_column('users', 'theme')
    op.drop_column('users', 'text_size')
    op.drop_column('attempt_items', 'struck')
