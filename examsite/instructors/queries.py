"""Aggregate queries behind the instructors' pages."""

from __future__ import annotations

from sqlalchemy import func, select

from examsite.delivery.models import Attempt, IntegrityEvent
from examsite.extensions import db


def integrity_summary(role_id: int | None = None, limit: int = 200) -> list[dict]:
    """Attempts with integrity events, newest first, with counts by kind."""
    query = (
        select(Attempt, IntegrityEvent.kind, func.count(IntegrityEvent.id))
        .join(IntegrityEvent, IntegrityEvent.attempt_id == Attempt.id)
        .group_by(Attempt.id, IntegrityEvent.kind)
        .order_by(Attempt.started_at.desc())
    )
    if role_id:
        query = query.where(Attempt.role_id == role_id)
    summary: dict[int, dict] = {}
    for attempt, kind, count in db.session.execute(query):
        entry = summary.setdefault(attempt.id, {"attempt": attempt, "kinds": {}})
        entry["kinds"][kind] = count
    return list(summary.values())[:limit]
