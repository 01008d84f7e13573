"""Certificates: issued once per passing attempt, revoked but never deleted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.catalog.models import Role
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (CheckConstraint("basis IN ('exam', 'ce')", name="basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    #: unique: a passing attempt issues exactly one certificate; None for a renewal by
    #: continuing education
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    holder_name: Mapped[str] = mapped_column(String(120))
    role_name: Mapped[str] = mapped_column(String(200))
    category_name: Mapped[str] = mapped_column(String(200))
    score_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: None: the exam's settings gave no validity period, it never expires
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: the certificate this one renews (unique: a certificate is renewed once; the chain is the history)
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    #: how it was earned: "exam" (a passing attempt) or "ce" (continuing-education credits)
    basis: Mapped[str] = mapped_column(String(8), default="exam", server_default="exam")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    role: Mapped[Role] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    name_changes: Mapped[list[CertificateNameChange]] = relationship(
        order_by="CertificateNameChange.changed_at"
    )
    renews: Mapped[Certificate | None] = relationship(
        remote_side=[id], foreign_keys=[renews_id], back_populates="renewed_by"
    )
    renewed_by: Mapped[Certificate | None] = relationship(
        foreign_keys=[renews_id], back_populates="renews", uselist=False
    )

    def __repr__(self) -> str:
        return f"<Certificate {self.code}>"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
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


class CertificateReminder(db.Model):
    """One expiry reminder of one certificate, recorded when it is queued: the unique pair is
    what makes `flask certificates send-reminders` send each reminder once, however often it runs."""

    __tablename__ = "certificate_reminders"
    __table_args__ = (
        UniqueConstraint("certificate_id", "days_before", name="uq_certificate_reminders_certificate_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    #: 60 or 30 (examsite/certificates/validity.py REMINDER_DAYS)
    days_before: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the outbox message; None when a nearer reminder was due at the same run and went instead
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("mail_outbox.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<CertificateReminder certificate={self.certificate_id} {self.days_before}d>"


class ContinuingEducation(db.Model):
    """Continuing-education credits an administrator recorded toward renewing a certificate."""

    __tablename__ = "continuing_education"
    __table_args__ = (CheckConstraint("hours > 0 AND hours <= 1000", name="hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the certificate the credits count toward (the holder's current one when recorded)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    activity: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the certificate these credits renewed it into, once they reached the exam's hours
    renewal_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def __repr__(self) -> str:
        return f"<ContinuingEducation certificate={self.certificate_id} {self.hours} h>"
