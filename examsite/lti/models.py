"""LTI platforms (registrations), their deployments, linked accounts, courses, used nonces, the
line items a learner's score goes to, and the score outbox."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.extensions import db
from examsite.programs.models import Cohort, Institution
from examsite.timeutil import UTCDateTime, utcnow


class LtiPlatform(db.Model):
    """A registered LMS (issuer + client id): where to send logins and service-token requests,
    where its public keys are, and which institution its users belong to."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    key_set_url: Mapped[str] = mapped_column(String(500))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution | None] = relationship()
    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", order_by="LtiDeployment.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<LtiPlatform {self.id} {self.issuer} {self.client_id}>"


class LtiDeployment(db.Model):
    __tablename__ = "lti_deployments"
    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_deployment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")

    def __repr__(self) -> str:
        return f"<LtiDeployment {self.platform_id} {self.deployment_id}>"


class LtiNonce(db.Model):
    """A nonce the tool issued, recorded when a launch used it: a second launch with it is a replay."""

    __tablename__ = "lti_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LtiNonce {self.nonce[:8]}…>"


class LtiAccount(db.Model):
    """The examsite account of a platform user: `sub` is unique per issuer (LTI Core 5.1.2)."""

    __tablename__ = "lti_accounts"
    __table_args__ = (UniqueConstraint("issuer", "sub", name="uq_lti_accounts_issuer_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<LtiAccount {self.issuer} {self.sub} user={self.user_id}>"


class LtiContext(db.Model):
    """An LMS course (context) and the cohort its learners are placed in."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_lti_contexts_platform_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    #: the Names and Role Provisioning Services URL of the last launch that offered it
    memberships_url: Mapped[str | None] = mapped_column(String(500))
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    platform: Mapped[LtiPlatform] = relationship()
    cohort: Mapped[Cohort | None] = relationship()

    def __repr__(self) -> str:
        return f"<LtiContext {self.id} {self.context_id!r}>"


class LtiContextMember(db.Model):
    """Who launched from (or was synced from) a course, and whether as staff: an instructor may
    sync the rosters of courses they teach."""

    __tablename__ = "lti_context_members"
    __table_args__ = (UniqueConstraint("context_id", "user_id", name="uq_lti_context_members_context_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    staff: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<LtiContextMember context={self.context_id} user={self.user_id} staff={self.staff}>"


class LtiLineItem(db.Model):
    """Where a learner's score for a role goes: the line item of their latest launch of that role
    (updated at each launch that carries the grade service's claim)."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("user_id", "role_id", name="uq_lti_line_items_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LtiLineItem user={self.user_id} role={self.role_id} {self.lineitem_url}>"


class LtiScore(db.Model):
    """A score to post to a line item (the outbox): written in the transaction that scores the
    attempt, posted after the commit and by `flask lti send-scores` until the platform takes it."""

    __tablename__ = "lti_scores"
    __table_args__ = (
        UniqueConstraint("attempt_id", "lineitem_url", name="uq_lti_scores_attempt_lineitem"),
        Index("ix_lti_scores_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    score_maximum: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    #: when the attempt was scored (the score's `timestamp`)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: not before this time; a sender claiming it moves it forward (a lease against double posts)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    platform: Mapped[LtiPlatform] = relationship()

    def __repr__(self) -> str:
        return f"<LtiScore {self.id} attempt={self.attempt_id} tries={self.tries}>"
