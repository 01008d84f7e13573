"""Users and their personal API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from examsite.programs.models import Accommodation, Cohort

USER_ROLES = ("trainee", "instructor", "admin")
_hasher = PasswordHasher()


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('trainee', 'instructor', 'admin')", name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index("uq_users_email", "email", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased, so uniqueness holds regardless of case
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="trainee")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: a one-time password (first administrator) must be changed at first login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
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
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User) -> tuple[ApiToken, str]:
        token = "exs_" + secrets.token_urlsafe(32)
        return cls(user=user, token_hash=cls.hash(token)), token


def email_taken(email: str) -> bool:
    return (
        db.session.scalar(
            db.select(func.count()).select_from(User).where(User.email == normalize_email(email))
        )
        > 0
    )
