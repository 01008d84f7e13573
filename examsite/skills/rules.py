"""Skills profile rules: proficiency per domain, readiness per role, next roles. Pure functions.

How a level is estimated (one domain, one trainee)
--------------------------------------------------
Evidence is every scored (non-pretest) item the trainee answered in the domain, in any closed
attempt at any role. Each item counts with a weight:

- recency: ``0.5 ** (age_days / HALF_LIFE_DAYS)``; an answer a year old counts half as much as one
  given today, so a trainee who has since improved is not held back by an old attempt;
- difficulty, when item analysis has it (``p``, the share of trainees who got the item right):
  ``0.5 + (1 - p)``, so an item nearly everyone gets right (p = 0.95) counts 0.55 and a hard one
  (p = 0.3) counts 1.2; an item without statistics counts 1.

The weighted share correct ``p̂`` and the effective number of items ``n_eff = (Σw)² / Σw²`` (Kish)
give the Wilson score lower bound at one-sided 95 % (z = 1.645): the share correct we are fairly
sure the trainee reaches, which is small when it rests on few items. Levels:

=============  ==========================================================
``not_shown``  fewer than MIN_ITEMS (5) items answered, whatever the result
``advanced``   at least ADVANCED_MIN_ITEMS (12) items and lower bound ≥ 0.80
``proficient`` at least MIN_ITEMS items and lower bound ≥ 0.60
``developing`` at least MIN_ITEMS items, lower bound below 0.60
=============  ==========================================================

So 3 lucky answers show nothing, 5 of 5 right is proficient (bound 0.65) but not advanced, 4 of 5
is developing (0.44), and advanced needs at least 12 items nearly all right (12 of 12: 0.82).

Readiness for a role is the blueprint-weighted share (items per domain) of the role's domains at
least proficient; the others are the domains still to study, heaviest first. Next roles are the
roles the trainee has not attempted, in the category of a role they attempted (lateral) or, from a
community college role, the university roles (upward), ranked by readiness (the blueprint weight
they share with the trainee's proficient domains).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

LEVELS = ("not_shown", "developing", "proficient", "advanced")
MIN_ITEMS = 5
ADVANCED_MIN_ITEMS = 12
PROFICIENT_BOUND = 0.60
ADVANCED_BOUND = 0.80
HALF_LIFE_DAYS = 365.0
Z = 1.645
NEXT_ROLES = 3
UPWARD = {"community college": "university"}


@dataclass(frozen=True)
class Evidence:
    """`correct` of `total` scored items answered at `at`, all of one difficulty (or unknown)."""

    at: datetime
    correct: int
    total: int
    #: share of trainees who answered these items right (item analysis), None when unknown
    difficulty: float | None = None


@dataclass(frozen=True)
class DomainLevel:
    code: str
    name: str
    level: str
    items: int
    last_tested_at: datetime | None
    #: the Wilson lower bound the level was read from (0 with no evidence)
    lower_bound: float

    @property
    def at_least_proficient(self) -> bool:
        return self.level in ("proficient", "advanced")


@dataclass(frozen=True)
class RoleBlueprint:
    slug: str
    category: str
    track: str
    #: domain code -> items on the blueprint
    weights: Mapping[str, int]


@dataclass(frozen=True)
class Readiness:
    slug: str
    readiness: float
    to_study: tuple[str, ...]


def wilson_lower_bound(share: float, n: float, z: float = Z) -> float:
    """Lower end of the Wilson score interval for a share observed over n (possibly fractional) trials."""
    if n <= 0:
        return 0.0
    z2 = z * z
    centre = share + z2 / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z2 / n))


def _weight(evidence: Evidence, now: datetime) -> float:
    weight = recency_weight((now - evidence.at).total_seconds() / 86400)
    if evidence.difficulty is not None:
        weight *= 0.5 + (1 - min(1.0, max(0.0, evidence.difficulty)))
    return weight


def estimate(code: str, name: str, evidence: Iterable[Evidence], now: datetime) -> DomainLevel:
    """The level for one domain from all its evidence (see the module docstring)."""
    items = 0
    sum_w = sum_w2 = sum_right = 0.0
    last = None
    for e in evidence:
        if e.total <= 0:
            continue
        w = _weight(e, now)
        items += e.total
        sum_w += w * e.total
        sum_w2 += w * w * e.total
        sum_right += w * e.correct
        last = e.at if last is None or e.at > last else last
    level, bound = level_from_sums(items, sum_w, sum_w2, sum_right)
    return DomainLevel(code, name, level, items, last, bound)


def level_from_sums(items: int, sum_w: float, sum_w2: float, sum_right: float) -> tuple[str, float]:
    """(level, lower bound) from the weighted sums `estimate` builds, in any common scale.

    `sum_w` = Σ w·total, `sum_w2` = Σ w²·total, `sum_right` = Σ w·correct over the evidence.
    Multiplying every weight by one constant changes neither the share nor n_eff, so SQL can
    add up the sums per trainee and domain (examsite/skills/queries.py) and hand them here.
    """
    if sum_w <= 0 or sum_w2 <= 0:
        return "not_shown", 0.0
    bound = wilson_lower_bound(min(1.0, sum_right / sum_w), sum_w * sum_w / sum_w2)
    if items < MIN_ITEMS:
        return "not_shown", bound
    if items >= ADVANCED_MIN_ITEMS and bound >= ADVANCED_BOUND:
        return "advanced", bound
    if bound >= PROFICIENT_BOUND:
        return "proficient", bound
    return "developing", bound


def recency_weight(age_days: float) -> float:
    """An answer's recency weight (see the module docstring); future dates count as today."""
    return 0.5 ** (max(0.0, age_days) / HALF_LIFE_DAYS)


