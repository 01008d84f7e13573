"""Candidates (distinct trainees) in pass-rate reports come from each attempt's links to the same
trainee's previous closed attempt in its group. Checked against a count of distinct trainees done
here in Python, over a random history, for every grouping and many date ranges; the links kept at
each close are checked against the window-function backfill; and the real submit sets them."""

from __future__ import annotations

import random
from collections import defaultdict, namedtuple
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from examsite.extensions import db

GROUPINGS = ("role", "category", "institution", "cohort", "month", "role-year")
RoleRef = namedtuple("RoleRef", "id slug category_id")
Place = namedtuple("Place", "id institution_id")


def when(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _history(rng: random.Random, users, roles, cohorts) -> list[dict]:
    """About 150 attempts over four months, with closes at midnight on the first of a month, ties
    for one trainee, two passing standards, no cohort, expired and still open attempts."""
    boundaries = [when(2025, 12, 1), when(2026, 1, 1), when(2026, 2, 1), when(2026, 3, 1)]
    attempts = []
    for user in users:
        tie = when(2026, 1, 15, 10) if rng.random() < 0.3 else None
        for _ in range(rng.randint(1, 12)):
            role = rng.choice(roles)
            roll = rng.random()
            if roll < 0.15:
                closed = rng.choice(boundaries)
            elif roll < 0.25 and tie:
                closed = tie
            else:
                closed = when(2025, 11, 1) + timedelta(seconds=rng.randrange(120 * 86_400))
            status = rng.choices(["submitted", "expired", "in_progress"], [8, 1, 1])[0]
            cohort = rng.choice(cohorts)
            attempts.append(
                {
                    "user": user,
                    "role": role,
                    "status": status,
                    "closed": None if status == "in_progress" else closed,
                    "passing": rng.choice([70, 70, 75]),
                    "cohort": cohort,
                    "sequence": rng.choice([1, 1, 2]),
                    "score": rng.randrange(40, 100),
                }
            )
    return attempts


def _insert(attempt: dict):
    """Add the attempt (`role` and `cohort` are Place/RoleRef tuples, or None for no cohort)."""
    from examsite.delivery.history import closed_month
    from examsite.delivery.models import Attempt

    cohort, closed = attempt["cohort"], attempt["closed"]
    start = (closed or when(2026, 3, 15)) - timedelta(hours=1)
    row = Attempt(
        user_id=attempt["user"],
        role_id=attempt["role"].id,
        status=attempt["status"],
        started_at=start,
        deadline=start + timedelta(hours=3),
        grace_seconds=60,
        minutes=180,
        time_multiplier=Decimal("1"),
        passing_percent=Decimal(attempt["passing"]),
        institution_id=cohort.institution_id if cohort else None,
        cohort_id=cohort.id if cohort else None,
        sequence=attempt["sequence"],
        closed_at=closed,
        closed_month=closed_month(closed) if closed else None,
        score_percent=None if closed is None else Decimal(attempt["score"]),
        passed=None if closed is None else attempt["score"] >= attempt["passing"],
    )
    db.session.add(row)
    db.session.flush()


def _group_key(attempt: dict, by: str, categories: dict) -> str:
    role, cohort, closed = attempt["role"], attempt["cohort"], attempt["closed"]
    if by == "role":
        return role.slug
    if by == "category":
        return categories[role.category_id]
    if by == "institution":
        return str(cohort.institution_id) if cohort else ""
    if by == "cohort":
        return str(cohort.id) if cohort else ""
    if by == "month":
        return closed.strftime("%Y-%m")
    return f"{role.slug}/{closed.year}/{float(attempt['passing']):g}"


def _expected(attempts, by, start, end, scope, categories) -> dict[str, int]:
    seen = defaultdict(set)
    for attempt in attempts:
        closed = attempt["closed"]
        if closed is None or (start and closed < start) or (end and closed >= end):
            continue
        if scope == "first" and attempt["sequence"] != 1:
            continue
        seen[_group_key(attempt, by, categories)].add(attempt["user"])
    return {key: len(users) for key, users in seen.items()}


@pytest.fixture
def history(app, make_user):
    """A random history, inserted in shuffled order with the trainee's links kept after each
    insert, as closes arriving out of order would leave them."""
    from examsite.catalog.models import Category, Role
    from examsite.delivery.history import link_closed_attempts
    from examsite.programs.models import Cohort, Institution

    rng = random.Random(20261124)
    users = [make_user("trainee").id for _ in range(14)]
    with app.app_context():
        roles = [RoleRef(*r) for r in db.session.execute(select(Role.id, Role.slug, Role.category_id))]
        categories = {c.id: c.slug for c in db.session.scalars(select(Category))}
        # Roles from at least two categories, so category groups span several roles.
        picked = [r for r in roles if r.category_id == roles[0].category_id][:2]
        picked += [r for r in roles if r.category_id != roles[0].category_id][:2]
        cohorts: list = [None]
        for name in ("North", "South"):
            place = Institution(name=f"{name} College")
            db.session.add(place)
            db.session.flush()
            for term in ("Spring", "Fall"):
                cohort = Cohort(institution_id=place.id, name=term)
                db.session.add(cohort)
                db.session.flush()
                cohorts.append(Place(cohort.id, place.id))
        attempts = _history(rng, users, picked, cohorts)
        for attempt in rng.sample(attempts, len(attempts)):
            _insert(attempt)
            link_closed_attempts(attempt["user"])
        db.session.commit()
    return {"attempts": attempts, "categories": categories, "rng": rng}


def _ranges(rng: random.Random) -> list[tuple]:
    moments = [when(2025, 12, 1), when(2026, 1, 15, 10), when(2026, 2, 1), when(2026, 1, 1)]
    moments += [when(2025, 11, 1) + timedelta(seconds=rng.randrange(120 * 86_400)) for _ in range(5)]
    ranges = [(None, None), (when(2026, 1, 1), None), (None, when(2026, 2, 1))]
    for _ in range(10):
        a, b = sorted(rng.sample(moments, 2))
        ranges.append((a, b))
    return ranges


def test_candidates_equal_distinct_trainees_for_every_grouping_and_range(app, history):
    from examsite.reports.queries import make_filters, overall, pass_rates

    attempts, categories = history["attempts"], history["categories"]
    checked = 0
    with app.app_context():
        for start, end in _ranges(history["rng"]):
            for scope in ("all", "first"):
                for by in GROUPINGS:
                    rows = pass_rates(by, start, end, scope)
                    got = {row["group_key"]: row["candidates"] for row in rows if row["attempts"]}
                    assert got == _expected(attempts, by, start, end, scope, categories), (
                        by,
                        start,
                        end,
                        scope,
                    )
                    checked += len(got)
                trainees = {
                    a["user"]
                    for a in attempts
                    if a["closed"]
                    and (not start or a["closed"] >= start)
                    and (not end or a["closed"] < end)
                    and (scope == "all" or a["sequence"] == 1)
                }
                assert overall(make_filters("role", start, end, scope)).candidates == len(trainees)
    assert checked > 500  # the history is rich enough that the comparison means something


def test_links_kept_at_each_close_equal_the_backfill(app, history):
    from examsite.delivery.history import GROUP_KEYS, backfill

    columns = ["closed_month", *GROUP_KEYS]
    query = text(f"SELECT id, {', '.join(columns)} FROM attempts ORDER BY id")
    with app.app_context():
        kept = db.session.execute(query).all()
        assert any(row[2] is not None for row in kept)
        db.session.execute(text(f"UPDATE attempts SET {', '.join(f'{c} = NULL' for c in columns)}"))
        if db.engine.dialect.name == "postgresql":
            # The months are UTC months whatever the session's time zone (UTC+14 here).
            db.session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        backfill(db.session.connection())
        assert db.session.execute(query).all() == kept
        db.session.rollback()


def test_open_attempts_have_no_links_and_relinking_changes_nothing(app, history):
    from examsite.delivery.history import link_closed_attempts
    from examsite.delivery.models import Attempt

    with app.app_context():
        open_ones = db.session.scalars(select(Attempt).where(Attempt.status == "in_progress")).all()
        assert open_ones and all(a.prev_closed_at is None for a in open_ones)
        users = {a["user"] for a in history["attempts"]}
        assert sum(link_closed_attempts(user) for user in users) == 0


def test_submitting_links_the_attempt_to_the_trainees_earlier_ones(app, make_user, login, banks):
    from examsite.catalog.models import Role
    from examsite.delivery.models import Attempt

    trainee = make_user("trainee")
    session = login(trainee)
    role_slug = "implementation-manager"
    earlier = when(2026, 1, 10, 12)
    started = session.api("POST", "/api/v1/attempts", json={"role": role_slug})
    assert started.status_code in (200, 201), started.get_data(as_text=True)
    attempt_id = started.get_json()["id"]
    with app.app_context():
        role = db.session.scalar(select(Role).where(Role.slug == role_slug))
        other = db.session.scalar(select(Role).where(Role.category_id != role.category_id))
        standard = int(db.session.get(Attempt, attempt_id).passing_percent)
        role, other = (RoleRef(r.id, r.slug, r.category_id) for r in (role, other))
        # Same exam and standard; same exam, another standard; another exam and category.
        for closed, exam, passing in (
            (earlier, role, standard),
            (earlier + timedelta(days=1), role, standard + 5),
            (earlier + timedelta(days=2), other, standard),
        ):
            _insert(
                {
                    "user": trainee.id,
                    "role": exam,
                    "status": "submitted",
                    "closed": closed,
                    "passing": passing,
                    "cohort": None,
                    "sequence": 1,
                    "score": 50,
                }
            )
        db.session.commit()
    submitted = session.api("POST", f"/api/v1/attempts/{attempt_id}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.prev_closed_at == earlier + timedelta(days=2)
        assert attempt.prev_role_closed_at == earlier + timedelta(days=1)
        assert attempt.prev_role_year_closed_at == earlier
        assert attempt.prev_month_closed_at is None  # none closed this month
        assert attempt.prev_category_closed_at == earlier + timedelta(days=1)
        assert attempt.prev_cohort_closed_at == earlier + timedelta(days=2)  # none had a cohort
        assert attempt.prev_institution_closed_at == earlier + timedelta(days=2)


def test_benchmark_history_has_the_links_the_backfill_gives(app, database_url):
    """The report benchmark generates its million attempts with their links already set; they
    must be the links the app would have (else the benchmark times other figures)."""
    from bench.reports_data import generate
    from examsite.delivery.history import GROUP_KEYS, backfill

    generate(database_url, 3000, say=lambda *args: None)
    columns = ["closed_month", *GROUP_KEYS]
    query = text(f"SELECT id, {', '.join(columns)} FROM attempts ORDER BY id")
    with app.app_context():
        generated = db.session.execute(query).all()
        assert len(generated) == 3000 and sum(row[2] is not None for row in generated) > 1000
        db.session.execute(text(f"UPDATE attempts SET {', '.join(f'{c} = NULL' for c in columns)}"))
        backfill(db.session.connection())
        assert db.session.execute(query).all() == generated
        db.session.rollback()
