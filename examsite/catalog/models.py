"""The three role categories, the twelve roles, and each role's exam settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    roles: Mapped[list[Role]] = relationship(back_populates="category", order_by="Role.position")

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Role(db.Model):
    __tablename__ = "roles"
    __table_args__ = (CheckConstraint("track IN ('community college', 'university')", name="track"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    track: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    duties: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[Category] = relationship(back_populates="roles")
    exam: Mapped[ExamSettings] = relationship(back_populates="role", uselist=False)

    def __repr__(self) -> str:
        return f"<Role {self.slug}>"


class ExamSettings(db.Model):
    """How a role's exam is delivered; the bank blueprint sets these, `flask exams configure` too."""

    __tablename__ = "exam_settings"
    __table_args__ = (
        CheckConstraint("form_items > 0", name="form_items"),
        CheckConstraint("minutes > 0", name="minutes"),
        CheckConstraint("passing_percent > 0 AND passing_percent <= 100", name="passing_percent"),
        CheckConstraint("grace_seconds >= 0", name="grace_seconds"),
        CheckConstraint("retake_days >= 0", name="retake_days"),
        CheckConstraint("attempts_per_year > 0", name="attempts_per_year"),
        CheckConstraint("pretest_items >= 0", name="pretest_items"),
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_months"),
        CheckConstraint("renewal_ce_hours >= 0", name="renewal_ce_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), unique=True)
    form_items: Mapped[int] = mapped_column(Integer, default=125)
    pretest_items: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=180)
    passing_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("70"))
    grace_seconds: Mapped[int] = mapped_column(Integer, default=60)
    retake_days: Mapped[int] = mapped_column(Integer, default=90)
    attempts_per_year: Mapped[int] = mapped_column(Integer, default=3)
    #: calendar months a certificate stays valid (examsite/certificates/validity.py); None: forever
    validity_months: Mapped[int | None] = mapped_column(Integer, default=24)
    #: continuing-education hours that renew a certificate without the exam; 0: renewal by exam only
    renewal_ce_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: set when an administrator changed these by hand; a changed blueprint no longer overrides
    configured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the standard-setting study whose cut is the passing percent; cleared when it is changed otherwise
    passing_standard_study_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_studies.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    role: Mapped[Role] = relationship(back_populates="exam")

    def __repr__(self) -> str:
        return f"<ExamSettings role={self.role_id} {self.form_items} items {self.minutes} min>"
