"""Read-only queries behind the administration pages: user search, the audit log, summaries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from examsite.accounts.models import USER_ROLES, User, UserRole
from examsite.audit.models import AuditEvent
from examsite.certificates.models import Certificate
from examsite.delivery.models import Attempt
from examsite.extensions import db
from examsite.programs.models import Cohort, Institution


def user_search(
    text: str = "", role: str | None = None, institution_id: int | None = None, cohort_id: int | None = None
) -> Select:
    """Users whose name or e-mail contains `text` (any case), narrowed by role and program."""
    stmt = select(User).options(selectinload(User.cohort).selectinload(Cohort.institution))
    text = (text or "").strip().lower()
    if text:
        stmt = stmt.where(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                User.email.contains(text, autoescape=True),
            )
        )
    if role in USER_ROLES:
        stmt = stmt.where(User.role == role)
    if cohort_id:
        stmt = stmt.where(User.cohort_id == cohort_id)
    if institution_id:
        stmt = stmt.where(
            User.cohort_id.in_(select(Cohort.id).where(Cohort.institution_id == institution_id))
        )
    return stmt.order_by(func.lower(User.name), User.id)


def audit_search(
    action: str | None = None, actor: str = "", start: datetime | None = None, end: datetime | None = None
) -> Select:
    """Audit events, newest first; `actor` matches part of the actor's name or e-mail; [start, end)."""
    stmt = select(AuditEvent).options(selectinload(AuditEvent.actor))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    actor = (actor or "").strip().lower()
    if actor:
        stmt = stmt.where(
            AuditEvent.actor_id.in_(
                select(User.id).where(
                    or_(
                        func.lower(User.name).contains(actor, autoescape=True),
                        User.email.contains(actor, autoescape=True),
                    )
                )
            )
        )
    if start is not None:
        stmt = stmt.where(AuditEvent.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEvent.at < end)
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def institutions() -> list[Institution]:
    return list(
        db.session.scalars(
            select(Institution)
            .options(selectinload(Institution.cohorts))
            .order_by(Institution.archived_at.is_not(None), func.lower(Institution.name))
        )
    )


def all_cohorts() -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .join(Institution)
            .options(selectinload(Cohort.institution))
            .order_by(func.lower(Institution.name), func.lower(Cohort.name))
        )
    )


def cohort_members(cohort: Cohort) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.cohort_id == cohort.id).order_by(func.lower(User.name), User.id)
        )
    )


def member_counts() -> dict[int, int]:
    """Trainees per cohort id."""
    rows = db.session.execute(
        select(User.cohort_id, func.count()).where(User.cohort_id.is_not(None)).group_by(User.cohort_id)
    )
    return dict(rows.tuples().all())


def attempts_of(user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id)
            .options(selectinload(Attempt.role))
            .order_by(Attempt.started_at.desc())
        )
    )


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc())
        )
    )


def dashboard() -> dict:
    """Counts for the administration home page."""
    by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return {
        "users": {role: by_role.get(role, 0) for role in USER_ROLES},
        "institutions": db.session.scalar(
            select(func.count()).select_from(Institution).where(Institution.archived_at.is_(None))
        ),
        "cohorts": db.session.scalar(
            select(func.count()).select_from(Cohort).where(Cohort.archived_at.is_(None))
        ),
        "unassigned": db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == UserRole.TRAINEE, User.cohort_id.is_(None))
        ),
        "accommodations": db.session.scalar(
            select(func.count()).select_from(User).where(User.accommodation.has())
        ),
    }
