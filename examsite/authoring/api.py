"""The workspace's JSON API: items, their versions and review, role blueprints and exam settings.

Registered on the /api/v1 blueprint; every route checks the user's assignment and the object.
"""

from __future__ import annotations

from functools import wraps

from flask import jsonify, request
from flask_login import current_user

from examsite.api import bp, json_body
from examsite.authoring import items as operations
from examsite.authoring import scenarios, settings
from examsite.authoring.access import AuthoringError, assigned_banks, item_for, require_staff, role_for
from examsite.authoring.queries import ItemFilters, find_items
from examsite.errors import ApiError
from examsite.extensions import db


def staff_api(view):
    """Instructors and administrators only; refusals become JSON errors; success commits."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            require_staff(current_user)
            response = view(*args, **kwargs)
        except AuthoringError as exc:
            db.session.rollback()
            raise ApiError(exc.status, exc.code, exc.message, **exc.extra) from exc
        db.session.commit()
        return response

    return wrapped


@bp.get("/items")
@staff_api
def list_items():
    filters = ItemFilters.from_args(request.args, assigned_banks(current_user))
    page = find_items(filters)
    return jsonify(
        {
            "items": [
                {
                    "id": r.id,
                    "external_id": r.external_id,
                    "category": r.bank,
                    "version": r.version,
                    "status": r.status,
                    "domain": r.domain,
                    "type": r.type,
                    "level": r.level,
                    "stem": r.stem,
                    "tags": r.tags,
                    "author": r.author,
                }
                for r in page.rows
            ],
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
        }
    )


@bp.post("/items")
@staff_api
def create_item():
    item = operations.create_item(current_user, json_body())
    return jsonify(operations.item_json(item)), 201


@bp.get("/items/<int:item_id>")
@staff_api
def get_item(item_id: int):
    return jsonify(operations.item_json(item_for(current_user, item_id)))


@bp.put("/items/<int:item_id>")
@staff_api
def update_item(item_id: int):
    data = json_body()
    item = item_for(current_user, item_id)
    version, _ = operations.update_item(current_user, item, data)
    return jsonify(operations.item_json(item, version))


@bp.get("/items/<int:item_id>/versions")
@staff_api
def item_versions(item_id: int):
    item = item_for(current_user, item_id)
    return jsonify({"versions": [operations.version_json(item, v) for v in operations.versions(item)]})


@bp.post("/items/<int:item_id>/review")
@staff_api
def review_item(item_id: int):
    data = json_body()
    item = item_for(current_user, item_id)
    note = operations.review(
        current_user,
        item,
        data.get("action"),
        data.get("comment"),
        version=data.get("version"),
        status=data.get("status"),
        parent_id=data.get("parent_id"),
    )
    body = operations.item_json(item)
    body["comment_id"] = note.id
    return jsonify(body)


@bp.get("/roles/<slug>/blueprint")
@staff_api
def get_blueprint(slug: str):
    return jsonify(settings.blueprint_json(role_for(current_user, slug)))


@bp.put("/roles/<slug>/blueprint")
@staff_api
def put_blueprint(slug: str):
    data = json_body()
    return jsonify(settings.save_blueprint(current_user, role_for(current_user, slug), data))


@bp.get("/roles/<slug>/exam")
@staff_api
def get_exam(slug: str):
    return jsonify(settings.exam_json(role_for(current_user, slug)))


@bp.put("/roles/<slug>/exam")
@staff_api
def put_exam(slug: str):
    data = json_body()
    return jsonify(settings.save_exam(current_user, role_for(current_user, slug), data))


@bp.get("/scenarios")
@staff_api
def list_scenarios():
    banks = assigned_banks(current_user)
    category = request.args.get("category")
    if category:
        banks = banks & {category}
    return jsonify({"scenarios": [s.as_json() for s in scenarios.list_sets(banks)]})


@bp.post("/scenarios")
@staff_api
def create_scenario():
    found = scenarios.create_set(current_user, json_body())
    return jsonify(found.as_json()), 201


@bp.get("/scenarios/<scenario_id>")
@staff_api
def get_scenario(scenario_id: str):
    found = scenarios.set_for(current_user, scenario_id)
    return jsonify({**found.as_json(), "lint": scenarios.lint_set(found)})


@bp.put("/scenarios/<scenario_id>")
@staff_api
def update_scenario(scenario_id: str):
    data = json_body()
    found, _ = scenarios.update_set(current_user, scenarios.set_for(current_user, scenario_id), data)
    return jsonify(found.as_json())


@bp.post("/scenarios/<scenario_id>/review")
@staff_api
def review_scenario(scenario_id: str):
    data = json_body()
    found = scenarios.set_for(current_user, scenario_id)
    moved = scenarios.review_set(
        current_user, found, data.get("action"), data.get("comment"), data.get("status")
    )
    return jsonify({**scenarios.set_for(current_user, scenario_id).as_json(), "moved": moved})
