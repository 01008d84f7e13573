"""Attempts remember their closing month, and when the trainee's previous closed attempt in each
report group closed.

closed_month (YYYYMM, UTC) and seven nullable timestamps on attempts, filled for every closed attempt from the attempts already
there (window functions; UPDATE … FROM needs SQLite 3.33 or later). From then on the app keeps
them when an attempt closes (examsite/delivery/history.py). Reports count candidates from them
in one pass instead of COUNT(DISTINCT user_id). The backfill SQL is a frozen copy of the one in
examsite/delivery/history.py, so this revision stays the same when the app changes.

Revision ID: d9f61eed6362
Revises: ee492ac2c896
Create Date: 2026-11-24 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9f61eed6362'
down_revision = 'ee492ac2c896'
branch_labels = None
depends_on = None

COLUMNS = (
    'prev_closed_at',
    'prev_month_closed_at',
    'prev_role_closed_at',
    'prev_category_closed_at',
    'prev_institution_closed_at',
    'prev_cohort_closed_at',
    'prev_role_year_closed_at',
)


def closed_month_sql(dialect):
    if dialect == 'postgresql':
        utc = "closed_at AT TIME ZONE 'UTC'"
        return f'CAST(EXTRACT(YEAR FROM {utc}) * 100 + EXTRACT(MONTH FROM {utc}) AS INTEGER)'
    return "CAST(strftime('%Y%m', closed_at) AS INTEGER)"


def backfill_sql():
    partitions = (
        'a.user_id',
        'a.user_id, a.closed_month',
        'a.user_id, a.role_id',
        'a.user_id, r.category_id',
        'a.user_id, a.institution_id',
        'a.user_id, a.cohort_id',
        'a.user_id, a.role_id, a.passing_percent, a.closed_month / 100',
    )
    lags = ', '.join(
        f'LAG(a.closed_at) OVER (PARTITION BY {partition} ORDER BY a.closed_at, a.id) AS {column}'
        for column, partition in zip(COLUMNS, partitions, strict=True)
    )
    assignments = ', '.join(f'{column} = w.{column}' for column in COLUMNS)
    # Built from the constant names above only: nothing here comes from input.
    return (
        f'UPDATE attempts SET {assignments} FROM (SELECT a.id, {lags}'  # noqa: S608
        ' FROM attempts a JOIN roles r ON r.id = a.role_id'
        " WHERE a.status <> 'in_progress' AND a.closed_at IS NOT NULL) AS w"
        ' WHERE attempts.id = w.id'
    )


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_month', sa.Integer(), nullable=True))
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    dialect = op.get_bind().dialect.name
    month = closed_month_sql(dialect)
    op.execute(f'UPDATE attempts SET closed_month = {month} WHERE closed_at IS NOT NULL')  # noqa: S608
    op.execute(backfill_sql())


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
        batch_op.drop_column('closed_month')
