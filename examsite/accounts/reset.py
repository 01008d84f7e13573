"""Password reset by e-mail: a single-use link that expires (PASSWORD_RESET_HOURS, default 1).

Asking for a link answers the same whether or not the address has an account; the link's token
is stored only as its SHA-256; the mail leaves through the outbox (examsite/mail), so a mail
server that is down delays the link instead of losing it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update

from examsite.accounts.models import PasswordReset, User, hash_password, normalize_email
from examsite.accounts.services import AccountError, end_sessions, password_problem
from examsite.audit.services import record
from examsite.database import begin_write
from examsite.extensions import db
from examsite.mail.outbox import enqueue
from examsite.timeutil import as_utc, utcnow

MAIL_KIND = "password_reset"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, link_for, hours: int = 1) -> int | None:
    """Queue a reset mail if an active account has this e-mail; the outbox message id or None.

    `link_for(token)` makes the absolute link. The caller commits and shows one neutral message
    either way."""
    begin_write()
    email = normalize_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        record("password_reset.unknown", object_type="User", email=email)
        return None
    now = utcnow()
    _void_open_links(user, now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user=user, token_hash=_hash(token), created_at=now, expires_at=now + timedelta(hours=hours)
        )
    )
    message = enqueue(
        MAIL_KIND,
        user.email,
        _("Reset your examsite password"),
        _("Hello %(name)s,", name=user.name)
        + "\n\n"
        + _("someone (we hope you) asked to reset the password of your examsite account.")
        + "\n"
        + ngettext(
            "Open this link within %(num)d hour to choose a new password; it works once:",
            "Open this link within %(num)d hours to choose a new password; it works once:",
            hours,
        )
        + f"\n\n{link_for(token)}\n\n"
        + _("If you did not ask for this, ignore this message: your password stays as it is.")
        + "\n",
    )
    record("password_reset.request", user, actor=user)
    return message.id


def link_problem(token: str, now: datetime | None = None) -> str | None:
    """Why this link cannot be used, or None when it can (for the page shown before the form)."""
    reset = _reset_for(token)
    return _problem(reset, now or utcnow())


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the new password through a valid link and use the link up. AccountError otherwise."""
    now = now or utcnow()
    reset = _reset_for(token)
    if problem := _problem(reset, now):
        raise AccountError(problem)
    if problem := password_problem(password, reset.user.email):
        raise AccountError(problem)
    password_hash = hash_password(password)  # CPU work, before the write begins
    begin_write()
    used = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # used at the same moment in another tab
        db.session.rollback()
        raise AccountError(_("This link has already been used. Ask for a new one."))
    user = db.session.get(User, reset.user_id)
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_expires_at = None
    end_sessions(user)  # a reset ends every session and API token the user had
    _void_open_links(user, now)
    record("user.password_reset", user, actor=user)
    return user


def _reset_for(token: str) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))


def _problem(reset: PasswordReset | None, now: datetime) -> str | None:
    if reset is None:
        return _("This link is not valid. Ask for a new one.")
    if reset.used_at is not None:
        return _("This link has already been used. Ask for a new one.")
    if as_utc(reset.expires_at) <= now:
        return _("This link has expired. Ask for a new one.")
    if not reset.user.active:
        return _("This account is not active.")
    return None


def _void_open_links(user: User, now: datetime) -> None:
    """Only the newest link works: earlier ones are void."""
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
