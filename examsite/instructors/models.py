"""Item analyses as last calculated, so the pages do not repeat a pass over every response."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow


class ItemAnalysisCache(db.Model):
    """One calculated analysis per scope: a role or a category, and a range of closing dates
    (`scope` spells both)."""

    __tablename__ = "item_analysis_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "role=SLUG;from=ISO;to=ISO" or "category=SLUG;..." (empty when open-ended): what the
    #: figures were computed over
    scope: Mapped[str] = mapped_column(String(200), unique=True)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    calculated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: {"attempts", "items": [ItemAnalysis.as_dict()], "forms": {"all": ..., "first": ...}}
    payload: Mapped[dict] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<ItemAnalysisCache {self.scope} at {self.calculated_at}>"
