"""Certificate rules: issue with a passing result, look up by code, revoke, correct the name."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from examsite.audit.services import record
from examsite.certificates.codes import new_code, normalize_code
from examsite.certificates.models import Certificate, CertificateNameChange
from examsite.extensions import db
from examsite.text import text_problem
from examsite.timeutil import utcnow


class CertificateError(ValueError):
    pass


def issue_certificate(attempt, now: datetime) -> Certificate:
    """Add the certificate for a passing attempt to the scoring transaction (unique per attempt)."""
    role = attempt.role
    certificate = Certificate(
        code=_unused_code(),
        attempt_id=attempt.id,
        user_id=attempt.user_id,
        role_id=role.id,
        holder_name=attempt.user.name,
        role_name=role.name,
        category_name=role.category.name,
        score_percent=attempt.score_percent,
        issued_at=now,
        expires_at=now + timedelta(days=role.exam.certificate_valid_days),
    )
    db.session.add(certificate)
    db.session.flush()
    record(
        "certificate.issue",
        certificate,
        actor=attempt.user,
        code=certificate.code,
        role=role.slug,
        attempt=attempt.id,
    )
    return certificate


def _unused_code() -> str:
    for _ in range(10):
        code = new_code()
        if not db.session.scalar(select(Certificate.id).where(Certificate.code == code)):
            return code
    raise RuntimeError("could not find an unused certificate code")  # 2^59 space: never in practice


def find_certificate(text: str) -> Certificate | None:
    code = normalize_code(text or "")
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def status_of(certificate: Certificate, now: datetime | None = None) -> str:
    return certificate.status_at(now or utcnow())


def revoke(certificate: Certificate, reason: str, actor) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("a reason is required to revoke a certificate")
    if certificate.revoked_at is not None:
        raise CertificateError(f"certificate {certificate.code} is already revoked")
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = getattr(actor, "id", None)
    certificate.revoked_reason = reason
    record("certificate.revoke", certificate, actor=actor, code=certificate.code, reason=reason)


def correct_name(certificate: Certificate, new_name: str, reason: str, actor) -> None:
    """Reissue after a name correction: same code, the old name kept in the history."""
    new_name = (new_name or "").strip()
    if not new_name or len(new_name) > 120:
        raise CertificateError("a new name of 1 to 120 characters is required")
    if problem := text_problem(new_name):
        raise CertificateError(f"the new name {problem}")
    if certificate.revoked_at is not None:
        raise CertificateError("a revoked certificate cannot be reissued")
    if new_name == certificate.holder_name:
        raise CertificateError("the name is unchanged")
    db.session.add(
        CertificateNameChange(
            certificate_id=certificate.id,
            old_name=certificate.holder_name,
            new_name=new_name,
            reason=reason or "",
            changed_by_id=getattr(actor, "id", None),
            changed_at=utcnow(),
        )
    )
    record(
        "certificate.reissue",
        certificate,
        actor=actor,
        code=certificate.code,
        old=certificate.holder_name,
        new=new_name,
    )
    certificate.holder_name = new_name


def public_view(certificate: Certificate, now: datetime | None = None) -> dict:
    from examsite.timeutil import isoformat

    return {
        "code": certificate.code,
        "holder": certificate.holder_name,
        "role": {"slug": certificate.role.slug, "name": certificate.role_name},
        "category": certificate.category_name,
        "issued_at": isoformat(certificate.issued_at),
        "expires_at": isoformat(certificate.expires_at),
        "status": status_of(certificate, now),
        "revoked_reason": certificate.revoked_reason,
        "revoked_at": isoformat(certificate.revoked_at),
    }
