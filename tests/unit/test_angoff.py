"""The modified-Angoff computation against figures worked out by hand."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from examsite.standards.angoff import RatingError, applied_percent, item_spread, parse_rating, recommend

ITEMS = ["i1", "i2", "i3", "i4"]
#  panelist   i1    i2    i3    i4    sum
#  p1         0.60  0.70  0.50  0.80  2.60
#  p2         0.50  0.60  0.40  0.70  2.20
#  p3         0.70  0.80  0.60  0.90  3.00
# mean 7.8 / 3 = 2.6 of 4 items = 65%; deviations 0, -0.4, 0.4: SS 0.32, SD sqrt(0.32 / 2) = 0.4,
# SE 0.4 / sqrt(3) = 0.2309...; in percentage points SD 10, SE 5.7735...
PANEL = {
    "p1": dict(zip(ITEMS, (0.6, 0.7, 0.5, 0.8), strict=True)),
    "p2": dict(zip(ITEMS, (0.5, 0.6, 0.4, 0.7), strict=True)),
    "p3": dict(zip(ITEMS, (0.7, 0.8, 0.6, 0.9), strict=True)),
}


def test_recommendation_by_hand():
    rec = recommend(PANEL, ITEMS)
    assert rec.panelists == 3 and rec.items == 4
    assert rec.cuts == pytest.approx((2.6, 2.2, 3.0))
    assert rec.raw == pytest.approx(2.6)
    assert rec.percent == pytest.approx(65.0)
    assert rec.sd == pytest.approx(0.4)
    assert rec.se == pytest.approx(0.4 / math.sqrt(3))
    assert rec.sd_percent == pytest.approx(10.0)
    assert rec.se_percent == pytest.approx(10 / math.sqrt(3))
    assert applied_percent(rec) == Decimal("65.00")


def test_a_panelist_who_left_items_blank_does_not_count():
    partial = {**PANEL, "p4": {"i1": 0.95, "i2": 0.95}}
    assert recommend(partial, ITEMS).cuts == recommend(PANEL, ITEMS).cuts


def test_one_panelist_has_no_spread():
    rec = recommend({"p1": PANEL["p1"]}, ITEMS)
    assert rec.raw == pytest.approx(2.6) and rec.percent == pytest.approx(65.0)
    assert rec.sd is None and rec.se is None


def test_nobody_complete_or_no_items_is_refused():
    with pytest.raises(RatingError, match="No panelist"):
        recommend({"p1": {"i1": 0.5}}, ITEMS)
    with pytest.raises(RatingError, match="no items"):
        recommend(PANEL, [])


def test_percent_rounds_to_two_places():
    # 2 items, one panelist rating 0.55 and 0.62: 1.17 / 2 = 58.5%; with 3 items 0.55 0.62 0.61 = 59.333..%
    rec = recommend({"p": {"a": 0.55, "b": 0.62, "c": 0.61}}, ["a", "b", "c"])
    assert applied_percent(rec) == Decimal("59.33")


def test_spread_is_anonymous_and_ordered():
    spread = item_spread([0.7, 0.5, 0.6, 0.9])
    assert spread.values == (0.5, 0.6, 0.7, 0.9)
    assert (spread.count, spread.low, spread.high) == (4, 0.5, 0.9)
    assert spread.median == pytest.approx(0.65) and spread.mean == pytest.approx(0.675)
    assert item_spread([0.4, 0.8, 0.6]).median == 0.6
    assert item_spread([]) is None


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.6", "0.60"),
        ("0,65", "0.65"),
        ("60%", "0.60"),
        ("60", "0.60"),
        (" 0.05 ", "0.05"),
        ("95 %", "0.95"),
    ],
)
def test_ratings_as_typed(typed, value):
    assert parse_rating(typed) == Decimal(value)


@pytest.mark.parametrize(
    "typed", ["", "  ", "abc", "0.04", "0.96", "1", "100%", "-0.5", "NaN", "Infinity", None]
)
def test_bad_ratings_say_why(typed):
    with pytest.raises(RatingError, match="probability"):
        parse_rating(typed)
