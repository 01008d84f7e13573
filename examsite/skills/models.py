"""The skills-gap view's evidence: one row per closed attempt and domain (scored items only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from examsite.extensions import db
from examsite.timeutil import UTCDateTime


class SkillsEvidence(db.Model):
    """An attempt's result in one domain, narrow and indexed for the skills-gap query.

    The same figures as `attempts.domain_results`, written with it when the attempt is scored
    (examsite/skills/evidence.py, on delivery's `attempt_scored` signal) and never changed. The
    view reads a row per attempt and domain (a million for 100,000 attempts); unpacking the JSON
    per query took 30 s for 100,000 attempts on SQLite (docs/benchmarks.md). The covering indexes
    let the database group per trainee and domain in index order, without sorting. Simulated
    attempts have none.
    """

    __tablename__ = "skills_evidence"
    __table_args__ = (
        Index(
            "ix_skills_evidence_trainee",
            "user_id",
            "domain_id",
            "institution_id",
            "cohort_id",
            "closed_day",
            "weight",
            "correct",
            "total",
        ),
        Index(
            "ix_skills_evidence_cohort",
            "cohort_id",
            "user_id",
            "domain_id",
            "closed_day",
            "weight",
            "correct",
            "total",
        ),
        Index(
            "ix_skills_evidence_institution",
            "institution_id",
            "user_id",
            "domain_id",
            "closed_day",
            "weight",
            "correct",
            "total",
        ),
    )

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the attempt's institution and cohort at its start, as reports group it
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: closed_at as days since 1970-01-01 UTC: the recency weight and the date range read this
    closed_day: Mapped[float] = mapped_column(Float)
    #: the recency weight up to a constant (evidence.recency_factor): the query only multiplies
    weight: Mapped[float] = mapped_column(Float)
    correct: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
