"""Accommodations as pure rules: how long an exam runs for a trainee with extra time."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def accommodated_seconds(minutes: int, multiplier: Decimal | float | str) -> int:
    """The exam's time limit for this trainee, in whole seconds (a part-second is dropped): what
    the deadline is set from at the start of an attempt. `multiplier` is 1 without an
    accommodation, 1.5 for 50% more time."""
    return int(minutes * 60 * Decimal(str(multiplier)))


def accommodated_minutes(minutes: int, multiplier: Decimal | float | str) -> int:
    """The same time limit in whole minutes, a half minute rounded up: what the pages show."""
    seconds = Decimal(accommodated_seconds(minutes, multiplier))
    return int((seconds / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
