"""Users and their personal API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.database import check_not_writing
from examsite.extensions import db, one_of
from examsite.timeutil import UTCDateTime, as_utc, utcnow

if TYPE_CHECKING:
    from examsite.programs.models import Accommodation, Cohort


class UserRole(StrEnum):
    TRAINEE = "trainee"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


USER_ROLES = tuple(r.value for r in UserRole)
#: the text sizes (percent of the normal size) and themes a user can choose on the exam page
TEXT_SIZES = (100, 125, 150, 175, 200)
THEMES = ("default", "high-contrast")
# argon2id with OWASP's first recommended parameter set for interactive logins (m=19 MiB, t=2,
# p=1): about a fifth of the CPU and a third of the memory of argon2-cffi's default (64 MiB, t=3,
# p=4), which let 300 trainees logging in at once queue for a minute on two cores. Hashes made with
# other parameters are upgraded at the next successful login (User.needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """The argon2id hash to store. CPU work: call it before a write transaction begins."""
    check_not_writing()
    return _hasher.hash(password)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", UserRole), name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index("uq_users_email", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased, so uniqueness holds regardless of case
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.TRAINEE.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: a one-time password (first administrator) must be changed at first login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when a one-time password stops working (None: the user chose their password)
    password_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sessions carry the epoch they started in; raising it ends every session of the user at
    #: their next request (password change or reset, deactivation, role change)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the TOTP secret (base32) once two-factor sign-in is on; None while it is off
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: the last TOTP time step accepted, so a code cannot be used twice
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: display preferences chosen on the exam page, applied to every page (percent; a theme)
    text_size: Mapped[int] = mapped_column(Integer, default=100, server_default="100")
    theme: Mapped[str] = mapped_column(String(16), default="default", server_default="default")

    cohort: Mapped[Cohort | None] = relationship()
    accommodation: Mapped[Accommodation | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="Accommodation.user_id"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_instructor(self) -> bool:
        return self.role in ("instructor", "admin")

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def needs_rehash(self) -> bool:
        """True when the stored hash was made with other parameters than today's."""
        try:
            return bool(self.password_hash) and _hasher.check_needs_rehash(self.password_hash)
        except InvalidHashError:
            return False

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        check_not_writing()
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def time_multiplier(self) -> float:
        return float(self.accommodation.time_multiplier) if self.accommodation else 1.0


def normalize_email(email: str) -> str:
    return email.strip().lower()


def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, so unknown e-mails cannot be told apart by timing."""
    check_not_writing()
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


class EndedSession(db.Model):
    """A session ended by logging out: its cookie (or a copy of it) no longer logs anyone in.

    Looked up in the same statement that loads the session's user, so it costs no extra query.
    Rows older than the session lifetime are useless (such cookies are refused anyway) and are
    purged at logout."""

    __tablename__ = "ended_sessions"

    #: the random id each session gets at login
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<EndedSession user={self.user_id} at {self.ended_at}>"


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app; only its SHA-256 is stored
    (the codes are random, so a fast hash is enough)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"


#: scopes a token may be narrowed to: name -> (what it allows, for the account page and CLI)
TOKEN_SCOPES = {"reports:read": "read pass-rate reports (for BI tools)"}
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 3650


class ApiToken(db.Model):
    """A personal API token for /api/v1; only its SHA-256 is stored, the token is shown once.

    A token without a scope acts as its user on the API; one with a scope only inside it.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the owner's label ("laptop script", "Power BI")
    name: Mapped[str] = mapped_column(String(80), default="API token")
    #: None: everything the user may do on the API; else a key of TOKEN_SCOPES
    scope: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None only for tokens made outside the app (the benchmark's); issue() always sets it
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: updated at most every TOKEN_LAST_USED_EVERY (see accounts.services.user_for_token)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id} {self.name!r}>"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, name: str = "API token", scope: str | None = None, days: int = TOKEN_DEFAULT_DAYS
    ) -> tuple[ApiToken, str]:
        token = "exs_" + secrets.token_urlsafe(32)
        now = utcnow()
        row = cls(
            user=user,
            token_hash=cls.hash(token),
            name=name,
            scope=scope,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        return row, token

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and as_utc(self.expires_at) <= now:
            return "expired"
        return "active"


class PasswordReset(db.Model):
    """A password-reset link sent by e-mail: single use, expiring; only the token's SHA-256 is
    stored, so the table's contents cannot be used to reset anyone's password."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when the link is used, or when a later reset or password change makes it void
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} user={self.user_id}>"


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(
            db.select(func.count()).select_from(User).where(User.email == normalize_email(email))
        )
        > 0
    )
