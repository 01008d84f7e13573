"""Instructors' pages: bank coverage per role, item statistics, integrity events to review."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from examsite.banks.queries import bank_stats
from examsite.catalog.services import get_role, roles_by_category
from examsite.delivery.models import Attempt, IntegrityEvent
from examsite.extensions import db
from examsite.instructors.queries import integrity_summary, role_item_report
from examsite.security import instructor_required

bp = Blueprint("instructors", __name__, url_prefix="/instructor", template_folder="templates")


@bp.get("/")
@instructor_required
def index():
    return render_template("instructors/index.html", stats=bank_stats(), categories=roles_by_category())


@bp.get("/roles/<slug>/items")
@instructor_required
def items(slug: str):
    role = get_role(slug) or abort(404)
    return render_template("instructors/items.html", role=role, report=role_item_report(role))


@bp.get("/integrity")
@instructor_required
def integrity():
    role = get_role(request.args.get("role", "")) if request.args.get("role") else None
    return render_template(
        "instructors/integrity.html",
        rows=integrity_summary(role.id if role else None),
        categories=roles_by_category(),
        selected=role,
    )


@bp.get("/attempts/<int:attempt_id>/events")
@instructor_required
def attempt_events(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    events = db.session.scalars(
        select(IntegrityEvent)
        .where(IntegrityEvent.attempt_id == attempt.id)
        .order_by(IntegrityEvent.occurred_at)
    ).all()
    return render_template("instructors/events.html", attempt=attempt, events=events)
