"""Skills gap (issue 27): which institution an instructor or administrator works for, and the
skills-gap view's evidence (one row per closed attempt and domain), filled from the attempts'
stored domain results.

Revision ID: d2a7b5c9e3f1
Revises: e5a7c3d91b42
Create Date: 2026-12-04 15:20:00

"""
import json
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a7b5c9e3f1'
down_revision = 'e5a7c3d91b42'
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

    op.create_table('skills_evidence',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_day', sa.Float(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_skills_evidence_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_skills_evidence_cohort_id_cohorts')),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_skills_evidence_domain_id_domains')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_skills_evidence_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_skills_evidence_user_id_users')),
    sa.PrimaryKeyConstraint('attempt_id', 'domain_id', name=op.f('pk_skills_evidence'))
    )
    with op.batch_alter_table('skills_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_skills_evidence_cohort', ['cohort_id', 'user_id', 'domain_id', 'closed_day', 'weight', 'correct', 'total'], unique=False)
        batch_op.create_index('ix_skills_evidence_institution', ['institution_id', 'user_id', 'domain_id', 'closed_day', 'weight', 'correct', 'total'], unique=False)
        batch_op.create_index('ix_skills_evidence_trainee', ['user_id', 'domain_id', 'institution_id', 'cohort_id', 'closed_day', 'weight', 'correct', 'total'], unique=False)
    _fill_evidence()


def _fill_evidence():
    """Every closed, non-simulated attempt's stored domain results, as scoring now writes them
    (a frozen copy of examsite.skills.evidence.store_evidence)."""
    conn = op.get_bind()
    domains = dict(conn.execute(sa.text("SELECT code, id FROM domains")).all())
    evidence = sa.table(
        'skills_evidence',
        *(sa.column(name) for name in (
            'attempt_id', 'domain_id', 'user_id', 'institution_id', 'cohort_id', 'closed_at', 'closed_day',
            'weight', 'correct', 'total',
        )),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    result = conn.execute(sa.text(
        "SELECT id, user_id, institution_id, cohort_id, closed_at, domain_results FROM attempts "
        "WHERE status IN ('submitted', 'expired') AND simulated = :no AND closed_at IS NOT NULL "
        "AND domain_results IS NOT NULL ORDER BY id"
    ), {"no": False}).fetchall()
    naive = conn.dialect.name == "sqlite"  # as the app stores times there: naive UTC text
    batch = []
    for attempt_id, user_id, institution_id, cohort_id, closed_at, results in result:
        if isinstance(results, str):
            results = json.loads(results)
        if isinstance(closed_at, str):
            closed_at = datetime.fromisoformat(closed_at)
        if closed_at.tzinfo is None:
            closed_at = closed_at.replace(tzinfo=UTC)
        for d in results or []:
            if d.get("code") in domains and d.get("total", 0) > 0:
                batch.append({
                    "attempt_id": attempt_id, "domain_id": domains[d["code"]], "user_id": user_id,
                    "institution_id": institution_id, "cohort_id": cohort_id,
                    "closed_at": closed_at.replace(tzinfo=None) if naive else closed_at,
                    "closed_day": (closed_at - epoch).total_seconds() / 86400,
                    # evidence.recency_factor: 2 ** ((day - 2026-01-01) / 365-day half-life)
                    "weight": 2.0 ** (((closed_at - epoch).total_seconds() / 86400 - 20454) / 365.0),
                    "correct": d["correct"], "total": d["total"],
                })
        if len(batch) >= 5000:
            conn.execute(evidence.insert(), batch)
            batch = []
    if batch:
        conn.execute(evidence.insert(), batch)


def downgrade():
    op.drop_table('skills_evidence')
    with op.batch_alter_table('staff_institutions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_institutions_institution_id'))
    op.drop_table('staff_institutions')
