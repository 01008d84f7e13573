"""GET /api/v1/me/skills-profile: the trainee's own skills profile (registered on the API blueprint)."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from examsite.accounts.models import UserRole
from examsite.api import bp
from examsite.api.schemas import SkillsProfile, reply
from examsite.errors import ApiError
from examsite.skills.services import skills_profile


@bp.get("/me/skills-profile")
def my_skills_profile():
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthorized", "Log in or send a bearer token.")
    if current_user.role != UserRole.TRAINEE:
        raise ApiError(403, "forbidden", "Only trainee accounts have a skills profile.")
    return jsonify(reply(SkillsProfile, skills_profile(current_user.id).as_dict()))
