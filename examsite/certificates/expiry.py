"""What expires soon (for trainees and administrators) and the expiry reminders (60 and 30 days).

A certificate "expires soon" when it is the newest of its chain (not renewed), not revoked, and
its expiry is within EXPIRING_SOON_DAYS. Administrators limited to an institution
(`institution_administrators`, `flask users scope`) see only holders in that institution's
cohorts; program-wide ones see everyone and may filter by institution.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from examsite.accounts.models import User
from examsite.certificates import validity
from examsite.certificates.models import Certificate, CertificateReminder
from examsite.certificates.services import not_renewed
from examsite.database import begin_write
from examsite.extensions import db
from examsite.mail.outbox import enqueue
from examsite.programs.models import Cohort, Institution, InstitutionAdministrator
from examsite.timeutil import utcnow

log = logging.getLogger(__name__)

MAIL_KIND = "certificate_expiry"


def _expiring(now: datetime, days: int):
    return (
        select(Certificate)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at.is_not(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=days),
            not_renewed(),
        )
        .order_by(Certificate.expires_at, Certificate.id)
    )


def expiring_for_holder(user_id: int, now: datetime | None = None) -> list[Certificate]:
    now = now or utcnow()
    query = _expiring(now, validity.EXPIRING_SOON_DAYS).where(Certificate.user_id == user_id)
    return list(db.session.scalars(query))


def institution_of_holder(certificate: Certificate) -> int | None:
    cohort = certificate.user.cohort if certificate.user else None
    return cohort.institution_id if cohort else None


def scope_of(admin: User) -> int | None:
    """The institution an administrator is limited to, or None for a program-wide administrator."""
    return db.session.scalar(
        select(InstitutionAdministrator.institution_id).where(InstitutionAdministrator.user_id == admin.id)
    )


def in_scope(admin: User, certificate: Certificate) -> bool:
    """Whether this administrator may see and act on this certificate (institution scope)."""
    scope = scope_of(admin)
    return scope is None or institution_of_holder(certificate) == scope


@dataclass(frozen=True)
class ExpiringRow:
    code: str
    holder: str
    email: str
    role: str
    institution: str
    cohort: str
    issued_at: datetime
    expires_at: datetime
    days_left: int
    renewable_now: bool


def expiring_for_admin(
    admin: User, institution_id: int | None = None, now: datetime | None = None
) -> list[ExpiringRow]:
    """Certificates expiring in the next 90 days of holders this administrator may see."""
    now = now or utcnow()
    if (scope := scope_of(admin)) is not None:
        institution_id = scope  # a limited administrator cannot widen (or move) the scope
    query = (
        _expiring(now, validity.EXPIRING_SOON_DAYS)
        .join(User, User.id == Certificate.user_id)
        .outerjoin(Cohort, Cohort.id == User.cohort_id)
        .outerjoin(Institution, Institution.id == Cohort.institution_id)
        .add_columns(User.email, Cohort.name.label("cohort"), Institution.name.label("institution"))
    )
    if institution_id is not None:
        query = query.where(Cohort.institution_id == institution_id)
    rows = []
    for certificate, email, cohort, institution in db.session.execute(query):
        rows.append(
            ExpiringRow(
                code=certificate.code,
                holder=certificate.holder_name,
                email=email,
                role=certificate.role_name,
                institution=institution or "",
                cohort=cohort or "",
                issued_at=certificate.issued_at,
                expires_at=certificate.expires_at,
                days_left=(certificate.expires_at - now).days,
                renewable_now=validity.can_renew(certificate.expires_at, now),
            )
        )
    return rows


# --- reminders ------------------------------------------------------------------------------------


def _reminder_text(certificate: Certificate, days: int) -> tuple[str, str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    exam = certificate.role.exam
    ce = (
        f"- or complete {exam.renewal_ce_hours} hours of continuing education and ask your "
        "program's administrator to record them.\n"
        if exam.renewal_ce_hours
        else ""
    )
    subject = f"Your {certificate.role_name} certificate expires in {days} days"
    body = (
        f"Hello {certificate.holder_name},\n\n"
        f"your {certificate.role_name} certificate ({certificate.code}) is valid until "
        f"{certificate.expires_at:%d %B %Y}.\n\n"
        "To renew it:\n"
        f"- pass the exam again: {base}/roles/{certificate.role.slug}\n"
        f"{ce}"
        "A renewal keeps your history, and its validity runs on from the current expiry.\n\n"
        f"Anyone can check the certificate at {base}/verify/{certificate.code}\n"
    )
    return subject, body


def _candidates(now: datetime) -> list[int]:
    horizon = max(validity.REMINDER_DAYS)
    query = (
        _expiring(now, horizon)
        .join(User, User.id == Certificate.user_id)
        .where(User.active.is_(True))
        .with_only_columns(Certificate.id)
    )
    ids = list(db.session.scalars(query))
    db.session.commit()  # end the read
    return ids


def queue_reminders(now: datetime | None = None) -> tuple[list[int], int]:
    """Queue the expiry reminders that are due, each once; (outbox message ids, reminders recorded).

    One short transaction per certificate: its reminder rows (unique per certificate and
    threshold) and its message commit together, so a second run, or one running at the same
    time on another machine, finds them recorded and sends nothing again.
    """
    now = now or utcnow()
    messages: list[int] = []
    recorded = 0
    for certificate_id in _candidates(now):
        begin_write()
        certificate = db.session.get(Certificate, certificate_id)
        done = db.session.scalars(
            select(CertificateReminder.days_before).where(
                CertificateReminder.certificate_id == certificate_id
            )
        ).all()
        due, mailed = validity.reminders_due(certificate.issued_at, certificate.expires_at, now, done)
        if not due:
            db.session.rollback()
            continue
        message_id = None
        if mailed is not None and certificate.user is not None:
            subject, body = _reminder_text(certificate, mailed)
            message_id = enqueue(MAIL_KIND, certificate.user.email, subject, body).id
        for days in due:
            db.session.add(
                CertificateReminder(
                    certificate_id=certificate_id,
                    days_before=days,
                    queued_at=now,
                    outbox_message_id=message_id if days == mailed else None,
                )
            )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another run recorded it first: it is sent once, by that run
            log.info("reminder for certificate %s already queued elsewhere", certificate_id)
            continue
        recorded += len(due)
        if message_id is not None:
            messages.append(message_id)
    return messages, recorded
