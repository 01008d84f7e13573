"""Scenario sets in the workspace: items that share one case (a vignette), written together.

A set is what the bank files call a scenario (`scenarios:` in a domain file, with id, title, case
and its items) and what assembly keeps whole on a form: items whose serving versions carry the
same `scenario_id`. The case lives on every item version of the set, so the set has no table of
its own: editing the case, adding or removing an item saves a new draft version of each item it
touches, and those versions go through review like any item's (history and differences included).
The set is reviewed as one: submitted, approved or sent back together, so the versions that serve
always share one case, one domain and one status, as `flask banks lint` requires.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring import items as operations
from examsite.authoring.access import AuthoringError, assigned_banks, require_bank
from examsite.authoring.content import domain_specs, draft_of, item_spec
from examsite.banks.lint import lint_tree
from examsite.banks.loader import BANK_PREFIX, BankTree
from examsite.banks.models import Item, ItemVersion
from examsite.database import begin_write
from examsite.extensions import db

MAX_TITLE, MAX_CASE, MAX_ITEMS = 300, 6000, 12


@dataclass
class ScenarioSet:
    id: str
    bank: str
    title: str
    case: str
    #: (item, its latest version), in external id order
    members: list[tuple[Item, ItemVersion]]

    @property
    def revision(self) -> str:
        """Changes whenever any member saves a version: the editor sends it back (concurrent edits)."""
        marks = ",".join(f"{i.external_id}:{v.version}" for i, v in self.members)
        return hashlib.sha256(marks.encode()).hexdigest()[:16]

    @property
    def domain(self) -> str | None:
        return self.members[0][1].domain.code if self.members else None

    def statuses(self) -> dict[str, str]:
        return {i.external_id: operations.item_status(i, v) for i, v in self.members}

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "category": self.bank,
            "title": self.title,
            "case": self.case,
            "domain": self.domain,
            "revision": self.revision,
            "items": [
                {
                    "id": i.id,
                    "external_id": i.external_id,
                    "version": v.version,
                    "status": operations.item_status(i, v),
                    "stem": v.stem,
                }
                for i, v in self.members
            ],
        }


def _members(scenario_id: str) -> list[tuple[Item, ItemVersion]]:
    return list(
        db.session.execute(
            select(Item, ItemVersion)
            .join(ItemVersion, Item.latest_version_id == ItemVersion.id)
            .where(ItemVersion.scenario_id == scenario_id, Item.retired_at.is_(None))
            .order_by(Item.external_id)
            .execution_options(populate_existing=True)
        ).tuples()
    )


def _lock(scenario_id: str) -> None:
    """On PostgreSQL, hold the set's items (in id order) so two saves of the set take turns."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite: begin_write already holds the write lock
    ids = [item.id for item, _ in _members(scenario_id)]
    if ids:
        db.session.execute(select(Item.id).where(Item.id.in_(ids)).order_by(Item.id).with_for_update())


def list_sets(banks: set[str]) -> list[ScenarioSet]:
    """The sets of these banks, as their items' latest versions define them."""
    rows = db.session.execute(
        select(Item, ItemVersion)
        .join(ItemVersion, Item.latest_version_id == ItemVersion.id)
        .where(ItemVersion.scenario_id.is_not(None), Item.bank.in_(sorted(banks)), Item.retired_at.is_(None))
        .order_by(ItemVersion.scenario_id, Item.external_id)
    ).tuples()
    sets: dict[str, ScenarioSet] = {}
    for item, version in rows:
        found = sets.setdefault(
            version.scenario_id,
            ScenarioSet(
                version.scenario_id, item.bank, version.scenario_title or "", version.scenario_text or "", []
            ),
        )
        found.members.append((item, version))
    return list(sets.values())


