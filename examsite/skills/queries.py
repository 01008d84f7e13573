"""What the skills rules need from the database: one aggregate query per question.

Evidence is grouped per (attempt, domain) in SQL, so a profile reads one row per attempt and domain,
never one per item. Item difficulties are not passed yet (item analysis computes them per role on
demand, not stored); `rules.estimate` weighs every item alike until they are.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Integer, case, func, select

from examsite.banks.models import Blueprint, BlueprintDomain, Domain, ItemVersion
from examsite.catalog.models import Category, Role
from examsite.delivery.models import Attempt, AttemptItem, AttemptStatus
from examsite.extensions import db
from examsite.skills.rules import Evidence, RoleBlueprint

CLOSED = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)


def _right():
    return func.sum(case((AttemptItem.correct.is_(True), 1), else_=0)).cast(Integer)


def evidence_for(user_id: int) -> tuple[dict[str, list[Evidence]], dict[str, str], set[str]]:
    """(evidence by domain code, domain names, slugs of the roles attempted) for one trainee."""
    rows = db.session.execute(
        select(Domain.code, Domain.name, Attempt.closed_at, _right(), func.count(AttemptItem.id))
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .join(Domain, Domain.id == ItemVersion.domain_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.status.in_(CLOSED),
            AttemptItem.is_pretest.is_(False),
            AttemptItem.correct.is_not(None),
        )
        .group_by(Attempt.id, Attempt.closed_at, Domain.code, Domain.name)
    ).all()
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    names: dict[str, str] = {}
    for code, name, closed_at, right, total in rows:
        names[code] = name
        evidence[code].append(Evidence(closed_at, int(right or 0), int(total)))
    attempted = set(
        db.session.scalars(
            select(Role.slug).join(Attempt, Attempt.role_id == Role.id).where(Attempt.user_id == user_id)
        )
    )
    return dict(evidence), names, attempted


def role_blueprints() -> list[RoleBlueprint]:
    """Every role in catalog order, with its blueprint's items per domain (empty without one)."""
    roles = db.session.execute(
        select(Role.id, Role.slug, Category.slug, Role.track)
        .join(Category, Category.id == Role.category_id)
        .order_by(Category.position, Role.position)
    ).all()
    weights: dict[int, dict[str, int]] = defaultdict(dict)
    for role_id, code, items in db.session.execute(
        select(Blueprint.role_id, Domain.code, BlueprintDomain.items)
        .join(BlueprintDomain, BlueprintDomain.blueprint_id == Blueprint.id)
        .join(Domain, Domain.id == BlueprintDomain.domain_id)
    ):
        weights[role_id][code] = items
    return [
        RoleBlueprint(slug, category, track, weights[role_id]) for role_id, slug, category, track in roles
    ]


def role_names() -> dict[str, str]:
    return dict(db.session.execute(select(Role.slug, Role.name)).all())


def domain_names() -> dict[str, str]:
    return dict(db.session.execute(select(Domain.code, Domain.name)).all())


def group_evidence(
    by: str, start: datetime | None, end: datetime | None
) -> dict[tuple[int, int | None], dict[str, list[Evidence]]]:
    """Evidence per (trainee, group id) and domain, from attempts closed in [start, end).

    The group is the attempt's cohort or institution at its start (None when it had none).
    """
    group = Attempt.cohort_id if by == "cohort" else Attempt.institution_id
    query = (
        select(Attempt.user_id, group, Domain.code, Attempt.closed_at, _right(), func.count(AttemptItem.id))
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .join(Domain, Domain.id == ItemVersion.domain_id)
        .where(
            Attempt.status.in_(CLOSED),
            Attempt.simulated.is_(False),  # simulated candidates are no one's trainees
            AttemptItem.is_pretest.is_(False),
            AttemptItem.correct.is_not(None),
        )
        .group_by(Attempt.id, Attempt.user_id, group, Attempt.closed_at, Domain.code)
    )
    if start is not None:
        query = query.where(Attempt.closed_at >= start)
    if end is not None:
        query = query.where(Attempt.closed_at < end)
    result: dict[tuple[int, int | None], dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    for user_id, group_id, code, closed_at, right, total in db.session.execute(query):
        result[(user_id, group_id)][code].append(Evidence(closed_at, int(right or 0), int(total)))
    return result


def group_names(by: str) -> dict[int, str]:
    from examsite.programs.models import Cohort, Institution

    if by == "cohort":
        rows = db.session.execute(
            select(Cohort.id, Institution.name, Cohort.name).join(
                Institution, Institution.id == Cohort.institution_id
            )
        )
        return {cid: f"{name} ({inst})" for cid, inst, name in rows}
    return dict(db.session.execute(select(Institution.id, Institution.name)).all())
