"""Item analysis over the stored responses: a few aggregate queries feeding the pure analysis.

The pass over the responses happens in the database, in one GROUP BY per item version, group
(upper 27%, lower 27%, neither) and answer given (the stored choices as text): a few thousand
rows for a whole role however many attempts there are. Python then adds those rows up per item
and per option (`ItemSums`) and leaves the arithmetic to `examsite.instructors.analysis`.

1. totals: (attempt id, raw score, first attempt?, passed) per closed attempt in the scope;
2. `upper_and_lower` picks the groups; since it ranks by (raw score, attempt id), each group is
   one side of a boundary in that order, so SQL tests membership by comparison, not a long IN list;
3. the GROUP BY (attempt items left-joined to their responses);
4. the item versions' external ids, options and keys.

The analysis is stored per scope (`ItemAnalysisCache`) with the time it was calculated; pages
and the CLI read the stored one unless asked to recalculate. Pinned by
tests/integration/test_item_analysis_queries.py against hand-computed figures.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError

from examsite.banks.models import Item, ItemVersion
from examsite.catalog.models import Category, Role
from examsite.database import unit_of_work
from examsite.delivery.models import Attempt, AttemptItem, AttemptStatus, Response
from examsite.extensions import db
from examsite.instructors.analysis import (
    FormStatistics,
    ItemAnalysis,
    ItemSums,
    OptionCounts,
    analyse_item,
    form_statistics,
    upper_and_lower,
)
from examsite.instructors.models import ItemAnalysisCache
from examsite.instructors.presenters import VersionText
from examsite.timeutil import utcnow

CLOSED = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)
UPPER, LOWER, MIDDLE = 1, -1, 0


@dataclass(frozen=True)
class Scope:
    """Closed attempts at one role's exam, or at the exams of every role of a category, closed
    in [start, end) (either end open). Exactly one of `role` and `category` is given."""

    role: Role | None
    start: datetime | None = None
    end: datetime | None = None
    category: Category | None = None

    @property
    def key(self) -> str:
        def iso(moment):
            return moment.isoformat() if moment else ""

        what = f"role={self.role.slug}" if self.role else f"category={self.category.slug}"
        return f"{what};from={iso(self.start)};to={iso(self.end)}"

    @property
    def roles(self) -> list[Role]:
        return [self.role] if self.role else list(self.category.roles)

    @property
    def cut_percent(self) -> float | None:
        """The passing percent of the scope's exam(s); None when a category's roles differ."""
        cuts = {float(r.exam.passing_percent) for r in self.roles if r.exam}
        return cuts.pop() if len(cuts) == 1 else None

    def conditions(self) -> list:
        which = (
            Attempt.role_id == self.role.id
            if self.role
            else Attempt.role_id.in_(select(Role.id).where(Role.category_id == self.category.id))
        )
        conditions = [which, Attempt.status.in_(CLOSED)]
        if self.start:
            conditions.append(Attempt.closed_at >= self.start)
        if self.end:
            conditions.append(Attempt.closed_at < self.end)
        return conditions


@dataclass(frozen=True)
class Totals:
    attempt_id: int
    raw_score: int
    scored_items: int
    first: bool
    passed: bool


def attempt_totals(scope: Scope) -> list[Totals]:
    rows = db.session.execute(
        select(
            Attempt.id,
            func.coalesce(Attempt.raw_score, 0),
            func.coalesce(Attempt.scored_items, 0),
            Attempt.sequence,
            Attempt.passed,
        ).where(*scope.conditions())
    ).all()
    return [Totals(i, raw, items, seq == 1, bool(passed)) for i, raw, items, seq, passed in rows]


def _band(upper: set[int], lower: set[int], totals: dict[int, float]):
    """A SQL expression: UPPER, LOWER or MIDDLE for the attempt of the row."""
    raw = func.coalesce(Attempt.raw_score, literal_column("0"))

    # Integers written into the SQL, not bound: PostgreSQL must see the CASE in the select list and
    # in GROUP BY as the same expression, and two sets of bind parameters are not.
    def number(value) -> literal_column:
        return literal_column(str(int(value)))

    def at_or_above(score, attempt_id):
        return or_(raw > number(score), and_(raw == number(score), Attempt.id >= number(attempt_id)))

    def at_or_below(score, attempt_id):
        return or_(raw < number(score), and_(raw == number(score), Attempt.id <= number(attempt_id)))

    whens = []
    if upper:
        first = min(upper, key=lambda a: (totals[a], a))
        whens.append((at_or_above(totals[first], first), number(UPPER)))
    if lower:
        last = max(lower, key=lambda a: (totals[a], a))
        whens.append((at_or_below(totals[last], last), number(LOWER)))
    return case(*whens, else_=number(MIDDLE)) if whens else None


def item_sums(scope: Scope, totals: list[Totals]) -> list[ItemSums]:
    """Per item version (and scored/pretest), the sums `analyse_item` needs."""
    by_attempt = {t.attempt_id: float(t.raw_score) for t in totals}
    upper, lower = upper_and_lower(by_attempt)
    if not totals:
        return []
    grouping = _band(upper, lower, by_attempt)
    # Without groups (fewer than two attempts) the band is a constant, and a constant in GROUP BY
    # would be read as a column position.
    band = (grouping if grouping is not None else literal_column(str(MIDDLE))).label("band")
    raw = func.coalesce(Attempt.raw_score, 0)
    right = case((AttemptItem.correct.is_(True), literal_column("1")), else_=literal_column("0"))
    choices = cast(Response.choices, Text).label("choices")
    rows = db.session.execute(
        select(
            AttemptItem.item_version_id,
            AttemptItem.is_pretest,
            band,
            choices,
            func.count().label("n"),
            func.sum(right).label("correct"),
            func.sum(raw).label("sum_total"),
            func.sum(raw * raw).label("sum_total_squared"),
            func.sum(raw * right).label("sum_total_correct"),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .outerjoin(Response, Response.attempt_item_id == AttemptItem.id)
        .where(*scope.conditions())
        .group_by(
            AttemptItem.item_version_id,
            AttemptItem.is_pretest,
            choices,
            *([band] if grouping is not None else []),
        )
    ).all()
    acc: dict[tuple[int, bool], dict] = defaultdict(
        lambda: {"n": 0, "correct": 0, "st": 0, "stt": 0, "stc": 0, "bands": Counter(), "right": Counter()}
    )
    chosen: dict[tuple[int, bool], Counter] = defaultdict(Counter)
    for version_id, pretest, row_band, text, n, correct, st, stt, stc in rows:
        entry = acc[(version_id, bool(pretest))]
        entry["n"] += n
        entry["correct"] += correct or 0
        entry["st"] += st or 0
        entry["stt"] += stt or 0
        entry["stc"] += stc or 0
        entry["bands"][row_band] += n
        entry["right"][row_band] += correct or 0
        for option in set(json.loads(text) if text else []):
            chosen[(version_id, bool(pretest))][(option, row_band)] += n
            chosen[(version_id, bool(pretest))][(option, None)] += n
    versions = {
        v.id: (external_id, v)
        for v, external_id in db.session.execute(
            select(ItemVersion, Item.external_id)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(ItemVersion.id.in_({version_id for version_id, _ in acc}))
        )
    }
    out = []
    for (version_id, pretest), e in acc.items():
        external_id, version = versions[version_id]
        counts = chosen[(version_id, pretest)]
        out.append(
            ItemSums(
                item_version_id=version_id,
                external_id=external_id,
                scored=not pretest,
                responses=e["n"],
                correct=e["correct"],
                sum_total=float(e["st"]),
                sum_total_squared=float(e["stt"]),
                sum_total_correct=float(e["stc"]),
                upper=e["bands"][UPPER],
                lower=e["bands"][LOWER],
                correct_upper=e["right"][UPPER],
                correct_lower=e["right"][LOWER],
                options=[
                    OptionCounts(
                        o["id"],
                        o["id"] in version.keys,
                        counts[(o["id"], None)],
                        counts[(o["id"], UPPER)],
                        counts[(o["id"], LOWER)],
                    )
                    for o in version.options
                ],
            )
        )
    out.sort(key=lambda s: (s.external_id, s.item_version_id, s.scored))
    return out


def _form(totals: list[Totals], analyses: list[ItemAnalysis], cut_percent: float | None) -> FormStatistics:
    lengths = Counter(t.scored_items for t in totals)
    items = lengths.most_common(1)[0][0] if lengths else 0
    facilities = [a.facility for a in analyses if a.scored and a.facility is not None]
    cut = items * cut_percent / 100 if items and cut_percent is not None else None
    return form_statistics(
        [float(t.raw_score) for t in totals], sum(1 for t in totals if t.passed), items, facilities, cut
    )


def form_dict(stats: FormStatistics, cut_percent: float | None) -> dict:
    def r(value, places=3):
        return None if value is None else round(value, places)

    return {
        "candidates": stats.candidates,
        "passed": stats.passed,
        "pass_rate": r(stats.pass_rate),
        "items": stats.items,
        "passing_percent": cut_percent,
        "mean": r(stats.mean, 2),
        "sd": r(stats.sd, 2),
        "kr20": r(stats.reliability),
        "sem": r(stats.sem, 2),
        "csem_at_cut": r(stats.csem_at_cut, 2),
    }


def calculate(scope: Scope) -> dict:
    """The analysis of the scope, computed now from the stored responses."""
    totals = attempt_totals(scope)
    analyses = [analyse_item(s) for s in item_sums(scope, totals)]
    cut_percent = scope.cut_percent
    first = [t for t in totals if t.first]
    # First attempts' item facilities come from first attempts only: one more pass, kept cheap by
    # skipping it when every attempt is a first attempt.
    first_analyses = analyses if len(first) == len(totals) else _first_attempt_analyses(scope, first)
    return {
        "role": scope.role.slug if scope.role else None,
        "category": scope.category.slug if scope.category else None,
        "from": scope.start.isoformat() if scope.start else None,
        "to": scope.end.isoformat() if scope.end else None,
        "attempts": len(totals),
        "simulated": _simulated_count(scope),
        "items": [a.as_dict() for a in analyses],
        "forms": {
            "all": form_dict(_form(totals, analyses, cut_percent), cut_percent),
            "first": form_dict(_form(first, first_analyses, cut_percent), cut_percent),
        },
    }


def _first_attempt_analyses(scope: Scope, first: list[Totals]) -> list[ItemAnalysis]:
    rows = db.session.execute(
        select(
            AttemptItem.item_version_id,
            func.count(),
            func.sum(case((AttemptItem.correct.is_(True), 1), else_=0)),
        )
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(*scope.conditions(), Attempt.sequence == 1, AttemptItem.is_pretest.is_(False))
        .group_by(AttemptItem.item_version_id)
    ).all()
    return [
        ItemAnalysis(version_id, "", True, n, (correct or 0) / n, None, None, [], [])
        for version_id, n, correct in rows
        if n
    ]


def _simulated_count(scope: Scope) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Attempt).where(*scope.conditions(), Attempt.simulated.is_(True))
        )
        or 0
    )


def cached(scope: Scope) -> ItemAnalysisCache | None:
    return db.session.scalar(select(ItemAnalysisCache).where(ItemAnalysisCache.scope == scope.key))


def item_analysis(scope: Scope, recalculate: bool = False) -> ItemAnalysisCache:
    """The stored analysis of the scope, calculated (and stored) when missing or asked to.

    A read-through cache, so it opens its own unit of work for the store, after the calculation
    (CPU work that must not hold the writer queue); called inside a caller's unit it joins it.
    """
    entry = None if recalculate else cached(scope)
    if entry is not None:
        return entry
    payload = calculate(scope)  # reads only: the writer queue is taken after it, for the upsert
    with unit_of_work():
        entry = cached(scope) or ItemAnalysisCache(
            scope=scope.key,
            role_id=scope.role.id if scope.role else None,
            category_id=scope.category.id if scope.category else None,
        )
        entry.payload = payload
        entry.calculated_at = utcnow()
        db.session.add(entry)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            # Another request stored the same scope a moment ago (PostgreSQL): theirs is as fresh.
            entry = cached(scope)
    return entry


def report(entry: ItemAnalysisCache) -> dict:
    """What the CLI prints and the API returns."""
    return {**entry.payload, "calculated_at": entry.calculated_at.isoformat()}


def version_texts(version_ids: set[int]) -> dict[int, VersionText]:
    """The stems and option texts of these item versions (immutable, so never stale in a cache)."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(ItemVersion.id, ItemVersion.item_id, ItemVersion.stem, ItemVersion.options).where(
            ItemVersion.id.in_(version_ids)
        )
    )
    return {
        i: VersionText(item_id, stem, {o["id"]: o.get("text", "") for o in options})
        for i, item_id, stem, options in rows
    }


def current_statuses(version_ids: set[int]) -> dict[int, str]:
    """Each item version's status now (pretest, active, retired...), for the pretest page."""
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(ItemVersion.id, ItemVersion.status, Item.retired_at)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(version_ids))
    )
    return {i: "retired" if retired_at else status for i, status, retired_at in rows}
