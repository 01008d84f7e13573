"""Delivery's pure rules: the retake policy, when an attempt closes, accommodated time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examsite.delivery.rules import HeldCertificate, PastAttempt, closes_at, retake_decision
from examsite.programs.rules import accommodated_minutes, accommodated_seconds

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def days_ago(days: float, closed_after_minutes: float | None = 60) -> PastAttempt:
    started = NOW - timedelta(days=days)
    closed = None if closed_after_minutes is None else started + timedelta(minutes=closed_after_minutes)
    return PastAttempt(started, closed)


def decide(past, retake_days=30, attempts_per_year=3, certificate=None):
    return retake_decision(
        NOW,
        retake_days=retake_days,
        attempts_per_year=attempts_per_year,
        past=past,
        certificate=certificate,
    )


def test_a_first_attempt_is_allowed():
    assert decide([]).allowed


def test_a_valid_certificate_waits_for_its_renewal_window():
    expires = NOW + timedelta(days=400)
    opens = expires - timedelta(days=90)
    status = decide([], certificate=HeldCertificate(expires, opens))
    assert not status.allowed
    assert status.available_at == opens
    assert "valid certificate" in status.message and "28 December 2027" in status.message
    assert "29 September 2027" in status.message
    inside = HeldCertificate(NOW + timedelta(days=60), NOW - timedelta(days=30))
    assert decide([], certificate=inside).allowed  # the window is open: a pass renews it


def test_a_certificate_that_never_expires_bars_a_retest():
    status = decide([], certificate=HeldCertificate(None))
    assert not status.allowed and status.available_at is None
    assert "does not expire" in status.message


def test_the_retake_wait_counts_from_the_last_close():
    last = days_ago(29.5, closed_after_minutes=90)
    status = decide([last])
    assert not status.allowed
    assert status.available_at == last.closed_at + timedelta(days=30)
    assert "30 days after your last attempt" in status.message


def test_an_attempt_that_never_closed_counts_from_its_start():
    last = days_ago(29, closed_after_minutes=None)
    assert decide([last]).available_at == last.started_at + timedelta(days=30)
    assert decide([days_ago(31, closed_after_minutes=None)]).allowed


def test_the_wait_ends_exactly_at_its_time():
    last = PastAttempt(NOW - timedelta(days=30, hours=1), NOW - timedelta(days=30))
    assert decide([last]).allowed  # now == close + 30 days: no longer before it


def test_only_the_newest_attempt_sets_the_wait():
    assert decide([days_ago(40), days_ago(100)]).allowed
    assert not decide([days_ago(10), days_ago(100)]).allowed


def test_attempts_per_year_limit_names_when_the_oldest_leaves_the_window():
    past = [days_ago(40), days_ago(120), days_ago(200)]  # newest first
    status = decide(past, attempts_per_year=3)
    assert not status.allowed
    assert status.available_at == past[2].started_at + timedelta(days=365)
    assert "3 attempts allowed in 365 days" in status.message
    assert decide(past, attempts_per_year=4).allowed


def test_attempts_older_than_a_year_do_not_count():
    assert decide([days_ago(40), days_ago(120), days_ago(366)], attempts_per_year=3).allowed


def test_the_retake_wait_is_checked_before_the_yearly_limit():
    past = [days_ago(5), days_ago(120), days_ago(200)]
    status = decide(past, attempts_per_year=3)
    assert "days after your last attempt" in status.message


@given(
    st.lists(st.integers(min_value=0, max_value=800), max_size=8),
    st.integers(min_value=0, max_value=90),
    st.integers(min_value=1, max_value=6),
)
def test_a_refusal_always_says_from_when_and_that_time_is_in_the_future(ages, retake_days, per_year):
    past = [days_ago(a) for a in sorted(ages)]
    status = decide(past, retake_days=retake_days, attempts_per_year=per_year)
    if status.allowed:
        assert status.available_at is None
    else:
        assert status.available_at is not None and status.available_at > NOW
        assert status.message


def test_closes_at_is_the_deadline_plus_grace():
    deadline = NOW + timedelta(minutes=90)
    assert closes_at(deadline, 60) == deadline + timedelta(seconds=60)
    assert closes_at(deadline, 0) == deadline


@pytest.mark.parametrize(
    ("minutes", "multiplier", "seconds", "shown"),
    [
        (90, 1, 5400, 90),
        (90, Decimal("1.5"), 8100, 135),
        (15, Decimal("1.5"), 1350, 23),  # 22.5 minutes: a half minute rounds up
        (45, Decimal("1.25"), 3375, 56),  # 56.25
        (7, Decimal("1.33"), 558, 9),  # 558.6 s: the part-second is dropped; 9.3 minutes shown as 9
        (60, 2.0, 7200, 120),  # a float multiplier means its decimal value
    ],
)
def test_accommodated_time(minutes, multiplier, seconds, shown):
    assert accommodated_seconds(minutes, multiplier) == seconds
    assert accommodated_minutes(minutes, multiplier) == shown
