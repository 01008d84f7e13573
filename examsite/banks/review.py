"""Blind review: a keyless answer sheet for a reviewer, and a check of their answers against the keys.

Every item is answered by a reviewer who does not see the key; where the reviewer's answer differs,
the item is fixed or dropped, and the reviewer is recorded in the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from examsite.banks.loader import BankTree, ItemSpec


def review_sheet(tree: BankTree, banks: set[str] | None = None, domains: set[str] | None = None) -> str:
    """Markdown with every selected item's case, stem and options, and no key or rationale."""
    out = [
        "# Blind review sheet",
        "",
        "Answer each item with the option letter(s) you judge correct, in a YAML file:",
        "`ITEM-ID: [letter, ...]`. Add `ITEM-ID-note: text` where an item is flawed.",
        "",
    ]
    seen_cases: set[str] = set()
    for item in _selected(tree, banks, domains):
        if item.scenario_id and item.scenario_id not in seen_cases:
            seen_cases.add(item.scenario_id)
            out += [f"## Case {item.scenario_id}: {item.scenario_title}", "", item.scenario_text or "", ""]
        head = f"### {item.external_id}"
        if item.scenario_id:
            head += f" (case {item.scenario_id})"
        out += [head, "", item.stem, ""]
        out += [f"- {oid}) {text}" for oid, text in item.options]
        out.append("")
    return "\n".join(out)


def _selected(tree: BankTree, banks, domains) -> list[ItemSpec]:
    return [
        i
        for i in tree.items
        if i.status in ("active", "pretest")
        and (banks is None or i.bank in banks)
        and (domains is None or i.domain in domains)
    ]


@dataclass
class Disagreement:
    item: ItemSpec
    answered: list[str]

    def __str__(self) -> str:
        return (
            f"{self.item.file}:{self.item.line}: {self.item.external_id}: reviewer chose "
            f"{','.join(self.answered) or '(nothing)'}, key is {','.join(self.item.keys)}"
        )


def check_answers(tree: BankTree, answers_path: Path) -> tuple[list[ItemSpec], list[Disagreement], list[str]]:
    """(agreed items, disagreements, item ids the reviewer did not answer)."""
    answers = yaml.safe_load(answers_path.read_text()) or {}
    by_id = {i.external_id: i for i in tree.items}
    agreed, disagreements = [], []
    for item_id, value in answers.items():
        if str(item_id).endswith("-note") or item_id not in by_id:
            continue
        chosen = sorted(str(v).strip().lower() for v in (value if isinstance(value, list) else [value]))
        item = by_id[item_id]
        if chosen == sorted(item.keys):
            agreed.append(item)
        else:
            disagreements.append(Disagreement(item, chosen))
    answered = set(answers)
    missing = [i.external_id for i in _selected(tree, None, None) if i.external_id not in answered]
    return agreed, disagreements, missing
