"""Exam delivery rules: starting (retake policy, assembly), saving answers, closing and scoring.

Views call one function here; each function commits what it changes before returning, so an
answer the server acknowledged is durable, and a result is stored once.
"""

from __future__ import annotations

import functools
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import TextualSelect

from examsite.accounts.models import User
from examsite.accounts.signals import user_deactivated
from examsite.audit.services import record
from examsite.banks.models import ItemVersion
from examsite.banks.queries import blueprint_quotas, eligible_pool
from examsite.catalog.models import Role
from examsite.database import begin_single_statements, begin_write, in_single_statements
from examsite.delivery.assembly import AssemblyError, assemble, shuffle_options
from examsite.delivery.content import attempt_forms, attempt_rows, domains, version_cache
from examsite.delivery.group_commit import ALONE, REFUSED, WRITTEN, group_commit_enabled, save_group
from examsite.delivery.history import closed_month, link_closed_attempts
from examsite.delivery.models import Attempt, AttemptItem, IntegrityEvent, Response
from examsite.delivery.scoring import ScoredResponse, score
from examsite.delivery.signals import attempt_scored
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class DeliveryError(Exception):
    """A request the rules refuse; `status` and `code` map onto the API's JSON errors."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@dataclass(frozen=True)
class RetakeStatus:
    allowed: bool
    message: str = ""
    available_at: datetime | None = None


def open_attempt_for(user: User, role: Role) -> Attempt | None:
    attempt = db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user.id, Attempt.role_id == role.id, Attempt.status == "in_progress"
        )
    )
    if attempt is not None and close_if_expired(attempt):
        return None
    return attempt


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def retake_status(user: User, role: Role, now: datetime | None = None) -> RetakeStatus:
    """Whether a new attempt may start now, and if not, why and from when."""
    from examsite.certificates import validity
    from examsite.certificates.services import current_certificate

    now = now or utcnow()
    exam = role.exam
    # A valid certificate bars a retest until its renewal window opens (90 days before expiry):
    # a pass then renews it (examsite/certificates/validity.py). One that never expires bars it.
    certificate = current_certificate(user.id, role.id)
    if certificate is not None and certificate.expires_at is None:
        return RetakeStatus(False, "You hold a certificate for this role that does not expire.")
    if certificate is not None and now < validity.renewal_opens(certificate.expires_at):
        opens = validity.renewal_opens(certificate.expires_at)
        return RetakeStatus(
            False,
            f"You hold a valid certificate for this role until {_day(certificate.expires_at)}; "
            f"you can renew it by taking the exam again from {_day(opens)}.",
            opens,
        )
    past = db.session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user.id, Attempt.role_id == role.id, Attempt.status != "in_progress")
        .order_by(Attempt.started_at.desc())
    ).all()
    if past:
        last_end = past[0].closed_at or past[0].started_at
        wait_until = last_end + timedelta(days=exam.retake_days)
        if now < wait_until:
            return RetakeStatus(
                False,
                f"You can take this exam again from {wait_until:%d %B %Y} "
                f"({exam.retake_days} days after your last attempt).",
                wait_until,
            )
        window = [a for a in past if a.started_at > now - timedelta(days=365)]
        if len(window) >= exam.attempts_per_year:
            oldest = min(a.started_at for a in window[: exam.attempts_per_year])
            until = oldest + timedelta(days=365)
            return RetakeStatus(
                False,
                f"You have used the {exam.attempts_per_year} attempts "
                f"allowed in 365 days; the next is possible from {until:%d %B %Y}.",
                until,
            )
    return RetakeStatus(True)


def start_attempt(
    user: User, role: Role, now: datetime | None = None, rng: random.Random | None = None
) -> tuple[Attempt, bool]:
    """Resume the open attempt, or assemble and start a new one. Returns (attempt, created)."""
    now = now or utcnow()
    if user.role != "trainee":
        raise DeliveryError(403, "forbidden", "Only trainee accounts take exams.")
    begin_write()
    existing = open_attempt_for(user, role)
    if existing is not None:
        return existing, False
    status = retake_status(user, role, now)
    if not status.allowed:
        raise DeliveryError(
            409,
            "retake_not_allowed",
            status.message,
            available_at=status.available_at.isoformat() if status.available_at else None,
        )
    rng = rng or random.Random(secrets.randbits(64))
    seen_items = set(
        db.session.scalars(
            select(ItemVersion.item_id)
            .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.user_id == user.id, Attempt.role_id == role.id)
        )
    )
    try:
        form = assemble(eligible_pool(role), blueprint_quotas(role), role.exam.pretest_items, seen_items, rng)
    except AssemblyError as exc:
        raise DeliveryError(
            409, "exam_unavailable", f"This exam cannot be assembled right now: {exc}"
        ) from exc
    if not form:
        raise DeliveryError(409, "exam_unavailable", "This exam has no items yet.")
    exam = role.exam
    multiplier = Decimal(str(user.time_multiplier))
    previous = (
        db.session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.user_id == user.id, Attempt.role_id == role.id)
        )
        or 0
    )
    cohort = user.cohort
    attempt = Attempt(
        user_id=user.id,
        role_id=role.id,
        status="in_progress",
        started_at=now,
        deadline=now + timedelta(seconds=int(exam.minutes * 60 * multiplier)),
        grace_seconds=exam.grace_seconds,
        minutes=exam.minutes,
        time_multiplier=multiplier,
        passing_percent=exam.passing_percent,
        sequence=previous + 1,
        cohort_id=cohort.id if cohort else None,
        institution_id=cohort.institution_id if cohort else None,
    )
    versions = version_cache().get_many({f.version_id for f in form})
    try:
        db.session.add(attempt)
        db.session.flush()
        # One multi-row INSERT for the whole form (a 130-item form is one statement, not 130).
        db.session.execute(
            insert(AttemptItem),
            [
                {
                    "attempt_id": attempt.id,
                    "item_version_id": f.version_id,
                    "position": i + 1,
                    "is_pretest": f.is_pretest,
                    "option_order": shuffle_options([o for o, _ in versions[f.version_id].options], rng),
                }
                for i, f in enumerate(form)
            ],
        )
        db.session.commit()
    except IntegrityError:
        # Another request (a second tab) started the same exam a moment ago: resume that one.
        db.session.rollback()
        existing = open_attempt_for(user, role)
        if existing is None:
            raise
        return existing, False
    return attempt, True


def get_attempt_for(user: User, attempt_id: int, now: datetime | None = None) -> Attempt:
    """The user's own attempt, closing it first if its time ran out; 404 for anyone else's."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise DeliveryError(404, "not_found", "No such attempt.")
    close_if_expired(attempt, now)
    return attempt


