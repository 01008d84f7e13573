"""Reading the imported banks: a role's eligible pool, its blueprint, and stats per role."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from examsite.banks.models import (
    Blueprint,
    BlueprintDomain,
    Domain,
    Item,
    ItemStatus,
    ItemVersion,
    ItemVersionRole,
)
from examsite.catalog.models import Category, Role
from examsite.delivery.assembly import Pool, Unit, apportion
from examsite.extensions import db


def _current_versions(role: Role, status: str):
    return (
        select(ItemVersion.id, ItemVersion.item_id, ItemVersion.scenario_id, Domain.code)
        .join(Item, Item.current_version_id == ItemVersion.id)
        .join(Domain, Domain.id == ItemVersion.domain_id)
        .join(ItemVersionRole, ItemVersionRole.item_version_id == ItemVersion.id)
        .where(Item.retired_at.is_(None), ItemVersion.status == status, ItemVersionRole.role_id == role.id)
        .order_by(Item.external_id)
    )


def eligible_pool(role: Role) -> Pool:
    """The role's pool, cached per worker until an import changes the banks."""
    from flask import current_app

    from examsite.delivery.content import bank_revision

    revision = bank_revision()
    _pool_cache = current_app.extensions.setdefault("examsite_pools", {})
    cached = _pool_cache.get(role.id)
    if cached is not None and cached[0] == revision:
        return cached[1]
    pool = load_pool(role)
    _pool_cache[role.id] = (revision, pool)
    return pool


def load_pool(role: Role) -> Pool:
    """Units (stand-alone items and whole scenario sets) of the role's active and pretest items."""

    def units(status: str) -> list[Unit]:
        groups: dict[object, list] = defaultdict(list)
        for version_id, item_id, scenario_id, domain in db.session.execute(_current_versions(role, status)):
            groups[scenario_id or ("item", item_id)].append((version_id, item_id, domain, scenario_id))
        return [
            Unit(
                domain=rows[0][2],
                version_ids=tuple(r[0] for r in rows),
                item_ids=tuple(r[1] for r in rows),
                scenario=rows[0][3],
            )
            for rows in groups.values()
        ]

    by_domain: dict[str, list[Unit]] = defaultdict(list)
    for unit in units(ItemStatus.ACTIVE):
        by_domain[unit.domain].append(unit)
    return Pool(units_by_domain=dict(by_domain), pretest_units=units(ItemStatus.PRETEST))


def blueprint_quotas(role: Role) -> dict[str, int]:
    """Domain quotas for the role's form, scaled to the configured form length."""
    rows = db.session.execute(
        select(Domain.code, BlueprintDomain.items)
        .join(BlueprintDomain, BlueprintDomain.domain_id == Domain.id)
        .join(Blueprint, Blueprint.id == BlueprintDomain.blueprint_id)
        .where(Blueprint.role_id == role.id)
        .order_by(BlueprintDomain.position)
    ).all()
    return apportion(dict(rows), role.exam.form_items)


def domain_names() -> dict[str, str]:
    return dict(db.session.execute(select(Domain.code, Domain.name)).all())


def bank_stats() -> dict:
    """Per role: settings and eligible active items per domain against the blueprint's need."""
    roles = db.session.scalars(select(Role).join(Category).order_by(Category.position, Role.position)).all()
    names = domain_names()
    out = []
    for role in roles:
        pool = eligible_pool(role)
        quotas = blueprint_quotas(role)
        available = {d: sum(u.size for u in units) for d, units in pool.units_by_domain.items()}
        domains = [
            {
                "name": names.get(code, code),
                "code": code,
                "required": need,
                "available": available.get(code, 0),
            }
            for code, need in quotas.items()
        ]
        out.append(
            {
                "slug": role.slug,
                "form_items": role.exam.form_items,
                "minutes": role.exam.minutes,
                "passing_percent": float(role.exam.passing_percent),
                "pretest_items": role.exam.pretest_items,
                "eligible_items": sum(available.values()),
                "eligible_pretest_items": sum(u.size for u in pool.pretest_units),
                "domains": domains,
            }
        )
    total = db.session.scalar(select(func.count()).select_from(Item).where(Item.retired_at.is_(None)))
    return {"roles": out, "total_items": total}
