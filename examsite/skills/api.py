"""Skills on the API blueprint: GET /api/v1/me/skills-profile (the trainee's own),
/api/v1/reports/skills-gap and /api/v1/trainees/{id}/skills-profile (staff; see skills/access.py)."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_login import current_user

from examsite.api import bp
from examsite.api.schemas import SkillsGapReport, SkillsProfile, reply
from examsite.errors import ApiError
from examsite.reports.formatters import csv_lines
from examsite.reports.queries import ReportError
from examsite.security import instructor_required
from examsite.skills.access import visible_trainee
from examsite.skills.gap import download_name, gap_rows, parse_gap_filters
from examsite.skills.services import SKILLS_COLUMNS, skills_profile


@bp.get("/me/skills-profile")
def my_skills_profile():
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthorized", "Log in or send a bearer token.")
    if current_user.role != "trainee":
        raise ApiError(403, "forbidden", "Only trainee accounts have a skills profile.")
    return jsonify(reply(SkillsProfile, skills_profile(current_user.id).as_dict()))


@bp.get("/reports/skills-gap")
@instructor_required
def skills_gap_report():
    """Query: by=cohort|institution, group=ID, from, to. JSON, or CSV with `Accept: text/csv`."""
    try:
        filters = parse_gap_filters(request.args)
    except ReportError as exc:
        raise ApiError(422, "invalid", f"Invalid report parameters: {exc}", fields=exc.errors) from exc
    rows = gap_rows(filters)
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        response = Response(csv_lines(SKILLS_COLUMNS, rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name(filters, "csv")}"'
    else:
        response = jsonify(reply(SkillsGapReport, {**filters.as_dict(), "rows": rows}))
    response.vary.add("Accept")
    return response


@bp.get("/trainees/<int:user_id>/skills-profile")
@instructor_required
def trainee_skills_profile(user_id: int):
    """A trainee's profile, for staff of the trainee's institution only (404 for anyone else's)."""
    if visible_trainee(current_user, user_id) is None:
        raise ApiError(404, "not_found", "No such trainee in an institution you work for.")
    return jsonify(reply(SkillsProfile, skills_profile(user_id).as_dict()))
