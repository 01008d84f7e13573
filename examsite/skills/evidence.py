"""Keep `skills_evidence` as attempts are scored: a receiver of delivery's `attempt_scored`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from examsite.banks.models import Domain
from examsite.delivery.signals import attempt_scored
from examsite.extensions import db
from examsite.skills.models import SkillsEvidence
from examsite.skills.rules import HALF_LIFE_DAYS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: the day (2026-01-01) whose answers have weight 1 in SkillsEvidence.weight
WEIGHT_DAY = 20454


def day_number(moment: datetime) -> float:
    """SkillsEvidence.closed_day: days since 1970-01-01 UTC, with the time of day as a fraction."""
    return (moment - EPOCH).total_seconds() / 86400


def recency_factor(day: float) -> float:
    """SkillsEvidence.weight: the recency weight measured from a fixed day instead of today.

    rules.recency_weight(age) = 0.5 ** (age / HALF_LIFE_DAYS) is this factor times a constant
    of the day the view is asked for (2 ** ((WEIGHT_DAY - today) / HALF_LIFE_DAYS)), and the level
    reads only ratios of weighted sums (rules.level_from_sums), where that constant cancels. So the
    factor is stored once and the query only multiplies. (An answer dated after the day of the
    view, which a clock can only produce by mistake, counts a little more rather than as today.)
    """
    return 2.0 ** ((day - WEIGHT_DAY) / HALF_LIFE_DAYS)


@attempt_scored.connect
def store_evidence(attempt, now: datetime | None = None, **_) -> int:
    """One row per domain of the scored attempt (its `domain_results`, scored items only), in the
    closing transaction (the caller commits). Simulated attempts are no one's trainees and leave
    none. The number of rows written."""
    if attempt.simulated or not attempt.domain_results:
        return 0
    closed_at = attempt.closed_at or now
    ids = dict(db.session.execute(select(Domain.code, Domain.id)).all())
    rows = [
        {
            "attempt_id": attempt.id,
            "domain_id": ids[d["code"]],
            "user_id": attempt.user_id,
            "institution_id": attempt.institution_id,
            "cohort_id": attempt.cohort_id,
            "closed_at": closed_at,
            "closed_day": day_number(closed_at),
            "weight": recency_factor(day_number(closed_at)),
            "correct": d["correct"],
            "total": d["total"],
        }
        for d in attempt.domain_results
        if d.get("code") in ids and d.get("total", 0) > 0
    ]
    if rows:
        db.session.execute(insert(SkillsEvidence), rows)
    return len(rows)
