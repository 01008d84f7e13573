"""Import bank files: validate everything, plan the changes, apply them in one transaction.

Unchanged items stay as they are; a changed item gets a new version (old versions are kept for
the attempts that showed them); an item gone from the files is retired, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import func, select

from examsite.audit.services import record
from examsite.banks.lint import lint_tree
from examsite.banks.loader import BankTree, ItemSpec, Problem, bank_dirs, load_tree
from examsite.banks.models import Blueprint, BlueprintDomain, Domain, Item, ItemVersion
from examsite.catalog.models import Role
from examsite.catalog.services import ensure_catalog
from examsite.database import unit_of_work
from examsite.extensions import db
from examsite.timeutil import utcnow


class BankImportError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} error(s) in the bank files; nothing was imported")
        self.problems = problems


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0
    blueprints_changed: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: items edited in the workspace whose file version was skipped (--ours)
    kept_web_edits: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"banks: {len(self.added)} added, {len(self.new_versions)} new versions, "
            f"{len(self.retired)} retired, {self.unchanged} unchanged; "
            f"{len(self.blueprints_changed)} blueprints updated"
            + (
                f"; kept the workspace's edits of {', '.join(self.kept_web_edits)}"
                if self.kept_web_edits
                else ""
            )
        )


def resolve_roots(paths: list[str | Path]) -> tuple[Path, set[str] | None]:
    """One bank root, and which of its banks to import (None: all). Accepts a root or bank folders."""
    resolved = [Path(p).resolve() for p in paths]
    roots, selected = set(), set()
    for path in resolved:
        if (path / "domains.yaml").exists():
            roots.add(path.parent)
            selected.add(path.name)
        else:
            roots.add(path)
    if len(roots) != 1:
        raise click.UsageError("give one folder of question banks (or bank folders inside one)")
    root = roots.pop()
    return root, (selected or None)


def load_and_check(paths: list[str | Path]) -> tuple[BankTree, set[str] | None, list[Problem]]:
    root, selected = resolve_roots(paths)
    tree = load_tree(root)
    problems = lint_tree(tree)
    if selected is not None:
        chosen = {str(p) for b in bank_dirs(root) if b.name in selected for p in [b]}
        problems = [
            p
            for p in problems
            if any(Path(p.file).resolve().is_relative_to(c) for c in chosen) or p.severity == "error"
        ]
    return tree, selected, problems


#: how an import settles items edited in the workspace since they came from the files
ON_CONFLICT = ("refuse", "theirs", "ours")


def import_banks(
    paths: list[str | Path], progress: bool = False, on_conflict: str = "refuse"
) -> ImportSummary:
    """Validate all files, then write every change in one transaction (or raise, writing nothing).

    An item edited in the web (a version saved in the workspace after the files' last version)
    whose file now says something else is a conflict: by default nothing is imported and each
    conflict is reported; `theirs` lets the files win (a new version from the file), `ours`
    keeps the web's edit (the file's version of that item is skipped).
    """
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {ON_CONFLICT}")
    tree, selected, problems = load_and_check(paths)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise BankImportError(errors)
    banks = set(tree.banks) if selected is None else selected
    summary = ImportSummary(warnings=[p for p in problems if p.severity == "warning"])
    # Parsed and checked above (CPU work, no lock held); written below as one unit of work.
    with unit_of_work():
        ensure_catalog()
        roles = {r.slug: r for r in db.session.scalars(select(Role))}
        domains = _apply_domains(tree)
        items = [i for i in tree.items if i.bank in banks]
        existing = {i.external_id: i for i in db.session.scalars(select(Item).where(Item.bank.in_(banks)))}
        conflicts = [spec for spec in items if _edited_in_web(existing.get(spec.external_id), spec)]
        if conflicts and on_conflict == "refuse":
            raise BankImportError([_conflict_problem(spec, existing[spec.external_id]) for spec in conflicts])
        if on_conflict == "ours":
            skipped = {spec.external_id for spec in conflicts}
            summary.kept_web_edits = sorted(skipped)
            items_to_apply = [spec for spec in items if spec.external_id not in skipped]
        else:
            items_to_apply = items
        iterator = items_to_apply
        bar = None
        if progress:
            bar = click.progressbar(items_to_apply, label="Importing items", show_pos=True, width=30)
            iterator = bar.__enter__()
        try:
            for spec in iterator:
                _apply_item(spec, existing.get(spec.external_id), domains, roles, summary)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        in_files = {i.external_id for i in items}
        now = utcnow()
        for external_id, item in existing.items():
            if not _from_files(item):
                continue  # imported from another system or written in the workspace, not in the files
            if external_id not in in_files and item.retired_at is None:
                item.retired_at = now
                summary.retired.append(external_id)
        for role_slug, spec in tree.blueprints.items():
            if spec.bank in banks:
                _apply_blueprint(spec, roles[role_slug], domains, summary)
        if summary.added or summary.new_versions or summary.retired or summary.blueprints_changed:
            record(
                "banks.import",
                object_type="Bank",
                object_id=",".join(sorted(banks)),
                added=len(summary.added),
                new_versions=len(summary.new_versions),
                retired=len(summary.retired),
                blueprints=summary.blueprints_changed,
            )
    return summary


def _edited_in_web(item: Item | None, spec: ItemSpec) -> bool:
    """True when importing `spec` would replace the serving version, and the item has a version
    written in the workspace (no source file) newer than its last version from the files whose
    content the file does not already hold."""
    if item is None:
        return False
    if item.current_version is not None and item.current_version.content_hash == spec.content_hash:
        return False  # the import leaves this item as it is (a pending web draft stays a draft)
    web = [v for v in (item.latest_version, item.current_version) if v is not None and not v.source_file]
    if not web:
        return False
    latest_web = max(web, key=lambda v: v.version)
    if latest_web.content_hash == spec.content_hash:
        return False  # the file already says what the web says (an export of the web's edit)
    from_files = db.session.scalar(
        select(func.max(ItemVersion.version)).where(
            ItemVersion.item_id == item.id, ItemVersion.source_file != ""
        )
    )
    return from_files is None or latest_web.version > from_files


def _conflict_problem(spec: ItemSpec, item: Item) -> Problem:
    version = max(
        (v for v in (item.latest_version, item.current_version) if v is not None), key=lambda v: v.version
    )
    return Problem(
        spec.file,
        spec.line,
        f"{spec.external_id}: edited in the workspace since it was imported (version {version.version}, "
        f"{version.status}); the file differs. Export the web's version with `flask banks export "
        "--format native`, or import with --theirs (the file wins) or --ours (keep the web's edit)",
    )


def _from_files(item: Item) -> bool:
    """Only items whose serving version came from the bank files can leave them (and be retired).

    Items brought in by `flask banks import-external` (source `import:FILE:LINE`) or not yet
    serving (a draft only) were never in the files; their absence from them means nothing.
    """
    version = item.current_version
    return version is not None and bool(version.source_file) and not version.source_file.startswith("import:")


def _apply_domains(tree: BankTree) -> dict[str, Domain]:
    domains = {d.code: d for d in db.session.scalars(select(Domain))}
    for code, spec in tree.domains.items():
        domain = domains.get(code)
        if domain is None:
            domain = domains[code] = Domain(code=code)
            db.session.add(domain)
        domain.bank, domain.name, domain.components, domain.position = (
            spec.bank,
            spec.name,
            spec.components,
            spec.position,
        )
    db.session.flush()
    return domains


def _apply_item(
    spec: ItemSpec,
    item: Item | None,
    domains: dict[str, Domain],
    roles: dict[str, Role],
    summary: ImportSummary,
) -> None:
    retired_in_file = spec.status == "retired"
    if item is None:
        item = Item(external_id=spec.external_id, bank=spec.bank)
        db.session.add(item)
        db.session.flush()
        summary.added.append(spec.external_id)
        number = 1
    else:
        current = item.current_version
        if current is not None and current.content_hash == spec.content_hash:
            if item.retired_at is not None and not retired_in_file:
                item.retired_at = None  # back in the files unchanged
            summary.unchanged += 1
            return
        number = (current.version if current else 0) + 1
        summary.new_versions.append(spec.external_id)
    version = ItemVersion(
        item_id=item.id,
        version=number,
        content_hash=spec.content_hash,
        type=spec.type,
        stem=spec.stem,
        options=[{"id": o, "text": t} for o, t in spec.options],
        keys=spec.keys,
        rationale=spec.rationale,
        domain=domains[spec.domain],
        level=spec.level,
        components=spec.components,
        references=spec.references,
        status=spec.status,
        author=spec.author,
        reviewer=spec.reviewer,
        scenario_id=spec.scenario_id,
        scenario_title=spec.scenario_title,
        scenario_text=spec.scenario_text,
        source_file=spec.file,
        roles=[roles[r] for r in spec.roles],
        tags=list(spec.tags),
    )
    db.session.add(version)
    db.session.flush()
    item.current_version_id = item.latest_version_id = version.id
    item.retired_at = utcnow() if retired_in_file else None


def _apply_blueprint(spec, role: Role, domains: dict[str, Domain], summary: ImportSummary) -> None:
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.role_id == role.id))
    digest = spec.content_hash()
    if blueprint is not None and blueprint.content_hash == digest:
        return
    if blueprint is None:
        blueprint = Blueprint(role_id=role.id)
        db.session.add(blueprint)
    blueprint.content_hash = digest
    blueprint.form_items, blueprint.pretest_items = spec.form_items, spec.pretest_items
    blueprint.minutes, blueprint.passing_percent = spec.minutes, spec.passing_percent
    blueprint.note, blueprint.source_file, blueprint.updated_at = spec.note, spec.file, utcnow()
    blueprint.domains = [
        BlueprintDomain(domain_id=domains[code].id, items=n, position=i)
        for i, (code, n) in enumerate(spec.domains)
    ]
    # A changed blueprint sets the exam's delivery settings, unless an administrator has
    # configured them by hand since (their choice stands until they clear it).
    exam = role.exam
    if exam.configured_at is None:
        exam.form_items, exam.pretest_items = spec.form_items, spec.pretest_items
        if exam.passing_percent != spec.passing_percent:
            exam.passing_standard_study_id = None
        exam.minutes, exam.passing_percent = spec.minutes, spec.passing_percent
    else:
        exam.pretest_items = spec.pretest_items
    summary.blueprints_changed.append(role.slug)
