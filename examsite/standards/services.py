"""Standard-setting studies: who may see and act on them, and each step of a study.

A study goes round1 -> round2 -> closed -> applied; each step is a guarded UPDATE of the status
(so two facilitators clicking at once move it once) in the caller's transaction, with its audit
event. Services flush, never commit: the request or command owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring.access import assigned_banks
from examsite.authoring.models import CategoryAssignment
from examsite.banks.models import Item, ItemVersion
from examsite.banks.queries import load_pool
from examsite.catalog.models import Role
from examsite.extensions import db
from examsite.instructors.item_analysis import Scope, cached, calculate
from examsite.standards.angoff import RatingError, applied_percent, item_spread, recommend
from examsite.standards.models import StandardPanelist, StandardRating, StandardStudy, StudyStatus
from examsite.timeutil import utcnow


class StudyError(Exception):
    """A step the study's state or the user's rights refuse; `status` as the page answers it."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


# --- who --------------------------------------------------------------------------------------


def may_open(user: User, role: Role) -> bool:
    return user.role == "admin" or (user.role == "instructor" and role.category.slug in assigned_banks(user))


def openable_roles(user: User) -> list[Role]:
    roles = db.session.scalars(select(Role).order_by(Role.category_id, Role.position))
    return [r for r in roles if may_open(user, r)]


def panelist_of(user: User, study: StandardStudy) -> StandardPanelist | None:
    return next((p for p in study.panelists if p.user_id == user.id), None)


def is_facilitator(user: User, study: StandardStudy) -> bool:
    """Administrators, and the instructor who opened it while still assigned to the category."""
    return user.role == "admin" or (study.opened_by_id == user.id and may_open(user, study.role))


def study_for(user: User, study_id: int) -> StandardStudy | None:
    """The study if the user may see it; None (the page's 404) otherwise: instructors see only
    the studies of their categories that they opened or were invited to."""
    study = db.session.get(StandardStudy, study_id)
    if study is None:
        return None
    if user.role == "admin":
        return study
    if user.role != "instructor" or not may_open(user, study.role):
        return None
    if study.opened_by_id == user.id or panelist_of(user, study) is not None:
        return study
    return None


def visible_studies(user: User) -> list[StandardStudy]:
    studies = db.session.scalars(select(StandardStudy).order_by(StandardStudy.opened_at.desc()))
    return [s for s in studies if study_for(user, s.id) is not None]


