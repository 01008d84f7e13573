"""Authoring operations: create an item, save a new version, and move it through review.

Every save makes a new immutable version (the latest is what authors edit); the serving
version (`Item.current_version_id`) changes only when a reviewer approves, and approval puts a
new version into service exactly as `flask banks import` does, so a new version id tells the
pool cache the banks changed and attempts keep the versions they showed. Operations flush and
leave the commit to the caller (the request or the command).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring.access import AuthoringError, require_bank
from examsite.authoring.content import (
    Draft,
    domain_specs,
    draft_of,
    item_spec,
    lint_draft,
    parse_item,
    scenario_of,
)
from examsite.authoring.models import ItemComment
from examsite.banks.loader import BANK_PREFIX, CATEGORY_ROLES, CORE
from examsite.banks.models import Domain, Item, ItemVersion
from examsite.catalog.models import Role
from examsite.database import begin_write
from examsite.extensions import db
from examsite.timeutil import isoformat, utcnow

SERVED = ("active", "pretest")


def item_status(item: Item, version: ItemVersion) -> str:
    return "retired" if item.retired_at is not None else version.status


def item_json(item: Item, version: ItemVersion | None = None) -> dict:
    version = version or item.latest_version
    current = item.current_version
    return {
        "id": item.id,
        "external_id": item.external_id,
        "category": item.bank,
        "version": version.version,
        "status": item_status(item, version),
        "serving_version": current.version if current is not None and current.status in SERVED else None,
        "domain": version.domain.code,
        "type": version.type,
        "level": version.level,
        "stem": version.stem,
        "options": [{"id": o["id"], "text": o["text"]} for o in version.options],
        "key": list(version.keys),
        "rationale": version.rationale,
        "tags": list(version.tags or []),
        "components": list(version.components or []),
        "author": version.author,
        "reviewer": version.reviewer or None,
        "updated_at": isoformat(version.created_at),
        "scenario": (
            {"id": version.scenario_id, "title": version.scenario_title, "case": version.scenario_text}
            if version.scenario_id
            else None
        ),
    }


def version_json(item: Item, version: ItemVersion) -> dict:
    data = item_json(item, version)
    data["status"] = version.status
    data["serving"] = version.id == item.current_version_id
    data["created_by"] = version.created_by.name if version.created_by_id and version.created_by else None
    return data


def _roles_for(bank: str) -> list[Role]:
    slugs = None if bank == CORE else CATEGORY_ROLES[bank]
    query = select(Role) if slugs is None else select(Role).where(Role.slug.in_(slugs))
    return list(db.session.scalars(query))


def _add_version(
    item: Item,
    draft: Draft,
    number: int,
    status: str,
    author: str,
    created_by: User | None,
    reviewer: str = "",
) -> ItemVersion:
    spec = item_spec(draft, item.external_id, status, author, reviewer)
    domain = db.session.scalar(select(Domain).where(Domain.code == draft.domain))
    version = ItemVersion(
        item_id=item.id,
        version=number,
        content_hash=spec.content_hash,
        type=draft.type,
        stem=draft.stem,
        options=[{"id": o, "text": t} for o, t in draft.options],
        keys=list(draft.keys),
        rationale=draft.rationale,
        domain=domain,
        level=draft.level,
        components=list(draft.components),
        references=[],
        status=status,
        author=author,
        reviewer=reviewer,
        source_file="",
        tags=list(draft.tags),
        scenario_id=draft.scenario[0] if draft.scenario else None,
        scenario_title=draft.scenario[1] if draft.scenario else None,
        scenario_text=draft.scenario[2] if draft.scenario else None,
        created_by_id=created_by.id if created_by is not None else None,
        roles=_roles_for(item.bank),
    )
    db.session.add(version)
    db.session.flush()
    item.latest_version = version
    return version


def _next_external_id(bank: str) -> str:
    prefix = BANK_PREFIX[bank]
    ids = db.session.scalars(select(Item.external_id).where(Item.external_id.like(f"{prefix}-%")))
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(rf"{prefix}-(\d{{4}})", i))]
    number = max(numbers, default=0) + 1
    if number > 9999:
        raise AuthoringError(409, "bank_full", f"The {bank} bank has no free item ids left.")
    return f"{prefix}-{number:04d}"


def create_item(user: User, data: dict) -> Item:
    """A new item as a draft (version 1) by this user."""
    bank = require_bank(user, data.get("category"))
    draft = parse_item(data, bank, domain_specs())
    begin_write()
    for _ in range(3):  # two authors creating at once may pick the same next id
        try:
            with db.session.begin_nested():
                item = Item(external_id=_next_external_id(bank), bank=bank)
                db.session.add(item)
                db.session.flush()
            break
        except IntegrityError:
            continue
    else:
        raise AuthoringError(409, "conflict", "Another item was created at the same moment; try again.")
    version = _add_version(item, draft, 1, "draft", user.name, user)
    record("item.create", item, external_id=item.external_id, version=version.version)
    return item


def _check_version(item: Item, data: dict) -> ItemVersion:
    latest = item.latest_version
    expected = data.get("version")
    if not isinstance(expected, int) or isinstance(expected, bool):
        raise AuthoringError(
            422, "invalid", 'Send the version you edited: {"version": N, ...}.', field="version"
        )
    if expected != latest.version:
        raise AuthoringError(
            409,
            "stale_version",
            f"Version {latest.version} was saved since you opened version {expected}; "
            "compare the changes and edit the latest version.",
            current_version=latest.version,
        )
    return latest


def update_item(user: User, item: Item, data: dict) -> tuple[ItemVersion, bool]:
    """Save an edit as a new draft version; the serving version keeps serving. (version, changed)"""
    if data.get("category", item.bank) != item.bank:
        raise AuthoringError(422, "invalid", "An item cannot move to another category.", field="category")
    draft = parse_item(data, item.bank, domain_specs())
    begin_write()
    db.session.refresh(item, with_for_update=db.engine.dialect.name == "postgresql")
    draft.scenario = scenario_of(item.latest_version)  # the set's page edits the case, not this one
    try:
        latest = _check_version(item, data)
    except AuthoringError as exc:
        if exc.status == 409:
            _add_conflict_diff(item, draft, exc)
        raise
    if draft.authored() == draft_of(latest, item.bank).authored() and latest.status == "draft":
        return latest, False
    previous = latest.version
    version = _add_version(item, draft, previous + 1, "draft", user.name, user)
    record("item.edit", item, external_id=item.external_id, version=version.version, previous=previous)
    return version, True


def _add_conflict_diff(item: Item, draft: Draft, error: AuthoringError) -> None:
    """Add to a 409 what differs between the edit sent and the latest version."""
    mine = draft.authored()
    theirs = draft_of(item.latest_version, item.bank).authored()
    error.extra["diff"] = [
        {"field": name, "yours": mine.get(name), "latest": theirs[name]}
        for name in theirs
        if mine.get(name) != theirs[name]
    ]


def _authors_since_served(item: Item) -> set[int]:
    """Everyone who saved a version after the one in service: none of them may approve."""
    served = item.current_version.version if item.current_version is not None else 0
    return set(
        db.session.scalars(
            select(ItemVersion.created_by_id).where(
                ItemVersion.item_id == item.id,
                ItemVersion.version > served,
                ItemVersion.created_by_id.is_not(None),
            )
        )
    )


def _check_case_matches_set(item: Item, latest: ItemVersion) -> None:
    """An item approved alone must not serve another case than its set's other serving items."""
    others = db.session.execute(
        select(ItemVersion.scenario_title, ItemVersion.scenario_text)
        .join(Item, Item.current_version_id == ItemVersion.id)
        .where(
            ItemVersion.scenario_id == latest.scenario_id,
            Item.id != item.id,
            Item.retired_at.is_(None),
            ItemVersion.status.in_(SERVED),
        )
    ).all()
    if any((title, text) != (latest.scenario_title, latest.scenario_text) for title, text in others):
        raise AuthoringError(
            409,
            "conflict",
            f"{item.external_id} has a changed case of scenario set {latest.scenario_id}; "
            "approve it with its set, so that the set's items serve one case.",
        )


