"""A role's blueprint (items per domain, pretest count) and exam settings, edited in the workspace.

The feasibility check is assembly's own (`can_fill` over the role's active pool), so a blueprint
saved here is one a form can be assembled from. Changes apply to attempts started after them:
an attempt keeps the deadline, passing standard and form it started with.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.authoring.access import AuthoringError
from examsite.banks.loader import CORE
from examsite.banks.models import Blueprint, BlueprintDomain, Domain
from examsite.banks.queries import load_pool
from examsite.catalog.models import Role
from examsite.catalog.services import NEVER, ExamChanges, SettingsError, configure_exam
from examsite.database import begin_write
from examsite.delivery.assembly import can_fill
from examsite.extensions import db
from examsite.timeutil import isoformat, utcnow

EXAM_FIELDS = (
    "minutes",
    "passing_percent",
    "grace_seconds",
    "retake_days",
    "attempts_per_year",
    "validity_months",
    "renewal_ce_hours",
)


def role_domains(role: Role) -> list[Domain]:
    """Domains a role's blueprint may use: the core bank's and its category's."""
    return list(
        db.session.scalars(
            select(Domain)
            .where(Domain.bank.in_((CORE, role.category.slug)))
            .order_by(Domain.bank != CORE, Domain.position)
        )
    )


def feasibility(role: Role, quotas: dict[str, int]) -> list[dict]:
    """Per domain: items asked for, active eligible items, and whether a form can be filled."""
    pool = load_pool(role)
    rows = []
    for code, need in quotas.items():
        sizes = [u.size for u in pool.units_by_domain.get(code, [])]
        rows.append(
            {"domain": code, "items": need, "available": sum(sizes), "fillable": can_fill(sizes, need)}
        )
    return rows


def blueprint_json(role: Role) -> dict:
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.role_id == role.id))
    quotas = {d.domain.code: d.items for d in blueprint.domains} if blueprint else {}
    pool = load_pool(role)
    return {
        "role": role.slug,
        "form_items": sum(quotas.values()),
        "pretest_items": blueprint.pretest_items if blueprint else 0,
        "domains": [{"code": c, "items": n} for c, n in quotas.items()],
        "feasibility": feasibility(role, quotas),
        "eligible_pretest_items": sum(u.size for u in pool.pretest_units),
        "updated_at": isoformat(blueprint.updated_at) if blueprint else None,
    }


def parse_blueprint(role: Role, data: dict) -> tuple[dict[str, int], int]:
    allowed = {d.code for d in role_domains(role)}
    entries = data.get("domains")
    if not isinstance(entries, list) or not entries:
        raise AuthoringError(422, "invalid", "domains must be a list of {code, items}.", field="domains")
    quotas: dict[str, int] = {}
    for entry in entries:
        code = entry.get("code") if isinstance(entry, dict) else None
        items = entry.get("items") if isinstance(entry, dict) else None
        if code not in allowed:
            raise AuthoringError(422, "invalid", f"unknown domain {code!r} for {role.slug}", field="domains")
        if code in quotas:
            raise AuthoringError(422, "invalid", f"domain {code} is listed twice", field="domains")
        if not isinstance(items, int) or isinstance(items, bool) or not 0 <= items <= 500:
            raise AuthoringError(422, "invalid", f"{code}: items must be 0 to 500", field="domains")
        quotas[code] = items
    if not 1 <= sum(quotas.values()) <= 500:
        raise AuthoringError(422, "invalid", "a form needs 1 to 500 items", field="domains")
    pretest = data.get("pretest_items", 0)
    if not isinstance(pretest, int) or isinstance(pretest, bool) or not 0 <= pretest <= 100:
        raise AuthoringError(422, "invalid", "pretest_items must be 0 to 100", field="pretest_items")
    return quotas, pretest


def save_blueprint(user: User, role: Role, data: dict) -> dict:
    """Replace the role's blueprint; refused (422) when the active pool cannot fill it."""
    quotas, pretest = parse_blueprint(role, data)
    short = [row for row in feasibility(role, quotas) if not row["fillable"]]
    if short:
        raise AuthoringError(
            422,
            "not_fillable",
            "; ".join(
                f"{r['domain']} needs {r['items']} active items but its eligible pool has {r['available']}"
                for r in short
            ),
            feasibility=short,
        )
    domain_ids = dict(db.session.execute(select(Domain.code, Domain.id).where(Domain.code.in_(quotas))).all())
    begin_write()
    blueprint = db.session.scalar(select(Blueprint).where(Blueprint.role_id == role.id))
    if blueprint is None:
        blueprint = Blueprint(
            role_id=role.id, minutes=role.exam.minutes, passing_percent=role.exam.passing_percent
        )
        db.session.add(blueprint)
    total = sum(quotas.values())
    blueprint.form_items, blueprint.pretest_items = total, pretest
    blueprint.content_hash = hashlib.sha256(
        json.dumps(["workspace", role.slug, total, pretest, list(quotas.items())]).encode()
    ).hexdigest()
    blueprint.source_file, blueprint.updated_at = "(workspace)", utcnow()
    blueprint.domains = [
        BlueprintDomain(domain_id=domain_ids[code], items=n, position=i)
        for i, (code, n) in enumerate(quotas.items())
    ]
    role.exam.form_items, role.exam.pretest_items = total, pretest
    record(
        "blueprint.edit",
        role,
        actor=user,
        role=role.slug,
        form_items=total,
        pretest_items=pretest,
        domains=quotas,
    )
    db.session.flush()
    return blueprint_json(role)


def exam_json(role: Role) -> dict:
    exam = role.exam
    return {
        "role": role.slug,
        "items": exam.form_items,
        "pretest_items": exam.pretest_items,
        "minutes": exam.minutes,
        "passing_percent": float(exam.passing_percent),
        "grace_seconds": exam.grace_seconds,
        "retake_days": exam.retake_days,
        "attempts_per_year": exam.attempts_per_year,
        "validity_months": exam.validity_months,
        "renewal_ce_hours": exam.renewal_ce_hours,
        "configured_at": isoformat(exam.configured_at) if exam.configured_at else None,
    }


def save_exam(user: User, role: Role, data: dict) -> dict:
    """Change the exam's minutes, passing standard, grace, retake policy and certificate validity
    (audited). `validity_months: null` means certificates issued from now on never expire."""
    values: dict = {}
    for name in EXAM_FIELDS:
        if name == "validity_months" and name in data and data[name] is None:
            values[name] = NEVER
            continue
        if name not in data or data[name] is None:
            continue
        value = data[name]
        numeric = (int, float) if name == "passing_percent" else (int,)
        if isinstance(value, bool) or not isinstance(value, numeric):
            raise AuthoringError(422, "invalid", f"{name} must be a number.", field=name)
        values[name] = value
    unknown = sorted(set(data) - set(EXAM_FIELDS) - {"role", "items", "pretest_items", "configured_at"})
    if unknown:
        raise AuthoringError(422, "invalid", f"unknown settings: {', '.join(unknown)}", field=unknown[0])
    begin_write()
    try:
        configure_exam(role, ExamChanges(**values), actor=user)
    except SettingsError as exc:
        db.session.rollback()
        raise AuthoringError(422, "invalid", str(exc)) from exc
    db.session.flush()
    return exam_json(role)
