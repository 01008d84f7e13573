"""Attempts: the form a trainee was given, their answers, and what happened while they took it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.banks.models import ItemVersion
from examsite.catalog.models import Role
from examsite.delivery.rules import closes_at
from examsite.extensions import db, one_of
from examsite.timeutil import UTCDateTime, utcnow


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    #: closed by the trainee (or the API) before the deadline plus grace
    SUBMITTED = "submitted"
    #: closed when its time ran out (or its trainee was deactivated)
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {"in_progress": "In progress", "submitted": "Submitted", "expired": "Time ran out"}[self.value]


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint(one_of("status", AttemptStatus), name="status"),
        # One open attempt per trainee and exam, whatever races the application loses.
        Index(
            "uq_attempts_one_open",
            "user_id",
            "role_id",
            unique=True,
            sqlite_where=text(f"status = '{AttemptStatus.IN_PROGRESS}'"),
            postgresql_where=text(f"status = '{AttemptStatus.IN_PROGRESS}'"),
        ),
        Index("ix_attempts_user_role", "user_id", "role_id", "started_at"),
        Index("ix_attempts_status_deadline", "status", "deadline"),
        Index("ix_attempts_closed", "closed_at", "role_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS.value)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: fixed by the server at the start: start + minutes x the trainee's time multiplier
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    grace_seconds: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    time_multiplier: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("1"))
    passing_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    #: institution and cohort at the start, so reports group by where the trainee was then
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    #: 1 for the trainee's first attempt at this exam, 2 for the second, ...
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the UTC year and month it closed, as YYYYMM (202611): what reports group months and years by
    closed_month: Mapped[int | None] = mapped_column(Integer)
    raw_score: Mapped[int | None] = mapped_column(Integer)
    scored_items: Mapped[int | None] = mapped_column(Integer)
    score_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    #: [{"name", "code", "correct", "total"}], stored at scoring, never recomputed
    domain_results: Mapped[list[dict] | None] = mapped_column(JSON)
    last_device: Mapped[str | None] = mapped_column(String(64))
    #: written by `flask stats simulate` for demonstrations and benchmarks: never in pass-rate
    #: reports, never certified
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # When this trainee's previous closed attempt closed, per report group: any exam, the same UTC
    # month, the same exam, role category, institution, cohort, and the same exam, passing
    # standard and UTC year. Kept by examsite.delivery.history when an attempt closes, so a report
    # counts candidates in one pass: an attempt is a new candidate for its group when the previous
    # one in the group closed before the report's range (or there is none).
    prev_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_month_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_role_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_category_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_institution_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_cohort_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    prev_role_year_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    role: Mapped[Role] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} user={self.user_id} role={self.role_id} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    @property
    def closes_at(self) -> datetime:
        """When it stops taking answers and is scored: the deadline plus the grace."""
        return closes_at(self.deadline, self.grace_seconds)


class AttemptItem(db.Model):
    """One item of an attempt's form: the exact version, its place and its option order."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position", name="uq_attempt_items_attempt_position"),
        UniqueConstraint("attempt_id", "item_version_id", name="uq_attempt_items_attempt_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    option_order: Mapped[list[str]] = mapped_column(JSON)
    is_pretest: Mapped[bool] = mapped_column(Boolean, default=False)
    #: set at scoring
    correct: Mapped[bool | None] = mapped_column(Boolean)
    #: option ids the trainee struck out (eliminated) while the attempt was open: a reading aid
    #: kept with the attempt, never an answer and never scored
    struck: Mapped[list[str] | None] = mapped_column(JSON)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    item_version: Mapped[ItemVersion] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="attempt_item", uselist=False)

    def __repr__(self) -> str:
        return f"<AttemptItem {self.id} attempt={self.attempt_id} #{self.position}>"


class Response(db.Model):
    """The trainee's current answer to one item; one row per item per attempt, upserted."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    attempt_item_id: Mapped[int] = mapped_column(
        ForeignKey("attempt_items.id", ondelete="CASCADE"), unique=True
    )
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saves: Mapped[int] = mapped_column(Integer, default=1)

    attempt_item: Mapped[AttemptItem] = relationship(back_populates="response")

    def __repr__(self) -> str:
        return f"<Response item={self.attempt_item_id} {self.choices}>"


class IntegrityEvent(db.Model):
    """Tab hidden, window blur, copy, a second device: recorded for review, never blocking."""

    __tablename__ = "integrity_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<IntegrityEvent {self.kind} attempt={self.attempt_id}>"
