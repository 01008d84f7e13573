"""Time in one place: aware UTC datetimes everywhere, and a clock tests can move."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class Clock:
    """The server's clock. Tests replace `clock.now` to move time without sleeping."""

    def now(self) -> datetime:
        return datetime.now(UTC)


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def as_utc(value: date | datetime | None) -> datetime | None:
    """The one to-UTC helper: an aware datetime converted to UTC; a naive one taken as UTC (how
    SQLite returns them); a date as its midnight UTC (report ranges, audit log filters)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat(timespec="milliseconds") if value else None


class UTCDateTime(TypeDecorator):
    """Stores UTC (naive on SQLite, timestamptz on PostgreSQL) and always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return as_utc(value)
