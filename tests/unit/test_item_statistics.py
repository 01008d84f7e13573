"""Item statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from examsite.instructors.statistics import ItemAggregate, item_statistics, kr20, point_biserial


def test_point_biserial_matches_pearson_on_raw_data():
    totals = [90, 80, 70, 60, 50, 40]
    item = [1, 1, 1, 0, 1, 0]
    n = len(totals)
    mean = sum(totals) / n
    sd = math.sqrt(sum((t - mean) ** 2 for t in totals) / n)
    mean_item = sum(item) / n
    cov = sum((t - mean) * (i - mean_item) for t, i in zip(totals, item, strict=True)) / n
    pearson = cov / (sd * math.sqrt(mean_item * (1 - mean_item)))
    m1 = sum(t for t, i in zip(totals, item, strict=True) if i) / sum(item)
    m0 = sum(t for t, i in zip(totals, item, strict=True) if not i) / (n - sum(item))
    assert point_biserial(m1, m0, mean_item, sd) == pytest.approx(pearson)


def test_undefined_when_everyone_right():
    assert point_biserial(80.0, None, 1.0, 10.0) is None


def test_flags():
    stats = item_statistics(
        [
            ItemAggregate(1, "A-0001", 100, 98, 80.0, 70.0),
            ItemAggregate(2, "A-0002", 100, 10, 60.0, 70.0),
            ItemAggregate(3, "A-0003", 5, 3, 80.0, 70.0),
            ItemAggregate(4, "A-0004", 100, 60, 72.0, 71.0),
            ItemAggregate(5, "A-0005", 100, 60, 85.0, 55.0),
        ],
        sd_total=15.0,
    )
    assert [s.flag for s in stats] == [
        "very easy",
        "very hard: check the key",
        "too few responses",
        "low discrimination: review",
        "",
    ]
    assert stats[4].facility == 0.6
    assert stats[4].discrimination == pytest.approx(round(30 / 15 * math.sqrt(0.24), 3))


def test_kr20_hand_computed():
    # 4 items with p = .5, .6, .7, .8 -> sum pq = .25+.24+.21+.16 = .86; variance 1.5
    assert kr20([0.5, 0.6, 0.7, 0.8], 4, 1.5) == pytest.approx(4 / 3 * (1 - 0.86 / 1.5))
    assert kr20([0.5], 1, 1.0) is None
