"""Account rules: registration, authentication, password policy, user administration."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from examsite.accounts import throttle
from examsite.accounts.models import (
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    TOKEN_SCOPES,
    USER_ROLES,
    ApiToken,
    EndedSession,
    User,
    burn_password_check,
    hash_password,
    normalize_email,
)
from examsite.accounts.signals import user_deactivated
from examsite.audit.services import record
from examsite.database import begin_write
from examsite.extensions import db
from examsite.text import text_problem
from examsite.timeutil import UTCDateTime, as_utc, utcnow

_COMMON = {
    "password",
    "password1",
    "password123",
    "1234567890",
    "qwertyuiop",
    "letmein123",
    "iloveyou12",
    "welcome123",
    "passw0rd12",
    "abcdefghij",
    "0123456789",
    "examsite123",
}


class AccountError(ValueError):
    pass


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why a password is too weak, or None. Length first (NIST SP 800-63B), then the obvious."""
    if len(password) < 10:
        return _("Use at least 10 characters.")
    if len(password) > 256:
        return _("Use at most 256 characters.")
    if password.lower() in _COMMON or len(set(password)) < 4:
        return _("This password is too easy to guess.")
    if email and normalize_email(email).split("@")[0] in password.lower() and len(email) > 3:
        return _("Do not use your e-mail address in your password.")
    return None


def create_user(
    email: str,
    name: str,
    password: str | None,
    role: str = "trainee",
    actor=None,
    check_password: bool = True,
    password_hash: str | None = None,
) -> User:
    """Add a user. The password is hashed before the write begins (never while holding the
    database's writer queue); callers creating many users pass `password_hash`, made beforehand."""
    email = normalize_email(email)
    if (
        password
        and password_hash is None
        and (not check_password or password_problem(password, email) is None)
    ):
        password_hash = hash_password(password)
    begin_write()
    if role not in USER_ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(USER_ROLES)}")
    if not name.strip():
        raise AccountError(_("a name is required"))
    if problem := text_problem(name):
        raise AccountError(f"the name {problem}")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_("an account with e-mail %(email)s already exists", email=email))
    if password is not None and check_password:
        problem = password_problem(password, email)
        if problem:
            raise AccountError(problem)
    user = User(email=email, name=name.strip(), role=role, password_hash=password_hash)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        db.session.rollback()
        raise AccountError(_("an account with e-mail %(email)s already exists", email=email)) from exc
    record("user.create", user, actor=actor, email=email, role=role)
    return user


@dataclass(frozen=True)
class LoginResult:
    """The user logged in, or why not: `wait` when this account or address must slow down."""

    user: User | None
    wait: throttle.Wait | None = None
    #: the password was right, but it was a one-time password past its expiry
    expired: bool = False


def authenticate(email: str, password: str, address: str | None = None) -> LoginResult:
    """Check credentials and record the outcome (in the caller's transaction).

    The password is checked, and an outdated hash recomputed, before the write begins, so no
    database lock is held during the ~40 ms of argon2. Unknown e-mails cost the same time as
    known ones. Failures are counted per account and address (examsite/accounts/throttle.py).
    """
    email = normalize_email(email)
    if address is not None and (wait := throttle.wait_before_login(email, address)):
        return LoginResult(None, wait)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        burn_password_check(password)
        ok = False
    else:
        ok = user.check_password(password) and user.active
    upgraded = hash_password(password) if ok and user.needs_rehash() else None
    begin_write()
    if not ok:
        attacked = throttle.record_failure(email, address) if address is not None else False
        record("login.failed", object_type="User", email=email)
        if attacked:
            record("login.under_attack", object_type="User", email=email)
        return LoginResult(None)
    if user.password_expires_at is not None and user.password_expires_at <= utcnow():
        record("login.expired_password", user, actor=user)
        return LoginResult(None, expired=True)
    if upgraded:
        user.password_hash = upgraded
    user.last_login_at = utcnow()
    if address is not None:
        throttle.clear_failures(email, address)
    return LoginResult(user)


@dataclass(frozen=True)
class TokenUse:
    """Who a bearer token speaks for, and within which scope (None: all the user may do)."""

    user: User
    token_id: int
    scope: str | None


#: last-used times are written at most this often per token: never a write per request
TOKEN_LAST_USED_EVERY = timedelta(minutes=5)
_touched: dict[str, datetime] = {}  # token hash -> when this process last wrote its last-used time


