"""GET /api/v1/roles/{slug}/item-statistics (instructors and administrators)."""

from __future__ import annotations

from flask import jsonify, request

from examsite.api import bp
from examsite.api.schemas import ItemStatistics, reply
from examsite.catalog.services import get_role
from examsite.errors import ApiError
from examsite.instructors.item_analysis import Scope, item_analysis, report
from examsite.reports.queries import ReportError, parse_filters
from examsite.security import instructor_required


@bp.get("/roles/<slug>/item-statistics")
@instructor_required
def item_statistics(slug: str):
    """What `flask stats items SLUG --json` prints; `from`/`to` as in the reports (UTC, `to` excluded).

    The stored analysis of the range, calculated now when there is none (the page's button and the
    command's --recalculate refresh it).
    """
    role = get_role(slug)
    if role is None:
        raise ApiError(404, "not_found", f"No role {slug!r}.")
    try:
        filters = parse_filters({"from": request.args.get("from"), "to": request.args.get("to")})
    except ReportError as exc:
        raise ApiError(422, "invalid", "Invalid range.", fields=exc.errors) from exc
    result = report(item_analysis(Scope(role, filters.start, filters.end)))
    return jsonify(reply(ItemStatistics, result))
