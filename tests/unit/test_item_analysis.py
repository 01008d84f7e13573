"""Item analysis checked against figures computed independently with NumPy on simulated data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from examsite.instructors.analysis import (
    ItemSums,
    OptionCounts,
    analyse_item,
    corrected_item_total,
    form_statistics,
    group_size,
    upper_and_lower,
)

OPTIONS = "abcd"


def simulate(seed=7, candidates=600, items=30, miskey=3, dead=5, pretest=29):
    """Responses from a two-parameter logistic model. Item `miskey` is keyed 'a' although the option
    able candidates pick is 'b'; nobody picks option 'd' of item `dead`; item `pretest` is unscored."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=candidates)
    a = rng.uniform(0.8, 2.0, size=items)
    b = rng.normal(scale=0.8, size=items)
    right = rng.random((candidates, items)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    chosen = np.empty((candidates, items), dtype="<U1")
    for j in range(items):
        truth = "b" if j == miskey else "a"
        wrong = [o for o in OPTIONS if o != truth and not (j == dead and o == "d")]
        picks = rng.choice(wrong, size=candidates)
        chosen[:, j] = np.where(right[:, j], truth, picks)
    keys = dict.fromkeys(range(items), "a")
    scored = np.array([j != pretest for j in range(items)])
    return chosen, keys, scored


def sums_for(chosen, keys, scored):
    candidates, items = chosen.shape
    x = np.array([[chosen[i, j] == keys[j] for j in range(items)] for i in range(candidates)], dtype=float)
    totals = (x * scored).sum(axis=1)
    upper, lower = upper_and_lower({i: float(t) for i, t in enumerate(totals)})
    up = np.array([i in upper for i in range(candidates)])
    low = np.array([i in lower for i in range(candidates)])
    out = []
    for j in range(items):
        col = x[:, j]
        out.append(
            ItemSums(
                item_version_id=j,
                external_id=f"T-{j:04d}",
                scored=bool(scored[j]),
                responses=candidates,
                correct=int(col.sum()),
                sum_total=float(totals.sum()),
                sum_total_squared=float((totals**2).sum()),
                sum_total_correct=float((totals * col).sum()),
                upper=int(up.sum()),
                lower=int(low.sum()),
                correct_upper=int(col[up].sum()),
                correct_lower=int(col[low].sum()),
                options=[
                    OptionCounts(
                        o,
                        o == keys[j],
                        int((chosen[:, j] == o).sum()),
                        int((chosen[up, j] == o).sum()),
                        int((chosen[low, j] == o).sum()),
                    )
                    for o in OPTIONS
                ],
            )
        )
    return x, totals, up, low, out


@pytest.fixture(scope="module")
def simulated():
    chosen, keys, scored = simulate()
    x, totals, up, low, sums = sums_for(chosen, keys, scored)
    return chosen, x, totals, up, low, scored, {s.item_version_id: analyse_item(s) for s in sums}


def test_every_figure_matches_numpy(simulated):
    chosen, x, totals, up, low, scored, results = simulated
    for j, result in results.items():
        col = x[:, j]
        rest = totals - col * scored[j]
        assert result.facility == pytest.approx(col.mean())
        assert result.discrimination == pytest.approx(np.corrcoef(col, rest)[0, 1], abs=1e-9)
        assert result.upper_lower == pytest.approx(col[up].mean() - col[low].mean())
        for option in result.options:
            assert option.share == pytest.approx((chosen[:, j] == option.id).mean())
            assert option.upper == pytest.approx((chosen[up, j] == option.id).mean())
            assert option.lower == pytest.approx((chosen[low, j] == option.id).mean())


def test_the_corrected_correlation_is_lower_than_the_item_in_its_own_total(simulated):
    _, x, totals, _, _, scored, results = simulated
    for j in range(x.shape[1]):
        if scored[j]:
            uncorrected = np.corrcoef(x[:, j], totals)[0, 1]
            assert results[j].discrimination < uncorrected


def test_the_planted_miskey_and_dead_distractor_are_flagged_and_little_else(simulated):
    *_, results = simulated
    codes = {j: {f.code for f in r.flags} for j, r in results.items()}
    assert "possible_miskey" in codes[3]
    assert "low_discrimination" in codes[3]  # the keyed option is chosen by weaker candidates
    assert "dead_distractor" in codes[5]
    reason = next(f.reason for f in results[5].flags if f.code == "dead_distractor")
    assert "Option d" in reason and "0%" in reason
    assert not any("possible_miskey" in c for j, c in codes.items() if j != 3)
    assert results[29].scored is False and results[29].discrimination is not None


def test_groups_are_27_percent_with_ties_broken_by_attempt():
    assert group_size(100) == 27 and group_size(3) == 1 and group_size(1) == 0
    upper, lower = upper_and_lower({1: 5, 2: 5, 3: 1, 4: 9})
    assert upper == {4} and lower == {3}
    upper, lower = upper_and_lower({10: 2, 11: 2, 12: 2, 13: 2})
    assert upper == {13} and lower == {10}


def test_undefined_figures_are_none_and_few_responses_raise_no_flags():
    everyone_right = ItemSums(1, "X", True, 30, 30, 600, 12000, 600, 8, 8, 8, 8)
    assert corrected_item_total(everyone_right) is None
    few = analyse_item(ItemSums(2, "Y", True, 5, 5, 20, 90, 20, 1, 1, 1, 1))
    assert few.facility == 1.0 and few.flags == []


def test_form_statistics_against_hand_computed_values():
    scores = [2, 4, 4, 4, 5, 5, 7, 9]  # mean 5, population SD 2
    stats = form_statistics(scores, passed=3, items=10, facilities=[0.5] * 10, cut=7)
    assert stats.mean == 5 and stats.sd == 2 and stats.pass_rate == 3 / 8
    # KR-20 = 10/9 * (1 - 10 * 0.25 / 4) = 0.41666...
    assert stats.reliability == pytest.approx(10 / 9 * (1 - 2.5 / 4))
    assert stats.sem == pytest.approx(2 * math.sqrt(1 - stats.reliability))
    assert stats.csem_at_cut == pytest.approx(math.sqrt(7 * 3 / 9))
    assert form_statistics([], 0, 10, [], 7).mean is None


def test_kr20_hand_computed():
    from examsite.instructors.analysis import kr20

    # 4 items with p = .5, .6, .7, .8 -> sum pq = .25+.24+.21+.16 = .86; variance 1.5
    assert kr20([0.5, 0.6, 0.7, 0.8], 4, 1.5) == pytest.approx(4 / 3 * (1 - 0.86 / 1.5))
    assert kr20([0.5], 1, 1.0) is None