def _set_status(item: Item, version: ItemVersion, status: str) -> None:
    draft = draft_of(version, item.bank)
    version.status = status
    version.content_hash = item_spec(
        draft, item.external_id, status, version.author, version.reviewer
    ).content_hash


def review(user: User, item: Item, action: object, comment: object, **options) -> ItemComment:
    """One workflow step: submit, approve, request_changes, retire (or a plain comment)."""
    if comment is not None and not isinstance(comment, str):
        raise AuthoringError(422, "invalid", "comment must be text.", field="comment")
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise AuthoringError(422, "invalid", "comment is longer than 5000 characters.", field="comment")
    if action not in ("submit", "approve", "request_changes", "retire", "comment"):
        raise AuthoringError(
            422, "invalid", "action must be submit, approve, request_changes or retire.", field="action"
        )
    domains = domain_specs() if action == "submit" else None
    begin_write()
    db.session.refresh(item, with_for_update=db.engine.dialect.name == "postgresql")
    latest = item.latest_version
    if "version" in options and options["version"] is not None and options["version"] != latest.version:
        raise AuthoringError(
            409,
            "stale_version",
            f"The item is at version {latest.version} now.",
            current_version=latest.version,
        )
    target = latest
    if action == "submit":
        if latest.status != "draft" or item.retired_at is not None:
            raise AuthoringError(
                409, "conflict", f"Only a draft can be submitted; this one is {latest.status}."
            )
        found = lint_draft(draft_of(latest, item.bank), item.external_id, domains)
        problems = [p for p in found if p.severity == "error"]
        if problems:
            raise AuthoringError(
                422,
                "lint_failed",
                "Fix the item-writing problems before submitting it for review.",
                problems=[p.as_dict() for p in problems],
            )
        _set_status(item, latest, "in_review")
    elif action == "approve":
        if latest.status != "in_review":
            raise AuthoringError(
                409, "conflict", f"Only an item in review can be approved; this one is {latest.status}."
            )
        if user.id in _authors_since_served(item):
            raise AuthoringError(
                403, "own_item", "You wrote this version; another instructor must approve it."
            )
        if latest.scenario_id and not options.get("as_set"):
            _check_case_matches_set(item, latest)
        status = options.get("status") or "active"
        if status not in SERVED:
            raise AuthoringError(
                422, "invalid", 'An approved item serves as "active" or "pretest".', field="status"
            )
        draft = draft_of(latest, item.bank)
        target = _add_version(
            item, draft, latest.version + 1, status, latest.author, None, reviewer=user.name
        )
        target.created_by_id = latest.created_by_id
        item.current_version = target
        item.retired_at = None
    elif action == "request_changes":
        if latest.status != "in_review":
            raise AuthoringError(
                409, "conflict", f"Only an item in review can go back; this one is {latest.status}."
            )
        if not comment:
            raise AuthoringError(422, "invalid", "Say what should change (comment).", field="comment")
        _set_status(item, latest, "draft")
    elif action == "retire":
        if item.retired_at is not None:
            raise AuthoringError(409, "conflict", "The item is already retired.")
        item.retired_at = utcnow()
    elif not comment:
        raise AuthoringError(422, "invalid", "A comment needs a text.", field="comment")
    parent_id = options.get("parent_id")
    if parent_id is not None:
        parent = db.session.get(ItemComment, parent_id) if isinstance(parent_id, int) else None
        if parent is None or parent.item_id != item.id:
            raise AuthoringError(
                422, "invalid", "parent_id must be a comment on this item.", field="parent_id"
            )
    note = ItemComment(
        item_id=item.id,
        item_version_id=target.id,
        parent_id=parent_id,
        author_id=user.id,
        action=None if action == "comment" else action,
        body=comment,
    )
    db.session.add(note)
    db.session.flush()
    if action != "comment":
        record(
            f"item.{action}",
            item,
            external_id=item.external_id,
            version=target.version,
            comment=comment or None,
        )
    return note


def versions(item: Item) -> list[ItemVersion]:
    return list(
        db.session.scalars(
            select(ItemVersion).where(ItemVersion.item_id == item.id).order_by(ItemVersion.version.desc())
        )
    )


def version_of(item: Item, number: int) -> ItemVersion:
    version = db.session.scalar(
        select(ItemVersion).where(ItemVersion.item_id == item.id, ItemVersion.version == number)
    )
    if version is None:
        raise AuthoringError(404, "not_found", f"{item.external_id} has no version {number}.")
    return version


def comments(item: Item) -> list[ItemComment]:
    return list(
        db.session.scalars(
            select(ItemComment)
            .where(ItemComment.item_id == item.id)
            .order_by(ItemComment.created_at, ItemComment.id)
        )
    )


def count_versions(item: Item) -> int:
    return db.session.scalar(select(func.count()).where(ItemVersion.item_id == item.id))
