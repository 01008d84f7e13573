"""Standard setting (issue 21): modified-Angoff studies, their panelists and ratings, and the
study an exam's passing standard came from; item analyses stored per category as well as per role.

Revision ID: 0d42716481be
Revises: d2a7b5c9e3f1
Create Date: 2026-12-04 14:58:26.061598

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0d42716481be'
down_revision = "d2a7b5c9e3f1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standard_studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('item_version_ids', sa.JSON(), nullable=False),
    sa.Column('item_data', sa.JSON(), nullable=False),
    sa.Column('round2_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.Column('applied_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('previous_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('round1', 'round2', 'closed', 'applied')", name=op.f('ck_standard_studies_status')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_standard_studies_applied_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_standard_studies_opened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_standard_studies_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_studies'))
    )
    with op.batch_alter_table('standard_studies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_studies_role_id'), ['role_id'], unique=False)

    op.create_table('standard_panelists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('round1_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('round2_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['study_id'], ['standard_studies.id'], name=op.f('fk_standard_panelists_study_id_standard_studies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_standard_panelists_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_panelists')),
    sa.UniqueConstraint('study_id', 'user_id', name='uq_standard_panelists_study_user')
    )
    with op.batch_alter_table('standard_panelists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_panelists_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_standard_panelists_user_id'), ['user_id'], unique=False)

    op.create_table('standard_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panelist_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Numeric(precision=3, scale=2), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating >= 0.05 AND rating <= 0.95', name=op.f('ck_standard_ratings_rating')),
    sa.CheckConstraint('round IN (1, 2)', name=op.f('ck_standard_ratings_round')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_standard_ratings_item_version_id_item_versions')),
    sa.ForeignKeyConstraint(['panelist_id'], ['standard_panelists.id'], name=op.f('fk_standard_ratings_panelist_id_standard_panelists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standard_ratings')),
    sa.UniqueConstraint('panelist_id', 'item_version_id', 'round', name='uq_standard_ratings_panelist_item_round')
    )
    with op.batch_alter_table('standard_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standard_ratings_panelist_id'), ['panelist_id'], unique=False)

    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passing_standard_study_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_exam_settings_passing_standard_study_id_standard_studies'), 'standard_studies', ['passing_standard_study_id'], ['id'], ondelete='SET NULL')


    with op.batch_alter_table('item_analysis_cache', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.alter_column('role_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f('ix_item_analysis_cache_category_id'), ['category_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_item_analysis_cache_category_id_categories'), 'categories', ['category_id'], ['id'], ondelete='CASCADE')


def downgrade():
    # category analyses have no role: they go (a cache, calculated again on request)
    op.execute("DELETE FROM item_analysis_cache WHERE role_id IS NULL")
    with op.batch_alter_table('item_analysis_cache', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_item_analysis_cache_category_id_categories'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_item_analysis_cache_category_id'))
        batch_op.alter_column('role_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('category_id')

    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_exam_settings_passing_standard_study_id_standard_studies'), type_='foreignkey')
        batch_op.drop_column('passing_standard_study_id')

    with op.batch_alter_table('standard_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_ratings_panelist_id'))

    op.drop_table('standard_ratings')
    with op.batch_alter_table('standard_panelists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_panelists_user_id'))
        batch_op.drop_index(batch_op.f('ix_standard_panelists_study_id'))

    op.drop_table('standard_panelists')
    with op.batch_alter_table('standard_studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standard_studies_role_id'))

    op.drop_table('standard_studies')
