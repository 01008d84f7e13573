"""GET /healthz: the app's and the database's state, for load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, jsonify

from examsite.database import database_state
from examsite.timeutil import isoformat, utcnow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    ok, detail = database_state()
    body = {
        "status": "ok" if ok else "degraded",
        "app": "ok",
        "database": "ok" if ok else "unavailable",
        "time": isoformat(utcnow()),
    }
    if not ok:
        body["detail"] = detail
    return jsonify(body), 200 if ok else 503
