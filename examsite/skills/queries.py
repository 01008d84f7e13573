"""What the skills rules need from the database: one aggregate query per question.

Evidence is grouped per (attempt, domain) in SQL, so a profile reads one row per attempt and domain,
never one per item. Item difficulties are not passed yet (item analysis computes them per role on
demand, not stored); `rules.estimate` weighs every item alike until they are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, case, func, select, text
from sqlalchemy.exc import OperationalError

from examsite.banks.models import Blueprint, BlueprintDomain, Domain, ItemVersion
from examsite.catalog.models import Category, Role
from examsite.delivery.models import Attempt, AttemptItem
from examsite.extensions import db
from examsite.skills.rules import HALF_LIFE_DAYS, Evidence, RoleBlueprint

CLOSED = ("submitted", "expired")


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


@dataclass(frozen=True)
class GapSums:
    """One trainee's evidence in one domain within one group, summed in SQL (see level_from_sums)."""

    user_id: int
    group_id: int | None
    code: str
    items: int
    sum_w: float
    sum_w2: float
    sum_right: float


#: per closed attempt, its recency weight relative to :now (rules.recency_weight, in SQL)
_WEIGHT = {
    "postgresql": "exp(ln(0.5) * GREATEST(0, :now_epoch - extract(epoch from a.closed_at)) / :half_life)",
    "sqlite": "exp(ln(0.5) * max(0, (:now_jd - julianday(a.closed_at)) * 86400) / :half_life)",
}
#: the attempt's per-domain results (stored at scoring: scored items only, never pretest), one row each
_DOMAINS = {
    "postgresql": (
        "CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(c.domain_results) = 'array' "
        "THEN c.domain_results ELSE '[]'::json END) AS e "
        "CROSS JOIN LATERAL (SELECT e.value->>'code' AS code, (e.value->>'total')::int AS total, "
        "(e.value->>'correct')::int AS correct) AS d",
        "",
    ),
    "sqlite": ("JOIN json_each(c.domain_results) AS e ON 1 = 1", "AND e.type = 'object'"),
}


def gap_sums(by: str, start: datetime | None, end: datetime | None, now: datetime) -> list[GapSums]:
    """Per (trainee, group, domain), the weighted sums of their closed attempts in [start, end).

    One aggregate query over the attempts' stored per-domain results (one JSON array per
    attempt), grouped by trainee, group and domain in the database: the reply has one row per
    trainee and domain, never one per attempt or item, which keeps the skills-gap view of
    100,000 attempts within a second (bench/skills_bench.py, docs/benchmarks.md). The group is
    the attempt's cohort or institution at its start (None when it had none). Simulated attempts
    are no one's trainees and are left out.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect not in _WEIGHT:
        raise RuntimeError(f"the skills-gap query has no form for {dialect}")
    group = "cohort_id" if by == "cohort" else "institution_id"
    conditions = ["a.status IN ('submitted', 'expired')", "a.simulated = :no", "a.closed_at IS NOT NULL"]
    params: dict = {"no": False, "half_life": HALF_LIFE_DAYS * 86400}
    if start is not None:
        conditions.append("a.closed_at >= :start")
        params["start"] = _bind_time(start, dialect)
    if end is not None:
        conditions.append("a.closed_at < :end")
        params["end"] = _bind_time(end, dialect)
    if dialect == "sqlite":
        _sqlite_math()
        params["now_jd"] = now.timestamp() / 86400 + 2440587.5
        code, total, correct = (
            "json_extract(e.value, '$.code')",
            "json_extract(e.value, '$.total')",
            "json_extract(e.value, '$.correct')",
        )
    else:
        params["now_epoch"] = now.timestamp()
        code, total, correct = "d.code", "d.total", "d.correct"
    joins, extra = _DOMAINS[dialect]
    # every fragment is one of the constants above; values go in as bound parameters
    sql = f"""
        SELECT c.user_id, c.grp, {code} AS code, SUM({total}) AS items,
               SUM({total} * c.w), SUM({total} * c.w * c.w), SUM({correct} * c.w)
        FROM (
            SELECT a.user_id, a.{group} AS grp, a.domain_results, {_WEIGHT[dialect]} AS w
            FROM attempts AS a
            WHERE {" AND ".join(conditions)}
        ) AS c
        {joins}
        WHERE 1 = 1 {extra}
        GROUP BY c.user_id, c.grp, {code}
    """  # noqa: S608
    return [
        GapSums(user_id, grp, str(code), int(items or 0), float(w or 0), float(w2 or 0), float(right or 0))
        for user_id, grp, code, items, w, w2, right in db.session.execute(text(sql), params)
        if code is not None
    ]


def _bind_time(moment: datetime, dialect: str):
    """As UTCDateTime stores it: naive UTC text on SQLite, an aware timestamp on PostgreSQL."""
    if dialect == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def _sqlite_math() -> None:
    """SQLite builds without the math functions get exp() and ln() from Python (same results)."""
    connection = db.session.connection()
    try:
        connection.exec_driver_sql("SELECT exp(0), ln(1)")
    except OperationalError:
        raw = connection.connection.dbapi_connection
        raw.create_function("exp", 1, math.exp, deterministic=True)
        raw.create_function("ln", 1, math.log, deterministic=True)


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
