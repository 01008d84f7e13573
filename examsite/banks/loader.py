"""Read a question-bank tree into plain data, validating each file against its JSON Schema.

No database and no Flask here: `load_tree(root)` returns what the files say plus the problems
found, each with file and line. The lint rules (lint.py) and the importer build on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from examsite.banks.yamlfile import LineDict, YamlError, line_for_path, load_yaml
from examsite.catalog.data import CATEGORIES, ROLE_SLUGS

CORE = "core"
BANK_PREFIX = {
    "core": "CORE",
    "mobile-adoption-support": "MAS",
    "permanent-staff": "PSS",
    "informaticians": "INF",
}
CATEGORY_ROLES = {c["slug"]: [r["slug"] for r in c["roles"]] for c in CATEGORIES}
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "question_banks" / "schema"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass
class DomainSpec:
    code: str
    name: str
    components: list[int]
    bank: str
    file: str
    line: int
    position: int


@dataclass
class ItemSpec:
    external_id: str
    bank: str
    type: str
    domain: str
    level: str
    components: list[int]
    status: str
    author: str
    reviewer: str
    roles: list[str]
    stem: str
    options: list[tuple[str, str]]
    keys: list[str]
    rationale: str
    references: list[str]
    scenario_id: str | None
    scenario_title: str | None
    scenario_text: str | None
    file: str
    line: int
    lines: LineDict = field(repr=False, compare=False)
    roles_given: bool = False
    #: labels for finding items (e.g. `ai` for AI and automation competencies)
    tags: list[str] = field(default_factory=list)

    def content(self) -> dict:
        """Everything that defines this version of the item, in a canonical form."""
        return {
            "type": self.type,
            "domain": self.domain,
            "level": self.level,
            "components": sorted(self.components),
            "status": self.status,
            "author": self.author,
            "reviewer": self.reviewer,
            "roles": sorted(self.roles),
            "stem": self.stem,
            "options": [list(o) for o in self.options],
            "keys": sorted(self.keys),
            "rationale": self.rationale,
            "references": self.references,
            "scenario": [self.scenario_id, self.scenario_title, self.scenario_text],
            # Only when present, so adding tags to the format left every untagged item's hash
            # (and so its version) as it was.
            **({"tags": sorted(self.tags)} if self.tags else {}),
        }

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.content(), sort_keys=True).encode()).hexdigest()

    def line_of(self, key: str) -> int:
        return self.lines.line_of(key)


@dataclass
class BlueprintSpec:
    role: str
    bank: str
    form_items: int
    pretest_items: int
    minutes: int
    passing_percent: Decimal
    domains: list[tuple[str, int]]
    note: str
    file: str
    line: int
    lines: LineDict = field(repr=False, compare=False)

    def content_hash(self) -> str:
        data = [
            self.role,
            self.form_items,
            self.pretest_items,
            self.minutes,
            str(self.passing_percent),
            self.domains,
            self.note,
        ]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


@dataclass
class BankTree:
    root: Path
    banks: list[str] = field(default_factory=list)
    domains: dict[str, DomainSpec] = field(default_factory=dict)
    items: list[ItemSpec] = field(default_factory=list)
    blueprints: dict[str, BlueprintSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def error(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, "error"))

    def warn(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, "warning"))


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def display_path(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _read(tree: BankTree, path: Path, schema: str) -> LineDict | None:
    shown = display_path(path)
    try:
        document = load_yaml(path)
    except YamlError as exc:
        tree.error(shown, exc.line, exc.message)
        return None
    if not isinstance(document, LineDict):
        tree.error(shown, 1, "the file must hold a mapping (see question_banks/README.md)")
        return None
    errors = sorted(_validator(schema).iter_errors(document), key=lambda e: list(map(str, e.path)))
    for err in errors:
        where = "/".join(str(p) for p in err.path) or "(top)"
        tree.error(shown, line_for_path(document, list(err.path)), f"schema: {where}: {err.message}")
    return None if errors else document


def bank_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "domains.yaml").exists())


def load_tree(root: Path) -> BankTree:
    """Read every bank under `root` (folders holding a domains.yaml)."""
    root = Path(root)
    tree = BankTree(root=root)
    if not root.is_dir():
        tree.error(display_path(root), 1, "not a folder of question banks")
        return tree
    dirs = bank_dirs(root)
    if not dirs:
        tree.error(display_path(root), 1, "no bank folders (folders with a domains.yaml) here")
    for bank_dir in dirs:
        bank = bank_dir.name
        if bank != CORE and bank not in CATEGORY_ROLES:
            tree.error(
                display_path(bank_dir / "domains.yaml"),
                1,
                f"unknown bank folder {bank!r}: use 'core' or a category slug",
            )
            continue
        tree.banks.append(bank)
        _load_domains(tree, bank, bank_dir / "domains.yaml")
    for bank_dir in dirs:
        if bank_dir.name not in tree.banks:
            continue
        for path in sorted((bank_dir / "items").glob("*.yaml")) if (bank_dir / "items").is_dir() else []:
            _load_items(tree, bank_dir.name, path)
        blueprint_dir = bank_dir / "blueprints"
        if blueprint_dir.is_dir():
            for path in sorted(blueprint_dir.glob("*.yaml")):
                _load_blueprint(tree, bank_dir.name, path)
    return tree


def _load_domains(tree: BankTree, bank: str, path: Path) -> None:
    document = _read(tree, path, "domains.schema.json")
    if document is None:
        return
    shown = display_path(path)
    for position, entry in enumerate(document["domains"]):
        code = entry["code"]
        if code in tree.domains:
            tree.error(
                shown,
                entry.line,
                f"domain {code!r} is already defined in {tree.domains[code].file}:{tree.domains[code].line}",
            )
            continue
        tree.domains[code] = DomainSpec(
            code, entry["name"], list(entry["components"]), bank, shown, entry.line, position
        )


def _load_items(tree: BankTree, bank: str, path: Path) -> None:
    document = _read(tree, path, "items.schema.json")
    if document is None:
        return
    shown = display_path(path)
    for entry in document.get("items") or []:
        tree.items.append(_item(bank, entry, shown, None))
    for scenario in document.get("scenarios") or []:
        for entry in scenario["items"]:
            tree.items.append(_item(bank, entry, shown, scenario))


def _item(bank: str, entry: LineDict, shown: str, scenario: LineDict | None) -> ItemSpec:
    key = entry["key"]
    roles_given = "roles" in entry
    default_roles = ROLE_SLUGS if bank == CORE else CATEGORY_ROLES[bank]
    return ItemSpec(
        external_id=entry["id"],
        bank=bank,
        type=entry["type"],
        domain=entry["domain"],
        level=entry["level"],
        components=list(entry["components"]),
        status=entry["status"],
        author=entry["author"].strip(),
        reviewer=(entry.get("reviewer") or "").strip(),
        roles=list(entry["roles"]) if roles_given else list(default_roles),
        stem=entry["stem"].strip(),
        options=[(k, str(v).strip()) for k, v in entry["options"].items()],
        keys=[key] if isinstance(key, str) else list(key),
        rationale=entry["rationale"].strip(),
        references=list(entry.get("references") or []),
        scenario_id=scenario["id"] if scenario else None,
        scenario_title=scenario["title"].strip() if scenario else None,
        scenario_text=scenario["case"].strip() if scenario else None,
        file=shown,
        line=entry.line,
        lines=entry,
        roles_given=roles_given,
        tags=list(entry.get("tags") or []),
    )


def _load_blueprint(tree: BankTree, bank: str, path: Path) -> None:
    document = _read(tree, path, "blueprint.schema.json")
    if document is None:
        return
    shown = display_path(path)
    role = document["role"]
    if bank == CORE:
        tree.error(shown, document.line, "blueprints belong in a category folder, not in core")
        return
    if role not in ROLE_SLUGS:
        tree.error(shown, document.line_of("role"), f"unknown role {role!r}")
        return
    if role not in CATEGORY_ROLES[bank]:
        tree.error(shown, document.line_of("role"), f"role {role!r} is not in category {bank!r}")
        return
    if path.stem != role:
        tree.error(shown, document.line_of("role"), f"the file must be named {role}.yaml")
    if role in tree.blueprints:
        tree.error(shown, document.line, f"a second blueprint for {role!r}")
        return
    tree.blueprints[role] = BlueprintSpec(
        role=role,
        bank=bank,
        form_items=document["form_items"],
        pretest_items=document["pretest_items"],
        minutes=document["minutes"],
        passing_percent=Decimal(str(document["passing_percent"])),
        domains=list(document["domains"].items()),
        note=" ".join(document["note"].split()),
        file=shown,
        line=document.line,
        lines=document,
    )
