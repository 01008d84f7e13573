"""What the skills page and PDF show: labels, bar lengths, role names, already decided."""

from __future__ import annotations

from dataclasses import dataclass

from examsite.skills.rules import LEVELS
from examsite.skills.services import SkillsProfile

LEVEL_LABELS = {
    "not_shown": "Not yet shown",
    "developing": "Developing",
    "proficient": "Proficient",
    "advanced": "Advanced",
}
#: the level chart's geometry (SVG user units)
LABEL_W, BAR_W, ROW_H = 330, 300, 28


@dataclass(frozen=True)
class DomainRow:
    code: str
    name: str
    level: str
    level_label: str
    items: int
    last_tested: str
    #: bar length in the chart: a quarter of BAR_W per step, a sliver for "not yet shown"
    bar: int
    y: int


@dataclass(frozen=True)
class RoleRow:
    slug: str
    name: str
    category: str
    track: str
    percent: int
    readiness: float
    to_study: tuple[str, ...]
    is_next: bool


def domain_rows(profile: SkillsProfile) -> list[DomainRow]:
    rows = []
    for n, d in enumerate(profile.domains):
        step = LEVELS.index(d.level)
        rows.append(
            DomainRow(
                d.code,
                d.name,
                d.level,
                LEVEL_LABELS[d.level],
                d.items,
                d.last_tested_at.strftime("%Y-%m-%d") if d.last_tested_at else "",
                max(4, BAR_W * (step + 1) // len(LEVELS)) if step else 4,
                n * ROW_H,
            )
        )
    return rows


def role_rows(profile: SkillsProfile, roles, domain_names: dict[str, str]) -> list[RoleRow]:
    """`roles` are catalog Role objects in catalog order; unknown slugs are skipped."""
    by_slug = {r.slug: r for r in profile.roles}
    rows = []
    for role in roles:
        found = by_slug.get(role.slug)
        if found is None:
            continue
        rows.append(
            RoleRow(
                role.slug,
                role.name,
                role.category.name,
                role.track,
                round(found.readiness * 100),
                found.readiness,
                tuple(domain_names.get(code, code) for code in found.to_study),
                role.slug in profile.next_roles,
            )
        )
    return rows


def chart_alt(rows: list[DomainRow]) -> str:
    if not rows:
        return "No domains tested yet."
    parts = [f"{row.name}: {row.level_label.lower()} ({row.items} items)" for row in rows]
    return "Proficiency by domain. " + "; ".join(parts) + "."


@dataclass(frozen=True)
class NextStep:
    slug: str
    name: str
    #: "lateral" (a role of a category the trainee has tried) or "upward" (to the university track)
    kind: str
    kind_label: str
    percent: int
    to_study: tuple[str, ...]


def next_steps(profile: SkillsProfile, role_rows_: list[RoleRow], roles) -> list[NextStep]:
    """The natural next roles in the profile's order, each said to be a lateral or an upward move."""
    by_slug = {r.slug: r for r in roles}
    home = {by_slug[s].category.slug for s in profile.attempted if s in by_slug}
    rows = {r.slug: r for r in role_rows_}
    steps = []
    for slug in profile.next_roles:
        role, row = by_slug.get(slug), rows.get(slug)
        if role is None or row is None:
            continue
        lateral = role.category.slug in home
        steps.append(
            NextStep(
                slug,
                row.name,
                "lateral" if lateral else "upward",
                f"Lateral, within {role.category.name}" if lateral else f"Upward, to the {role.track} track",
                row.percent,
                row.to_study,
            )
        )
    return steps
