"""API tokens get a name, an optional scope and an expiry (branch security, issue 18).

Tokens made before this revision are named "API token", keep full scope and expire 90 days
after the upgrade: they used to live for ever.

Revision ID: b7e2d4a90c31
Revises: b7c2e9a41d03
Create Date: 2026-12-04 12:45:00

"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4a90c31'
down_revision = 'b7c2e9a41d03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name', sa.String(length=80), nullable=False, server_default='API token')
        )
        batch_op.add_column(sa.Column('scope', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    expires = datetime.now(UTC) + timedelta(days=90)
    if op.get_bind().dialect.name == 'sqlite':
        expires = expires.replace(tzinfo=None)  # UTCDateTime keeps naive UTC on SQLite
    op.get_bind().execute(
        sa.text('UPDATE api_tokens SET expires_at = :expires WHERE expires_at IS NULL'),
        {'expires': expires},
    )


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scope')
        batch_op.drop_column('name')
