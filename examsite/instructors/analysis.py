"""Classical item analysis from sums the database can compute in one GROUP BY per item.

Pure functions over numbers: no queries, no Flask. The figures certification programs report
(Livingston, "Item Analysis", in Handbook of Test Development; NCCA standards):

* facility (p): the share of candidates who answered the item correctly;
* discrimination: the corrected item-total correlation, the point-biserial between the item and
  the total score *without that item* (the uncorrected figure counts the item in its own total,
  which inflates it most on short forms);
* upper-lower index: p in the top 27% of candidates by total score minus p in the bottom 27%;
* for every option, the share of all candidates, of the upper and of the lower group choosing it;
* flags a reviewer can act on, each with a plain-language reason.

Everything is computed from per-item sums (n, sum of totals, sum of squared totals, ...), so the
database does the pass over a million responses and Python only does arithmetic per item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: share of candidates in each of the upper and lower groups (Kelley's 27%)
GROUP_SHARE = 0.27
#: below this many responses an item's figures are shown but not flagged
MIN_RESPONSES = 20
#: a distractor chosen by fewer than this share of all candidates does not function
DEAD_DISTRACTOR_SHARE = 0.05
#: corrected item-total correlations below this are "near zero or negative"
LOW_DISCRIMINATION = 0.10
VERY_EASY = 0.95
VERY_HARD = 0.25

FLAG_CODES = ("possible_miskey", "dead_distractor", "low_discrimination", "very_easy", "very_hard")


@dataclass(frozen=True)
class OptionCounts:
    """How many candidates chose one option: all of them, and those in the upper and lower groups."""

    option_id: str
    key: bool
    chosen: int
    upper: int
    lower: int


@dataclass(frozen=True)
class ItemSums:
    """Sums over the candidates who were given one item version.

    `total` is each candidate's total score on the scored items of their form (the item itself
    included when it is scored); `upper`/`lower` count the candidates of each group who had it.
    """

    item_version_id: int
    external_id: str
    scored: bool
    responses: int
    correct: int
    sum_total: float
    sum_total_squared: float
    sum_total_correct: float
    upper: int
    lower: int
    correct_upper: int
    correct_lower: int
    options: Sequence[OptionCounts] = field(default_factory=tuple)


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str


@dataclass(frozen=True)
class OptionShare:
    id: str
    key: bool
    share: float
    upper: float | None
    lower: float | None


@dataclass(frozen=True)
class ItemAnalysis:
    item_version_id: int
    external_id: str
    scored: bool
    responses: int
    facility: float | None
    discrimination: float | None
    upper_lower: float | None
    options: list[OptionShare]
    flags: list[Flag]

    def as_dict(self) -> dict:
        return {
            "external_id": self.external_id,
            "item_version_id": self.item_version_id,
            "scored": self.scored,
            "responses": self.responses,
            "facility": _round(self.facility),
            "discrimination": _round(self.discrimination),
            "upper_lower": _round(self.upper_lower),
            "options": [
                {
                    "id": o.id,
                    "share": _round(o.share),
                    "upper": _round(o.upper),
                    "lower": _round(o.lower),
                    "key": o.key,
                }
                for o in self.options
            ],
            "flags": [{"code": f.code, "reason": f.reason} for f in self.flags],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def group_size(candidates: int, share: float = GROUP_SHARE) -> int:
    """Candidates in each of the upper and lower groups: 27% of them, at least one when there are
    two or more, and never so many that the groups overlap."""
    if candidates < 2:
        return 0
    return max(1, min(int(candidates * share), candidates // 2))


def upper_and_lower(totals: dict[int, float], share: float = GROUP_SHARE) -> tuple[set[int], set[int]]:
    """The candidates (by attempt id) in the upper and lower groups by total score.

    Ties at a boundary are broken by attempt id, so the groups are the same on every run and on
    both databases.
    """
    ranked = sorted(totals, key=lambda attempt: (totals[attempt], attempt))
    size = group_size(len(ranked), share)
    if size == 0:
        return set(), set()
    return set(ranked[-size:]), set(ranked[:size])


def corrected_item_total(sums: ItemSums) -> float | None:
    """Pearson correlation of the item (0/1) with the total score less the item.

    With x the item score and y the total: for a scored item the rest score is y - x, and since
    x**2 == x its sums follow from the item's own: sum(y-x) = Sy - Sx, sum((y-x)**2) = Syy - 2 Sxy
    + Sx and sum(x (y-x)) = Sxy - Sx. A pretest item is not in the total, so y is already the rest.
    """
    n, sx = sums.responses, sums.correct
    if n < 2 or sx in (0, n):
        return None
    if sums.scored:
        sy = sums.sum_total - sx
        syy = sums.sum_total_squared - 2 * sums.sum_total_correct + sx
        sxy = sums.sum_total_correct - sx
    else:
        sy, syy, sxy = sums.sum_total, sums.sum_total_squared, sums.sum_total_correct
    covariance = sxy - sx * sy / n
    var_x = sx - sx * sx / n
    var_y = syy - sy * sy / n
    if var_x <= 0 or var_y <= 1e-12:
        return None
    return covariance / math.sqrt(var_x * var_y)


def analyse_item(sums: ItemSums, min_responses: int = MIN_RESPONSES) -> ItemAnalysis:
    n = sums.responses
    facility = sums.correct / n if n else None
    r = corrected_item_total(sums)
    upper_p = sums.correct_upper / sums.upper if sums.upper else None
    lower_p = sums.correct_lower / sums.lower if sums.lower else None
    upper_lower = upper_p - lower_p if upper_p is not None and lower_p is not None else None
    options = [
        OptionShare(
            id=o.option_id,
            key=o.key,
            share=o.chosen / n if n else 0.0,
            upper=o.upper / sums.upper if sums.upper else None,
            lower=o.lower / sums.lower if sums.lower else None,
        )
        for o in sums.options
    ]
    flags = _flags(facility, r, options) if n >= min_responses else []
    return ItemAnalysis(
        sums.item_version_id, sums.external_id, sums.scored, n, facility, r, upper_lower, options, flags
    )


def _flags(facility: float | None, r: float | None, options: list[OptionShare]) -> list[Flag]:
    flags = []
    keys = [o for o in options if o.key]
    key_upper = min((o.upper for o in keys if o.upper is not None), default=None)
    for option in options:
        if option.key:
            continue
        if key_upper is not None and option.upper is not None and option.upper > key_upper:
            flags.append(
                Flag(
                    "possible_miskey",
                    f"More of the strongest candidates chose {option.id} ({option.upper:.0%}) than the "
                    f"key ({key_upper:.0%}): check that the key is right and that {option.id} is wrong.",
                )
            )
        if option.share < DEAD_DISTRACTOR_SHARE:
            flags.append(
                Flag(
                    "dead_distractor",
                    f"Option {option.id} was chosen by {option.share:.0%} of candidates: it does not "
                    "distract; replace it with an error partly prepared candidates make.",
                )
            )
    if r is not None and r < LOW_DISCRIMINATION:
        flags.append(
            Flag(
                "low_discrimination",
                f"Candidates who did well overall were {'less' if r < 0 else 'hardly more'} likely to get "
                f"it right than others (r = {r:.2f}): it may be ambiguous, miskeyed or off the topic.",
            )
        )
    if facility is not None and facility > VERY_EASY:
        flags.append(
            Flag("very_easy", f"{facility:.0%} answered correctly: it tells candidates apart very little.")
        )
    if facility is not None and facility < VERY_HARD:
        flags.append(
            Flag(
                "very_hard",
                f"Only {facility:.0%} answered correctly, near chance: check the key and the wording.",
            )
        )
    return flags


# --- the form as a whole ---------------------------------------------------------------------


@dataclass(frozen=True)
class FormStatistics:
    candidates: int
    passed: int
    items: int
    mean: float | None
    sd: float | None
    reliability: float | None
    sem: float | None
    csem_at_cut: float | None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.candidates if self.candidates else None


def form_statistics(
    scores: Sequence[float], passed: int, items: int, facilities: Sequence[float], cut: float | None
) -> FormStatistics:
    """Mean and SD of raw scores, KR-20, its standard error of measurement, and the conditional SEM
    at the cut score (Lord's binomial error model: sqrt(x (k - x) / (k - 1)))."""
    n = len(scores)
    if n == 0:
        return FormStatistics(0, 0, items, None, None, None, None, None)
    mean = sum(scores) / n
    variance = sum((s - mean) ** 2 for s in scores) / n
    sd = math.sqrt(variance)
    reliability = kr20(facilities, items, variance)
    sem = sd * math.sqrt(1 - reliability) if reliability is not None and 0 <= reliability <= 1 else None
    csem = None
    if cut is not None and items > 1 and 0 <= cut <= items:
        csem = math.sqrt(cut * (items - cut) / (items - 1))
    return FormStatistics(n, passed, items, mean, sd, reliability, sem, csem)


def kr20(facilities: Sequence[float], items: int, variance: float) -> float | None:
    """KR-20 = k/(k-1) * (1 - sum(p q) / variance of raw scores); with forms drawn from a larger
    pool, the mean p q over the pool stands for the form's items."""
    if items < 2 or variance <= 0 or not facilities:
        return None
    mean_pq = sum(p * (1 - p) for p in facilities) / len(facilities)
    return items / (items - 1) * (1 - items * mean_pq / variance)
