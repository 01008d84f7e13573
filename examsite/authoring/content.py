"""An item as authors write it: checking the shape of what they send (422), the item-writing
lint with the same rules and messages as `flask banks lint`, and a version's canonical hash.

Plain data in, plain data out: the database is read only for the domain list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from examsite.authoring.access import AuthoringError
from examsite.banks.lint import lint_tree, normalize_stem
from examsite.banks.loader import CATEGORY_ROLES, CORE, BankTree, DomainSpec, ItemSpec
from examsite.banks.models import Domain, ItemVersion
from examsite.banks.yamlfile import LineDict
from examsite.catalog.data import ROLE_SLUGS
from examsite.extensions import db

TYPES = ("single", "multiple")
LEVELS = ("recall", "application", "analysis")
OPTION_IDS = "abcdef"
MAX_STEM, MAX_OPTION, MAX_RATIONALE, MAX_TAGS, MAX_TAG = 3000, 600, 3000, 10, 40
#: as the bank files allow (question_banks/schema/items.schema.json), so web tags export cleanly
_TAG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
#: each field of the editor gets its own "line", so a lint message finds its field
FIELD_LINES = {
    "id": 1,
    "type": 2,
    "domain": 3,
    "level": 4,
    "components": 5,
    "status": 6,
    "author": 7,
    "roles": 8,
    "stem": 9,
    "options": 10,
    "key": 11,
    "rationale": 12,
}
_LINE_FIELDS = {line: name for name, line in FIELD_LINES.items()}


@dataclass
class Draft:
    """What an author wrote, checked for shape (not yet linted)."""

    bank: str
    domain: str
    type: str
    level: str
    stem: str
    options: list[tuple[str, str]]
    keys: list[str]
    rationale: str
    tags: list[str] = field(default_factory=list)
    components: list[int] = field(default_factory=list)
    #: the scenario set the item belongs to: (id, title, case), edited on the set's page
    scenario: tuple[str, str, str] | None = None

    def authored(self) -> dict:
        """The fields an author edits, for comparing two saves and showing a conflict."""
        return {
            "scenario": list(self.scenario) if self.scenario else None,
            "domain": self.domain,
            "type": self.type,
            "level": self.level,
            "stem": self.stem,
            "options": [{"id": o, "text": t} for o, t in self.options],
            "key": sorted(self.keys),
            "rationale": self.rationale,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class LintProblem:
    field: str
    message: str
    severity: str = "error"

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "severity": self.severity}


def domain_specs() -> dict[str, DomainSpec]:
    rows = db.session.execute(
        select(Domain.code, Domain.name, Domain.components, Domain.bank, Domain.position)
    )
    return {c: DomainSpec(c, n, list(comp or []), b, "", 0, p) for c, n, comp, b, p in rows}


def parse_item(data: dict, bank: str, domains: dict[str, DomainSpec]) -> Draft:
    """Check the shape of an item sent by an author; 422 with the first field's message."""

    def fail(name: str, message: str):
        raise AuthoringError(422, "invalid", message, field=name)

    def text(name: str, limit: int, required: bool = True) -> str:
        value = data.get(name, "")
        if not isinstance(value, str):
            fail(name, f"{name} must be text.")
        value = value.strip()
        if required and not value:
            fail(name, f"{name} is required.")
        if len(value) > limit:
            fail(name, f"{name} is {len(value)} characters long; the limit is {limit}.")
        return value

    code = data.get("domain")
    spec = domains.get(code) if isinstance(code, str) else None
    if spec is None or spec.bank != bank:
        fail("domain", f"unknown domain {code!r} in the {bank} bank")
    kind = data.get("type")
    if kind not in TYPES:
        fail("type", 'type must be "single" or "multiple".')
    level = data.get("level")
    if level not in LEVELS:
        fail("level", "level must be one of: " + ", ".join(LEVELS) + ".")
    stem = text("stem", MAX_STEM)
    options = data.get("options")
    if not isinstance(options, list) or not 2 <= len(options) <= 6:
        fail("options", "options must be a list of 2 to 6 {id, text} objects.")
    parsed: list[tuple[str, str]] = []
    for entry in options:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            fail("options", "each option is an object with an id and a text.")
        oid, body = entry["id"], entry.get("text")
        if oid not in OPTION_IDS or any(oid == o for o, _ in parsed):
            fail("options", f"option id {oid!r} must be a distinct letter from a to f.")
        if not isinstance(body, str) or not body.strip():
            fail("options", f"option {oid} needs a text.")
        if len(body) > MAX_OPTION:
            fail("options", f"option {oid} is longer than {MAX_OPTION} characters.")
        parsed.append((oid, body.strip()))
    seen: dict[str, str] = {}
    for oid, body in parsed:
        other = seen.setdefault(normalize_stem(body), oid)
        if other != oid:
            fail("options", f"options {other} and {oid} say the same thing.")
    keys = data.get("key")
    if isinstance(keys, str):
        keys = [keys]
    ids = [o for o, _ in parsed]
    if (
        not isinstance(keys, list)
        or not keys
        or len(set(map(str, keys))) != len(keys)
        or not all(k in ids for k in keys)
    ):
        fail("key", f"key must name one or more of the options {', '.join(ids)}.")
    rationale = text("rationale", MAX_RATIONALE, required=False)
    tags = data.get("tags", [])
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        fail("tags", f"tags must be a list of at most {MAX_TAGS} labels.")
    clean_tags: list[str] = []
    for tag in tags:
        label = tag.strip().lower() if isinstance(tag, str) else ""
        if not label or len(label) > MAX_TAG or not _TAG.match(label):
            fail(
                "tags",
                f"tag {tag!r}: lower-case letters, digits, '-', '_' or '.', up to {MAX_TAG}, no spaces.",
            )
        if label not in clean_tags:
            clean_tags.append(label)
    components = data.get("components") or list(spec.components)
    if not isinstance(components, list) or not all(isinstance(c, int) for c in components):
        fail("components", "components must be a list of curriculum component numbers.")
    return Draft(bank, code, kind, level, stem, parsed, sorted(keys), rationale, clean_tags, components)


