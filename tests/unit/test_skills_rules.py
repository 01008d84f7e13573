"""The skills-profile rules with hand-made histories (no Flask, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from examsite.skills.rules import (
    Evidence,
    RoleBlueprint,
    estimate,
    level_from_sums,
    level_shares,
    next_roles,
    readiness,
    recency_weight,
    shared_weight,
    wilson_lower_bound,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def items(right: int, wrong: int, days_ago: float = 0, difficulty=None) -> list[Evidence]:
    at = NOW - timedelta(days=days_ago)
    return [Evidence(at, 1, 1, difficulty) for _ in range(right)] + [
        Evidence(at, 0, 1, difficulty) for _ in range(wrong)
    ]


def level(evidence) -> str:
    return estimate("d", "Domain", evidence, NOW).level


def test_wilson_lower_bound_known_values():
    assert wilson_lower_bound(1.0, 5) == pytest.approx(5 / (5 + 1.645**2))
    assert wilson_lower_bound(0.8, 5) == pytest.approx(0.435, abs=0.001)
    assert wilson_lower_bound(0.5, 0) == 0.0


def test_few_lucky_answers_never_show_a_level():
    assert level(items(3, 0)) == "not_shown"
    assert level(items(4, 0)) == "not_shown"
    assert level([]) == "not_shown"


def test_thresholds_from_hand_made_histories():
    assert level(items(5, 0)) == "proficient"
    assert level(items(4, 1)) == "developing"
    assert level(items(11, 0)) == "proficient"  # too few items for advanced, however right
    assert level(items(12, 0)) == "advanced"
    assert level(items(19, 1)) == "advanced"
    assert level(items(18, 2)) == "proficient"  # 90 % of 20: bound 0.74
    assert level(items(16, 4)) == "proficient"
    assert level(items(15, 5)) == "developing"
    assert level(items(0, 20)) == "developing"


def test_batched_evidence_equals_single_items():
    single = estimate("d", "D", items(7, 3, days_ago=10), NOW)
    batched = estimate("d", "D", [Evidence(NOW - timedelta(days=10), 7, 10)], NOW)
    assert single.level == batched.level
    assert single.lower_bound == pytest.approx(batched.lower_bound)


def test_recent_attempts_weigh_more():
    improved = items(2, 8, days_ago=700) + items(10, 0, days_ago=1)
    declined = items(10, 0, days_ago=700) + items(2, 8, days_ago=1)
    better, worse = estimate("d", "D", improved, NOW), estimate("d", "D", declined, NOW)
    assert better.lower_bound > worse.lower_bound
    assert better.level == "proficient" and worse.level == "developing"


def test_hard_items_count_more_than_easy_ones():
    hard_right = items(6, 0, difficulty=0.3) + items(0, 4, difficulty=0.95)
    easy_right = items(6, 0, difficulty=0.95) + items(0, 4, difficulty=0.3)
    assert estimate("d", "D", hard_right, NOW).lower_bound > estimate("d", "D", easy_right, NOW).lower_bound


def test_items_and_last_tested():
    result = estimate("d", "D", items(2, 1, days_ago=30) + items(1, 1, days_ago=3), NOW)
    assert result.items == 5
    assert result.last_tested_at == NOW - timedelta(days=3)


ROLES = [
    RoleBlueprint("cc-a", "cat1", "community college", {"core": 4, "x": 4}),
    RoleBlueprint("cc-b", "cat1", "community college", {"core": 4, "y": 4}),
    RoleBlueprint("uni-c", "cat2", "university", {"core": 2, "x": 6}),
    RoleBlueprint("uni-d", "cat2", "university", {"z": 8}),
    RoleBlueprint("cc-e", "cat2", "community college", {"core": 8}),
]


def test_readiness_is_blueprint_weighted():
    result = readiness(RoleBlueprint("r", "c", "university", {"a": 6, "b": 3, "c": 1}), {"b", "c"})
    assert result.readiness == pytest.approx(0.4)
    assert result.to_study == ("a",)
    nothing = readiness(RoleBlueprint("r", "c", "university", {"a": 1, "b": 3}), set())
    assert nothing.readiness == 0 and nothing.to_study == ("b", "a")


def test_next_roles_lateral_and_upward():
    proficient = {"core", "x"}
    scores = {r.slug: readiness(r, proficient).readiness for r in ROLES}
    # cc-a attempted: lateral cc-b (0.5), upward uni-c (1.0); never cc-e (other category, same
    # track) nor uni-d (nothing shared)
    assert next_roles(ROLES, scores, {"cc-a"}) == ["uni-c", "cc-b"]
    # from a university role nothing goes "upward": only its own category (uni-d shares nothing)
    assert next_roles(ROLES, scores, {"uni-c"}) == ["cc-e"]
    assert next_roles(ROLES, scores, set()) == []


def test_shared_weight_and_level_shares():
    assert shared_weight(ROLES[0], ROLES[1]) == 0.5
    assert shared_weight(ROLES[2], ROLES[0]) == 1.0
    assert shared_weight(ROLES[3], ROLES[0]) == 0.0
    assert level_shares(["advanced", "developing", "developing", "not_shown"]) == {
        "not_shown": 0.25,
        "developing": 0.5,
        "proficient": 0.0,
        "advanced": 0.25,
    }


@pytest.mark.parametrize(
    "history",
    [
        [(5, 5, 0)],
        [(4, 5, 0), (6, 6, 400)],
        [(1, 6, 10), (12, 12, 0), (3, 3, 900)],
        [(2, 3, 0)],
        [(0, 20, 30), (20, 20, 200)],
    ],
)
def test_sums_in_any_scale_give_the_same_level_as_the_evidence(history):
    """What SQL hands over (sums per trainee and domain, weights times any constant) is what
    `estimate` computes from the evidence itself."""
    evidence = [Evidence(NOW - timedelta(days=age), right, total) for right, total, age in history]
    expected = estimate("d", "D", evidence, NOW)
    for scale in (1.0, 1e-6, 37.5):
        weights = [scale * recency_weight(age) for _, _, age in history]
        sums = (
            sum(w * total for w, (_, total, _) in zip(weights, history, strict=True)),
            sum(w * w * total for w, (_, total, _) in zip(weights, history, strict=True)),
            sum(w * right for w, (right, _, _) in zip(weights, history, strict=True)),
        )
        level, bound = level_from_sums(sum(total for _, total, _ in history), *sums)
        assert level == expected.level
        assert bound == pytest.approx(expected.lower_bound)


def test_no_weight_shows_nothing():
    assert level_from_sums(0, 0.0, 0.0, 0.0) == ("not_shown", 0.0)
    assert recency_weight(-30) == 1.0 and recency_weight(365) == pytest.approx(0.5)


def test_the_stored_factor_is_the_recency_weight_up_to_the_days_constant():
    from examsite.skills.evidence import day_number, recency_factor

    today = day_number(NOW)
    for age in (0, 10, 365, 1000):
        ratio = recency_factor(today - age) / recency_weight(age)
        assert ratio == pytest.approx(recency_factor(today))