def eligible_panelists(role: Role) -> list[User]:
    """Active instructors assigned to the role's category."""
    return list(
        db.session.scalars(
            select(User)
            .join(CategoryAssignment, CategoryAssignment.user_id == User.id)
            .where(
                CategoryAssignment.category_id == role.category_id,
                User.role == "instructor",
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


# --- the steps ---------------------------------------------------------------------------------


def pool_version_ids(role: Role) -> list[int]:
    """The role's active scored items now: what a form is drawn from and what the panel rates."""
    pool = load_pool(role)
    return sorted(v for units in pool.units_by_domain.values() for u in units for v in u.version_ids)


def open_study(user: User, role: Role, title: str) -> StandardStudy:
    if not may_open(user, role):
        raise StudyError("You are not assigned to this role's category.", 404)
    items = pool_version_ids(role)
    if not items:
        raise StudyError(f"{role.name} has no active items to rate.", 422)
    study = StandardStudy(
        role_id=role.id,
        title=title.strip() or f"Passing standard for {role.name}",
        status=StudyStatus.round1,
        opened_by_id=user.id,
        opened_at=utcnow(),
        item_version_ids=items,
        item_data={},
    )
    db.session.add(study)
    db.session.flush()
    record("standard.open", study, actor=user, role=role.slug, items=len(items))
    return study


def invite(user: User, study: StandardStudy, user_ids: list[int]) -> list[User]:
    """Add panelists (instructors of the category), while round 1 runs; returns those added."""
    if not is_facilitator(user, study):
        raise StudyError("Only the study's facilitator or an administrator invites panelists.", 404)
    if study.status != StudyStatus.round1:
        raise StudyError("Panelists can be invited only during round 1.")
    eligible = {u.id: u for u in eligible_panelists(study.role)}
    unknown = [i for i in user_ids if i not in eligible]
    if unknown:
        raise StudyError("Only instructors assigned to the role's category can be panelists.", 422)
    present = {p.user_id for p in study.panelists}
    added = [eligible[i] for i in dict.fromkeys(user_ids) if i not in present]
    if not added:
        return []
    for person in added:
        db.session.add(StandardPanelist(study_id=study.id, user_id=person.id, invited_at=utcnow()))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise StudyError("Someone invited the same panelists a moment ago; reload the page.") from exc
    record("standard.invite", study, actor=user, panelists=[u.id for u in added])
    return added


def current_round(study: StandardStudy) -> int | None:
    return {StudyStatus.round1: 1, StudyStatus.round2: 2}.get(StudyStatus(study.status))


def may_rate(panelist: StandardPanelist | None, study: StandardStudy) -> bool:
    """Round 1: every panelist; round 2: those who submitted round 1."""
    round_ = current_round(study)
    if panelist is None or round_ is None or panelist.submitted(round_):
        return False
    return round_ == 1 or panelist.submitted(1)


def save_ratings(
    user: User, study: StandardStudy, ratings: dict[int, Decimal | None], submit: bool
) -> StandardPanelist:
    """Store the panelist's ratings of the current round (blank ones left out); `submit` also
    ends their round, which needs every item rated."""
    panelist = panelist_of(user, study)
    if panelist is None:
        raise StudyError("You are not a panelist of this study.", 404)
    round_ = current_round(study)
    if not may_rate(panelist, study):
        raise StudyError("This round is not open to you for rating (submitted, or the round has ended).")
    items = set(study.item_version_ids)
    if set(ratings) - items:
        raise StudyError("Rate only the study's items.", 422)
    # The round may have moved on while the page was open: read the status again, locked.
    fresh = db.session.scalar(
        select(StandardStudy.status).where(StandardStudy.id == study.id).with_for_update()
    )
    if fresh != study.status:
        raise StudyError(
            "The facilitator ended this round while you were rating; your ratings were not saved."
        )
    existing = {
        r.item_version_id: r
        for r in db.session.scalars(
            select(StandardRating).where(
                StandardRating.panelist_id == panelist.id, StandardRating.round == round_
            )
        )
    }
    now = utcnow()
    for version_id, value in ratings.items():
        if value is None:
            continue
        row = existing.get(version_id)
        if row is None:
            row = StandardRating(panelist_id=panelist.id, item_version_id=version_id, round=round_)
            db.session.add(row)
            existing[version_id] = row
        row.rating, row.rated_at = value, now
    if submit:
        missing = items - set(existing)
        if missing:
            raise StudyError(f"Rate every item before submitting: {len(missing)} still blank.", 422)
        if round_ == 1:
            panelist.round1_at = now
        else:
            panelist.round2_at = now
    db.session.flush()
    return panelist


def round_ratings(study: StandardStudy, round_: int) -> dict[int, dict[int, float]]:
    """{panelist id: {item version id: rating}} for a round."""
    out: dict[int, dict[int, float]] = defaultdict(dict)
    rows = db.session.execute(
        select(StandardRating.panelist_id, StandardRating.item_version_id, StandardRating.rating)
        .join(StandardPanelist, StandardPanelist.id == StandardRating.panelist_id)
        .where(StandardPanelist.study_id == study.id, StandardRating.round == round_)
    )
    for panelist_id, version_id, rating in rows:
        out[panelist_id][version_id] = float(rating)
    return dict(out)


def _move(study: StandardStudy, old: StudyStatus, new: StudyStatus, **values) -> None:
    moved = db.session.execute(
        update(StandardStudy)
        .where(StandardStudy.id == study.id, StandardStudy.status == old)
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise StudyError("The study has moved on meanwhile; reload the page.")
    db.session.refresh(study)


def start_round2(user: User, study: StandardStudy, facilities: dict[int, float | None]) -> None:
    """Round 1 ends: the panel sees the item data (`facilities`) and the spread of round 1."""
    if not is_facilitator(user, study):
        raise StudyError("Only the study's facilitator or an administrator moves it on.", 404)
    if study.status != StudyStatus.round1:
        raise StudyError("Round 2 has already begun.")
    if not any(p.submitted(1) for p in study.panelists):
        raise StudyError("No panelist has submitted round 1 yet.", 422)
    data = {str(v): facilities.get(v) for v in study.item_version_ids}
    _move(study, StudyStatus.round1, StudyStatus.round2, round2_at=utcnow(), item_data=data)
    record("standard.round2", study, actor=user, panelists=sum(1 for p in study.panelists if p.submitted(1)))


def close_study(user: User, study: StandardStudy) -> dict:
    """Round 2 ends: the recommendation from the panelists who submitted it, kept with the study."""
    if not is_facilitator(user, study):
        raise StudyError("Only the study's facilitator or an administrator closes it.", 404)
    if study.status != StudyStatus.round2:
        raise StudyError("Only a study in round 2 can be closed.")
    done = {p.id for p in study.panelists if p.submitted(2)}
    ratings = {pid: r for pid, r in round_ratings(study, 2).items() if pid in done}
    try:
        rec = recommend(ratings, study.item_version_ids)
    except RatingError as exc:
        raise StudyError(str(exc), 422) from exc
    result = {
        "panelists": rec.panelists,
        "items": rec.items,
        "raw": round(rec.raw, 4),
        "percent": round(rec.percent, 4),
        "sd": None if rec.sd is None else round(rec.sd, 4),
        "se": None if rec.se is None else round(rec.se, 4),
        "sd_percent": None if rec.sd_percent is None else round(rec.sd_percent, 4),
        "se_percent": None if rec.se_percent is None else round(rec.se_percent, 4),
        "recommended_percent": str(applied_percent(rec)),
        "cuts": [round(c, 4) for c in rec.cuts],
    }
    _move(study, StudyStatus.round2, StudyStatus.closed, closed_at=utcnow(), result=result)
    record("standard.close", study, actor=user, **{k: v for k, v in result.items() if k != "cuts"})
    return result


def apply_study(user: User, study: StandardStudy) -> Decimal:
    """An administrator makes the study's cut the exam's passing standard, for attempts started
    from now on (an attempt keeps the standard it started with)."""
    if user.role != "admin":
        raise StudyError("Only an administrator applies a passing standard.", 404)
    if study.status != StudyStatus.closed or not study.result:
        raise StudyError("Only a closed study's recommendation can be applied.")
    percent = Decimal(study.result["recommended_percent"])
    exam = study.role.exam
    previous = exam.passing_percent
    now = utcnow()
    _move(
        study,
        StudyStatus.closed,
        StudyStatus.applied,
        applied_at=now,
        applied_by_id=user.id,
        applied_percent=percent,
        previous_percent=previous,
    )
    exam.passing_percent, exam.configured_at, exam.passing_standard_study_id = percent, now, study.id
    ratings = round_ratings(study, 2)
    record(
        "standard.apply",
        study,
        actor=user,
        role=study.role.slug,
        passing_percent=str(percent),
        previous_percent=str(previous),
        panelists=study.result["panelists"],
        raw=study.result["raw"],
        sd=study.result["sd"],
        se=study.result["se"],
        ratings={
            str(p.user_id): {str(v): r for v, r in sorted(ratings.get(p.id, {}).items())}
            for p in study.panelists
            if p.submitted(2)
        },
    )
    db.session.flush()
    return percent


# --- what the pages show -----------------------------------------------------------------------


@dataclass(frozen=True)
class RatedItem:
    version: ItemVersion
    external_id: str


def study_items(study: StandardStudy) -> list[RatedItem]:
    rows = db.session.execute(
        select(ItemVersion, Item.external_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(study.item_version_ids or [0]))
    ).all()
    by_id = {v.id: RatedItem(v, external_id) for v, external_id in rows}
    return sorted((by_id[i] for i in study.item_version_ids if i in by_id), key=lambda r: r.external_id)


def round1_spreads(study: StandardStudy) -> dict[int, object]:
    """Per item, the anonymized spread of the round-1 ratings of panelists who submitted them."""
    done = {p.id for p in study.panelists if p.submitted(1)}
    by_item: dict[int, list[float]] = defaultdict(list)
    for pid, given in round_ratings(study, 1).items():
        if pid in done:
            for version_id, rating in given.items():
                by_item[version_id].append(rating)
    return {v: item_spread(r) for v, r in by_item.items()}


@dataclass(frozen=True)
class StandardSource:
    """The applied study a role's passing standard came from, for its public page."""

    panelists: int
    applied_at: object


def passing_standard_source(role: Role) -> StandardSource | None:
    """The study whose cut is the role's passing standard now; None when the program set it
    (no study applied, or the standard changed otherwise since)."""
    study_id = role.exam.passing_standard_study_id if role.exam else None
    study = db.session.get(StandardStudy, study_id) if study_id else None
    if study is None or study.applied_at is None:
        return None
    return StandardSource((study.result or {}).get("panelists", 0), study.applied_at)


def item_facilities(role: Role) -> dict[int, float | None]:
    """Each item version's facility over the role's closed attempts: the stored item analysis
    (as shown on the item-analysis page) or, when none is stored, calculated now without storing."""
    scope = Scope(role)
    entry = cached(scope)
    payload = entry.payload if entry is not None else calculate(scope)
    return {i["item_version_id"]: i["facility"] for i in payload["items"] if i["scored"]}