def readiness(role: RoleBlueprint, proficient: set[str]) -> Readiness:
    total = sum(w for w in role.weights.values() if w > 0)
    shown = sum(w for code, w in role.weights.items() if w > 0 and code in proficient)
    to_study = sorted(
        (code for code, w in role.weights.items() if w > 0 and code not in proficient),
        key=lambda code: (-role.weights[code], code),
    )
    return Readiness(role.slug, round(shown / total, 4) if total else 0.0, tuple(to_study))


def next_roles(
    roles: Sequence[RoleBlueprint], readiness_by_slug: Mapping[str, float], attempted: set[str]
) -> list[str]:
    """Natural next steps: lateral within an attempted role's category, upward across tracks."""
    by_slug = {r.slug: r for r in roles}
    home = [by_slug[s] for s in attempted if s in by_slug]
    categories = {r.category for r in home}
    upward = {UPWARD[r.track] for r in home if r.track in UPWARD}
    candidates = [
        r
        for r in roles
        if r.slug not in attempted
        and (r.category in categories or r.track in upward)
        and readiness_by_slug.get(r.slug, 0) > 0
    ]
    candidates.sort(key=lambda r: (-readiness_by_slug[r.slug], r.category not in categories, r.slug))
    return [r.slug for r in candidates[:NEXT_ROLES]]


def shared_weight(role: RoleBlueprint, other: RoleBlueprint) -> float:
    """Share of `role`'s blueprint weight in domains `other`'s blueprint also tests."""
    total = sum(w for w in role.weights.values() if w > 0)
    shared = sum(w for code, w in role.weights.items() if w > 0 and other.weights.get(code, 0) > 0)
    return round(shared / total, 4) if total else 0.0


def level_shares(levels: Iterable[str]) -> dict[str, float]:
    """Share of trainees at each level (for the skills-gap report)."""
    counts = dict.fromkeys(LEVELS, 0)
    for level in levels:
        counts[level] += 1
    total = sum(counts.values())
    return {level: round(count / total, 4) if total else 0.0 for level, count in counts.items()}
