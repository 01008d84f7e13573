"""Public catalog: the home page of the twelve role exams and a page per role."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from examsite.accounts.models import UserRole
from examsite.catalog.services import get_role, roles_by_category
from examsite.certificates.validity import RENEWAL_OPENS_DAYS
from examsite.programs.rules import accommodated_minutes

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.get("/")
def home():
    return render_template("catalog/home.html", categories=roles_by_category())


@bp.get("/roles/<slug>")
def role(slug: str):
    role = get_role(slug)
    if role is None:
        abort(404)
    # Function-local, as delivery's: the catalog sits below delivery and skills, which build on it.
    from examsite.delivery.services import open_attempt_for, retake_status
    from examsite.skills.services import role_overlaps
    from examsite.standards.services import passing_standard_source

    open_attempt = retake = your_minutes = None
    if current_user.is_authenticated:
        your_minutes = accommodated_minutes(role.exam.minutes, current_user.time_multiplier)
    if current_user.is_authenticated and current_user.role == UserRole.TRAINEE:
        open_attempt = open_attempt_for(current_user, role)
        retake = retake_status(current_user, role)
    return render_template(
        "catalog/role.html",
        role=role,
        exam=role.exam,
        open_attempt=open_attempt,
        retake=retake,
        your_minutes=your_minutes,
        overlaps=role_overlaps(role.slug),
        standard_set=passing_standard_source(role),
        renewal_opens_days=RENEWAL_OPENS_DAYS,
    )
