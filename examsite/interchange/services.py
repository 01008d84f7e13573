"""The database side of an import: the category's context for the plan, then one transaction of drafts."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.banks.lint import normalize_stem
from examsite.banks.loader import CATEGORY_ROLES, CORE, Problem
from examsite.banks.models import Domain, Item, ItemStatus, ItemVersion
from examsite.catalog.data import ROLE_SLUGS
from examsite.catalog.models import Role
from examsite.extensions import db
from examsite.interchange.mapping import ImportPlan, plan_import
from examsite.interchange.parsing import parse_files
from examsite.interchange.safety import InputFile

#: source_file of an imported version starts with this; `flask banks import` leaves such items alone
SOURCE_PREFIX = "import:"
CATEGORIES = (CORE, *CATEGORY_ROLES)


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


def prepare_import(
    files: list[InputFile],
    fmt: str,
    category: str,
    domain: str | None = None,
    level: str | None = None,
    size_limit: int | None = None,
) -> ImportPlan:
    """Parse and check everything, writing nothing: the preview and the dry run show this plan."""
    if category not in CATEGORIES:
        plan = ImportPlan(category)
        plan.problems.append(
            Problem("--category", 1, f"unknown category {category!r}; one of {', '.join(CATEGORIES)}")
        )
        return plan
    parsed = parse_files(files, fmt, size_limit)
    domains = dict(db.session.execute(select(Domain.code, Domain.bank)).tuples().all())
    existing = {i: i for i in db.session.scalars(select(Item.external_id).where(Item.bank == category))}
    rows = db.session.execute(
        select(Item.external_id, ItemVersion.stem)
        .join(ItemVersion, ItemVersion.item_id == Item.id)
        .where(Item.bank == category, Item.retired_at.is_(None))
    ).tuples()
    for external_id, stem in rows:  # any version's stem: a question already in the bank in some form
        existing.setdefault(normalize_stem(stem), external_id)
    return plan_import(parsed, category, domains, existing, domain, level)


def apply_import(plan: ImportPlan, author: str, user: User | None = None) -> list[str]:
    """Write the plan's new items as drafts in the caller's unit of work; any error refuses the
    whole import (the unit rolls back).

    Like an item written in the workspace, an imported one has a latest (draft) version and no
    serving one until a reviewer approves it.
    """
    if plan.errors:
        raise ImportRefused(plan.errors)
    domains = {d.code: d for d in db.session.scalars(select(Domain).where(Domain.bank == plan.category))}
    slugs = ROLE_SLUGS if plan.category == CORE else CATEGORY_ROLES[plan.category]
    roles = list(db.session.scalars(select(Role).where(Role.slug.in_(slugs))))
    taken = set(db.session.scalars(select(Item.external_id).where(Item.bank == plan.category)))
    added = []
    for planned in plan.new_items:
        if planned.external_id in taken:  # imported by someone else since the preview
            continue
        taken.add(planned.external_id)
        item = Item(external_id=planned.external_id, bank=plan.category)
        db.session.add(item)
        db.session.flush()
        parsed = planned.parsed
        domain = domains[planned.domain]
        content = {
            "type": parsed.type,
            "stem": parsed.stem,
            "options": parsed.options,
            "keys": parsed.keys,
            "rationale": parsed.rationale,
            "domain": planned.domain,
            "level": planned.level,
        }
        version = ItemVersion(
            item_id=item.id,
            version=1,
            content_hash=hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
            type=parsed.type,
            stem=parsed.stem,
            options=[{"id": oid, "text": text} for oid, text in parsed.options],
            keys=parsed.keys,
            rationale=parsed.rationale,
            domain=domain,
            level=planned.level,
            components=list(domain.components),
            references=[],
            status=ItemStatus.DRAFT,
            author=author,
            source_file=f"{SOURCE_PREFIX}{parsed.file}:{parsed.line}"[:300],
            tags=list(parsed.tags),
            created_by_id=user.id if user is not None else None,
            roles=roles,
        )
        db.session.add(version)
        db.session.flush()
        item.latest_version_id = version.id
        added.append(planned.external_id)
    if added:
        record("banks.import_external", object_type="Bank", object_id=plan.category, added=added)
    return added
