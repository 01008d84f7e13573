"""Renewal by continuing education: an administrator records credits (hours, activity, date);
once a certificate's credits reach the exam's `renewal_ce_hours`, it is renewed without the exam.

The credits count toward the holder's current certificate (the newest of its chain). They may be
recorded at any time in its cycle; the renewal follows as soon as they reach the hours, and its
validity runs on from the old expiry (examsite/certificates/validity.py), so recording early
gives the holder no extra time. A revoked, already renewed or lapsed certificate takes none.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from examsite.audit.services import record
from examsite.certificates import validity
from examsite.certificates.models import Certificate, ContinuingEducation
from examsite.certificates.services import CertificateError, _new_certificate
from examsite.database import begin_write
from examsite.extensions import db
from examsite.text import text_problem
from examsite.timeutil import utcnow


def ce_hours(certificate: Certificate) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(ContinuingEducation.hours), 0)).where(
            ContinuingEducation.certificate_id == certificate.id
        )
    )
    return Decimal(str(total))


def ce_entries(certificates: list[Certificate]) -> list[ContinuingEducation]:
    ids = [c.id for c in certificates]
    return list(
        db.session.scalars(
            select(ContinuingEducation)
            .where(ContinuingEducation.certificate_id.in_(ids))
            .order_by(ContinuingEducation.completed_on, ContinuingEducation.id)
        )
    )


def ce_problem(certificate: Certificate, now: datetime) -> str | None:
    """Why credits cannot be recorded toward this certificate, or None."""
    needed = certificate.role.exam.renewal_ce_hours
    if not needed:
        return f"The {certificate.role_name} exam does not accept continuing education for renewal."
    if certificate.revoked_at is not None:
        return "A revoked certificate cannot be renewed."
    if certificate.renewed_by is not None:
        return f"This certificate was already renewed by {certificate.renewed_by.code}; record credits there."
    if certificate.expires_at is None:
        return "This certificate does not expire; there is nothing to renew."
    if not validity.still_renewable(certificate.expires_at, now):
        return (
            f"This certificate lapsed more than {validity.RENEWAL_GRACE_DAYS} days ago; the holder "
            "must pass the exam again."
        )
    return None


def _hours(raw) -> Decimal:
    try:
        hours = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise CertificateError("hours must be a number, for example 2 or 1.5") from exc
    if not hours.is_finite() or not Decimal("0.1") <= hours <= Decimal(1000) or hours != round(hours, 1):
        raise CertificateError("hours must be between 0.1 and 1000, in tenths of an hour")
    return hours.quantize(Decimal("0.1"))


def format_hours(value) -> str:
    """12, 1.5: hours as people write them."""
    return f"{Decimal(str(value)).quantize(Decimal('0.1')):f}".removesuffix(".0")


def record_ce(
    certificate: Certificate, hours, activity: str, completed_on: date, actor, now: datetime | None = None
) -> tuple[ContinuingEducation, Certificate | None]:
    """Record credits toward `certificate` (audited); the renewal when they reach the exam's hours.

    Adds to the caller's transaction; CertificateError (nothing written) when refused."""
    now = now or utcnow()
    hours = _hours(hours)
    activity = (activity or "").strip()
    if not activity or len(activity) > 300:
        raise CertificateError("describe the activity in 1 to 300 characters")
    if problem := text_problem(activity):
        raise CertificateError(f"the activity {problem}")
    if not isinstance(completed_on, date):
        raise CertificateError("the date of the activity is required (YYYY-MM-DD)")
    if completed_on > now.date():
        raise CertificateError("the activity's date is in the future")
    if completed_on < certificate.issued_at.date():
        raise CertificateError(
            f"the activity predates the certificate (issued {certificate.issued_at:%d %B %Y}); "
            "only activities in its cycle count"
        )
    if problem := ce_problem(certificate, now):
        raise CertificateError(problem)
    begin_write()
    # Two administrators recording at once on PostgreSQL: the second waits here for the first's
    # commit, so it counts the first's hours (SQLite's writer queue already orders them).
    db.session.execute(select(Certificate.id).where(Certificate.id == certificate.id).with_for_update())
    db.session.refresh(certificate)
    if problem := ce_problem(certificate, now):
        raise CertificateError(problem)
    entry = ContinuingEducation(
        certificate_id=certificate.id,
        hours=hours,
        activity=activity,
        completed_on=completed_on,
        recorded_by_id=getattr(actor, "id", None),
        recorded_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    total = ce_hours(certificate)
    record(
        "certificate.ce_record",
        certificate,
        actor=actor,
        code=certificate.code,
        hours=str(hours),
        activity=activity,
        completed_on=completed_on.isoformat(),
        total=str(total),
    )
    needed = certificate.role.exam.renewal_ce_hours
    if total < needed:
        return entry, None
    try:
        renewal = _new_certificate(certificate, certificate.user, certificate.role, now, basis="ce")
    except IntegrityError as exc:  # renewed by an exam pass in the same moment (renews_id is unique)
        raise CertificateError("this certificate was renewed meanwhile; reload the page") from exc
    db.session.execute(
        update(ContinuingEducation)
        .where(ContinuingEducation.certificate_id == certificate.id)
        .values(renewal_id=renewal.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(certificate)
    record(
        "certificate.renew",
        renewal,
        actor=actor,
        code=renewal.code,
        renews=certificate.code,
        basis="ce",
        hours=str(total),
    )
    return entry, renewal
