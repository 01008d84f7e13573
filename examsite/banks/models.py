"""Bank content in the database: domains, items with immutable versions, and role blueprints."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.catalog.models import Role
from examsite.extensions import db, one_of
from examsite.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from examsite.accounts.models import User

LEVELS = ("recall", "application", "analysis")


class ItemStatus(StrEnum):
    """Where an item version is in review (examsite/authoring/items.py moves it)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    #: served on forms as an unscored pretest item
    PRETEST = "pretest"
    #: served on forms and scored
    ACTIVE = "active"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Domain(db.Model):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    bank: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    components: Mapped[list[int]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Domain {self.code}>"


class Item(db.Model):
    """A stable item identity (e.g. MAS-0042); its content lives in versions."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(32), unique=True)
    bank: Mapped[str] = mapped_column(String(64), index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", use_alter=True, name="fk_items_current_version")
    )
    #: the newest version (a draft in the workspace, or the serving one); what authors edit
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("item_versions.id", use_alter=True, name="fk_items_latest_version"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: set when the item left the files or was marked retired; items are never deleted
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    current_version: Mapped[ItemVersion | None] = relationship(foreign_keys=[current_version_id])
    latest_version: Mapped[ItemVersion | None] = relationship(foreign_keys=[latest_version_id])

    def __repr__(self) -> str:
        return f"<Item {self.external_id}>"


class ItemVersion(db.Model):
    """Immutable: an attempt points at the exact version it showed."""

    __tablename__ = "item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "version", name="uq_item_versions_item_version"),
        CheckConstraint("type IN ('single', 'multiple')", name="type"),
        CheckConstraint(one_of("level", LEVELS), name="level"),
        CheckConstraint(one_of("status", ItemStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    #: [{"id": "a", "text": "..."}] in authored order
    options: Mapped[list[dict]] = mapped_column(JSON)
    #: option ids of the key(s); never sent to a trainee before scoring
    keys: Mapped[list[str]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    components: Mapped[list[int]] = mapped_column(JSON, default=list)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(200), default="")
    reviewer: Mapped[str] = mapped_column(String(200), default="")
    scenario_id: Mapped[str | None] = mapped_column(String(32), index=True)
    scenario_title: Mapped[str | None] = mapped_column(String(300))
    scenario_text: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(String(300), default="")
    #: free labels authors search by (kept with the version, so the history shows their changes)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: who saved this version in the workspace (None for versions imported from files)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship(foreign_keys=[item_id])
    domain: Mapped[Domain] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary="item_version_roles")
    created_by: Mapped[User | None] = relationship("User")

    def __repr__(self) -> str:
        return f"<ItemVersion {self.item_id} v{self.version}>"


class ItemVersionRole(db.Model):
    """Which roles an item version serves (eligibility is a join, not a JSON scan)."""

    __tablename__ = "item_version_roles"

    item_version_id: Mapped[int] = mapped_column(
        ForeignKey("item_versions.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), primary_key=True)

    __table_args__ = (Index("ix_item_version_roles_role", "role_id", "item_version_id"),)


class Blueprint(db.Model):
    """A role's exam specification as last imported from its blueprint file."""

    __tablename__ = "blueprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    form_items: Mapped[int] = mapped_column(Integer)
    pretest_items: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer)
    passing_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role: Mapped[Role] = relationship()
    domains: Mapped[list[BlueprintDomain]] = relationship(
        cascade="all, delete-orphan", order_by="BlueprintDomain.position"
    )

    def __repr__(self) -> str:
        return f"<Blueprint role={self.role_id}>"


class BlueprintDomain(db.Model):
    __tablename__ = "blueprint_domains"
    __table_args__ = (CheckConstraint("items >= 0", name="items"),)

    blueprint_id: Mapped[int] = mapped_column(
        ForeignKey("blueprints.id", ondelete="CASCADE"), primary_key=True
    )
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    domain: Mapped[Domain] = relationship()