def token_use(token: str) -> TokenUse | None:
    """The live token (not revoked, not expired) of an active user, or None. Looked up on every
    API request, so a revocation, an expiry or a deactivation takes effect at once; one prebuilt
    statement (see _token_statement), and a last-used write only when the stored time is older
    than TOKEN_LAST_USED_EVERY."""
    now = utcnow()
    token_hash = ApiToken.hash(token)
    row = db.session.execute(_token_statement(), {"token_hash": token_hash, "now": now}).first()
    if row is None:
        return None
    user, token_id, scope, last_used_at = row
    if not user.active:
        return None
    _touch_if_stale(token_id, token_hash, as_utc(last_used_at), now)
    return TokenUse(user, token_id, scope)


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None (see token_use)."""
    use = token_use(token)
    return use.user if use else None


@functools.cache
def _token_statement():
    # Built once: on the busiest routes, building the statement cost about as much CPU as
    # running it (SQLAlchemy caches the compiled SQL, not the construction of the statement).
    return (
        select(User, ApiToken.id, ApiToken.scope, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now", type_=UTCDateTime())),
        )
    )


def _touch_if_stale(token_id: int, token_hash: str, last_used_at: datetime | None, now: datetime) -> None:
    """Record the token's use in its own short transaction, at most every TOKEN_LAST_USED_EVERY.

    Outside the request's transaction (the save path runs single statements and may never
    commit one of its own); a failure here (a busy SQLite writer) only delays the record."""
    if last_used_at is not None and now - last_used_at < TOKEN_LAST_USED_EVERY:
        return
    written = _touched.get(token_hash)
    if written is not None and abs(now - written) < TOKEN_LAST_USED_EVERY:
        return  # another request of this process just wrote it
    _touched[token_hash] = now
    table = ApiToken.__table__
    try:
        with db.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(
                    table.c.id == token_id,
                    or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - TOKEN_LAST_USED_EVERY),
                )
                .values(last_used_at=now)
            )
    except SQLAlchemyError:
        _touched.pop(token_hash, None)


def issue_token(
    user: User,
    actor=None,
    *,
    name: str = "API token",
    scope: str | None = None,
    days: int = TOKEN_DEFAULT_DAYS,
) -> str:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise AccountError("a token's name must have 1 to 80 characters")
    if problem := text_problem(name):
        raise AccountError(f"the token's name {problem}")
    if scope is not None and scope not in TOKEN_SCOPES:
        raise AccountError(f"unknown scope {scope!r}; known: {', '.join(TOKEN_SCOPES)}")
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise AccountError(f"a token expires after 1 to {TOKEN_MAX_DAYS} days")
    token_row, token = ApiToken.issue(user, name=name, scope=scope, days=days)
    db.session.add(token_row)
    db.session.flush()
    record("token.issue", token_row, actor=actor, user=user.email, name=name, scope=scope)
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones included, marked by status)."""
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke_token(token: ApiToken, actor=None) -> bool:
    """Revoke it (effective at its next request); False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("token.revoke", token, actor=actor, user=token.user.email, name=token.name)
    return True


def change_role(user: User, role: str, actor) -> None:
    if role not in USER_ROLES:
        raise AccountError(f"unknown role {role!r}")
    if actor is not None and user.id == actor.id and role != user.role:
        raise AccountError("you cannot change your own role; ask another administrator")
    if user.role != role:
        record("user.role", user, actor=actor, old=user.role, new=role)
        user.role = role
        end_sessions(user)


def set_active(user: User, active: bool, actor) -> None:
    """Activate or deactivate the account. On deactivation, `user_deactivated` is sent inside the
    same unit of work: the exam delivery closes the user's open attempts (without certificate)."""
    if actor is not None and user.id == actor.id and not active:
        raise AccountError("you cannot deactivate your own account")
    begin_write()
    if user.active != active:
        record("user.activate" if active else "user.deactivate", user, actor=actor)
        user.active = active
        end_sessions(user)
        if not active:
            user_deactivated.send(user, actor=actor, now=utcnow())


def end_sessions(user: User) -> None:
    """End every session and API token of this user at their next request (in the caller's
    write): sessions carry the epoch they started in, and a token revoked is refused at once."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: checked and hashed before the write begins; every other session
    and every API token of the user ends (the caller keeps its own session, see sessions.py)."""
    if not user.check_password(current):
        raise AccountError(_("The current password is not correct."))
    if problem := password_problem(new, user.email):
        raise AccountError(problem)
    password_hash = hash_password(new)
    begin_write()
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_expires_at = None
    end_sessions(user)
    record("user.password", user, actor=user)


def one_time_password_expiry():
    """When a one-time password issued now stops working (ONE_TIME_PASSWORD_HOURS, default 72)."""
    return utcnow() + timedelta(hours=current_app.config.get("ONE_TIME_PASSWORD_HOURS", 72))


def set_one_time_password(user: User, password_hash: str) -> None:
    """Give the user a one-time password (hashed beforehand, outside the write): it must be
    changed at the next login, expires, and ends the user's sessions and tokens."""
    user.password_hash = password_hash
    user.must_change_password = True
    user.password_expires_at = one_time_password_expiry()
    end_sessions(user)


def end_session(sid: str, user_id: int) -> None:
    """Record a logged-out session so its cookie (or any copy) stops working; forget the ones
    older than the session lifetime, whose cookies are refused anyway (in the caller's write)."""
    db.session.add(EndedSession(sid=sid, user_id=user_id))
    cutoff = utcnow() - current_app.permanent_session_lifetime - timedelta(days=1)
    db.session.execute(delete(EndedSession).where(EndedSession.ended_at < cutoff))