def accepts_saves(attempt: Attempt, now: datetime) -> bool:
    return attempt.is_open and now <= attempt.deadline + timedelta(seconds=attempt.grace_seconds)


def prepare_save_request() -> None:
    """Before a save request's first statement: on PostgreSQL (without group commit), run its
    statements in autocommit, so the bearer token's lookup and the guarded upsert are two round
    trips, with no BEGIN or COMMIT. Anything that writes more (scoring an attempt found past its
    deadline) calls begin_write, which ends that and opens a transaction."""
    if not group_commit_enabled():
        begin_single_statements()


def save_answer(
    user: User,
    attempt_id: int,
    attempt_item_id: int,
    choices: list[str],
    flagged: bool | None,
    now: datetime | None = None,
) -> datetime:
    """Validate and upsert one answer, committed before returning the time it was saved.

    What never changes about an attempt (its owner, its start, its grace, its items' versions)
    is read once per worker and kept; then a save is one guarded write: the upsert inserts only
    while the attempt is this trainee's, the same instance (start time), open, and within its
    deadline plus grace, so the checks and the write are one statement. On SQLite, saves
    arriving together in a worker share one transaction (group_commit), each answered after its
    commit, and the transaction waits its turn in the writer queue (begin_write). On PostgreSQL
    the statement is its own transaction, in autocommit (prepare_save_request); its guard takes
    FOR SHARE on the attempt row, so a concurrent submit's guarded UPDATE waits for this
    save to commit, or this save finds the attempt closed and writes nothing: an acknowledged
    answer is never left out of a score. A repeat or a second tab is harmless. Anything unusual
    (not found, not yours, closed, late) takes the slow path, which says exactly why.
    """
    now = now or utcnow()
    user_id = user.id
    forms = attempt_forms()
    facts = forms.load(attempt_id)
    version_id = facts.versions.get(attempt_item_id) if facts and facts.user_id == user_id else None
    if version_id is None:
        raise _save_refusal(user, attempt_id, attempt_item_id, now)
    unique = _valid_choices(version_id, choices)
    statement = _guarded_upsert(db.engine.dialect.name, flagged is not None)
    params = {
        "attempt_id": attempt_id,
        "attempt_item_id": attempt_item_id,
        "user_id": user_id,
        "started_at": facts.started_at,
        "choices": unique,
        "flagged": bool(flagged),
        "now": now,
        "open_from": now - timedelta(seconds=facts.grace_seconds),
    }
    outcome = save_group().write(statement, params) if group_commit_enabled() else ALONE
    if outcome == ALONE:  # group commit is off, or its batch failed: this save's own transaction
        if not in_single_statements():  # on PostgreSQL the upsert is usually its own transaction
            begin_write()
        outcome = WRITTEN if db.session.execute(statement, params).first() is not None else REFUSED
        if outcome == WRITTEN:
            db.session.commit()
        else:
            db.session.rollback()
    if outcome == REFUSED:
        # Closed or timed out since (a submit, the deadline), or not the attempt the cache
        # remembers: nothing was written; say why.
        forms.forget(attempt_id)
        raise _save_refusal(user, attempt_id, attempt_item_id, now)
    return now


