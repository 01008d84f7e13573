"""Pass-rate figures, computed by the database: one aggregate query per table, no attempt loaded.

Only closed attempts count (submitted, or closed when time ran out), by the moment they closed,
in the half-open UTC range [from, to). "First attempts" are each trainee's first attempt at an exam
(Attempt.sequence == 1). The SD is the sample standard deviation of score_percent, from the
count, sum and sum of squares. Candidates are distinct trainees, counted in the same pass from
each attempt's link to the trainee's previous attempt in its group (examsite/delivery/history.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, or_, select, text
from sqlalchemy.orm import aliased

from examsite.catalog.models import Category, Role
from examsite.delivery.models import Attempt, AttemptStatus
from examsite.extensions import db
from examsite.programs.models import Cohort, Institution
from examsite.timeutil import as_utc

GROUPINGS = {
    "role": "Role",
    "category": "Role category",
    "institution": "Institution",
    "cohort": "Cohort",
    "month": "Month (UTC)",
    "role-year": "Exam form and year",
}
ATTEMPT_SCOPES = {"all": "All attempts", "first": "First attempts only"}
#: the row fields, in the order every export uses
COLUMNS = (
    ("group", "Group"),
    ("group_key", "Group key"),
    ("attempts", "Attempts"),
    ("candidates", "Candidates"),
    ("passed", "Passed"),
    ("pass_rate", "Pass rate (%)"),
    ("mean_score", "Mean score (%)"),
    ("sd_score", "SD of scores"),
    ("passing_percent_min", "Passing standard (%), lowest"),
    ("passing_percent_max", "Passing standard (%), highest"),
)
HISTOGRAM_BIN = 5


class ReportError(ValueError):
    """Invalid report parameters: `errors` maps each parameter to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ReportFilters:
    by: str = "role"
    #: inclusive, aware UTC
    start: datetime | None = None
    #: exclusive, aware UTC
    end: datetime | None = None
    attempts: str = "all"

    def as_dict(self) -> dict:
        iso = lambda d: d.isoformat() if d else None
        return {"by": self.by, "from": iso(self.start), "to": iso(self.end), "attempts": self.attempts}


@dataclass(frozen=True)
class PassRateRow:
    group: str
    group_key: str
    attempts: int
    candidates: int
    passed: int
    #: percent of attempts passed
    pass_rate: float | None
    mean_score: float | None
    sd_score: float | None
    passing_percent_min: float | None
    passing_percent_max: float | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    count: int


@dataclass(frozen=True)
class Distribution:
    bins: list[Bin]
    passing_percents: list[float]

    @property
    def total(self) -> int:
        return sum(b.count for b in self.bins)


# --- parameters ---------------------------------------------------------------------------------


def make_filters(by: str = "role", start=None, end=None, attempts: str = "all") -> ReportFilters:
    errors = {}
    if by not in GROUPINGS:
        errors["by"] = f"must be one of {', '.join(GROUPINGS)}"
    if attempts not in ATTEMPT_SCOPES:
        errors["attempts"] = f"must be one of {', '.join(ATTEMPT_SCOPES)}"
    start, end = as_utc(start), as_utc(end)
    if start and end and end <= start:
        errors["to"] = "must be after from"
    if errors:
        raise ReportError(errors)
    return ReportFilters(by=by, start=start, end=end, attempts=attempts)


def _parse_moment(text: str) -> datetime:
    text = text.strip()
    if len(text) == 10:
        return as_utc(date.fromisoformat(text))
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def parse_filters(args: Mapping[str, str | None]) -> ReportFilters:
    """Filters from text (query string, CLI): `from`/`to` are dates (YYYY-MM-DD) or ISO datetimes."""
    errors, moments = {}, {}
    for name in ("from", "to"):
        text = (args.get(name) or "").strip()
        try:
            moments[name] = _parse_moment(text) if text else None
        except ValueError:
            errors[name] = "must be a date (YYYY-MM-DD) or an ISO 8601 date and time"
    try:
        filters = make_filters(
            (args.get("by") or "role").strip(),
            moments.get("from"),
            moments.get("to"),
            (args.get("attempts") or "all").strip(),
        )
    except ReportError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise ReportError(errors)
    return filters


