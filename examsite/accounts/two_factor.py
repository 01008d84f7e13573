"""Two-factor sign-in: TOTP (RFC 6238, any authenticator app) with single-use recovery codes.

Available to every user; required for instructors and administrators when REQUIRE_STAFF_2FA=1
(they are sent to enrol before anything else). A code is accepted within one 30-second step of the
server's clock either way, and never twice (the last accepted step is kept on the user row).
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
from flask import current_app
from sqlalchemy import select, update

from examsite.accounts.models import RecoveryCode, User, UserRole
from examsite.audit.services import record
from examsite.extensions import db
from examsite.timeutil import utcnow

ISSUER = "examsite"
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def required_for(user: User) -> bool:
    return bool(current_app.config.get("REQUIRE_STAFF_2FA")) and user.role in (
        UserRole.INSTRUCTOR,
        UserRole.ADMIN,
    )


def _step(secret: str, code: str) -> int | None:
    """The time step this code belongs to (now, or one step either side), or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).replace("-", "").encode()).hexdigest()


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-factor sign-in on once the user proves their app shows the right code; the new
    recovery codes (shown once), or None if the code is wrong."""
    step = _step(secret, code)
    if step is None:
        return None
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_secret, user.totp_last_step = secret, step
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id).values(used_at=utcnow()))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    record("user.2fa_enabled", user, actor=user)
    return codes


def disable(user: User, code: str) -> bool:
    """Turn it off (with a current code or a recovery code); refused while it is required."""
    if required_for(user) or not verify(user, code):
        return False
    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    record("user.2fa_disabled", user, actor=user)
    return True


def verify(user: User, code: str) -> bool:
    """Check an authenticator code or a recovery code at sign-in (in the caller's unit of work:
    a used code is spent). Constant work per code; no password hashing involved."""
    if not user.totp_secret:
        return False
    step = _step(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # replayed
        user.totp_last_step = step
        return True
    row = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = utcnow()
    record("user.2fa_recovery_code_used", user, actor=user)
    return True