@functools.cache
def _guarded_upsert(dialect_name: str, set_flag: bool) -> TextualSelect:
    """INSERT one answer ... SELECT it only while the attempt is open and in time, ON CONFLICT
    update it: one statement, built once per dialect.

    SQLAlchemy does not cache the compiled form of the dialects' INSERT … ON CONFLICT constructs
    (they have no cache key), so using one directly would compile it again on every save, which
    cost more CPU than the rest of the save. It is compiled here once, and the SQL is kept as a
    text statement with the same typed parameters, which is cached like any other."""
    dialect = _plain_dialect(dialect_name)
    still_open = select(Attempt.id).where(
        Attempt.id == bindparam("attempt_id", type_=Integer),
        Attempt.user_id == bindparam("user_id", type_=Integer),
        Attempt.started_at == bindparam("started_at", type_=UTCDateTime),
        Attempt.status == literal_column("'in_progress'"),
        Attempt.deadline >= bindparam("open_from", type_=UTCDateTime),
    )
    if dialect.name == "postgresql":
        still_open = still_open.with_for_update(read=True)

    def typed(name, type_):
        # PostgreSQL needs the type of a parameter in a SELECT list spelled out; SQLite must not
        # get a CAST (CAST(... AS JSON) would apply numeric affinity and store 0).
        param = bindparam(name, type_=type_)
        return cast(param, type_) if dialect.name == "postgresql" else param

    table = Response.__table__  # Core, not the ORM's bulk insert: one statement with one row
    upsert = dialect_insert(dialect.name)(table).from_select(
        ["attempt_id", "attempt_item_id", "choices", "flagged", "saved_at", "saves"],
        select(
            bindparam("attempt_id", type_=Integer),
            bindparam("attempt_item_id", type_=Integer),
            typed("choices", JSON),
            typed("flagged", Boolean),
            typed("now", UTCDateTime),
            literal_column("1"),
        ).where(still_open.exists()),
    )
    changes = {
        "choices": upsert.excluded.choices,
        "saved_at": upsert.excluded.saved_at,
        "saves": table.c.saves + literal_column("1"),
    }
    if set_flag:
        changes["flagged"] = upsert.excluded.flagged
    statement = upsert.on_conflict_do_update(
        index_elements=[table.c.attempt_item_id], set_=changes
    ).returning(table.c.id)
    compiled = statement.compile(dialect=dialect)
    params = {name: bind.type for name, bind in compiled.binds.items()}
    expected = {
        "attempt_id",
        "attempt_item_id",
        "user_id",
        "started_at",
        "open_from",
        "choices",
        "flagged",
        "now",
    }
    if set(params) != expected:  # every value must be a parameter: none may be compiled in
        raise RuntimeError(f"guarded upsert parameters {sorted(params)} are not {sorted(expected)}")
    return (
        text(compiled.string)
        .bindparams(*(bindparam(name, type_=type_) for name, type_ in params.items()))
        .columns(table.c.id)
    )


