"""Who may work on what: instructors in the categories they are assigned to, administrators
everywhere. The core bank (shared by every category) is the administrators'."""

from __future__ import annotations

from sqlalchemy import select

from examsite.accounts.models import User, UserRole
from examsite.authoring.models import CategoryAssignment
from examsite.banks.loader import CATEGORY_ROLES, CORE
from examsite.banks.models import Item
from examsite.catalog.models import Category, Role
from examsite.extensions import db


class AuthoringError(Exception):
    """A request the workspace refuses; `status` and `code` map onto the API's JSON errors."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def assigned_banks(user: User) -> set[str]:
    """Bank names (category slugs, and core for administrators) the user may author in."""
    if user.role == UserRole.ADMIN:
        return {CORE, *CATEGORY_ROLES}
    if user.role != UserRole.INSTRUCTOR:
        return set()
    return set(
        db.session.scalars(
            select(Category.slug)
            .join(CategoryAssignment, CategoryAssignment.category_id == Category.id)
            .where(CategoryAssignment.user_id == user.id)
        )
    )


def require_staff(user: User) -> None:
    if not getattr(user, "is_authenticated", False):
        raise AuthoringError(401, "unauthorized", "Log in or send a bearer token.")
    if user.role not in (UserRole.INSTRUCTOR, UserRole.ADMIN):
        raise AuthoringError(403, "forbidden", "Only instructors and administrators use the workspace.")


def require_bank(user: User, bank: object) -> str:
    """The bank a new item goes into, if the user may author there."""
    if not isinstance(bank, str) or bank not in (CORE, *CATEGORY_ROLES):
        raise AuthoringError(
            422, "invalid", "category must be one of: " + ", ".join(sorted(CATEGORY_ROLES)), field="category"
        )
    if bank not in assigned_banks(user):
        raise AuthoringError(403, "forbidden", f"You are not assigned to author in {bank!r}.")
    return bank


def item_for(user: User, item_id: int, lock: bool = False) -> Item:
    """The item, if the user may see it: another category's item is simply not there (404)."""
    query = select(Item).where(Item.id == item_id)
    if lock:
        query = query.with_for_update()
    item = db.session.scalar(query)
    if item is None or item.latest_version_id is None or item.bank not in assigned_banks(user):
        raise AuthoringError(404, "not_found", f"No item {item_id}.")
    return item


def role_for(user: User, slug: str) -> Role:
    role = db.session.scalar(select(Role).where(Role.slug == slug))
    if role is None:
        raise AuthoringError(404, "not_found", f"No role {slug!r}.")
    if role.category.slug not in assigned_banks(user):
        raise AuthoringError(403, "forbidden", f"You are not assigned to the {role.category.slug} category.")
    return role


def assign(user: User, category: Category) -> bool:
    """Let an instructor author in a category; False when they already could."""
    if user.role != UserRole.INSTRUCTOR:
        raise AuthoringError(422, "invalid", f"{user.email} is a {user.role}, not an instructor.")
    exists = db.session.get(CategoryAssignment, (user.id, category.id))
    if exists is not None:
        return False
    db.session.add(CategoryAssignment(user_id=user.id, category_id=category.id))
    return True


def set_assignments(user: User, categories: list[Category]) -> tuple[set[str], set[str]]:
    """Make the instructor's categories exactly these; returns (added, removed) slugs."""
    if user.role != UserRole.INSTRUCTOR:
        raise AuthoringError(422, "invalid", f"{user.email} is a {user.role}, not an instructor.")
    current = {
        a.category_id: a
        for a in db.session.scalars(select(CategoryAssignment).where(CategoryAssignment.user_id == user.id))
    }
    wanted = {c.id: c for c in categories}
    for category_id, assignment in current.items():
        if category_id not in wanted:
            db.session.delete(assignment)
    for category_id in wanted.keys() - current.keys():
        db.session.add(CategoryAssignment(user_id=user.id, category_id=category_id))
    slugs = {c.id: c.slug for c in db.session.scalars(select(Category))}
    return {slugs[i] for i in wanted.keys() - current.keys()}, {
        slugs[i] for i in current.keys() - wanted.keys()
    }
