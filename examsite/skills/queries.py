"""What the skills rules need from the database: one aggregate query per question.

Evidence is grouped per (attempt, domain) in SQL, so a profile reads one row per attempt and domain,
never one per item. Item difficulties are not passed yet (item analysis computes them per role on
demand, not stored); `rules.estimate` weighs every item alike until they are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, func, select, text
from sqlalchemy.exc import OperationalError

from examsite.banks.models import Blueprint, BlueprintDomain, Domain, ItemVersion
from examsite.catalog.models import Category, Role
from examsite.delivery.models import Attempt, AttemptItem
from examsite.extensions import db
from examsite.skills.evidence import day_number
from examsite.skills.rules import (
    ADVANCED_BOUND,
    ADVANCED_MIN_ITEMS,
    MIN_ITEMS,
    PROFICIENT_BOUND,
    Evidence,
    RoleBlueprint,
    Z,
)

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


def domains_by_id() -> dict[int, tuple[str, str]]:
    return {
        i: (code, name) for i, code, name in db.session.execute(select(Domain.id, Domain.code, Domain.name))
    }


def domain_names() -> dict[str, str]:
    return dict(db.session.execute(select(Domain.code, Domain.name)).all())


@dataclass(frozen=True)
class LevelCount:
    """How many trainees are at `level` in a domain, in one group or (`everyone`) in all."""

    everyone: bool
    group_id: int | None
    domain_id: int
    level: str
    trainees: int


#: rules.level_from_sums in SQL, over a row with items, sw, sw2, sr (the thresholds are parameters)
_LEVEL = """
    SELECT {keys},
           CASE WHEN items < :min_items OR NOT (sw > 0 AND sw2 > 0) THEN 'not_shown'
                WHEN items >= :advanced_items AND b >= :advanced_bound THEN 'advanced'
                WHEN b >= :proficient_bound THEN 'proficient'
                ELSE 'developing' END AS level
    FROM (
        SELECT {keys}, items, sw, sw2,
               (p + :z2 / (2 * n) - :z * sqrt(p * (1 - p) / n + :z2 / (4 * n * n))) / (1 + :z2 / n) AS b
        FROM (
            SELECT {keys}, items, sw, sw2,
                   CASE WHEN sr >= sw THEN 1.0 ELSE sr / NULLIF(sw, 0) END AS p,
                   sw * sw / NULLIF(sw2, 0) AS n
            FROM ({sums}) AS sums
        ) AS shares
    ) AS bounds
"""
_SUMS = """
    SELECT {keys}, SUM(total) AS items, SUM(total * weight) AS sw,
           SUM(total * weight * weight) AS sw2, SUM(correct * weight) AS sr
    FROM skills_evidence WHERE {where}
    GROUP BY {group_by}
"""


def gap_level_counts(
    by: str, start: datetime | None, end: datetime | None, group: int | None = None
) -> list[LevelCount]:
    """Per group (or only `group`) and domain, and for all trainees, how many trainees are at
    each level, from the attempts closed in [start, end).

    All in the database, in one statement of two parts: per (trainee, domain[, group]) the
    recency-weighted sums of skills_evidence (weights stored up to a constant that cancels:
    evidence.recency_factor) (grouped in the order of its covering indexes, no
    sort), the level from the sums (rules.level_from_sums, the same thresholds as parameters),
    then a count per domain and level. The reply is a few rows per group and domain, whatever
    the number of attempts (bench/skills_bench.py, docs/benchmarks.md). A trainee's level in a
    group rests on their attempts in that group; in `everyone`, on all their attempts.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        _sqlite_math()
    column = "cohort_id" if by == "cohort" else "institution_id"
    where = ["1 = 1"]
    params: dict = {
        "min_items": MIN_ITEMS,
        "advanced_items": ADVANCED_MIN_ITEMS,
        "advanced_bound": ADVANCED_BOUND,
        "proficient_bound": PROFICIENT_BOUND,
        "z": Z,
        "z2": Z * Z,
    }
    if start is not None:
        where.append("closed_day >= :start")
        params["start"] = day_number(start)
    if end is not None:
        where.append("closed_day < :end")
        params["end"] = day_number(end)
    group_where = list(where)
    if group is not None:
        group_where.append(f"{column} = :group")
        params["group"] = group
    # grouped by the trainee index's columns (the cohort determines the institution)
    group_by = "user_id, domain_id, institution_id" + (", cohort_id" if by == "cohort" else "")
    groups = _LEVEL.format(
        keys="grp, domain_id",
        sums=_SUMS.format(
            keys=f"user_id, domain_id, {column} AS grp",
            where=" AND ".join(group_where),
            group_by=group_by,
        ),
    )
    everyone = _LEVEL.format(
        keys="domain_id",
        sums=_SUMS.format(
            keys="user_id, domain_id",
            where=" AND ".join(where),
            group_by="user_id, domain_id",
        ),
    )
    sql = f"""
        SELECT 0 AS everyone, grp, domain_id, level, COUNT(*)
        FROM ({groups}) AS g GROUP BY grp, domain_id, level
        UNION ALL
        SELECT 1, NULL, domain_id, level, COUNT(*) FROM ({everyone}) AS a GROUP BY domain_id, level
    """  # noqa: S608  (every fragment is a constant of this module; values are bound parameters)
    return [
        LevelCount(bool(whole), grp, domain_id, level, int(count))
        for whole, grp, domain_id, level, count in db.session.execute(text(sql), params)
    ]


def _sqlite_math() -> None:
    """SQLite builds without the math functions get sqrt() from Python (the same results)."""
    connection = db.session.connection()
    try:
        connection.exec_driver_sql("SELECT sqrt(1)")
    except OperationalError:
        raw = connection.connection.dbapi_connection
        raw.create_function("sqrt", 1, math.sqrt, deterministic=True)


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
