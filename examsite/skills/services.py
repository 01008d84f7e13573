"""A trainee's skills profile and the skills-gap report, assembled from queries and pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from examsite.skills import queries
from examsite.skills.rules import (
    LEVELS,
    DomainLevel,
    Readiness,
    estimate,
    next_roles,
    readiness,
    shared_weight,
)
from examsite.timeutil import isoformat, utcnow

ALL_TRAINEES = "All trainees"


@dataclass(frozen=True)
class SkillsProfile:
    domains: tuple[DomainLevel, ...]
    roles: tuple[Readiness, ...]
    next_roles: tuple[str, ...]
    #: slugs of the roles the trainee has attempted (not in the API reply)
    attempted: frozenset[str] = frozenset()

    def as_dict(self) -> dict:
        return {
            "domains": [
                {
                    "code": d.code,
                    "name": d.name,
                    "level": d.level,
                    "items": d.items,
                    "last_tested_at": isoformat(d.last_tested_at),
                }
                for d in self.domains
            ],
            "roles": [
                {"slug": r.slug, "readiness": r.readiness, "to_study": list(r.to_study)} for r in self.roles
            ],
            "next_roles": list(self.next_roles),
        }


def skills_profile(user_id: int, now: datetime | None = None) -> SkillsProfile:
    now = now or utcnow()
    evidence, names, attempted = queries.evidence_for(user_id)
    domains = tuple(
        sorted(
            (estimate(code, names[code], rows, now) for code, rows in evidence.items()),
            key=lambda d: d.name,
        )
    )
    proficient = {d.code for d in domains if d.at_least_proficient}
    blueprints = queries.role_blueprints()
    roles = tuple(readiness(role, proficient) for role in blueprints)
    nexts = next_roles(blueprints, {r.slug: r.readiness for r in roles}, attempted)
    return SkillsProfile(domains, roles, tuple(nexts), frozenset(attempted))


SKILLS_COLUMNS = (
    ("group", "Group"),
    ("domain", "Domain code"),
    ("domain_name", "Domain"),
    ("trainees", "Trainees"),
    *((level, f"{level.replace('_', ' ').capitalize()} (share)") for level in LEVELS),
)


_ALL = object()  # the key of the `All trainees` rows


def skills_gap_rows(
    by: str,
    start: datetime | None,
    end: datetime | None,
    group: int | None = None,
) -> list[dict]:
    """Per group and domain, the share of trainees at each level; `All trainees` rows to compare.

    A trainee's level in a group rests on their attempts in that group within the range; in the
    `All trainees` rows, on all their attempts within the range. With `group` (a cohort's or an
    institution's id), only that group's rows and the `All trainees` rows. The counts come from
    one aggregate statement (queries.gap_level_counts), levels as rules.level_from_sums says.
    """
    steps = {level: n for n, level in enumerate(LEVELS)}
    counts: dict[tuple, list[int]] = {}
    for found in queries.gap_level_counts(by, start, end, group):
        key = (_ALL if found.everyone else found.group_id, found.domain_id)
        counts.setdefault(key, [0] * len(LEVELS))[steps[found.level]] += found.trainees
    domains = queries.domains_by_id()
    group_labels = queries.group_names(by)

    def label(group_id) -> str:
        if group_id is _ALL:
            return ALL_TRAINEES
        if group_id is None:
            return f"No {by}"
        return group_labels.get(group_id, str(group_id))

    rows = []
    for (group_id, domain_id), found in counts.items():
        total = sum(found)
        code, name = domains.get(domain_id, (str(domain_id), str(domain_id)))
        rows.append(
            {
                "group": label(group_id),
                "group_id": None if group_id is _ALL else group_id,
                "domain": code,
                "domain_name": name,
                "trainees": total,
                **{level: round(found[n] / total, 4) if total else 0.0 for n, level in enumerate(LEVELS)},
            }
        )
    rows.sort(key=lambda r: (r["group"] == ALL_TRAINEES, r["group"], r["domain_name"], r["domain"]))
    return rows


@dataclass(frozen=True)
class Overlap:
    slug: str
    name: str
    #: share of this role's blueprint weight in domains the other role's blueprint also tests
    share: float
    domains: tuple[str, ...]

    @property
    def percent(self) -> int:
        return round(self.share * 100)


def role_overlaps(slug: str) -> list[Overlap]:
    """What a role's blueprint shares with each other role's, most first (roles sharing nothing left out)."""
    blueprints = {b.slug: b for b in queries.role_blueprints()}
    role = blueprints.get(slug)
    if role is None or not role.weights:
        return []
    names, domain_names = queries.role_names(), queries.domain_names()
    overlaps = []
    for other in blueprints.values():
        share = shared_weight(role, other)
        if other.slug == slug or share <= 0:
            continue
        common = sorted(
            (code for code, w in role.weights.items() if w > 0 and other.weights.get(code, 0) > 0),
            key=lambda code: (-role.weights[code], code),
        )
        overlaps.append(
            Overlap(other.slug, names[other.slug], share, tuple(domain_names.get(c, c) for c in common))
        )
    return sorted(overlaps, key=lambda o: (-o.share, o.name))
