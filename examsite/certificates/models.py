"""Certificates: issued once per passing attempt, revoked but never deleted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.catalog.models import Role
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    #: unique: a passing attempt issues exactly one certificate
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    holder_name: Mapped[str] = mapped_column(String(120))
    role_name: Mapped[str] = mapped_column(String(200))
    category_name: Mapped[str] = mapped_column(String(200))
    score_percent: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    role: Mapped[Role] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    name_changes: Mapped[list[CertificateNameChange]] = relationship(
        order_by="CertificateNameChange.changed_at"
    )

    def __repr__(self) -> str:
        return f"<Certificate {self.code}>"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "valid"


class CertificateNameChange(db.Model):
    """A reissue after a name correction: the code stays, the history is kept."""

    __tablename__ = "certificate_name_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    old_name: Mapped[str] = mapped_column(String(120))
    new_name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
