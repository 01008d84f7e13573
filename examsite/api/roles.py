"""GET /api/v1/roles."""

from __future__ import annotations

from flask import jsonify

from examsite.api import bp
from examsite.api.schemas import RoleList, reply
from examsite.catalog.services import roles_by_category


@bp.get("/roles")
def list_roles():
    roles = []
    for category in roles_by_category():
        for role in category.roles:
            exam = role.exam
            roles.append(
                {
                    "slug": role.slug,
                    "name": role.name,
                    "category": category.slug,
                    "category_name": category.name,
                    "track": role.track,
                    "summary": role.summary,
                    "exam": {
                        "items": exam.form_items,
                        "pretest_items": exam.pretest_items,
                        "minutes": exam.minutes,
                        "passing_percent": float(exam.passing_percent),
                        "retake_days": exam.retake_days,
                        "attempts_per_year": exam.attempts_per_year,
                    },
                }
            )
    return jsonify(reply(RoleList, {"roles": roles}))
