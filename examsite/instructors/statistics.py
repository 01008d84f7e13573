"""Item statistics from aggregates: facility, discrimination (point-biserial), KR-20.

Plain functions over numbers the database already summed, so a report over thousands of attempts
costs one GROUP BY, not a pass over every response in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from examsite.instructors.analysis import kr20

__all__ = ["ItemAggregate", "ItemStatistics", "item_statistics", "kr20", "point_biserial"]


@dataclass(frozen=True)
class ItemAggregate:
    """For one item version: how many scored it, how many got it right, and the mean total
    percent of those who got it right and of those who did not."""

    item_version_id: int
    external_id: str
    responses: int
    correct: int
    mean_total_correct: float | None
    mean_total_incorrect: float | None


@dataclass(frozen=True)
class ItemStatistics:
    item_version_id: int
    external_id: str
    responses: int
    facility: float
    discrimination: float | None
    flag: str


def point_biserial(
    mean_correct: float | None, mean_incorrect: float | None, p: float, sd_total: float
) -> float | None:
    """r_pb = (M1 - M0) / s * sqrt(p q); None when it is undefined (everyone right or wrong)."""
    if mean_correct is None or mean_incorrect is None or sd_total <= 0 or p in (0.0, 1.0):
        return None
    return (mean_correct - mean_incorrect) / sd_total * math.sqrt(p * (1 - p))


def item_statistics(
    aggregates: list[ItemAggregate], sd_total: float, min_responses: int = 20
) -> list[ItemStatistics]:
    out = []
    for a in aggregates:
        p = a.correct / a.responses if a.responses else 0.0
        r = point_biserial(a.mean_total_correct, a.mean_total_incorrect, p, sd_total)
        if a.responses < min_responses:
            flag = "too few responses"
        elif p > 0.95:
            flag = "very easy"
        elif p < 0.25:
            flag = "very hard: check the key"
        elif r is not None and r < 0.10:
            flag = "low discrimination: review"
        else:
            flag = ""
        out.append(
            ItemStatistics(
                a.item_version_id,
                a.external_id,
                a.responses,
                round(p, 3),
                None if r is None else round(r, 3),
                flag,
            )
        )
    return out