def _plain_dialect(name: str):
    """The dialect writing `:name` parameters without `::TYPE` casts after them, which a text
    statement cannot read back (the statement spells out the casts PostgreSQL needs)."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql.base import PGDialect
        from sqlalchemy.engine.interfaces import BindTyping

        dialect = PGDialect(paramstyle="named")
        dialect.bind_typing = BindTyping.NONE
        return dialect
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    return SQLiteDialect(paramstyle="named")


def _valid_choices(version_id: int, choices: list[str]) -> list[str]:
    version = version_cache().get_many({version_id})[version_id]
    valid = {o for o, _ in version.options}
    unique = list(dict.fromkeys(choices))
    unknown = [c for c in unique if c not in valid]
    if unknown:
        raise DeliveryError(422, "unknown_option", f"Unknown option(s): {', '.join(unknown)}.")
    if version.type == "single" and len(unique) > 1:
        raise DeliveryError(422, "too_many_choices", "Choose one option for this item.")
    return unique


def _save_refusal(user: User, attempt_id: int, attempt_item_id: int, now: datetime) -> DeliveryError:
    """Why a save cannot be taken: no such attempt (or not yours), closed (scoring it now if its
    time ran out), or no such item in it."""
    attempt = db.session.get(Attempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.user_id != user.id:
        return DeliveryError(404, "not_found", "No such attempt.")
    close_if_expired(attempt, now)
    if not accepts_saves(attempt, now):
        return DeliveryError(
            409,
            "attempt_closed",
            "This attempt is closed; the answer was not saved.",
            attempt_status=attempt.status,
        )
    exists_here = db.session.scalar(
        select(AttemptItem.id).where(AttemptItem.id == attempt_item_id, AttemptItem.attempt_id == attempt.id)
    )
    if exists_here is None:
        return DeliveryError(404, "not_found", "No such item in this attempt.")
    return DeliveryError(409, "try_again", "The answer could not be saved; try again.")


def dialect_insert(name: str):
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Score an open attempt whose deadline plus grace has passed. True if it is (now) closed."""
    now = now or utcnow()
    if not attempt.is_open:
        return True
    if now <= attempt.deadline + timedelta(seconds=attempt.grace_seconds):
        return False
    close_attempt(attempt.id, "expired", now)
    db.session.refresh(attempt)
    return True


def submit_attempt(attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Close and score the attempt once; a repeat returns the stored result."""
    now = now or utcnow()
    if attempt.is_open:
        status = "submitted" if accepts_saves(attempt, now) else "expired"
        close_attempt(attempt.id, status, now)
        db.session.refresh(attempt)
    return attempt


def close_attempt(attempt_id: int, status: str, now: datetime) -> bool:
    """The guarded state change: open -> closed happens once; the winner scores in the same
    transaction (and issues the certificate when passed). False if another request won."""
    begin_write()
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == "in_progress")
        .values(status=status, closed_at=now, closed_month=closed_month(now))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    attempt = db.session.get(Attempt, attempt_id)
    db.session.refresh(attempt)
    _score_into(attempt, now)
    link_closed_attempts(attempt.user_id)
    db.session.commit()
    return True


def _score_into(attempt: Attempt, now: datetime) -> None:
    rows = attempt_rows(attempt)
    names = domains()
    scored = [
        ScoredResponse(
            *names[row.version.domain_id], row.version.keys, frozenset(row.choices), row.is_pretest
        )
        for row in rows
    ]
    result = score(scored, attempt.passing_percent)
    right = [row.id for row, entry in zip(rows, scored, strict=True) if entry.correct]
    wrong = [row.id for row, entry in zip(rows, scored, strict=True) if not entry.correct]
    for ids, value in ((right, True), (wrong, False)):
        if ids:
            db.session.execute(
                update(AttemptItem)
                .where(AttemptItem.id.in_(ids))
                .values(correct=value)
                .execution_options(synchronize_session=False)
            )
    attempt.raw_score = result.raw_score
    attempt.scored_items = result.scored_items
    attempt.score_percent = result.score_percent
    attempt.passed = result.passed
    attempt.domain_results = [d.as_dict() for d in result.domains]
    if result.passed and not attempt.user.active:
        # a deactivated account is scored (the record stays true) but certified by nobody
        record("certificate.withheld", attempt, attempt=attempt.id, reason="account inactive")
    elif result.passed and not attempt.simulated:  # simulated attempts are never certified
        from examsite.certificates.services import issue_certificate

        issue_certificate(attempt, now)
    attempt_scored.send(attempt, now=now)


@user_deactivated.connect
def close_attempts_of_deactivated(user: User, actor=None, now: datetime | None = None) -> list[int]:
    """Close (as expired) and score every open attempt of a user being deactivated, without a
    certificate, in the deactivation's transaction (the caller commits). The attempt ids."""
    now = now or utcnow()
    closed = []
    for attempt_id in db.session.scalars(
        select(Attempt.id).where(Attempt.user_id == user.id, Attempt.status == "in_progress")
    ).all():
        result = db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.status == "in_progress")
            .values(status="expired", closed_at=now, closed_month=closed_month(now))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # closed meanwhile by its trainee or the cron job
        attempt = db.session.get(Attempt, attempt_id)
        db.session.refresh(attempt)
        _score_into(attempt, now)
        record(
            "attempt.closed_on_deactivation",
            attempt,
            actor=actor,
            attempt=attempt.id,
            user=user.email,
            certificate=None,
            note="closed when the account was deactivated; no certificate is issued",
        )
        closed.append(attempt_id)
    if closed:
        link_closed_attempts(user.id)
    return closed


