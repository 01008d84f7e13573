"""Each closed attempt remembers when the same trainee's previous closed attempt in its group closed.

A pass-rate report counts candidates (distinct trainees) per group. `COUNT(DISTINCT user_id)` has
to sort every attempt; instead each closed attempt carries, for each way reports group, the
closing time of the same trainee's previous closed attempt in the same group (`Attempt.prev_*`).
An attempt is then a new candidate in a report over [from, to) exactly when that previous attempt
is missing or closed before `from`: one pass, no sort, and the counts add up across groups.
Attempts are ordered by (closed_at, id); months and years are UTC.

`link_closed_attempts(user_id)` keeps the columns right for one trainee; `close_attempt` calls it
in the closing transaction. `backfill` computes them for everyone with window functions: the
migration that added them froze a copy, and the tests hold both ways of computing them to each
other. The report benchmark's generator applies GROUP_KEYS as it writes its attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, text, update

from examsite.accounts.models import User
from examsite.catalog.models import Role
from examsite.delivery.models import Attempt, AttemptStatus
from examsite.extensions import db

#: column -> what, besides the trainee, makes two closed attempts the same group (UTC periods)
GROUP_KEYS: dict[str, Callable] = {
    "prev_closed_at": lambda row: (),
    "prev_month_closed_at": lambda row: (row.closed_month,),
    "prev_role_closed_at": lambda row: (row.role_id,),
    "prev_category_closed_at": lambda row: (row.category_id,),
    "prev_institution_closed_at": lambda row: (row.institution_id,),
    "prev_cohort_closed_at": lambda row: (row.cohort_id,),
    "prev_role_year_closed_at": lambda row: (row.role_id, row.passing_percent, row.closed_month // 100),
}


def closed_month(moment: datetime) -> int:
    """The UTC year and month of an aware datetime as YYYYMM (Attempt.closed_month)."""
    moment = moment.astimezone(UTC)
    return moment.year * 100 + moment.month


def closed_month_sql(dialect: str) -> str:
    """Attempt.closed_month from closed_at, in SQL (for backfills)."""
    if dialect == "postgresql":
        utc = "closed_at AT TIME ZONE 'UTC'"
        return f"CAST(EXTRACT(YEAR FROM {utc}) * 100 + EXTRACT(MONTH FROM {utc}) AS INTEGER)"
    return "CAST(strftime('%Y%m', closed_at) AS INTEGER)"  # SQLite stores UTC text


def backfill_sql() -> str:
    """Every closed attempt's links, from scratch, with window functions (UPDATE … FROM needs
    SQLite 3.33 or later); closed_month must be set. Built from the constant names here only."""
    partitions = {
        "prev_closed_at": "a.user_id",
        "prev_month_closed_at": "a.user_id, a.closed_month",
        "prev_role_closed_at": "a.user_id, a.role_id",
        "prev_category_closed_at": "a.user_id, r.category_id",
        "prev_institution_closed_at": "a.user_id, a.institution_id",
        "prev_cohort_closed_at": "a.user_id, a.cohort_id",
        "prev_role_year_closed_at": "a.user_id, a.role_id, a.passing_percent, a.closed_month / 100",
    }
    assert list(partitions) == list(GROUP_KEYS)
    lags = ", ".join(
        f"LAG(a.closed_at) OVER (PARTITION BY {partition} ORDER BY a.closed_at, a.id) AS {column}"
        for column, partition in partitions.items()
    )
    assignments = ", ".join(f"{column} = w.{column}" for column in partitions)
    source = "attempts a JOIN roles r ON r.id = a.role_id"
    closed = "a.status <> 'in_progress' AND a.closed_at IS NOT NULL"
    return f"UPDATE attempts SET {assignments} FROM (SELECT a.id, {lags} FROM {source} WHERE {closed}) AS w WHERE attempts.id = w.id"  # noqa: E501, S608


def link_closed_attempts(user_id: int) -> int:
    """Set the trainee's closed attempts' links where they are not right yet; how many changed.

    Normally only the attempt that just closed changes. On PostgreSQL the trainee's row is locked
    first, so two of their attempts closing at once are linked one after the other, each seeing
    the other (on SQLite the writer lock already orders them).
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    columns = [getattr(Attempt, name) for name in GROUP_KEYS]
    rows = db.session.execute(
        select(
            Attempt.id,
            Attempt.closed_at,
            Attempt.closed_month,
            Attempt.role_id,
            Role.category_id,
            Attempt.institution_id,
            Attempt.cohort_id,
            Attempt.passing_percent,
            *columns,
        )
        .join(Role, Role.id == Attempt.role_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.status != AttemptStatus.IN_PROGRESS,
            Attempt.closed_at.is_not(None),
        )
        .order_by(Attempt.closed_at, Attempt.id)
    ).all()
    last: dict[str, dict] = {name: {} for name in GROUP_KEYS}
    changed = 0
    for row in rows:
        wanted = {}
        for name, key in GROUP_KEYS.items():
            group = key(row)
            wanted[name] = last[name].get(group)
            last[name][group] = row.closed_at
        if any(getattr(row, name) != value for name, value in wanted.items()):
            db.session.execute(
                update(Attempt)
                .where(Attempt.id == row.id)
                .values(**wanted)
                .execution_options(synchronize_session=False)
            )
            changed += 1
    return changed


def backfill(connection) -> None:
    """Every closed attempt's closing month and links, from scratch (bulk loads, and the tests'
    reference for link_closed_attempts; the migration has its own copy)."""
    month = closed_month_sql(connection.dialect.name)
    connection.execute(text(f"UPDATE attempts SET closed_month = {month} WHERE closed_at IS NOT NULL"))  # noqa: S608
    connection.execute(text(backfill_sql()))
