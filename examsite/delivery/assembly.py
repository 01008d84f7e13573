"""Assembling an exam form from a blueprint: plain data in, plain data out.

A *unit* is what a form takes whole: a stand-alone item, or all items of a scenario set (which
share one domain). For each domain the form takes units whose sizes add up exactly to the domain's
quota, preferring units the trainee has not seen; then units are shuffled together, pretest items
are slipped in at random places, and each item's options are shuffled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Unit:
    """Item version ids in the order they are shown; `item_ids` are the stable item identities."""

    domain: str
    version_ids: tuple[int, ...]
    item_ids: tuple[int, ...]
    scenario: str | None = None

    @property
    def size(self) -> int:
        return len(self.version_ids)


@dataclass(frozen=True)
class FormItem:
    version_id: int
    is_pretest: bool


@dataclass
class Pool:
    units_by_domain: dict[str, list[Unit]]
    pretest_units: list[Unit] = field(default_factory=list)


class AssemblyError(ValueError):
    pass


def apportion(quotas: dict[str, int], total: int) -> dict[str, int]:
    """Scale domain quotas to a different form length (largest remainder, sums to `total`)."""
    base = sum(quotas.values())
    if base == total or base == 0:
        return dict(quotas)
    exact = {d: n * total / base for d, n in quotas.items()}
    floors = {d: int(v) for d, v in exact.items()}
    left = total - sum(floors.values())
    order = sorted(quotas, key=lambda d: (exact[d] - floors[d], quotas[d]), reverse=True)
    for d in order[:left]:
        floors[d] += 1
    return floors


def choose_sizes(sizes: list[int], need: int) -> list[int] | None:
    """Indexes of units whose sizes sum exactly to `need`, trying them in the given order first.

    Greedy in preference order, which succeeds whenever enough stand-alone items remain; a
    subset-sum search over the remaining units otherwise. None when no exact fill exists.
    """
    chosen, remaining = [], need
    for i, size in enumerate(sizes):
        if size <= remaining:
            chosen.append(i)
            remaining -= size
        if remaining == 0:
            return chosen
    # Exact fill by dynamic programming: reachable[s] = index list reaching sum s.
    reachable: dict[int, list[int]] = {0: []}
    for i, size in enumerate(sizes):
        for total, picks in list(reachable.items()):
            new = total + size
            if new <= need and new not in reachable:
                reachable[new] = picks + [i]
        if need in reachable:
            return reachable[need]
    return None


def can_fill(sizes: list[int], need: int) -> bool:
    return need == 0 or choose_sizes(sorted(sizes), need) is not None


def assemble(
    pool: Pool, quotas: dict[str, int], pretest_count: int, seen_item_ids: set[int], rng: random.Random
) -> list[FormItem]:
    """Pick units per domain to meet `quotas` exactly, then order the whole form at random."""
    picked: list[Unit] = []
    for domain, need in quotas.items():
        if need == 0:
            continue
        units = list(pool.units_by_domain.get(domain, []))
        rng.shuffle(units)
        # Unseen first; among seen, the ones with the fewest seen items first.
        units.sort(key=lambda u: sum(1 for i in u.item_ids if i in seen_item_ids))
        picks = choose_sizes([u.size for u in units], need)
        if picks is None:
            raise AssemblyError(f"domain {domain!r} needs {need} items but its eligible pool cannot fill it")
        picked.extend(units[i] for i in picks)
    rng.shuffle(picked)
    chosen_ids = {i for unit in picked for i in unit.item_ids}
    pretest = [u for u in pool.pretest_units if not (set(u.item_ids) & chosen_ids)]
    rng.shuffle(pretest)
    pretest.sort(key=lambda u: sum(1 for i in u.item_ids if i in seen_item_ids))
    sequence: list[tuple[Unit, bool]] = [(u, False) for u in picked]
    count = 0
    for unit in pretest:
        if count + unit.size > pretest_count:
            continue
        # Between units, never inside a scenario set, anywhere in the form.
        sequence.insert(rng.randint(0, len(sequence)), (unit, True))
        count += unit.size
    return [FormItem(v, is_pretest) for unit, is_pretest in sequence for v in unit.version_ids]


def shuffle_options(option_ids: list[str], rng: random.Random) -> list[str]:
    order = list(option_ids)
    rng.shuffle(order)
    return order