def report_notes(filters: ReportFilters) -> list[tuple[str, str]]:
    """What a report file contains, in words, for the file's "About" sheet."""
    from examsite.timeutil import isoformat, utcnow

    return [
        ("Report", f"Pass rates by {GROUPINGS[filters.by].lower()}"),
        (
            "Closed between",
            f"{isoformat(filters.start) or 'the beginning'} (included) and "
            f"{isoformat(filters.end) or 'now'} (not included), UTC",
        ),
        ("Attempts", ATTEMPT_SCOPES[filters.attempts]),
        ("Counted", "Closed attempts only: submitted, or closed when the time ran out."),
        ("Pass rate", "Percent of the attempts in the group that passed."),
        ("SD", "Sample standard deviation of the percent scores."),
        ("Generated", isoformat(utcnow())),
    ]


# --- figures ------------------------------------------------------------------------------------


def mean_of(n: int, total) -> float | None:
    return None if not n or total is None else float(Decimal(total) / n)


def sample_sd(n: int, total, total_of_squares) -> float | None:
    """Sample SD from the count, sum and sum of squares (exact decimals where the database gives
    them); None below two scores."""
    if n < 2 or total is None or total_of_squares is None:
        return None
    total, total_of_squares = Decimal(total), Decimal(total_of_squares)
    variance = (total_of_squares - total * total / n) / (n - 1)
    return math.sqrt(max(float(variance), 0.0))


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def _conditions(filters: ReportFilters) -> list:
    # Closed attempts always have closed_at; `<>` (rather than IN) lets SQLite scan the table
    # once instead of walking an index with a table lookup per row.
    conditions = [Attempt.status != AttemptStatus.IN_PROGRESS, Attempt.simulated.is_(False)]
    if filters.start is not None:
        conditions.append(Attempt.closed_at >= filters.start)
    if filters.end is not None:
        conditions.append(Attempt.closed_at < filters.end)
    if filters.attempts == "first":
        conditions.append(Attempt.sequence == 1)
    return conditions


def _new_candidates(filters: ReportFilters, previous):
    """How many distinct trainees, in one pass: an attempt counts when the same trainee's
    previous closed attempt in its group (`previous`, an Attempt.prev_* column) closed before the
    range, or there is none.

    "First attempts only" counts distinct trainees among first attempts, which the links (kept
    over all attempts) do not give: there it is COUNT(DISTINCT)."""
    if filters.attempts == "first":
        return func.count(distinct(Attempt.user_id))
    earlier = [previous.is_(None)]
    if filters.start is not None:
        earlier.append(previous < filters.start)
    return func.coalesce(func.sum(case((or_(*earlier), 1), else_=0)), 0)


def _aggregates(candidates) -> list:
    """Every figure is a count, a sum, a minimum or a maximum: cheap per row (exact sums of the
    decimal scores rather than casts to float) and additive across groups."""
    score = Attempt.score_percent
    return [
        func.count().label("attempts"),
        candidates.label("candidates"),
        func.coalesce(func.sum(case((Attempt.passed, 1), else_=0)), 0).label("passed"),
        func.count(score).label("scored"),
        func.sum(score).label("score_sum"),
        func.sum(score * score).label("score_sq_sum"),
        func.min(Attempt.passing_percent).label("passing_min"),
        func.max(Attempt.passing_percent).label("passing_max"),
    ]


def _figures(label: str, key: str, row) -> PassRateRow:
    return PassRateRow(
        group=label,
        group_key=key,
        attempts=int(row.attempts),
        candidates=int(row.candidates),
        passed=int(row.passed),
        pass_rate=_round(100.0 * int(row.passed) / int(row.attempts)) if row.attempts else None,
        mean_score=_round(mean_of(int(row.scored), row.score_sum)),
        sd_score=_round(sample_sd(int(row.scored), row.score_sum, row.score_sq_sum)),
        passing_percent_min=_round(row.passing_min),
        passing_percent_max=_round(row.passing_max),
    )


def _empty(label: str, key: str) -> PassRateRow:
    return PassRateRow(label, key, 0, 0, 0, None, None, None, None, None)


def _month_text(month: int) -> str:
    """202611 (Attempt.closed_month) as 2026-11."""
    return f"{month // 100:04d}-{month % 100:02d}"


@dataclass
class _Grouping:
    """How one `by` groups attempts.

    The figures are first aggregated over the attempts by `keys`, a few narrow columns of the
    attempt itself (ids, the closing month): no join per attempt, nothing wide to sort. Every
    figure adds up (counts, sums, candidates from `previous`, the Attempt.prev_* column of this
    grouping, minimum and maximum), so `outer(sub)` can then look up names for those few rows and
    sum them into the groups shown: it gives the columns to show, their order and the joins.
    `key` makes a result row's (key, label); `everyone` lists every group that exists (to show
    empty ones too).
    """

    keys: list
    outer: Callable
    key: Callable
    previous: object
    everyone: Callable | None = None
    inner_joins: Callable = lambda stmt: stmt


