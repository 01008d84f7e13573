"""Certificate rules: issue with a passing result, look up by code, revoke, correct the name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from examsite.audit.services import record
from examsite.certificates import validity
from examsite.certificates.codes import new_code, normalize_code
from examsite.certificates.models import Certificate, CertificateNameChange
from examsite.database import begin_write
from examsite.extensions import db
from examsite.text import text_problem
from examsite.timeutil import utcnow


class CertificateError(ValueError):
    pass


def issue_certificate(attempt, now: datetime) -> Certificate:
    """Add the certificate for a passing attempt to the scoring transaction (unique per attempt).

    When the trainee holds a certificate for the role that is still renewable (not revoked, not
    renewed, not lapsed past the grace), the new one renews it: it names the old in `renews_id`,
    and its validity runs on from the old expiry (examsite/certificates/validity.py)."""
    role = attempt.role
    previous = renewable_certificate(attempt.user_id, role.id, now)
    certificate = _new_certificate(
        previous, attempt.user, role, now, attempt_id=attempt.id, score_percent=attempt.score_percent
    )
    record(
        "certificate.issue",
        certificate,
        actor=attempt.user,
        code=certificate.code,
        role=role.slug,
        attempt=attempt.id,
        renews=previous.code if previous else None,
    )
    return certificate


def _new_certificate(previous, user, role, now, *, attempt_id=None, score_percent=None, basis="exam"):
    months = role.exam.validity_months
    certificate = Certificate(
        code=_unused_code(),
        attempt_id=attempt_id,
        user_id=user.id,
        role_id=role.id,
        holder_name=previous.holder_name if previous is not None else user.name,
        role_name=role.name,
        category_name=role.category.name,
        score_percent=score_percent,
        issued_at=now,
        expires_at=(
            validity.renewed_expiry(previous.expires_at, now, months)
            if previous is not None
            else validity.expiry(now, months)
        ),
        renews_id=previous.id if previous is not None else None,
        basis=basis,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def renewable_certificate(user_id: int, role_id: int, now: datetime) -> Certificate | None:
    """The holder's current certificate for a role when a new pass would renew it, else None."""
    current = current_certificate(user_id, role_id)
    if current is None or not validity.still_renewable(current.expires_at, now):
        return None
    return current


def current_certificate(user_id: int, role_id: int) -> Certificate | None:
    """The newest unrevoked certificate of a holder for a role that no other one renewed."""
    return db.session.scalar(
        select(Certificate)
        .where(
            Certificate.user_id == user_id,
            Certificate.role_id == role_id,
            Certificate.revoked_at.is_(None),
            not_renewed(),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def not_renewed():
    """A WHERE clause: no certificate renews this one (it is the newest of its chain)."""
    renewal = aliased(Certificate)
    return ~select(renewal.id).where(renewal.renews_id == Certificate.id).exists()


def history(certificate: Certificate) -> list[Certificate]:
    """The whole chain this certificate belongs to, oldest first (renewals follow their original)."""
    first = certificate
    seen = {first.id}
    while first.renews is not None and first.renews.id not in seen:
        first = first.renews
        seen.add(first.id)
    chain = [first]
    while chain[-1].renewed_by is not None and chain[-1].renewed_by.id not in {c.id for c in chain}:
        chain.append(chain[-1].renewed_by)
    return chain


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
    begin_write()
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
        "renews": certificate.renews.code if certificate.renews else None,
        "renewed_by": certificate.renewed_by.code if certificate.renewed_by else None,
    }