def draft_of(version: ItemVersion, bank: str) -> Draft:
    return Draft(
        bank=bank,
        domain=version.domain.code,
        type=version.type,
        level=version.level,
        stem=version.stem,
        options=[(o["id"], o["text"]) for o in version.options],
        keys=sorted(version.keys),
        rationale=version.rationale,
        tags=list(version.tags or []),
        components=list(version.components or []),
        scenario=scenario_of(version),
    )


def scenario_of(version: ItemVersion) -> tuple[str, str, str] | None:
    if not version.scenario_id:
        return None
    return (version.scenario_id, version.scenario_title or "", version.scenario_text or "")


def item_spec(
    draft: Draft, external_id: str, status: str = "draft", author: str = "", reviewer: str = ""
) -> ItemSpec:
    """The item as the bank files would hold it, so lint and the content hash are the files'."""
    lines = LineDict()
    lines.line, lines.key_lines = 0, dict(FIELD_LINES)
    roles = ROLE_SLUGS if draft.bank == CORE else CATEGORY_ROLES[draft.bank]
    return ItemSpec(
        external_id=external_id,
        bank=draft.bank,
        type=draft.type,
        domain=draft.domain,
        level=draft.level,
        components=list(draft.components),
        status=status,
        author=author,
        reviewer=reviewer,
        roles=list(roles),
        stem=draft.stem,
        options=list(draft.options),
        keys=list(draft.keys),
        rationale=draft.rationale,
        references=[],
        scenario_id=draft.scenario[0] if draft.scenario else None,
        scenario_title=draft.scenario[1] if draft.scenario else None,
        scenario_text=draft.scenario[2] if draft.scenario else None,
        file="(workspace)",
        line=0,
        lines=lines,
        tags=list(draft.tags),
    )


def lint_draft(draft: Draft, external_id: str, domains: dict[str, DomainSpec]) -> list[LintProblem]:
    """The item-writing rules of `flask banks lint` on one item, each message with its field."""
    tree = BankTree(root=Path("."), domains=domains)
    tree.items.append(item_spec(draft, external_id))
    prefix = f"{external_id}: "
    return [
        LintProblem(_LINE_FIELDS.get(p.line, "item"), p.message, p.severity)
        for p in lint_tree(tree)
        if p.message.startswith(prefix)
    ]
