"""Catalog rules: the twelve roles exist with their settings; changing a role's exam settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from examsite.audit.services import record
from examsite.catalog.data import CATEGORIES
from examsite.catalog.models import Category, ExamSettings, Role
from examsite.extensions import db
from examsite.timeutil import utcnow


def ensure_catalog() -> None:
    """Create or refresh the categories, roles and default exam settings. Idempotent."""
    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    roles = {r.slug: r for r in db.session.scalars(select(Role))}
    for c_pos, c_data in enumerate(CATEGORIES):
        category = categories.get(c_data["slug"]) or Category(slug=c_data["slug"])
        category.name, category.description, category.position = (
            c_data["name"],
            c_data["description"],
            c_pos,
        )
        db.session.add(category)
        for r_pos, r_data in enumerate(c_data["roles"]):
            role = roles.get(r_data["slug"]) or Role(slug=r_data["slug"])
            role.category = category
            role.name, role.track = r_data["name"], r_data["track"]
            role.summary, role.duties, role.position = r_data["summary"], r_data["duties"], r_pos
            if role.exam is None:
                role.exam = ExamSettings()
            db.session.add(role)
    db.session.flush()


def roles_by_category() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position)))


def get_role(slug: str) -> Role | None:
    return db.session.scalar(select(Role).where(Role.slug == slug))


class SettingsError(ValueError):
    pass


@dataclass
class ExamChanges:
    items: int | None = None
    minutes: int | None = None
    passing_percent: str | float | None = None
    retake_days: int | None = None
    attempts_per_year: int | None = None
    grace_seconds: int | None = None
    #: months a certificate stays valid; NEVER (0 on the command line, null in the API) for no limit
    validity_months: int | None = None
    renewal_ce_hours: int | None = None


#: `validity_months=NEVER`: certificates issued from now on do not expire
NEVER = "never"


def configure_exam(role: Role, changes: ExamChanges, actor=None) -> dict:
    """Validate and apply changes to a role's exam settings; return what changed (audited)."""
    exam = role.exam
    applied: dict = {}

    def positive(name: str, value: int | None, low: int = 1, high: int = 10_000) -> None:
        if value is None:
            return
        if not (low <= value <= high):
            raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
        applied[name] = value

    positive("form_items", changes.items, 1, 500)
    positive("minutes", changes.minutes, 1, 24 * 60)
    positive("retake_days", changes.retake_days, 0, 3650)
    positive("attempts_per_year", changes.attempts_per_year, 1, 100)
    positive("grace_seconds", changes.grace_seconds, 0, 3600)
    if changes.validity_months == NEVER:
        applied["validity_months"] = None
    else:
        positive("validity_months", changes.validity_months, 1, 600)
    positive("renewal_ce_hours", changes.renewal_ce_hours, 0, 1000)
    if changes.passing_percent is not None:
        try:
            percent = Decimal(str(changes.passing_percent))
        except InvalidOperation as exc:
            raise SettingsError(f"passing percent must be a number, not {changes.passing_percent!r}") from exc
        if not (Decimal(0) < percent <= Decimal(100)):
            raise SettingsError(f"passing percent must be above 0 and at most 100, not {percent}")
        applied["passing_percent"] = percent
        if percent != exam.passing_percent:
            exam.passing_standard_study_id = None  # no longer the study's cut
    for name, value in applied.items():
        setattr(exam, name, value)
    if applied:
        exam.configured_at = utcnow()
        record(
            "exam.configure",
            exam,
            actor=actor,
            role=role.slug,
            **{k: "never" if v is None else str(v) for k, v in applied.items()},
        )
    return applied
