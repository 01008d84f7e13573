"""A readable difference between two versions of an item: per field, words removed and added."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from examsite.banks.models import ItemVersion

FIELDS = (
    ("status", "Status"),
    ("domain", "Domain"),
    ("type", "Type"),
    ("level", "Cognitive level"),
    ("stem", "Stem"),
    ("options", "Options"),
    ("key", "Key"),
    ("rationale", "Rationale"),
    ("tags", "Tags"),
    ("scenario", "Scenario (case)"),
)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    #: (kind, text) with kind "same", "removed" or "added"
    segments: tuple[tuple[str, str], ...]


def as_text(version: ItemVersion) -> dict[str, str]:
    return {
        "status": version.status,
        "domain": version.domain.code,
        "type": version.type,
        "level": version.level,
        "stem": version.stem,
        "options": "\n".join(f"{o['id']}) {o['text']}" for o in version.options),
        "key": ", ".join(sorted(version.keys)),
        "rationale": version.rationale,
        "tags": ", ".join(version.tags or []),
        "scenario": (
            f"{version.scenario_id}: {version.scenario_title}\n{version.scenario_text}"
            if version.scenario_id
            else ""
        ),
    }


def word_diff(before: str, after: str) -> tuple[tuple[str, str], ...]:
    old, new = before.split(" "), after.split(" ")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(old[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(new[j1:j2])))
    return tuple(out)


def diff_versions(before: ItemVersion, after: ItemVersion) -> list[FieldChange]:
    """The fields that differ, each as a word-level diff."""
    a, b = as_text(before), as_text(after)
    return [
        FieldChange(name, label, word_diff(a[name], b[name])) for name, label in FIELDS if a[name] != b[name]
    ]
