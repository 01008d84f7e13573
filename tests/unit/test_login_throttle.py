"""The pure rules of login throttling (examsite/accounts/throttle.py)."""

from examsite.accounts.throttle import (
    ATTACK_ADDRESSES,
    ATTACK_FAILURES,
    FREE_FAILURES,
    delay_seconds,
    under_attack,
)


def test_the_first_failures_are_free_then_the_delay_doubles_up_to_fifteen_minutes():
    assert [delay_seconds(n) for n in range(FREE_FAILURES)] == [0.0] * FREE_FAILURES
    assert [delay_seconds(FREE_FAILURES + n) for n in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert delay_seconds(FREE_FAILURES + 30) == 900.0
    assert delay_seconds(10_000) == 900.0  # no overflow however long the attack


def test_an_account_is_under_attack_from_many_addresses_or_many_failures():
    assert not under_attack(failures=ATTACK_FAILURES - 1, addresses=ATTACK_ADDRESSES - 1)
    assert under_attack(failures=ATTACK_ADDRESSES, addresses=ATTACK_ADDRESSES)
    assert under_attack(failures=ATTACK_FAILURES, addresses=1)
