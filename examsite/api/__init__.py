"""The JSON API under /api/v1 (described at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import Blueprint, request

from examsite.errors import ApiError
from examsite.extensions import csrf
from examsite.inputs import BodyError, read_json_body
from examsite.security import protect_api_write, token_scope_allows, used_token_auth

bp = Blueprint("api", __name__)
csrf.exempt(bp)


#: the largest id a path takes (the id columns are PostgreSQL `integer`); a larger one names nothing
MAX_ID = 2**31 - 1


@bp.before_request
def ids_in_range():
    """404 for a path id beyond the id columns' range, before a query overflows the database's."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            raise ApiError(404, "not_found", "No such resource.")


def one_statement_saves():
    """Put the save route in single statements before anything reads the database.

    Registered on the app by create_app before any blueprint's hooks: the account checks that
    run before every request (a password that must change, two-factor set-up) load the user,
    and that first read would otherwise open a transaction on PostgreSQL.
    """
    if request.endpoint == "api.save_response":
        from examsite.delivery.services import prepare_save_request

        prepare_save_request()


@bp.before_request
def token_scope():
    """A scoped token (say reports:read for a BI tool) reaches only what its scope names."""
    if not token_scope_allows(request.method, request.path):
        raise ApiError(403, "token_scope", "This API token's scope does not allow this request.")


@bp.before_request
def csrf_for_cookie_sessions():
    """Writes with the session cookie need the CSRF token; bearer-token writes cannot be forged."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    from flask_login import current_user

    if current_user.is_authenticated and used_token_auth():
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        # A token that names no active account (unknown, revoked, or its user deactivated)
        raise ApiError(401, "unauthorized", "The bearer token is not valid.")
    protect_api_write()


def json_body() -> dict:
    try:
        data = read_json_body()
    except BodyError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "malformed", "The body must be a JSON object.")
    return data


from examsite.api import (  # noqa: E402,F401
    attempts,
    certificates,
    item_statistics,
    openapi,
    preferences,
    reports,
    roles,
)
from examsite.authoring import api as authoring_api  # noqa: E402,F401
from examsite.skills import api as skills_api  # noqa: E402,F401
