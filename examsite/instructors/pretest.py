"""Which pretest items to activate: a plain decision and its reason per item, from the analysis.

Pretest items are delivered unscored (candidates cannot tell them apart) and analysed like the
others, against the total of the scored items. An item is recommended for activation when it has
enough responses for its figures to be stable and they are within the ranges a scored item should
have; otherwise the reason says what to wait for or what to revise. Pure: the analysis' item rows
(`ItemAnalysis.as_dict()`) in, recommendations out. Pinned by tests/unit/test_pretest.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: responses before a pretest item's figures are trusted (the analysis flags from 20; a decision
#: to score an item wants more)
MIN_RESPONSES = 50
#: the acceptable facility range for a scored item
FACILITY_RANGE = (0.30, 0.90)
#: the lowest corrected item-total correlation for a scored item
MIN_DISCRIMINATION = 0.20
#: flags that must be resolved before an item counts
BLOCKING_FLAGS = ("possible_miskey", "dead_distractor")

ACTIVATE, WAIT, REVISE = "activate", "wait", "revise"


@dataclass(frozen=True)
class PretestAdvice:
    item_version_id: int
    external_id: str
    responses: int
    facility: float | None
    discrimination: float | None
    decision: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "external_id": self.external_id,
            "item_version_id": self.item_version_id,
            "responses": self.responses,
            "facility": self.facility,
            "discrimination": self.discrimination,
            "recommendation": self.decision,
            "reason": " ".join(self.reasons),
        }


def advise(item: Mapping, min_responses: int = MIN_RESPONSES) -> PretestAdvice:
    n, p, r = item["responses"], item["facility"], item["discrimination"]
    low, high = FACILITY_RANGE

    def advice(decision: str, *reasons: str) -> PretestAdvice:
        return PretestAdvice(item["item_version_id"], item["external_id"], n, p, r, decision, reasons)

    if n < min_responses:
        return advice(WAIT, f"Only {n} responses so far; wait for {min_responses} before deciding.")
    problems = []
    for flag in item.get("flags", []):
        if flag["code"] in BLOCKING_FLAGS:
            problems.append(flag["reason"])
    if p is None or not low <= p <= high:
        shown = "no" if p is None else f"{p:.2f}"
        problems.append(f"Facility {shown} is outside {low:.2f}–{high:.2f}.")
    if r is None or r < MIN_DISCRIMINATION:
        shown = "undefined" if r is None else f"{r:.2f}"
        problems.append(f"Discrimination {shown} is below {MIN_DISCRIMINATION:.2f}.")
    if problems:
        return advice(REVISE, *problems)
    return advice(
        ACTIVATE,
        f"{n} responses; facility {p:.2f} and discrimination {r:.2f} are in range, "
        "and no distractor is dead or out-draws the key.",
    )


def pretest_advice(items: Iterable[Mapping], min_responses: int = MIN_RESPONSES) -> list[PretestAdvice]:
    """Advice for the pretest rows of an analysis, those to activate first."""
    order = {ACTIVATE: 0, REVISE: 1, WAIT: 2}
    advice = [advise(i, min_responses) for i in items if not i["scored"]]
    return sorted(advice, key=lambda a: (order[a.decision], a.external_id, a.item_version_id))