def set_for(user: User, scenario_id: str) -> ScenarioSet:
    """The set, if the user may see it: another category's set is simply not there (404)."""
    members = _members(scenario_id) if isinstance(scenario_id, str) else []
    if not members or members[0][0].bank not in assigned_banks(user):
        raise AuthoringError(404, "not_found", f"No scenario set {scenario_id}.")
    first = members[0][1]
    return ScenarioSet(
        scenario_id, members[0][0].bank, first.scenario_title or "", first.scenario_text or "", members
    )


def _text(data: dict, name: str, limit: int) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or not value.strip():
        raise AuthoringError(422, "invalid", f"{name} is required.", field=name)
    value = value.strip()
    if len(value) > limit:
        raise AuthoringError(
            422, "invalid", f"{name} is {len(value)} characters long; the limit is {limit}.", field=name
        )
    return value


def _chosen_items(user: User, bank: str, data: dict, scenario_id: str | None) -> list[Item]:
    """The items the set should hold: in the bank, not retired, in no other set, one domain."""
    ids = data.get("items")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise AuthoringError(
            422, "invalid", "items must list the external ids of one or more items.", field="items"
        )
    ids = list(dict.fromkeys(i.strip().upper() for i in ids))
    if len(ids) > MAX_ITEMS:
        raise AuthoringError(422, "invalid", f"A set holds at most {MAX_ITEMS} items.", field="items")
    chosen = []
    for external_id in ids:
        item = db.session.scalar(select(Item).where(Item.external_id == external_id))
        if item is None or item.bank != bank or item.latest_version_id is None:
            raise AuthoringError(422, "invalid", f"No item {external_id} in the {bank} bank.", field="items")
        if item.retired_at is not None:
            raise AuthoringError(422, "invalid", f"{external_id} is retired.", field="items")
        other = item.latest_version.scenario_id
        if other and other != scenario_id:
            raise AuthoringError(
                422, "invalid", f"{external_id} already belongs to scenario set {other}.", field="items"
            )
        chosen.append(item)
    domains = {i.latest_version.domain.code for i in chosen}
    if len(domains) > 1:
        raise AuthoringError(
            422,
            "invalid",
            "All items of a set must share one domain; these are in " + ", ".join(sorted(domains)) + ".",
            field="items",
        )
    return chosen


