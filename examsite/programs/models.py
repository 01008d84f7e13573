"""Institutions, their cohorts, and per-trainee accommodations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class Institution(db.Model):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohorts: Mapped[list[Cohort]] = relationship(back_populates="institution", order_by="Cohort.name")

    def __repr__(self) -> str:
        return f"<Institution {self.id} {self.name!r}>"


class Cohort(db.Model):
    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("institution_id", "name", name="uq_cohorts_institution_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    institution: Mapped[Institution] = relationship(back_populates="cohorts")

    def __repr__(self) -> str:
        return f"<Cohort {self.id} {self.name!r}>"


class Accommodation(db.Model):
    """Extra time for a trainee with a documented need, set by an administrator."""

    __tablename__ = "accommodations"
    __table_args__ = (
        CheckConstraint("time_multiplier >= 1 AND time_multiplier <= 4", name="time_multiplier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    time_multiplier: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="accommodation", foreign_keys=[user_id])
    set_by: Mapped[User | None] = relationship(foreign_keys=[set_by_id])

    def __repr__(self) -> str:
        return f"<Accommodation user={self.user_id} x{self.time_multiplier}>"


class InstitutionAdministrator(db.Model):
    """An administrator limited to one institution's trainees (certificate pages); administrators
    without a row here are program-wide. Set with `flask users scope`."""

    __tablename__ = "institution_administrators"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)

    institution: Mapped[Institution] = relationship()

    def __repr__(self) -> str:
        return f"<InstitutionAdministrator user={self.user_id} institution={self.institution_id}>"


class StaffInstitution(db.Model):
    """An instructor or administrator who works for an institution (set with `flask users institution`).

    Staff see individual skills profiles only of the trainees in their institutions' cohorts;
    everything else they see only in aggregate (examsite/skills/access.py).
    """

    __tablename__ = "staff_institutions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship()

    def __repr__(self) -> str:
        return f"<StaffInstitution user={self.user_id} institution={self.institution_id}>"
