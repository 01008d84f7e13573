"""GET /api/v1/openapi.json."""

from __future__ import annotations

from flask import jsonify

from examsite.api import bp


@bp.get("/openapi.json")
def openapi_document():
    from examsite.api.spec import build_spec
    from examsite.authoring import openapi as workspace

    spec = build_spec()
    spec["paths"].update(workspace.paths())
    spec["components"]["schemas"].update(workspace.schemas())
    return jsonify(spec)
