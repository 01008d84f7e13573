"""Aggregate queries behind the instructors' pages."""

from __future__ import annotations

import math

from sqlalchemy import Float, and_, case, cast, func, select

from examsite.banks.models import Item, ItemVersion
from examsite.catalog.models import Role
from examsite.delivery.models import Attempt, AttemptItem, AttemptStatus, IntegrityEvent
from examsite.extensions import db
from examsite.instructors.statistics import ItemAggregate, item_statistics, kr20

CLOSED = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)


def role_item_report(role: Role) -> dict:
    """Item statistics and reliability for a role's scored items over closed attempts."""
    totals = db.session.execute(
        select(
            func.count(Attempt.id),
            func.avg(cast(Attempt.raw_score, Float)),
            func.avg(cast(Attempt.raw_score * Attempt.raw_score, Float)),
            func.avg(cast(Attempt.scored_items, Float)),
            func.avg(cast(Attempt.score_percent, Float)),
            func.avg(cast(Attempt.score_percent * Attempt.score_percent, Float)),
        ).where(Attempt.role_id == role.id, Attempt.status.in_(CLOSED))
    ).one()
    attempts, mean_raw, mean_raw_sq, items_per_form, mean_pct, mean_pct_sq = totals
    if not attempts:
        return {"attempts": 0, "items": [], "kr20": None, "mean_percent": None, "sd_percent": None}
    raw_variance = max(0.0, (mean_raw_sq or 0) - (mean_raw or 0) ** 2)
    pct_sd = math.sqrt(max(0.0, (mean_pct_sq or 0) - (mean_pct or 0) ** 2))
    pct = cast(Attempt.score_percent, Float)
    rows = db.session.execute(
        select(
            AttemptItem.item_version_id,
            Item.external_id,
            func.count(),
            func.sum(case((AttemptItem.correct.is_(True), 1), else_=0)),
            func.avg(case((AttemptItem.correct.is_(True), pct))),
            func.avg(case((AttemptItem.correct.is_(False), pct))),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(
            and_(Attempt.role_id == role.id, Attempt.status.in_(CLOSED), AttemptItem.is_pretest.is_(False))
        )
        .group_by(AttemptItem.item_version_id, Item.external_id)
        .order_by(Item.external_id)
    ).all()
    aggregates = [ItemAggregate(r[0], r[1], r[2], r[3] or 0, r[4], r[5]) for r in rows]
    stats = item_statistics(aggregates, pct_sd)
    reliability = kr20([s.facility for s in stats], items_per_form or 0, raw_variance)
    return {
        "attempts": attempts,
        "items": stats,
        "kr20": None if reliability is None else round(reliability, 3),
        "mean_percent": round(mean_pct or 0, 2),
        "sd_percent": round(pct_sd, 2),
    }


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
