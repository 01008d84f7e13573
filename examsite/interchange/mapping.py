"""Parsed questions to examsite drafts: what maps cleanly, what needs a choice, what is already there.

Plain data in, plain data out (no database here): the caller passes the category's domains and the
stems already in its bank.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from examsite.banks.lint import normalize_stem
from examsite.banks.loader import BANK_PREFIX, Problem
from examsite.banks.models import LEVELS
from examsite.interchange.model import ParsedItem, ParseResult, Skipped


@dataclass
class PlannedItem:
    parsed: ParsedItem
    external_id: str
    domain: str | None
    level: str
    #: what the instructor must decide or check (shown in the preview; blocking ones are problems)
    choices: list[str] = field(default_factory=list)
    #: set when the same question is already in the bank (the import leaves it alone)
    duplicate_of: str | None = None

    @property
    def notes(self) -> list[str]:
        return self.parsed.notes


@dataclass
class ImportPlan:
    category: str
    items: list[PlannedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def new_items(self) -> list[PlannedItem]:
        return [i for i in self.items if i.duplicate_of is None]

    def describe(self) -> str:
        new = len(self.new_items)
        return (
            f"{new} new draft(s), {len(self.items) - new} already in the bank, "
            f"{len(self.skipped)} skipped (cannot come in), {len(self.errors)} error(s)"
        )


def content_id(category: str, item: ParsedItem) -> str:
    """The same question imported twice gets the same id, so a second import adds nothing."""
    canonical = json.dumps(
        [category, normalize_stem(item.stem), [normalize_stem(t) for _, t in item.options], sorted(item.keys)]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8].upper()
    return f"{BANK_PREFIX.get(category, 'IMP')}-X{digest}"


def plan_import(
    parsed: ParseResult,
    category: str,
    domains: dict[str, str],
    existing: dict[str, str],
    default_domain: str | None = None,
    default_level: str | None = None,
) -> ImportPlan:
    """`domains`: code -> bank of every domain; `existing`: normalized stem or external id -> external id."""
    plan = ImportPlan(category, skipped=list(parsed.skipped), problems=list(parsed.problems))
    if default_domain and domains.get(default_domain) != category:
        plan.problems.append(Problem("--domain", 1, _domain_message(default_domain, category, domains)))
    if default_level and default_level not in LEVELS:
        plan.problems.append(
            Problem("--level", 1, f"level {default_level!r} is not one of {', '.join(LEVELS)}")
        )
    seen: dict[str, str] = {}
    for item in parsed.items:
        external_id = content_id(category, item)
        stem_key = normalize_stem(item.stem)
        planned = PlannedItem(
            item, external_id, item.domain or default_domain, item.level or default_level or "recall"
        )
        planned.duplicate_of = existing.get(external_id) or existing.get(stem_key) or seen.get(stem_key)
        seen.setdefault(stem_key, external_id)
        _check(planned, category, domains, plan)
        plan.items.append(planned)
    return plan


def _domain_message(code: str, category: str, domains: dict[str, str]) -> str:
    if code not in domains:
        return (
            f"domain {code!r} does not exist; domains of {category}: {', '.join(_codes(category, domains))}"
        )
    return f"domain {code!r} belongs to the {domains[code]} bank, not {category}"


def _codes(category: str, domains: dict[str, str]) -> list[str]:
    return sorted(code for code, bank in domains.items() if bank == category)


def _check(planned: PlannedItem, category: str, domains: dict[str, str], plan: ImportPlan) -> None:
    item = planned.parsed
    error = lambda message: plan.problems.append(Problem(item.file, item.line, message))  # noqa: E731
    if planned.duplicate_of:
        return
    if planned.domain is None:
        error(
            "needs a choice: no domain in the file; choose one (--domain CODE, or Domain on the import page)"
        )
    elif domains.get(planned.domain) != category:
        error(_domain_message(planned.domain, category, domains))
    if planned.level not in LEVELS:
        error(f"level {planned.level!r} is not one of {', '.join(LEVELS)}")
    if not item.level:
        planned.choices.append(f"level not given: set to {planned.level}; check it in review")
    if item.type == "single" and len(item.options) != 4:
        planned.choices.append(f"examsite's single items have 4 options; this one has {len(item.options)}")
    if item.type == "multiple" and not 2 <= len(item.keys) <= 3:
        planned.choices.append(
            f"examsite's multiple-response items have 2 or 3 keys; this one has {len(item.keys)}"
        )
    if not item.rationale:
        planned.choices.append("no rationale (feedback) in the file: write one before review")
    if item.status == "pretest":
        planned.choices.append("marked unscored (pretest) in the file: approve it as pretest")
    if item.tags:
        item.notes.append(f"tags kept: {', '.join(item.tags)}")