def _role_lookup(sub):
    columns = [Role.slug, Role.name, Category.position, Role.position]

    def joins(stmt):
        return stmt.join(Role, Role.id == sub.c.role_id).join(Category, Role.category_id == Category.id)

    return columns, [Category.position, Role.position], joins


def _by_role() -> _Grouping:
    def everyone():
        stmt = select(Role.slug, Role.name).join(Category).order_by(Category.position, Role.position)
        return [tuple(r) for r in db.session.execute(stmt)]

    return _Grouping(
        [Attempt.role_id.label("role_id")],
        _role_lookup,
        lambda r: (r.slug, r.name),
        Attempt.prev_role_closed_at,
        everyone=everyone,
    )


def _by_category(additive: bool = True) -> _Grouping:
    """By role first: candidates from the category links add up across a category's roles.
    Distinct counts do not (first attempts only), so those group by the role's category."""

    def everyone():
        return [
            tuple(r)
            for r in db.session.execute(select(Category.slug, Category.name).order_by(Category.position))
        ]

    def outer(sub):
        def joins(stmt):
            if not additive:
                return stmt.join(Category, Category.id == sub.c.category_id)
            return stmt.join(Role, Role.id == sub.c.role_id).join(Category, Role.category_id == Category.id)

        return [Category.slug, Category.name, Category.position], [Category.position], joins

    if additive:
        keys, inner_joins = [Attempt.role_id.label("role_id")], lambda stmt: stmt
    else:
        role = aliased(Role)
        keys = [role.category_id.label("category_id")]

        def inner_joins(stmt):
            return stmt.join(role, Attempt.role_id == role.id)

    return _Grouping(
        keys,
        outer,
        lambda r: (r.slug, r.name),
        Attempt.prev_category_closed_at,
        everyone=everyone,
        inner_joins=inner_joins,
    )


def _by_institution() -> _Grouping:
    def everyone():
        stmt = select(Institution.id, Institution.name).where(Institution.archived_at.is_(None))
        return [(str(i), name) for i, name in db.session.execute(stmt.order_by(Institution.name))]

    def outer(sub):
        return (
            [Institution.id, Institution.name],
            [Institution.name],
            lambda stmt: stmt.outerjoin(Institution, Institution.id == sub.c.institution_id),
        )

    return _Grouping(
        [Attempt.institution_id.label("institution_id")],
        outer,
        lambda r: (str(r.id), r.name) if r.id is not None else ("", "No institution"),
        Attempt.prev_institution_closed_at,
        everyone=everyone,
    )


def _by_cohort() -> _Grouping:
    home = aliased(Institution)

    def everyone():
        stmt = (
            select(Cohort.id, Cohort.name, Institution.name)
            .join(Institution)
            .where(Cohort.archived_at.is_(None), Institution.archived_at.is_(None))
            .order_by(Institution.name, Cohort.name)
        )
        return [(str(i), f"{name} ({where})") for i, name, where in db.session.execute(stmt)]

    def outer(sub):
        def joins(stmt):
            return stmt.outerjoin(Cohort, Cohort.id == sub.c.cohort_id).outerjoin(
                home, Cohort.institution_id == home.id
            )

        return [Cohort.id, Cohort.name, home.name.label("institution")], [home.name, Cohort.name], joins

    return _Grouping(
        [Attempt.cohort_id.label("cohort_id")],
        outer,
        lambda r: (str(r.id), f"{r.name} ({r.institution})") if r.id is not None else ("", "No cohort"),
        Attempt.prev_cohort_closed_at,
        everyone=everyone,
    )


def _by_month() -> _Grouping:
    """By the UTC month the attempt closed (stored with it, so the session's time zone is moot)."""

    def outer(sub):
        return [sub.c.month], [sub.c.month], lambda stmt: stmt

    return _Grouping(
        [Attempt.closed_month.label("month")],
        outer,
        lambda r: (_month_text(r.month),) * 2,
        Attempt.prev_month_closed_at,
    )


