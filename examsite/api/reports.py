"""GET /api/v1/reports/pass-rates (administrators; a personal API token works for BI tools)."""

from __future__ import annotations

from flask import jsonify, request

from examsite.api import bp
from examsite.api.schemas import PassRateReport, reply
from examsite.errors import ApiError
from examsite.reports.queries import ReportError, overall, parse_filters, pass_rate_rows
from examsite.reports.views import csv_response
from examsite.security import admin_required


@bp.get("/reports/pass-rates")
@admin_required
def pass_rates_report():
    """Query: by, from, to (dates or ISO datetimes, UTC, `to` excluded), attempts=first|all.

    JSON by default; `Accept: text/csv` gives the same rows as CSV.
    """
    try:
        filters = parse_filters(request.args)
    except ReportError as exc:
        raise ApiError(422, "invalid", f"Invalid report parameters: {exc}", fields=exc.errors) from exc
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        response = csv_response(filters)
    else:
        report = {
            **filters.as_dict(),
            "rows": [r.as_dict() for r in pass_rate_rows(filters)],
            "total": overall(filters).as_dict(),
        }
        response = jsonify(reply(PassRateReport, report))
    response.vary.add("Accept")
    return response
