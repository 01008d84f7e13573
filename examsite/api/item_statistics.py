"""Item analysis through the API (instructors and administrators), for a role or a category:
`GET /api/v1/{roles|categories}/{slug}/item-statistics` and `.../pretest-recommendations`."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from examsite.api import bp
from examsite.api.schemas import ItemStatistics, PretestRecommendations, reply
from examsite.catalog.models import Category
from examsite.catalog.services import get_role
from examsite.errors import ApiError
from examsite.extensions import db
from examsite.instructors.item_analysis import Scope, item_analysis, report
from examsite.instructors.pretest import pretest_advice
from examsite.reports.queries import ReportError, parse_filters
from examsite.security import instructor_required


def _scope(kind: str, slug: str) -> Scope:
    if kind == "roles":
        role = get_role(slug)
        if role is None:
            raise ApiError(404, "not_found", f"No role {slug!r}.")
        subject = {"role": role}
    else:
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            raise ApiError(404, "not_found", f"No category {slug!r}.")
        subject = {"role": None, "category": category}
    try:
        filters = parse_filters({"from": request.args.get("from"), "to": request.args.get("to")})
    except ReportError as exc:
        raise ApiError(422, "invalid", "Invalid range.", fields=exc.errors) from exc
    return Scope(start=filters.start, end=filters.end, **subject)


def _stored(kind: str, slug: str) -> dict:
    """The stored analysis of the range, calculated now when there is none (the page's button
    and the command's --recalculate refresh it)."""
    return report(item_analysis(_scope(kind, slug)))  # item_analysis stores in its own unit


@bp.get("/roles/<slug>/item-statistics", defaults={"kind": "roles"})
@bp.get("/categories/<slug>/item-statistics", defaults={"kind": "categories"})
@instructor_required
def item_statistics(kind: str, slug: str):
    """What `flask stats items SLUG --json` (or `--category SLUG`) prints; `from`/`to` as in the
    reports (UTC, `to` excluded)."""
    return jsonify(reply(ItemStatistics, _stored(kind, slug)))


@bp.get("/roles/<slug>/pretest-recommendations", defaults={"kind": "roles"})
@bp.get("/categories/<slug>/pretest-recommendations", defaults={"kind": "categories"})
@instructor_required
def pretest_recommendations(kind: str, slug: str):
    result = _stored(kind, slug)
    body = {
        "role": result.get("role"),
        "category": result.get("category"),
        "from": result["from"],
        "to": result["to"],
        "attempts": result["attempts"],
        "calculated_at": result["calculated_at"],
        "items": [a.as_dict() for a in pretest_advice(result["items"])],
    }
    return jsonify(reply(PretestRecommendations, body))
