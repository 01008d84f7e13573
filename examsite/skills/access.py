"""Who may see whose skills profile.

- A trainee sees their own profile, nobody else's.
- Instructors and administrators see individual profiles only of trainees in the cohorts of an
  institution they work for (`staff_institutions`, set with `flask users institution`); a trainee
  of another institution, or in no cohort, is not found for them (404, never a hint it exists).
- Everyone on staff sees the aggregate skills-gap views (shares of trainees per level), of every
  cohort and institution.
"""

from __future__ import annotations

from sqlalchemy import select

from examsite.accounts.models import User
from examsite.audit.services import record
from examsite.extensions import db
from examsite.programs.models import Cohort, Institution, StaffInstitution
from examsite.timeutil import utcnow

STAFF_ROLES = ("instructor", "admin")


class AccessError(ValueError):
    pass


def staff_institution_ids(user) -> set[int]:
    if getattr(user, "role", None) not in STAFF_ROLES:
        return set()
    return set(
        db.session.scalars(select(StaffInstitution.institution_id).where(StaffInstitution.user_id == user.id))
    )


def visible_trainee(viewer, trainee_id: int) -> User | None:
    """The trainee whose individual profile `viewer` may see, or None (shown as 404)."""
    if viewer.role == "trainee":
        return db.session.get(User, trainee_id) if trainee_id == viewer.id else None
    institutions = staff_institution_ids(viewer)
    if not institutions:
        return None
    return db.session.scalar(
        select(User)
        .join(Cohort, Cohort.id == User.cohort_id)
        .where(User.id == trainee_id, User.role == "trainee", Cohort.institution_id.in_(institutions))
    )


def visible_trainees(viewer) -> list[tuple[User, Cohort]]:
    """The trainees whose profiles a staff member may see, by institution, cohort and name."""
    institutions = staff_institution_ids(viewer)
    if not institutions:
        return []
    return list(
        db.session.execute(
            select(User, Cohort)
            .join(Cohort, Cohort.id == User.cohort_id)
            .join(Institution, Institution.id == Cohort.institution_id)
            .where(User.role == "trainee", Cohort.institution_id.in_(institutions))
            .order_by(Institution.name, Cohort.name, User.name, User.id)
        ).tuples()
    )


def set_staff_institution(user: User, institution: Institution, *, remove: bool = False) -> bool:
    """Record (or end) that a staff member works for an institution; True when something changed."""
    if user.role not in STAFF_ROLES:
        raise AccessError(
            f"{user.email} is a {user.role} account; trainees belong to an institution through a cohort."
        )
    found = db.session.get(StaffInstitution, (user.id, institution.id))
    if remove:
        if found is None:
            return False
        db.session.delete(found)
        record("user.institution.remove", user, institution=institution.id, name=institution.name)
        return True
    if found is not None:
        return False
    db.session.add(StaffInstitution(user_id=user.id, institution_id=institution.id, created_at=utcnow()))
    record("user.institution.add", user, institution=institution.id, name=institution.name)
    return True
