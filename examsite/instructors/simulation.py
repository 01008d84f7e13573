"""Simulated attempts for demonstrations and benchmarks (`flask stats simulate`).

Candidates answer from a two-parameter logistic model: ability theta ~ N(0, 1), per item a
discrimination a ~ U(0.8, 2.0) and difficulty b ~ N(0, 0.8) (clipped to +-1.5), and
P(right) = 1 / (1 + exp(-a (theta - b))). A candidate who is not right picks one wrong option at
random. Forms are assembled from the role's pool as delivery assembles them.

Two kinds of defect are planted so that the item analysis has something to find:

* a miskey: the option able candidates choose is one of the distractors, not the stored key;
* a dead distractor: one distractor nobody chooses.

Simulated attempts are marked (`Attempt.simulated`) and belong to simulated trainees with no
password: the pass-rate reports leave them out and scoring issues them no certificate.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import delete, insert, or_, select

from examsite.accounts.models import User, UserRole
from examsite.banks.models import Item, ItemStatus, ItemVersion
from examsite.banks.queries import blueprint_quotas, eligible_pool
from examsite.catalog.models import Role
from examsite.delivery.assembly import assemble, shuffle_options
from examsite.delivery.content import domains
from examsite.delivery.history import closed_month
from examsite.delivery.models import Attempt, AttemptItem, AttemptStatus, Response
from examsite.delivery.scoring import ScoredResponse, score
from examsite.extensions import db
from examsite.instructors.models import ItemAnalysisCache
from examsite.timeutil import utcnow

CHUNK = 500  # attempts written per round of inserts


class SimulationError(ValueError):
    pass


@dataclass(frozen=True)
class SimItem:
    version_id: int
    external_id: str
    options: tuple[str, ...]
    keys: frozenset[str]
    domain_id: int
    a: float
    b: float
    #: what able candidates choose (the keys, unless a miskey is planted)
    truth: frozenset[str]
    #: options weak candidates may pick
    wrong: tuple[str, ...]


@dataclass
class Plan:
    items: dict[int, SimItem]
    miskey: list[str] = field(default_factory=list)
    dead_distractor: list[str] = field(default_factory=list)


def plan_items(versions: list[tuple[str, ItemVersion]], miskey: int, dead: int, rng: random.Random) -> Plan:
    """Item parameters and the planted defects (pure: versions in, plan out)."""
    plantable = [
        (ext, v)
        for ext, v in versions
        if v.type == "single" and len(v.options) >= 3 and v.status == ItemStatus.ACTIVE
    ]
    if miskey + dead > len(plantable):
        raise SimulationError(
            f"{miskey + dead} planted items asked for, but only {len(plantable)} single-answer active "
            "items with three or more options are eligible"
        )
    chosen = rng.sample(plantable, miskey + dead)
    miskeyed = {v.id for _, v in chosen[:miskey]}
    deadened = {v.id for _, v in chosen[miskey:]}
    plan = Plan(items={})
    for ext, v in versions:
        options = tuple(o["id"] for o in v.options)
        keys = frozenset(v.keys)
        distractors = [o for o in options if o not in keys]
        truth, wrong = keys, [o for o in options if o not in keys]
        b = max(-1.5, min(1.5, rng.gauss(0, 0.8)))
        if v.id in miskeyed:
            truth = frozenset({rng.choice(distractors)})
            wrong = [o for o in options if o not in truth]
            b = 0.0
            plan.miskey.append(ext)
        elif v.id in deadened:
            nobody = rng.choice(distractors)
            wrong = [o for o in wrong if o != nobody]
            plan.dead_distractor.append(ext)
        plan.items[v.id] = SimItem(
            v.id, ext, options, keys, v.domain_id, rng.uniform(0.8, 2.0), b, truth, tuple(wrong)
        )
    plan.miskey.sort()
    plan.dead_distractor.sort()
    return plan


def answer(item: SimItem, theta: float, rng: random.Random) -> list[str]:
    if rng.random() < 1 / (1 + math.exp(-item.a * (theta - item.b))):
        return sorted(item.truth)
    return [rng.choice(item.wrong)]


def _versions(role: Role, version_ids: set[int]) -> list[tuple[str, ItemVersion]]:
    rows = db.session.execute(
        select(Item.external_id, ItemVersion)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(version_ids))
        .order_by(Item.external_id)
    ).all()
    return [(ext, v) for ext, v in rows]


def simulate(
    role: Role, attempts: int, seed: int | None = None, plant_miskey: int = 0, plant_dead_distractor: int = 0
) -> Plan:
    """Write `attempts` closed, scored, simulated attempts at the role's exam; return the plan.

    Flushes but does not commit: the command owns the transaction. The role's stored analyses are
    dropped (and its category's), since they no longer describe its attempts.
    """
    if attempts < 1:
        raise SimulationError("--attempts must be at least 1")
    rng = random.Random(seed)
    pool = eligible_pool(role)
    quotas = blueprint_quotas(role)
    all_ids = {v for units in pool.units_by_domain.values() for u in units for v in u.version_ids}
    all_ids |= {v for u in pool.pretest_units for v in u.version_ids}
    if not all_ids:
        raise SimulationError(f"{role.slug} has no eligible items")
    plan = plan_items(_versions(role, all_ids), plant_miskey, plant_dead_distractor, rng)
    names = domains()
    exam = role.exam
    now = utcnow()
    run = secrets.token_hex(4)
    for start in range(0, attempts, CHUNK):
        batch = range(start, min(start + CHUNK, attempts))
        user_ids = db.session.scalars(
            insert(User).returning(User.id, sort_by_parameter_order=True),
            [
                {
                    "email": f"simulated-{run}-{n + 1}@simulated.invalid",
                    "name": f"Simulated candidate {n + 1}",
                    "role": UserRole.TRAINEE.value,
                    "password_hash": None,
                }
                for n in batch
            ],
        ).all()
        forms, attempt_rows = [], []
        for user_id in user_ids:
            try:
                form = assemble(pool, quotas, exam.pretest_items, set(), rng)
            except Exception as exc:
                raise SimulationError(f"{role.slug}'s exam cannot be assembled: {exc}") from exc
            theta = rng.gauss(0, 1)
            answers = [(f, answer(plan.items[f.version_id], theta, rng)) for f in form]
            result = score(
                [
                    ScoredResponse(
                        *names[plan.items[f.version_id].domain_id],
                        plan.items[f.version_id].keys,
                        frozenset(choices),
                        f.is_pretest,
                    )
                    for f, choices in answers
                ],
                exam.passing_percent,
            )
            started = now - timedelta(days=rng.uniform(0, 30), hours=3)
            closed = started + timedelta(minutes=exam.minutes * rng.uniform(0.3, 0.9))
            forms.append(answers)
            attempt_rows.append(
                {
                    "user_id": user_id,
                    "role_id": role.id,
                    "status": AttemptStatus.SUBMITTED.value,
                    "started_at": started,
                    "deadline": started + timedelta(minutes=exam.minutes),
                    "grace_seconds": exam.grace_seconds,
                    "minutes": exam.minutes,
                    "time_multiplier": Decimal("1"),
                    "passing_percent": exam.passing_percent,
                    "sequence": 1,
                    "closed_at": closed,
                    "closed_month": closed_month(closed),
                    "raw_score": result.raw_score,
                    "scored_items": result.scored_items,
                    "score_percent": result.score_percent,
                    "passed": result.passed,
                    "domain_results": [d.as_dict() for d in result.domains],
                    "simulated": True,
                }
            )
        attempt_ids = db.session.scalars(
            insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), attempt_rows
        ).all()
        item_rows, choices_rows = [], []
        for attempt_id, answers in zip(attempt_ids, forms, strict=True):
            for position, (f, choices) in enumerate(answers, start=1):
                item = plan.items[f.version_id]
                item_rows.append(
                    {
                        "attempt_id": attempt_id,
                        "item_version_id": f.version_id,
                        "position": position,
                        "option_order": shuffle_options(list(item.options), rng),
                        "is_pretest": f.is_pretest,
                        "correct": frozenset(choices) == item.keys,
                    }
                )
                choices_rows.append((attempt_id, choices))
        item_ids = db.session.scalars(
            insert(AttemptItem).returning(AttemptItem.id, sort_by_parameter_order=True), item_rows
        ).all()
        db.session.execute(
            insert(Response),
            [
                {"attempt_id": attempt_id, "attempt_item_id": item_id, "choices": choices, "saved_at": now}
                for item_id, (attempt_id, choices) in zip(item_ids, choices_rows, strict=True)
            ],
        )
    db.session.execute(
        delete(ItemAnalysisCache).where(
            or_(ItemAnalysisCache.role_id == role.id, ItemAnalysisCache.category_id == role.category_id)
        )
    )
    return plan