def _by_role_year() -> _Grouping:
    """NCCA-style: per exam (role) and calendar year (UTC), split where the passing point changed."""

    def key(r):
        point = f"{float(r.passing_percent):g}"
        return f"{r.slug}/{r.year}/{point}", f"{r.name}, {r.year}, passing {point}%"

    def outer(sub):
        columns, order, joins = _role_lookup(sub)
        return (
            [*columns, sub.c.year, sub.c.passing_percent],
            [*order, sub.c.year, sub.c.passing_percent],
            joins,
        )

    return _Grouping(
        [
            Attempt.role_id.label("role_id"),
            (Attempt.closed_month // 100).label("year"),
            Attempt.passing_percent.label("passing_percent"),
        ],
        outer,
        key,
        Attempt.prev_role_year_closed_at,
    )


#: by -> the grouping, given whether candidates add up (all attempts) or are distinct counts
_GROUPINGS: dict[str, Callable[..., _Grouping]] = {
    "role": lambda additive: _by_role(),
    "category": _by_category,
    "institution": lambda additive: _by_institution(),
    "cohort": lambda additive: _by_cohort(),
    "month": lambda additive: _by_month(),
    "role-year": lambda additive: _by_role_year(),
}


def pass_rate_rows(filters: ReportFilters) -> list[PassRateRow]:
    """One row per group, in the catalogue's (or the calendar's, or alphabetical) order.

    The figures come from one query: aggregated by the group's key columns alone (ids, the
    closing month), then named and summed. Groups without attempts are listed with zeros where
    the group exists regardless (roles, categories, active institutions and cohorts).
    """
    grouping = _GROUPINGS[filters.by](filters.attempts == "all")
    aggregates = _aggregates(_new_candidates(filters, grouping.previous))
    per_group = (
        grouping.inner_joins(select(*grouping.keys, *aggregates).select_from(Attempt))
        .where(*_conditions(filters))
        .group_by(*grouping.keys)
        .subquery("per_group")
    )
    columns, order, joins = grouping.outer(per_group)
    c = per_group.c
    sums = ("attempts", "candidates", "passed", "scored", "score_sum", "score_sq_sum")
    figures = [
        *(func.sum(c[name]).label(name) for name in sums),
        func.min(c.passing_min).label("passing_min"),
        func.max(c.passing_max).label("passing_max"),
    ]
    stmt = joins(select(*columns, *figures).select_from(per_group)).group_by(*columns).order_by(*order)
    found: dict[str, PassRateRow] = {}
    for row in _report_session().execute(stmt):
        key, label = grouping.key(row)
        found[key] = _figures(label, key, row)
    if grouping.everyone is None:
        return list(found.values())
    rows = [found.pop(key, None) or _empty(label, key) for key, label in grouping.everyone()]
    # Groups not listed above (archived, or no cohort at all) follow, the "none" group last.
    return rows + sorted(found.values(), key=lambda r: r.group_key == "")


def _report_session():
    """The session; on PostgreSQL, with memory enough for the distinct counts of "first attempts
    only" to sort a million attempts in RAM (the other reports do not sort attempts)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
    return db.session


#: per sort of a report query, for its transaction only (PostgreSQL; the default 4 MB spills)
REPORT_WORK_MEM = "128MB"


def pass_rates(by: str = "role", start=None, end=None, attempts: str = "all") -> list[dict]:
    """The report as plain dicts, for scripts and benchmarks (raises ReportError on bad values)."""
    return [row.as_dict() for row in pass_rate_rows(make_filters(by, start, end, attempts))]


def overall(filters: ReportFilters) -> PassRateRow:
    """The same figures over every group together (candidates counted once)."""
    candidates = _new_candidates(filters, Attempt.prev_closed_at)
    row = db.session.execute(select(*_aggregates(candidates)).where(*_conditions(filters))).one()
    return _figures("All groups", "", row)


def score_distribution(filters: ReportFilters) -> Distribution:
    """Scores in 5-point bins (the last one includes 100), and the lowest and highest passing standard."""
    score = Attempt.score_percent

    def in_bin(low: int):
        high = low + HISTOGRAM_BIN
        below = score < high if high < 100 else score <= high
        return func.coalesce(func.sum(case((and_(score >= low, below), 1), else_=0)), 0)

    edges = list(range(0, 100, HISTOGRAM_BIN))
    row = db.session.execute(
        select(
            *[in_bin(low) for low in edges],
            func.min(Attempt.passing_percent),
            func.max(Attempt.passing_percent),
        ).where(*_conditions(filters))
    ).one()
    counts, standards = row[: len(edges)], {float(p) for p in row[len(edges) :] if p is not None}
    return Distribution(
        bins=[Bin(low, low + HISTOGRAM_BIN, int(n)) for low, n in zip(edges, counts, strict=True)],
        passing_percents=sorted(standards),
    )
