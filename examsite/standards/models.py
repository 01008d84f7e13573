"""Standard-setting studies (modified Angoff): the study, its invited panelists, their ratings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.catalog.models import Role
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class StudyStatus(StrEnum):
    round1 = "round1"  # panelists rate from the items alone
    round2 = "round2"  # they rate again, seeing the item data and the panel's round-1 spread
    closed = "closed"  # ratings final, the recommendation computed and kept
    applied = "applied"  # an administrator made the recommendation the exam's passing standard


class StandardStudy(db.Model):
    __tablename__ = "standard_studies"
    __table_args__ = (CheckConstraint("status IN ('round1', 'round2', 'closed', 'applied')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=StudyStatus.round1)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the item versions rated: the role's active scored pool when the study opened
    item_version_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: per item version, the facility shown in round 2 ({"id": p or null}), fixed when round 2 began
    item_data: Mapped[dict] = mapped_column(JSON, default=dict)
    round2_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the recommendation as computed at closing (panelists, raw, percent, sd, se, cuts)
    result: Mapped[dict | None] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    #: the passing percentage the exam had before the study's was applied
    previous_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(Text, default="")

    role: Mapped[Role] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
    panelists: Mapped[list[StandardPanelist]] = relationship(
        back_populates="study", order_by="StandardPanelist.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<StandardStudy {self.id} {self.status} role={self.role_id}>"


class StandardPanelist(db.Model):
    """An instructor invited to rate; `round1_at`/`round2_at` when they submitted each round."""

    __tablename__ = "standard_panelists"
    __table_args__ = (UniqueConstraint("study_id", "user_id", name="uq_standard_panelists_study_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("standard_studies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    round1_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    round2_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    study: Mapped[StandardStudy] = relationship(back_populates="panelists")
    user: Mapped[User] = relationship()

    def submitted(self, round_: int) -> bool:
        return (self.round1_at if round_ == 1 else self.round2_at) is not None

    def __repr__(self) -> str:
        return f"<StandardPanelist study={self.study_id} user={self.user_id}>"


class StandardRating(db.Model):
    """One panelist's probability for one item in one round."""

    __tablename__ = "standard_ratings"
    __table_args__ = (
        UniqueConstraint(
            "panelist_id", "item_version_id", "round", name="uq_standard_ratings_panelist_item_round"
        ),
        CheckConstraint("round IN (1, 2)", name="round"),
        CheckConstraint("rating >= 0.05 AND rating <= 0.95", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panelist_id: Mapped[int] = mapped_column(
        ForeignKey("standard_panelists.id", ondelete="CASCADE"), index=True
    )
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    round: Mapped[int] = mapped_column(Integer)
    rating: Mapped[Decimal] = mapped_column(Numeric(3, 2))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<StandardRating panelist={self.panelist_id} item={self.item_version_id} r{self.round}>"
