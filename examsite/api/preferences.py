"""The signed-in user's display preferences (text size, theme), set from the exam page."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from examsite.accounts.preferences import set_preferences
from examsite.api import bp, json_body
from examsite.api.schemas import Preferences, PreferencesIn, parse_body, reply
from examsite.database import unit_of_work
from examsite.errors import ApiError


@bp.put("/me/preferences")
def put_preferences():
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthorized", "Log in or send a bearer token.")
    body = parse_body(PreferencesIn, json_body())
    with unit_of_work():
        chosen = set_preferences(current_user, body.text_size, body.theme)
    return jsonify(reply(Preferences, chosen))
