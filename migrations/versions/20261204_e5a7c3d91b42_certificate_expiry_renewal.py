"""Certificate expiry and renewal (issue 25).

exam_settings.validity_months (None: never expires) replaces certificate_valid_days (730 days
become 24 months: days × 12 / 365, rounded), and renewal_ce_hours (0: renewal by exam only).
certificates: expires_at may be empty (never expires), attempt_id and score_percent too (a
renewal by continuing education has no attempt), renews_id (the chain), basis (exam or ce).
certificate_reminders: each expiry reminder queued, once. continuing_education: credits recorded.
institution_administrators: the institution an administrator is limited to (none: program-wide).

On SQLite, altering certificates recreates the table, which other rows refer to (name changes):
foreign keys are off meanwhile and checked afterwards, as SQLite's documentation prescribes.

Revision ID: e5a7c3d91b42
Revises: d7a1c3e5f902
Create Date: 2026-12-04 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a7c3d91b42'
down_revision = 'd7a1c3e5f902'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite's own recipe for recreating a table others refer to: foreign keys off (only
    possible outside a transaction, so what came before is committed first), the change, a
    foreign_key_check that must find nothing, and foreign keys on again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    if not on:
        if raw.in_transaction:
            raw.commit()
        raw.execute("PRAGMA foreign_keys = OFF")
        return
    problems = raw.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign keys broken by the migration: {problems[:5]}")
    if raw.in_transaction:
        raw.commit()
    raw.execute("PRAGMA foreign_keys = ON")


def upgrade():
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validity_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('renewal_ce_hours', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE exam_settings SET validity_months = "
        "CAST(ROUND(certificate_valid_days * 12 / 365.0) AS INTEGER)"
    )
    op.execute("UPDATE exam_settings SET validity_months = 1 WHERE validity_months < 1")
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_exam_settings_certificate_valid_days'), type_='check')
        batch_op.drop_column('certificate_valid_days')
        batch_op.create_check_constraint(
            op.f('ck_exam_settings_validity_months'), 'validity_months IS NULL OR validity_months > 0'
        )
        batch_op.create_check_constraint(op.f('ck_exam_settings_renewal_ce_hours'), 'renewal_ce_hours >= 0')

    _sqlite_foreign_keys(on=False)
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('attempt_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('score_percent', existing_type=sa.Numeric(precision=6, scale=2), nullable=True)
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.add_column(sa.Column('renews_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('basis', sa.String(length=8), server_default='exam', nullable=False))
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_renews_id_certificates'), 'certificates', ['renews_id'], ['id']
        )
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_renews_id'), ['renews_id'])
        batch_op.create_check_constraint(op.f('ck_certificates_basis'), "basis IN ('exam', 'ce')")
        batch_op.create_index(batch_op.f('ix_certificates_expires_at'), ['expires_at'], unique=False)
    _sqlite_foreign_keys(on=True)

    op.create_table('institution_administrators',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_institution_administrators_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_institution_administrators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_institution_administrators'))
    )
    with op.batch_alter_table('institution_administrators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_administrators_institution_id'), ['institution_id'], unique=False)

    op.create_table('certificate_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_reminders_certificate_id_certificates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['mail_outbox.id'], name=op.f('fk_certificate_reminders_outbox_message_id_mail_outbox'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_reminders')),
    sa.UniqueConstraint('certificate_id', 'days_before', name='uq_certificate_reminders_certificate_days')
    )
    op.create_table('continuing_education',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('activity', sa.String(length=300), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('renewal_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('hours > 0 AND hours <= 1000', name=op.f('ck_continuing_education_hours')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_continuing_education_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_continuing_education_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['renewal_id'], ['certificates.id'], name=op.f('fk_continuing_education_renewal_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_continuing_education'))
    )
    with op.batch_alter_table('continuing_education', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_continuing_education_certificate_id'), ['certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('continuing_education', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_continuing_education_certificate_id'))
    op.drop_table('continuing_education')
    op.drop_table('certificate_reminders')
    with op.batch_alter_table('institution_administrators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_administrators_institution_id'))
    op.drop_table('institution_administrators')
    # Certificates earned by continuing education have no attempt: they cannot stay in the old schema.
    op.execute("UPDATE certificates SET renews_id = NULL")
    op.execute("DELETE FROM certificates WHERE attempt_id IS NULL")
    op.execute("UPDATE certificates SET expires_at = '9999-12-31 00:00:00' WHERE expires_at IS NULL")
    _sqlite_foreign_keys(on=False)
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_expires_at'))
        batch_op.drop_constraint(op.f('ck_certificates_basis'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_certificates_renews_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_certificates_renews_id_certificates'), type_='foreignkey')
        batch_op.drop_column('basis')
        batch_op.drop_column('renews_id')
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('score_percent', existing_type=sa.Numeric(precision=6, scale=2), nullable=False)
        batch_op.alter_column('attempt_id', existing_type=sa.Integer(), nullable=False)
    _sqlite_foreign_keys(on=True)
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_valid_days', sa.Integer(), server_default='730', nullable=False))
    op.execute(
        "UPDATE exam_settings SET certificate_valid_days = CAST(ROUND(validity_months * 365 / 12.0) AS INTEGER) "
        "WHERE validity_months IS NOT NULL"
    )
    with op.batch_alter_table('exam_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_exam_settings_renewal_ce_hours'), type_='check')
        batch_op.drop_constraint(op.f('ck_exam_settings_validity_months'), type_='check')
        batch_op.drop_column('renewal_ce_hours')
        batch_op.drop_column('validity_months')
        batch_op.create_check_constraint(
            op.f('ck_exam_settings_certificate_valid_days'), 'certificate_valid_days > 0'
        )
