"""Account rules: registration, authentication, password policy, user administration."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from examsite.accounts import throttle
from examsite.accounts.models import (
    USER_ROLES,
    ApiToken,
    User,
    burn_password_check,
    hash_password,
    normalize_email,
)
from examsite.audit.services import record
from examsite.database import begin_write
from examsite.extensions import db
from examsite.timeutil import utcnow

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
        return "Use at least 10 characters."
    if len(password) > 256:
        return "Use at most 256 characters."
    if password.lower() in _COMMON or len(set(password)) < 4:
        return "This password is too easy to guess."
    if email and normalize_email(email).split("@")[0] in password.lower() and len(email) > 3:
        return "Do not use your e-mail address in your password."
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
        raise AccountError("a name is required")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(f"an account with e-mail {email} already exists")
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
        raise AccountError(f"an account with e-mail {email} already exists") from exc
    record("user.create", user, actor=actor, email=email, role=role)
    return user


@dataclass(frozen=True)
class LoginResult:
    """The user logged in, or why not: `wait` when this account or address must slow down."""

    user: User | None
    wait: throttle.Wait | None = None


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
    if upgraded:
        user.password_hash = upgraded
    user.last_login_at = utcnow()
    if address is not None:
        throttle.clear_failures(email, address)
    return LoginResult(user)


def user_by_id(user_id: int) -> User | None:
    """The user with this id (the session's user, loaded on every request), or None."""
    return db.session.scalar(_user_by_id(), {"user_id": user_id})


@functools.cache
def _user_by_id():
    # Built once, like the token's: `Session.get` builds its SELECT on every call, and on the
    # session path (every save of the exam page) that cost more CPU than running it.
    return select(User).where(User.id == bindparam("user_id"))


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None. Looked up on every API request
    (revoking a token or deactivating its user takes effect at once)."""
    user = db.session.scalar(_user_for_token_hash(), {"token_hash": ApiToken.hash(token)})
    if user is None or not user.active:
        return None
    return user


@functools.cache
def _user_for_token_hash():
    # Built once: on the busiest routes, building the statement cost about as much CPU as
    # running it (SQLAlchemy caches the compiled SQL, not the construction of the statement).
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    )


def issue_token(user: User, actor=None) -> str:
    token_row, token = ApiToken.issue(user)
    db.session.add(token_row)
    db.session.flush()
    record("token.issue", token_row, actor=actor, user=user.email)
    return token


def change_role(user: User, role: str, actor) -> None:
    if role not in USER_ROLES:
        raise AccountError(f"unknown role {role!r}")
    if actor is not None and user.id == actor.id and role != user.role:
        raise AccountError("you cannot change your own role; ask another administrator")
    if user.role != role:
        record("user.role", user, actor=actor, old=user.role, new=role)
        user.role = role


def set_active(user: User, active: bool, actor) -> None:
    if actor is not None and user.id == actor.id and not active:
        raise AccountError("you cannot deactivate your own account")
    if user.active != active:
        record("user.activate" if active else "user.deactivate", user, actor=actor)
        user.active = active
