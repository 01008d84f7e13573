"""Certificate validity dates: calendar months at month ends, the renewal window, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from examsite.certificates import validity


def at(year, month, day, hour=9, minute=30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2026, 1, 31), 1, at(2026, 2, 28)),  # clamped to February's last day
        (at(2028, 1, 31), 1, at(2028, 2, 29)),  # a leap year's February
        (at(2028, 2, 29), 12, at(2029, 2, 28)),  # 29 February has no twin next year
        (at(2028, 2, 29), 48, at(2032, 2, 29)),  # ... but four years on it has
        (at(2026, 3, 31), 1, at(2026, 4, 30)),
        (at(2026, 8, 31), 6, at(2027, 2, 28)),
        (at(2026, 11, 30), 3, at(2027, 2, 28)),  # over a year end
        (at(2026, 12, 31), 1, at(2027, 1, 31)),
        (at(2026, 12, 15), 12, at(2027, 12, 15)),
        (at(2026, 11, 23), 24, at(2028, 11, 23)),
        (at(2026, 5, 17), 0, at(2026, 5, 17)),
    ],
)
def test_add_months_clamps_to_the_end_of_short_months(start, months, expected):
    assert validity.add_months(start, months) == expected


def test_add_months_keeps_the_time_and_zone_and_refuses_negative_months():
    result = validity.add_months(at(2026, 1, 31, 23, 59), 1)
    assert (result.hour, result.minute, result.tzinfo) == (23, 59, UTC)
    with pytest.raises(ValueError):
        validity.add_months(at(2026, 1, 1), -1)


def test_expiry_none_means_never():
    assert validity.expiry(at(2026, 1, 31), None) is None
    assert validity.expiry(at(2026, 1, 31), 24) == at(2028, 1, 31)


def test_a_renewal_runs_on_from_the_old_expiry_or_from_now_when_later():
    old = at(2027, 1, 31)
    early = old - timedelta(days=40)
    assert validity.renewed_expiry(old, early, 1) == at(2027, 2, 28)  # from the old expiry
    late = old + timedelta(days=10)
    assert validity.renewed_expiry(old, late, 1) == at(2027, 3, 10)  # from the renewal
    assert validity.renewed_expiry(old, early, None) is None
    assert validity.renewed_expiry(None, early, 12) == validity.add_months(early, 12)


def test_renewal_window_from_90_days_before_to_90_days_after_expiry():
    expires = at(2027, 6, 30)
    assert not validity.can_renew(expires, expires - timedelta(days=91))
    assert validity.can_renew(expires, expires - timedelta(days=90))
    assert validity.can_renew(expires, expires + timedelta(days=90))
    assert not validity.can_renew(expires, expires + timedelta(days=90, seconds=1))
    assert not validity.can_renew(None, expires)
    assert validity.still_renewable(expires, expires - timedelta(days=400))
    assert not validity.still_renewable(expires, expires + timedelta(days=91))


def test_expiring_soon_is_the_next_90_days_and_not_the_past():
    now = at(2027, 1, 1)
    assert validity.expiring_soon(now + timedelta(days=90), now)
    assert not validity.expiring_soon(now + timedelta(days=91), now)
    assert not validity.expiring_soon(now, now)
    assert not validity.expiring_soon(None, now)


def test_reminders_at_60_and_30_days_each_once():
    issued, expires = at(2025, 1, 31), at(2027, 1, 31)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=61)) == ([], None)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=60)) == ([60], 60)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=45), done=[60]) == ([], None)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=30), done=[60]) == ([30], 30)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=1), done=[60, 30]) == ([], None)
    assert validity.reminders_due(issued, expires, expires) == ([], None)  # expired: too late


def test_a_missed_60_day_reminder_is_recorded_but_only_the_30_day_one_is_mailed():
    issued, expires = at(2025, 1, 31), at(2027, 1, 31)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=20)) == ([60, 30], 30)


def test_no_reminder_for_a_threshold_passed_before_the_certificate_existed():
    expires = at(2027, 3, 31)
    issued = expires - timedelta(days=45)  # a short validity: born inside the 60-day window
    assert validity.reminders_due(issued, expires, issued + timedelta(days=1)) == ([], None)
    assert validity.reminders_due(issued, expires, expires - timedelta(days=30)) == ([30], 30)
    assert validity.reminders_due(issued, None, issued) == ([], None)
