"""Finding items in the workspace: one filtered, sorted page and one count, whatever the bank size.

Each item's latest version is reached through `items.latest_version_id` (indexed), so a page
costs two queries and never loads versions it does not show (tests/integration/
test_authoring_search.py pins the count and the plan).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Text, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from examsite.accounts.models import User
from examsite.authoring.models import ItemComment
from examsite.banks.models import Domain, Item, ItemStatus, ItemVersion
from examsite.catalog.models import Category, Role
from examsite.extensions import db
from examsite.instructors.analysis import FLAG_CODES
from examsite.instructors.item_analysis import Scope, cached

SORTS = {
    "id": (Item.external_id,),
    "updated": (ItemVersion.created_at, Item.external_id),
    "domain": (Domain.code, Item.external_id),
    "level": (ItemVersion.level, Item.external_id),
    "status": (ItemVersion.status, Item.external_id),
}
PAGE_SIZES = (25, 50, 100)
#: the item analysis's flags (examsite/instructors/analysis.py), and "any" of them
FLAGS = {"any": "Any flag", **{code: code.replace("_", " ").capitalize() for code in FLAG_CODES}}


@dataclass
class ItemFilters:
    banks: set[str]
    q: str = ""
    category: str = ""
    domain: str = ""
    level: str = ""
    status: str = ""
    tag: str = ""
    author: str = ""
    #: an item-analysis flag code ("very_easy", ...; "any" for all), from the stored analyses
    flag: str = ""
    sort: str = "id"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_args(cls, args, banks: set[str]) -> ItemFilters:
        def text(name: str, limit: int = 200) -> str:
            value = args.get(name, "")
            return value.strip()[:limit] if isinstance(value, str) else ""

        def number(name: str, default: int) -> int:
            try:
                return max(1, int(args.get(name, default)))
            except (TypeError, ValueError):
                return default

        sort = text("sort")
        per_page = number("per_page", 50)
        return cls(
            banks=banks,
            q=text("q"),
            category=text("category"),
            domain=text("domain"),
            level=text("level"),
            status=text("status"),
            tag=text("tag", 40).lower(),
            author=text("author"),
            flag=text("flag") if text("flag") in FLAGS else "",
            sort=sort.lstrip("-") if sort.lstrip("-") in SORTS else "id",
            descending=sort.startswith("-"),
            page=min(number("page", 1), 10_000),
            per_page=per_page if per_page in PAGE_SIZES else 50,
        )


@dataclass
class ItemRow:
    id: int
    external_id: str
    bank: str
    version: int
    status: str
    domain: str
    type: str
    level: str
    stem: str
    tags: list[str]
    author: str
    updated_at: object
    serving: bool


@dataclass
class ItemPage:
    rows: list[ItemRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 50

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(filters: ItemFilters, columns):
    status = case_status()
    query = (
        select(*columns)
        .select_from(Item)
        .join(ItemVersion, ItemVersion.id == Item.latest_version_id)
        .join(Domain, Domain.id == ItemVersion.domain_id)
        .where(Item.bank.in_(sorted(filters.banks)))
    )
    if filters.category:
        query = query.where(Item.bank == filters.category)
    if filters.q:
        query = query.where(
            or_(
                ItemVersion.stem.icontains(filters.q, autoescape=True),
                cast(ItemVersion.options, Text).icontains(filters.q, autoescape=True),
                ItemVersion.rationale.icontains(filters.q, autoescape=True),
                Item.external_id.icontains(filters.q, autoescape=True),
            )
        )
    if filters.domain:
        query = query.where(Domain.code == filters.domain)
    if filters.level:
        query = query.where(ItemVersion.level == filters.level)
    if filters.status:
        query = query.where(status == filters.status)
    if filters.tag:
        query = query.where(cast(ItemVersion.tags, Text).contains(json.dumps(filters.tag), autoescape=True))
    if filters.author:
        query = query.where(ItemVersion.author.icontains(filters.author, autoescape=True))
    if filters.flag:
        query = query.where(Item.external_id.in_(sorted(flagged_items(filters.banks, filters.flag))))
    return query


def flagged_items(banks: set[str], flag: str) -> set[str]:
    """External ids the item analysis flags, over the roles of these banks' categories.

    Read from each role's stored analysis of all its closed attempts (what its item-analysis page
    shows after Calculate): a search never starts a pass over the responses. A role never
    calculated flags nothing.
    """
    roles = db.session.scalars(select(Role).join(Category).where(Category.slug.in_(sorted(banks))))
    found: set[str] = set()
    for role in roles:
        entry = cached(Scope(role))
        for item in entry.payload["items"] if entry is not None else []:
            if any(flag in ("any", f["code"]) for f in item["flags"]):
                found.add(item["external_id"])
    return found


def case_status():
    return case((Item.retired_at.is_not(None), ItemStatus.RETIRED), else_=ItemVersion.status)


def find_items(filters: ItemFilters) -> ItemPage:
    """One page of the latest versions matching the filters, and how many match in all."""
    if not filters.banks:
        return ItemPage(page=filters.page, per_page=filters.per_page)
    total = db.session.scalar(_filtered(filters, [func.count()]))
    order = [c.desc() if filters.descending else c.asc() for c in SORTS[filters.sort]]
    query = (
        _filtered(
            filters,
            [
                Item.id,
                Item.external_id,
                Item.bank,
                ItemVersion.version,
                case_status(),
                Domain.code,
                ItemVersion.type,
                ItemVersion.level,
                ItemVersion.stem,
                ItemVersion.tags,
                ItemVersion.author,
                ItemVersion.created_at,
                Item.current_version_id == ItemVersion.id,
            ],
        )
        .order_by(*order)
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
    )
    rows = [ItemRow(*row[:12], bool(row[12])) for row in db.session.execute(query)]
    return ItemPage(rows, total or 0, filters.page, filters.per_page)


def review_queue(user: User, banks: set[str]) -> dict[str, list]:
    """Items in review, split into those waiting for this user and those waiting for another."""
    if not banks:
        return {"for_you": [], "for_others": [], "changes_requested": []}
    rows = db.session.execute(
        select(Item, ItemVersion)
        .join(ItemVersion, ItemVersion.id == Item.latest_version_id)
        .where(Item.bank.in_(sorted(banks)), ItemVersion.status.in_((ItemStatus.IN_REVIEW, ItemStatus.DRAFT)))
        .where(Item.retired_at.is_(None))
        .order_by(ItemVersion.created_at)
    ).all()
    requested = set(
        db.session.scalars(
            select(ItemComment.item_version_id).where(
                ItemComment.action == "request_changes",
                ItemComment.item_version_id.in_(
                    [v.id for _, v in rows if v.status == ItemStatus.DRAFT] or [0]
                ),
            )
        )
    )
    authors = _authors_by_item([i.id for i, v in rows if v.status == ItemStatus.IN_REVIEW])
    queue = {"for_you": [], "for_others": [], "changes_requested": []}
    for item, version in rows:
        if version.status == ItemStatus.IN_REVIEW:
            mine = user.id in authors.get(item.id, set())
            queue["for_others" if mine else "for_you"].append((item, version))
        elif version.id in requested:
            queue["changes_requested"].append((item, version))
    return queue


def _authors_by_item(item_ids: list[int]) -> dict[int, set[int]]:
    if not item_ids:
        return {}
    served = aliased(ItemVersion)
    current = (
        select(served.version).where(served.id == Item.current_version_id).correlate(Item).scalar_subquery()
    )
    rows = db.session.execute(
        select(ItemVersion.item_id, ItemVersion.created_by_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(
            ItemVersion.item_id.in_(item_ids),
            ItemVersion.created_by_id.is_not(None),
            ItemVersion.version > func.coalesce(current, 0),
        )
    )
    out: dict[int, set[int]] = {}
    for item_id, user_id in rows:
        out.setdefault(item_id, set()).add(user_id)
    return out