def close_expired(now: datetime | None = None) -> int:
    """Score every open attempt past its deadline plus grace (the cron job). Returns how many."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Attempt.id, Attempt.deadline, Attempt.grace_seconds).where(
            Attempt.status == "in_progress", Attempt.deadline < now
        )
    ).all()
    closed = 0
    for attempt_id, deadline, grace in candidates:
        if now > deadline + timedelta(seconds=grace) and close_attempt(attempt_id, "expired", now):
            closed += 1
    return closed


INTEGRITY_MIN_INTERVAL = timedelta(seconds=3)
INTEGRITY_KINDS = ("tab_hidden", "window_blur", "copy", "paste", "second_device", "resumed")


def record_integrity_event(
    attempt: Attempt, kind: str, details: dict | None, ip: str | None, now: datetime | None = None
) -> IntegrityEvent:
    """Record what the exam page saw (a tab hidden, the window left, a copy) for review.

    Refused for closed attempts (409), and at most one event of a kind per attempt every
    INTEGRITY_MIN_INTERVAL (429), so a script cannot flood the reviewers' list.
    """
    if kind not in INTEGRITY_KINDS:
        raise DeliveryError(422, "unknown_event", f"Unknown event kind {kind!r}.")
    now = now or utcnow()
    close_if_expired(attempt, now)
    if not attempt.is_open:
        raise DeliveryError(409, "attempt_closed", "This attempt is closed.", attempt_status=attempt.status)
    last = db.session.scalar(
        select(func.max(IntegrityEvent.occurred_at)).where(
            IntegrityEvent.attempt_id == attempt.id, IntegrityEvent.kind == kind
        )
    )
    if last is not None and now - last < INTEGRITY_MIN_INTERVAL:
        raise DeliveryError(429, "rate_limited", "An event of this kind was just recorded.")
    begin_write()
    event = IntegrityEvent(
        attempt_id=attempt.id, kind=kind, occurred_at=now, ip_address=ip, details=details or {}
    )
    db.session.add(event)
    db.session.commit()
    return event


def note_device(attempt: Attempt, device: str | None, ip: str | None) -> None:
    """Record a second device resuming the attempt (for review; the trainee is not blocked)."""
    if not device or not attempt.is_open:
        return
    if attempt.last_device == device:
        return
    begin_write()
    if attempt.last_device and attempt.last_device != device:
        db.session.add(
            IntegrityEvent(
                attempt_id=attempt.id,
                kind="second_device",
                ip_address=ip,
                occurred_at=utcnow(),
                details={"previous": attempt.last_device[:8], "device": device[:8]},
            )
        )
    if attempt.last_device != device:
        attempt.last_device = device
        db.session.commit()
