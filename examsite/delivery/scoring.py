"""Scoring: a pure function of the stored responses and the stored item versions.

Pretest items never count. A `single` item scores 1 when the one key is chosen; a `multiple` item
scores 1 only when exactly its keys are chosen. The pass decision uses exact decimal arithmetic,
so 70% of 125 items is 87.5 and a raw score of 87 fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class ScoredResponse:
    domain_code: str
    domain_name: str
    keys: frozenset[str]
    choices: frozenset[str]
    is_pretest: bool = False

    @property
    def correct(self) -> bool:
        return bool(self.choices) and self.choices == self.keys


@dataclass(frozen=True)
class DomainResult:
    code: str
    name: str
    correct: int
    total: int

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "correct": self.correct, "total": self.total}


@dataclass(frozen=True)
class ScoreResult:
    raw_score: int
    scored_items: int
    score_percent: Decimal
    passed: bool
    domains: tuple[DomainResult, ...]


def score(responses: Iterable[ScoredResponse], passing_percent: Decimal) -> ScoreResult:
    counted = [r for r in responses if not r.is_pretest]
    raw = sum(1 for r in counted if r.correct)
    total = len(counted)
    percent = (
        (Decimal(raw) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if total
        else Decimal("0.00")
    )
    passed = total > 0 and Decimal(raw) * 100 >= Decimal(passing_percent) * total
    by_domain: dict[str, list[ScoredResponse]] = {}
    for r in counted:
        by_domain.setdefault(r.domain_code, []).append(r)
    domains = tuple(
        DomainResult(code, rs[0].domain_name, sum(1 for r in rs if r.correct), len(rs))
        for code, rs in sorted(by_domain.items(), key=lambda kv: kv[1][0].domain_name)
    )
    return ScoreResult(raw, total, percent, passed, domains)
