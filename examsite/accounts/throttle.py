"""Password guessing slowed without lockouts an attacker can aim.

Failed logins are counted per account and client address, in the database, so every worker and
every app server sees the same numbers with no extra service. The rules:

* An account from one address: the first `FREE_FAILURES` failures cost nothing; after that each
  further try from that address for that account waits a growing delay (1 s, 2 s, 4 s ... up to
  15 minutes). The owner logging in from their own address is never held up by a stranger's
  guesses, and a testing lab behind one address is not held up by one trainee's typos.
* An address overall: more than `ADDRESS_FAILURES` failures across accounts in `WINDOW` slows
  every login from it the same way (password spraying).
* An account under attack (failures from `ATTACK_ADDRESSES` addresses or more, or
  `ATTACK_FAILURES` failures, in `WINDOW`) is recorded in the audit log once per window and listed
  for administrators; it is never locked.

A successful login clears that account's count for that address. The rules are pure functions
of the counts (`delay_seconds`, `under_attack`), unit-tested without a database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from examsite.extensions import db
from examsite.timeutil import UTCDateTime, utcnow

FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
ADDRESS_FAILURES = 100
ATTACK_ADDRESSES = 5
ATTACK_FAILURES = 20


class LoginFailure(db.Model):
    """Failed logins for one account (by e-mail, known or not) from one address."""

    __tablename__ = "login_failures"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: when the account was last reported under attack (one audit event per window)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LoginFailure {self.email} from {self.address}: {self.failures}>"


def delay_seconds(failures: int) -> float:
    """How long after the last failure the next try waits: nothing for the first few, then
    doubling from one second, capped at MAX_DELAY."""
    if failures < FREE_FAILURES:
        return 0.0
    exponent = min(failures - FREE_FAILURES, 30)  # 2**30 s is far past the cap; no overflow
    return min(math.ldexp(1.0, exponent), MAX_DELAY.total_seconds())


def under_attack(failures: int, addresses: int) -> bool:
    return addresses >= ATTACK_ADDRESSES or failures >= ATTACK_FAILURES


@dataclass(frozen=True)
class Wait:
    """A refused try: how many seconds until the next one is allowed."""

    seconds: int


def wait_before_login(email: str, address: str, now: datetime | None = None) -> Wait | None:
    """None if a login for this account from this address may be tried now (reads only)."""
    now = now or utcnow()
    since = now - WINDOW
    row = db.session.get(LoginFailure, (email, address))
    waits = []
    if row is not None and row.last_at >= since:
        waits.append(row.last_at + timedelta(seconds=delay_seconds(row.failures)) - now)
    address_failures, last = db.session.execute(
        select(func.coalesce(func.sum(LoginFailure.failures), 0), func.max(LoginFailure.last_at)).where(
            LoginFailure.address == address, LoginFailure.last_at >= since
        )
    ).one()
    if address_failures > ADDRESS_FAILURES:
        extra = address_failures - ADDRESS_FAILURES + FREE_FAILURES
        waits.append(last + timedelta(seconds=delay_seconds(extra)) - now)
    longest = max(waits, default=timedelta(0))
    return Wait(math.ceil(longest.total_seconds())) if longest > timedelta(0) else None


def record_failure(email: str, address: str, now: datetime | None = None) -> bool:
    """Count a failed login (inside the caller's write); True when the account has just been
    found under attack and not yet reported in this window."""
    now = now or utcnow()
    row = db.session.get(LoginFailure, (email, address))
    if row is None or row.last_at < now - WINDOW:
        if row is None:
            row = LoginFailure(email=email, address=address, reported_at=None)
            db.session.add(row)
        row.failures, row.first_at = 0, now
    row.failures += 1
    row.last_at = now
    db.session.flush()
    failures, addresses, reported = db.session.execute(
        select(
            func.sum(LoginFailure.failures),
            func.count(LoginFailure.address),
            func.max(LoginFailure.reported_at),
        ).where(LoginFailure.email == email, LoginFailure.last_at >= now - WINDOW)
    ).one()
    if not under_attack(int(failures), int(addresses)):
        return False
    if reported is not None and reported >= now - WINDOW:
        return False
    row.reported_at = now
    return True


def clear_failures(email: str, address: str) -> None:
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.address == address)
    )


@dataclass(frozen=True)
class AttackedAccount:
    email: str
    failures: int
    addresses: int
    last_at: datetime


def accounts_under_attack(now: datetime | None = None) -> list[AttackedAccount]:
    """Accounts with guessing in the last WINDOW above the attack thresholds, worst first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            LoginFailure.email,
            func.sum(LoginFailure.failures),
            func.count(LoginFailure.address),
            func.max(LoginFailure.last_at),
        )
        .where(LoginFailure.last_at >= now - WINDOW)
        .group_by(LoginFailure.email)
    ).all()
    found = [
        AttackedAccount(e, int(f), int(a), last) for e, f, a, last in rows if under_attack(int(f), int(a))
    ]
    return sorted(found, key=lambda a: (-a.failures, a.email))
