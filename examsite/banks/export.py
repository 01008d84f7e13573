"""Exporting banks. Formats plug in: a name maps to a function (session data -> files in a folder)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import select

from examsite.banks.models import Blueprint, Domain, Item, ItemVersion
from examsite.extensions import db

Exporter = Callable[[Path, str | None], list[Path]]
EXPORTERS: dict[str, Exporter] = {}


def exporter(name: str):
    def register(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn

    return register


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value or len(value) > 90 else None
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value + ("\n" if style and not value.endswith("\n") else ""), style=style
    )


_Dumper.add_representer(str, _str)


def _dump(data: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))
    return path


def current_items(category: str | None) -> list[tuple[Item, ItemVersion]]:
    query = (
        select(Item, ItemVersion)
        .join(ItemVersion, Item.current_version_id == ItemVersion.id)
        .where(Item.retired_at.is_(None))
        .order_by(Item.external_id)
    )
    if category:
        query = query.where(Item.bank == category)
    return list(db.session.execute(query).tuples())


def _item_data(item: Item, version: ItemVersion, default_roles: set[str]) -> dict:
    data = {
        "id": item.external_id,
        "type": version.type,
        "domain": version.domain.code,
        "level": version.level,
        "components": version.components,
        "status": version.status,
        "author": version.author,
    }
    if version.reviewer:
        data["reviewer"] = version.reviewer
    roles = sorted(r.slug for r in version.roles)
    if set(roles) != default_roles:
        data["roles"] = roles
    data["stem"] = version.stem
    data["options"] = {o["id"]: o["text"] for o in version.options}
    data["key"] = version.keys[0] if version.type == "single" else list(version.keys)
    data["rationale"] = version.rationale
    if version.references:
        data["references"] = version.references
    if version.tags:
        data["tags"] = list(version.tags)
    return data


@exporter("native")
def export_native(out: Path, category: str | None) -> list[Path]:
    """YAML files in the bank layout that `flask banks import` reads back to identical banks."""
    from examsite.banks.loader import CATEGORY_ROLES, CORE
    from examsite.catalog.data import ROLE_SLUGS

    written: list[Path] = []
    domains = db.session.scalars(select(Domain).order_by(Domain.bank, Domain.position)).all()
    banks = sorted({d.bank for d in domains} if category is None else {category})
    for bank in banks:
        bank_domains = [d for d in domains if d.bank == bank]
        written.append(
            _dump(
                {
                    "domains": [
                        {"code": d.code, "name": d.name, "components": d.components} for d in bank_domains
                    ]
                },
                out / bank / "domains.yaml",
            )
        )
        default_roles = set(ROLE_SLUGS if bank == CORE else CATEGORY_ROLES.get(bank, []))
        by_domain: dict[str, dict] = defaultdict(lambda: {"items": [], "scenarios": {}})
        for item, version in current_items(bank):
            entry = by_domain[version.domain.code]
            data = _item_data(item, version, default_roles)
            if version.scenario_id:
                scenario = entry["scenarios"].setdefault(
                    version.scenario_id,
                    {
                        "id": version.scenario_id,
                        "title": version.scenario_title,
                        "case": version.scenario_text,
                        "items": [],
                    },
                )
                scenario["items"].append(data)
            else:
                entry["items"].append(data)
        for code, entry in by_domain.items():
            document: dict = {}
            if entry["items"]:
                document["items"] = entry["items"]
            if entry["scenarios"]:
                document["scenarios"] = list(entry["scenarios"].values())
            written.append(_dump(document, out / bank / "items" / f"{code}.yaml"))
        for blueprint in db.session.scalars(select(Blueprint)):
            if blueprint.role.category.slug != bank:
                continue
            written.append(
                _dump(
                    {
                        "role": blueprint.role.slug,
                        "form_items": blueprint.form_items,
                        "pretest_items": blueprint.pretest_items,
                        "minutes": blueprint.minutes,
                        "passing_percent": _number(blueprint.passing_percent),
                        "domains": {bd.domain.code: bd.items for bd in blueprint.domains},
                        "note": blueprint.note,
                    },
                    out / bank / "blueprints" / f"{blueprint.role.slug}.yaml",
                )
            )
    return written


def _number(value) -> int | float:
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float
