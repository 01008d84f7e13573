"""The instructors' workspace: category assignments, review comments, uploaded item images,
each item's latest version, tags and the saving user on versions, and the in_review item status.

items.latest_version_id starts as the serving version (current_version_id) for every item.

Revision ID: 7b3e9a1c5d20
Revises: a1f3c0de5e17
Create Date: 2026-12-04 12:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '7b3e9a1c5d20'
down_revision = 'a1f3c0de5e17'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('draft', 'pretest', 'active', 'retired')"
NEW_STATUSES = "status IN ('draft', 'in_review', 'pretest', 'active', 'retired')"


def upgrade():
    op.create_table(
        'category_assignments',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_assignments_category_id_categories'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_category_assignments_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'category_id', name=op.f('pk_category_assignments')),
    )
    with op.batch_alter_table('category_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_assignments_category_id'), ['category_id'], unique=False)

    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_item_versions_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_item_versions_created_by_id_users'), 'users', ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_item_versions_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_item_versions_status'), sa.text(NEW_STATUSES))
    op.execute("UPDATE item_versions SET tags = '[]' WHERE tags IS NULL")
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.alter_column('tags', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_items_latest_version_id'), ['latest_version_id'], unique=False)
        batch_op.create_foreign_key('fk_items_latest_version', 'item_versions', ['latest_version_id'], ['id'])
    op.execute('UPDATE items SET latest_version_id = current_version_id')

    op.create_table(
        'item_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('item_version_id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_item_comments_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_comments_item_id_items'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_item_comments_item_version_id_item_versions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['parent_id'], ['item_comments.id'], name=op.f('fk_item_comments_parent_id_item_comments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_comments')),
    )
    with op.batch_alter_table('item_comments', schema=None) as batch_op:
        batch_op.create_index('ix_item_comments_item', ['item_id', 'created_at'], unique=False)
    op.create_table(
        'item_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_item_images_uploaded_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_item_images')),
        sa.UniqueConstraint('sha256', name=op.f('uq_item_images_sha256')),
    )


def downgrade():
    op.drop_table('item_images')
    with op.batch_alter_table('item_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_item_comments_item')
    op.drop_table('item_comments')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_constraint('fk_items_latest_version', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_items_latest_version_id'))
        batch_op.drop_column('latest_version_id')
    op.execute("UPDATE item_versions SET status = 'draft' WHERE status = 'in_review'")
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_item_versions_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_item_versions_status'), sa.text(OLD_STATUSES))
        batch_op.drop_constraint(batch_op.f('fk_item_versions_created_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_item_versions_created_by_id'))
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('tags')
    with op.batch_alter_table('category_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_assignments_category_id'))
    op.drop_table('category_assignments')
