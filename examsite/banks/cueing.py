"""Pairs of items that cue each other within a role's pool, found by text similarity.

Two items on one fact let a candidate answer the second from the first, and a stem that holds
another item's key gives that key away. Neither can be proved by text alone, so the lint reports
them as warnings for a reviewer to read, never as errors.

Similarity is the overlap coefficient of word bigrams after dropping short and function words:
|A ∩ B| / min(|A|, |B|). Bigrams keep "DHCP server" apart from "server DHCP" noise, and the
overlap coefficient catches a short stem that is contained in a long vignette.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Stems at or above this share of bigrams are reported as near-duplicates.
STEM_SIMILARITY = 0.5
#: A key whose bigrams appear at or above this share in another stem is reported as a cue.
KEY_IN_STEM = 0.6
#: Texts with fewer bigrams than these are too short to compare meaningfully.
MIN_STEM_BIGRAMS = 6
MIN_KEY_BIGRAMS = 3

_FUNCTION_WORDS = frozenset(
    """a an the of to in on for and or is are be by with that this what which who whom should most
    first best does do it its as at from their they his her she he was were has have had will can
    not when how why into than then there these those any all each""".split()  # noqa: SIM905
)


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    words = [
        w for w in re.sub(r"[^a-z0-9]+", " ", text.lower()).split() if len(w) > 2 and w not in _FUNCTION_WORDS
    ]
    return frozenset(zip(words, words[1:], strict=False))


def overlap(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True)
class Comparable:
    """What the check needs of an item: an id, the pools it is in, its stem and its keys' texts."""

    id: str
    pools: frozenset[str]
    stem: str
    keys: tuple[str, ...]
    scenario: str | None = None


@dataclass(frozen=True)
class Cue:
    kind: str  # "near_duplicate" or "key_in_stem"
    first: str
    second: str
    score: float

    def message(self) -> str:
        if self.kind == "near_duplicate":
            return (
                f"stem of {self.first} is close to {self.second}'s ({self.score:.0%} shared wording): "
                "two items on one fact cue each other; rewrite or retire one"
            )
        return (
            f"the key of {self.first} is worded in {self.second}'s stem ({self.score:.0%}): "
            "a candidate who sees both is given the answer"
        )


def find_cues(items: Sequence[Comparable]) -> list[Cue]:
    """Near-duplicate stems and keys given away by another stem, among items sharing a pool.

    Items of one scenario set share their vignette on purpose and are not compared with each other.
    """
    stems = {item.id: bigrams(item.stem) for item in items}
    keys = {item.id: [bigrams(k) for k in item.keys] for item in items}
    cues: list[Cue] = []
    for a, b in itertools.combinations(items, 2):
        if not (a.pools & b.pools) or (a.scenario and a.scenario == b.scenario):
            continue
        sa, sb = stems[a.id], stems[b.id]
        if min(len(sa), len(sb)) >= MIN_STEM_BIGRAMS:
            score = overlap(sa, sb)
            if score >= STEM_SIMILARITY:
                cues.append(Cue("near_duplicate", a.id, b.id, score))
        cues.extend(_key_cues(a, keys[a.id], b, sb))
        cues.extend(_key_cues(b, keys[b.id], a, sa))
    return cues


def _key_cues(
    item: Comparable, key_bigrams: Iterable[frozenset], other: Comparable, other_stem: frozenset
) -> list[Cue]:
    found = []
    for kb in key_bigrams:
        if len(kb) >= MIN_KEY_BIGRAMS:
            share = len(kb & other_stem) / len(kb)
            if share >= KEY_IN_STEM:
                found.append(Cue("key_in_stem", item.id, other.id, share))
    return found
