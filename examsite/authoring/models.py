"""The workspace's own records: who may author in which category, and reviewers' comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from examsite.accounts.models import User
from examsite.catalog.models import Category
from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow

REVIEW_ACTIONS = ("submit", "approve", "request_changes", "retire")


class CategoryAssignment(db.Model):
    """An instructor may author and review in a category's bank (administrators may everywhere)."""

    __tablename__ = "category_assignments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<CategoryAssignment user={self.user_id} category={self.category_id}>"


class ItemComment(db.Model):
    """A reviewer's or author's note on one version of an item; a workflow step carries its action."""

    __tablename__ = "item_comments"
    __table_args__ = (Index("ix_item_comments_item", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"))
    #: the comment this one answers (threads), or None
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("item_comments.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: submit, approve, request_changes or retire; None for a plain comment
    action: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ItemComment {self.id} item={self.item_id} {self.action or 'comment'}>"


class ItemImage(db.Model):
    """An image uploaded for item text, stored in the database and named by its content's hash."""

    __tablename__ = "item_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the bytes: the public name, and the same image uploaded twice is stored once
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: decided from the bytes (magic numbers), never from the file name or the browser's claim
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ItemImage {self.sha256[:12]} {self.content_type} {self.size} bytes>"
