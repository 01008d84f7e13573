"""Scoring: hand-computed cases and properties (order and option permutations never change it)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from examsite.delivery.scoring import ScoredResponse, score


def r(domain, keys, choices, pretest=False):
    return ScoredResponse(domain, domain.title(), frozenset(keys), frozenset(choices), pretest)


def test_hand_computed_case():
    responses = [
        r("a", "b", "b"),  # right
        r("a", "c", "d"),  # wrong
        r("b", {"a", "c"}, {"a", "c"}),  # multiple, exactly the keys: right
        r("b", {"a", "c"}, {"a"}),  # multiple, partly: wrong
        r("b", {"a", "c"}, {"a", "c", "d"}),  # multiple, extra choice: wrong
        r("a", "d", ""),  # blank: wrong
        r("a", "a", "a", pretest=True),  # pretest: never counts
        r("c", "b", "a", pretest=True),
    ]
    result = score(responses, Decimal("50"))
    assert (result.raw_score, result.scored_items) == (2, 6)
    assert result.score_percent == Decimal("33.33")
    assert result.passed is False
    assert [(d.code, d.correct, d.total) for d in result.domains] == [("a", 1, 3), ("b", 1, 3)]


def test_passing_line_is_exact():
    # 70% of 125 is 87.5: 88 passes, 87 fails.
    def run(correct):
        responses = [r("a", "a", "a" if i < correct else "b") for i in range(125)]
        return score(responses, Decimal("70"))

    assert run(88).passed is True
    assert run(87).passed is False
    assert run(88).score_percent == Decimal("70.40")


def test_empty_form_fails():
    assert score([], Decimal("70")).passed is False


def test_all_pretest_counts_nothing():
    result = score([r("a", "a", "a", pretest=True)], Decimal("70"))
    assert result.scored_items == 0
    assert result.passed is False


letters = st.sampled_from("abcdef")


@st.composite
def responses(draw):
    items = []
    for _ in range(draw(st.integers(1, 30))):
        keys = draw(st.sets(letters, min_size=1, max_size=3))
        choices = draw(st.sets(letters, max_size=4))
        items.append(r(draw(st.sampled_from(["x", "y", "z"])), keys, choices, draw(st.booleans())))
    return items


@given(responses(), st.randoms(), st.decimals(min_value=1, max_value=100, places=2))
def test_order_never_changes_the_score(items, rnd, passing):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert score(items, passing) == score(shuffled, passing)


@given(responses(), st.permutations("abcdef"))
def test_relabelling_options_never_changes_the_score(items, perm):
    """Shuffling option order is a relabelling of ids applied to keys and choices alike."""
    mapping = dict(zip("abcdef", perm, strict=True))
    relabelled = [
        ScoredResponse(
            i.domain_code,
            i.domain_name,
            frozenset(mapping[k] for k in i.keys),
            frozenset(mapping[c] for c in i.choices),
            i.is_pretest,
        )
        for i in items
    ]
    assert score(items, Decimal("70")) == score(relabelled, Decimal("70"))


@given(responses())
def test_percent_and_domains_are_consistent(items):
    result = score(items, Decimal("70"))
    assert sum(d.total for d in result.domains) == result.scored_items
    assert sum(d.correct for d in result.domains) == result.raw_score
    assert Decimal(0) <= result.score_percent <= Decimal(100)
