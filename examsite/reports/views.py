"""Pass-rate report pages (administrators): the page with charts, and its CSV and XLSX downloads."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request, stream_with_context

from examsite.reports import charts
from examsite.reports.formatters import XLSX_MIMETYPE, csv_lines, xlsx_bytes
from examsite.reports.forms import PassRateFilterForm
from examsite.reports.queries import (
    COLUMNS,
    GROUPINGS,
    Distribution,
    PassRateRow,
    ReportFilters,
    overall,
    pass_rate_rows,
    report_notes,
    score_distribution,
)
from examsite.security import admin_required

bp = Blueprint("reports", __name__, template_folder="templates")


@dataclass
class PageReport:
    filters: ReportFilters
    rows: list[PassRateRow]
    total: PassRateRow
    distribution: Distribution
    rate_chart: charts.Chart | None
    score_chart: charts.Chart | None


def _page_report(filters: ReportFilters) -> PageReport:
    rows, distribution = pass_rate_rows(filters), score_distribution(filters)
    return PageReport(
        filters,
        rows,
        overall(filters),
        distribution,
        charts.pass_rate_chart(rows, GROUPINGS[filters.by]),
        charts.score_histogram(distribution),
    )


def _form() -> PassRateFilterForm:
    return PassRateFilterForm(formdata=request.args)


def _invalid(form: PassRateFilterForm):
    return render_template("reports/pass_rates.html", form=form, report=None, groupings=GROUPINGS), 422


def download_name(filters: ReportFilters, extension: str) -> str:
    parts = ["pass-rates", filters.by]
    if filters.attempts == "first":
        parts.append("first-attempts")
    if filters.start:
        parts.append("from-" + filters.start.strftime("%Y-%m-%d"))
    if filters.end:
        parts.append("to-" + filters.end.strftime("%Y-%m-%d"))
    return "-".join(parts) + "." + extension


def csv_response(filters: ReportFilters) -> Response:
    """The report as CSV, streamed row by row."""
    rows = (row.as_dict() for row in pass_rate_rows(filters))
    response = Response(stream_with_context(csv_lines(COLUMNS, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{download_name(filters, "csv")}"'
    return response


@bp.get("/reports/pass-rates")
@admin_required
def pass_rates():
    form = _form()
    if not form.validate():
        return _invalid(form)
    return render_template(
        "reports/pass_rates.html",
        form=form,
        report=_page_report(form.filters()),
        groupings=GROUPINGS,
        query=request.args.to_dict(),
    )


@bp.get("/reports/pass-rates.csv")
@admin_required
def pass_rates_csv():
    form = _form()
    if not form.validate():
        return _invalid(form)
    return csv_response(form.filters())


@bp.get("/reports/pass-rates.xlsx")
@admin_required
def pass_rates_xlsx():
    form = _form()
    if not form.validate():
        return _invalid(form)
    filters = form.filters()
    body = xlsx_bytes(
        COLUMNS,
        (row.as_dict() for row in pass_rate_rows(filters)),
        sheet_title="Pass rates",
        about=report_notes(filters),
    )
    return Response(
        body,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{download_name(filters, "xlsx")}"'},
    )
