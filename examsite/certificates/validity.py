"""How long a certificate is valid, when it may be renewed, and when its holder is reminded.

Pure date rules (no database, no Flask), unit-tested in tests/unit/test_certificate_validity.py.

* A certificate is valid for the exam's `validity_months` from its issue (None: it never
  expires). Calendar months, clamped to the month's last day: 31 January + 1 month is 28 (or 29)
  February, and 29 February + 12 months is 28 February.
* Renewal window: from RENEWAL_OPENS_DAYS before expiry to RENEWAL_GRACE_DAYS after it, a pass
  of the exam (or continuing-education credits, where the exam allows them) renews the
  certificate: the new one names the old in `renews_id`. Renewing early costs nothing: the new
  validity runs from the old expiry (or from the renewal, when that is later), so cycles follow
  one another without gaps or overlap. After the grace the certificate has lapsed: passing the
  exam again issues a new, unlinked certificate.
* Reminders at REMINDER_DAYS (60 and 30) days before expiry, each once, and only for a
  threshold the certificate lived through (a certificate valid for one month gets no 60-day mail).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import datetime, timedelta

#: how far ahead trainees and administrators are shown certificates about to expire
EXPIRING_SOON_DAYS = 90
#: a renewal may start this many days before expiry (the retake policy lets the holder in) ...
RENEWAL_OPENS_DAYS = 90
#: ... and still counts as a renewal this many days after it
RENEWAL_GRACE_DAYS = 90
#: reminder e-mails, in days before expiry
REMINDER_DAYS = (60, 30)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months, the day clamped to the target month's length."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry(issued_at: datetime, validity_months: int | None) -> datetime | None:
    """When a certificate issued at `issued_at` expires; None when the exam sets no limit."""
    return None if validity_months is None else add_months(issued_at, validity_months)


def renewed_expiry(
    old_expires_at: datetime | None, now: datetime, validity_months: int | None
) -> datetime | None:
    """The expiry of the certificate that renews one expiring at `old_expires_at`."""
    if validity_months is None:
        return None
    start = now if old_expires_at is None else max(now, old_expires_at)
    return add_months(start, validity_months)


def renewal_opens(expires_at: datetime) -> datetime:
    return expires_at - timedelta(days=RENEWAL_OPENS_DAYS)


def renewal_closes(expires_at: datetime) -> datetime:
    return expires_at + timedelta(days=RENEWAL_GRACE_DAYS)


def can_renew(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a certificate expiring at `expires_at` may be renewed now (inside the window)."""
    return expires_at is not None and renewal_opens(expires_at) <= now <= renewal_closes(expires_at)


def still_renewable(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a new pass still renews it (not lapsed past the grace); early passes are refused
    by the retake policy, not here, so a renewal never loses the chain."""
    return expires_at is not None and now <= renewal_closes(expires_at)


def expiring_soon(expires_at: datetime | None, now: datetime, days: int = EXPIRING_SOON_DAYS) -> bool:
    return expires_at is not None and now < expires_at <= now + timedelta(days=days)


def reminders_due(
    issued_at: datetime, expires_at: datetime | None, now: datetime, done: Iterable[int] = ()
) -> tuple[list[int], int | None]:
    """Which reminder thresholds to record now, and which one of them to mail (or None).

    A threshold is due once its moment (expiry minus the days) has come, the certificate existed
    then, and it has not expired. When cron missed a threshold and a later one is due too (60 and
    30 both past), both are recorded but only the nearer (30) is mailed: one e-mail, the current one.
    """
    if expires_at is None or now >= expires_at:
        return [], None
    done = set(done)
    due = [
        days
        for days in REMINDER_DAYS
        if days not in done and issued_at <= expires_at - timedelta(days=days) <= now
    ]
    return due, (min(due) if due else None)
