"""The modified-Angoff computation: pure functions over ratings, no queries, no Flask.

Each panelist judges, item by item, the probability that a minimally competent candidate answers
correctly. A panelist's cut score is the sum of their ratings (the raw score such a candidate is
expected to reach on the rated items); the recommended cut is the mean of the panelists' cuts,
reported as a raw score and as a percentage of the items rated. Its spread is the standard
deviation of the panelists' cuts (sample SD, n - 1: the panel is a sample of possible judges) and
its standard error that SD over the square root of the number of panelists (Cizek & Bunch,
"Standard Setting", ch. 6). Pinned by tests/unit/test_angoff.py against hand-computed figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: the scale panelists rate on: a probability, away from certainty either way
LOWEST = Decimal("0.05")
HIGHEST = Decimal("0.95")


class RatingError(ValueError):
    pass


def parse_rating(raw: object) -> Decimal:
    """A rating as typed ("0.6", "0,6" or "60%"); RatingError with a plain message otherwise."""
    text = str(raw).strip().replace(",", ".") if raw is not None else ""
    if not text:
        raise RatingError("Enter a probability between 0.05 and 0.95.")
    percent = text.endswith("%")
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation as exc:
        raise RatingError(f"{text!r} is not a number; enter a probability such as 0.65.") from exc
    if not value.is_finite():
        raise RatingError(f"{text!r} is not a number; enter a probability such as 0.65.")
    if percent or value > 1:
        value = value / 100
    if not LOWEST <= value <= HIGHEST:
        raise RatingError("Enter a probability between 0.05 and 0.95 (or 5% to 95%).")
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Spread:
    """The panel's ratings of one item, without names: what round 2 shows each panelist."""

    count: int
    low: float
    median: float
    high: float
    mean: float
    values: tuple[float, ...]


def item_spread(ratings: Sequence[float]) -> Spread | None:
    if not ratings:
        return None
    ordered = tuple(sorted(float(r) for r in ratings))
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Spread(n, ordered[0], median, ordered[-1], sum(ordered) / n, ordered)


@dataclass(frozen=True)
class Recommendation:
    panelists: int
    items: int
    #: each panelist's cut (sum of their ratings), in the order given
    cuts: tuple[float, ...]
    raw: float
    percent: float
    sd: float | None
    se: float | None
    #: the same spread and error in percentage points
    sd_percent: float | None
    se_percent: float | None


def recommend(ratings: Mapping[object, Mapping[object, float]], items: Sequence[object]) -> Recommendation:
    """The cut from each panelist's ratings ({panelist: {item: rating}}) of these items.

    Only panelists who rated every item count: a cut summed over fewer items would pull the mean
    down. Raises RatingError when no panelist did.
    """
    wanted = list(items)
    if not wanted:
        raise RatingError("The study has no items to rate.")
    cuts = tuple(
        sum(float(given[i]) for i in wanted)
        for given in ratings.values()
        if all(i in given and given[i] is not None for i in wanted)
    )
    if not cuts:
        raise RatingError("No panelist has rated every item yet.")
    n, k = len(cuts), len(wanted)
    raw = sum(cuts) / n
    sd = math.sqrt(sum((c - raw) ** 2 for c in cuts) / (n - 1)) if n > 1 else None
    se = sd / math.sqrt(n) if sd is not None else None
    return Recommendation(
        panelists=n,
        items=k,
        cuts=cuts,
        raw=raw,
        percent=100 * raw / k,
        sd=sd,
        se=se,
        sd_percent=None if sd is None else 100 * sd / k,
        se_percent=None if se is None else 100 * se / k,
    )


def applied_percent(recommendation: Recommendation) -> Decimal:
    """The passing percentage an exam takes from the study: two decimals, as exam settings store it."""
    return Decimal(str(recommendation.percent)).quantize(Decimal("0.01"))
