"""Delivery's rules as pure functions (no database, no request): when an attempt stops taking
answers, and whether a trainee may start another attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

#: how far back the attempts-per-year limit looks
YEAR = timedelta(days=365)


def closes_at(deadline: datetime, grace_seconds: int) -> datetime:
    """The moment an attempt stops taking answers and is scored: its deadline plus the grace
    (a save sent just before the deadline still counts when it arrives a little after)."""
    return deadline + timedelta(seconds=grace_seconds)


@dataclass(frozen=True)
class RetakeStatus:
    allowed: bool
    message: str = ""
    available_at: datetime | None = None


@dataclass(frozen=True)
class HeldCertificate:
    """The trainee's current certificate for the exam, as the retake policy sees it."""

    #: None: it never expires
    expires_at: datetime | None
    #: when a pass may renew it (examsite/certificates/validity.py): 90 days before expiry
    renewal_opens: datetime | None = None


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


@dataclass(frozen=True)
class PastAttempt:
    """A closed attempt at the same exam, as the retake policy sees it."""

    started_at: datetime
    closed_at: datetime | None = None


def retake_decision(
    now: datetime,
    *,
    retake_days: int,
    attempts_per_year: int,
    past: Sequence[PastAttempt],
    certificate: HeldCertificate | None = None,
) -> RetakeStatus:
    """Whether a new attempt may start now, and if not, why and from when.

    - A certificate for the exam bars a retest until its renewal window opens (a pass then
      renews it); one that never expires bars it for good.
    - After an attempt closes, the next waits `retake_days` (from its close; from its start if
      it never closed).
    - At most `attempts_per_year` attempts start in any 365 days; the next is possible 365 days
      after the oldest of those.

    `past` is the trainee's closed attempts at this exam, newest start first; `certificate`
    their current certificate for it, if any.
    """
    if certificate is not None and certificate.expires_at is None:
        return RetakeStatus(False, "You hold a certificate for this role that does not expire.")
    if certificate is not None and now < certificate.renewal_opens:
        opens = certificate.renewal_opens
        return RetakeStatus(
            False,
            f"You hold a valid certificate for this role until {_day(certificate.expires_at)}; "
            f"you can renew it by taking the exam again from {_day(opens)}.",
            opens,
        )
    if not past:
        return RetakeStatus(True)
    last_end = past[0].closed_at or past[0].started_at
    wait_until = last_end + timedelta(days=retake_days)
    if now < wait_until:
        return RetakeStatus(
            False,
            f"You can take this exam again from {wait_until:%d %B %Y} "
            f"({retake_days} days after your last attempt).",
            wait_until,
        )
    window = [a for a in past if a.started_at > now - YEAR]
    if len(window) >= attempts_per_year:
        oldest = min(a.started_at for a in window[:attempts_per_year])
        until = oldest + YEAR
        return RetakeStatus(
            False,
            f"You have used the {attempts_per_year} attempts "
            f"allowed in 365 days; the next is possible from {until:%d %B %Y}.",
            until,
        )
    return RetakeStatus(True)