def _next_id(bank: str) -> str:
    prefix = f"{BANK_PREFIX[bank]}-S"
    used = db.session.scalars(
        select(ItemVersion.scenario_id).where(ItemVersion.scenario_id.like(f"{prefix}%")).distinct()
    )
    numbers = [int(m.group(1)) for s in used if s and (m := re.fullmatch(rf"{prefix}(\d+)", s))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def _save(user: User, item: Item, scenario: tuple[str, str, str] | None) -> ItemVersion | None:
    """A new draft version of the item with this case (or none); None when nothing changes."""
    latest = item.latest_version
    draft = draft_of(latest, item.bank)
    if draft.scenario == scenario:
        return None  # already has this case (as a draft, in review or serving)
    draft.scenario = scenario
    version = operations._add_version(item, draft, latest.version + 1, "draft", user.name, user)
    record(
        "item.edit",
        item,
        external_id=item.external_id,
        version=version.version,
        previous=latest.version,
        scenario=scenario[0] if scenario else latest.scenario_id,
    )
    return version


def create_set(user: User, data: dict) -> ScenarioSet:
    bank = require_bank(user, data.get("category"))
    title, case = _text(data, "title", MAX_TITLE), _text(data, "case", MAX_CASE)
    begin_write()
    if db.engine.dialect.name == "postgresql":
        # two authors creating sets in one bank at once would pick the same next id: take turns
        key = int.from_bytes(hashlib.sha256(f"scenario-ids:{bank}".encode()).digest()[:7], "big")
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    chosen = _chosen_items(user, bank, data, None)
    scenario_id = _next_id(bank)
    for item in chosen:
        _save(user, item, (scenario_id, title, case))
    db.session.flush()
    record_set("scenario.create", scenario_id, bank, items=[i.external_id for i in chosen])
    return set_for(user, scenario_id)


def update_set(user: User, scenario: ScenarioSet, data: dict) -> tuple[ScenarioSet, bool]:
    """Save the case and the membership; every item it touches gets a new draft version."""
    title, case = _text(data, "title", MAX_TITLE), _text(data, "case", MAX_CASE)
    begin_write()
    _lock(scenario.id)
    current = set_for(user, scenario.id)
    if data.get("revision") != current.revision:
        raise AuthoringError(
            409,
            "stale_version",
            "The set changed since you opened it (an item of it was saved); reload it and edit again.",
            revision=current.revision,
        )
    chosen = _chosen_items(user, current.bank, data, current.id)
    keep = {i.id for i in chosen}
    changed = False
    for item, _ in current.members:
        if item.id not in keep:
            changed |= _save(user, item, None) is not None
    for item in chosen:
        changed |= _save(user, item, (current.id, title, case)) is not None
    if changed:
        db.session.flush()
        record_set(
            "scenario.edit",
            current.id,
            current.bank,
            items=[i.external_id for i in chosen],
            removed=[i.external_id for i, _ in current.members if i.id not in keep],
        )
    return set_for(user, current.id), changed


def record_set(action: str, scenario_id: str, bank: str, **details) -> None:
    record(action, object_type="ScenarioSet", object_id=scenario_id, category=bank, **details)


def lint_set(scenario: ScenarioSet) -> list[dict]:
    """`flask banks lint` on the set's items together: each item's rules and the set's own."""
    domains = domain_specs()
    tree = BankTree(root=Path("."), domains=domains)
    for item, version in scenario.members:  # one status, as they will all serve with after approval
        tree.items.append(item_spec(draft_of(version, item.bank), item.external_id, "draft"))
    wanted = {i.external_id for i, _ in scenario.members} | {scenario.id}
    return [
        {"message": p.message, "severity": p.severity}
        for p in lint_tree(tree)
        if p.message.split(":", 1)[0] in wanted or p.message.startswith(f"scenario {scenario.id}")
    ]


def review_set(user: User, scenario: ScenarioSet, action: object, comment: object, status=None) -> list[str]:
    """Submit, approve or send back the whole set; returns the external ids the step moved."""
    if action not in ("submit", "approve", "request_changes"):
        raise AuthoringError(
            422, "invalid", "action must be submit, approve or request_changes.", field="action"
        )
    begin_write()
    _lock(scenario.id)
    scenario = set_for(user, scenario.id)
    states = scenario.statuses()
    if action == "submit":
        moving = [i for i, _ in scenario.members if states[i.external_id] == "draft"]
        if not moving:
            raise AuthoringError(409, "conflict", "No item of the set is a draft; nothing to submit.")
        problems = [p for p in lint_set(scenario) if p["severity"] == "error"]
        if problems:
            raise AuthoringError(
                422,
                "lint_failed",
                "Fix the item-writing problems before submitting the set for review.",
                problems=problems,
            )
    else:
        drafts = [e for e, s in states.items() if s == "draft"]
        if drafts:
            raise AuthoringError(
                409, "conflict", "Submit the whole set first: " + ", ".join(drafts) + " still draft."
            )
        moving = [i for i, _ in scenario.members if states[i.external_id] == "in_review"]
        if not moving:
            raise AuthoringError(409, "conflict", "No item of the set is in review.")
        if action == "approve":
            serving = {s for e, s in states.items() if s in operations.SERVED}
            wanted = status or "active"
            if serving and serving != {wanted}:
                raise AuthoringError(
                    422,
                    "invalid",
                    f"The set's other items serve as {', '.join(sorted(serving))}; approve it as that too.",
                    field="status",
                )
            for item in moving:
                if user.id in operations._authors_since_served(item):
                    raise AuthoringError(
                        403,
                        "own_item",
                        f"You wrote a version of {item.external_id}; another instructor approves the set.",
                    )
    for item in moving:
        operations.review(user, item, action, comment, status=status, as_set=True)
    record_set(f"scenario.{action}", scenario.id, scenario.bank, items=[i.external_id for i in moving])
    return [i.external_id for i in moving]
