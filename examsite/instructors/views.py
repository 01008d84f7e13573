"""Instructors' pages: bank coverage per role, item statistics, integrity events to review."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from examsite.banks.queries import bank_stats
from examsite.catalog.models import Category
from examsite.catalog.services import get_role, roles_by_category
from examsite.delivery.models import Attempt, IntegrityEvent
from examsite.extensions import db
from examsite.instructors import pretest as pretest_rules
from examsite.instructors.item_analysis import (
    Scope,
    cached,
    current_statuses,
    item_analysis,
    report,
    version_texts,
)
from examsite.instructors.presenters import (
    FLAG_COLUMNS,
    FLAG_FILTERS,
    SORTS,
    flag_rows,
    item_rows,
    select_rows,
)
from examsite.instructors.queries import integrity_summary
from examsite.reports.formatters import csv_lines
from examsite.reports.queries import ReportError, parse_filters
from examsite.security import instructor_required

bp = Blueprint("instructors", __name__, url_prefix="/instructor", template_folder="templates")


@bp.get("/")
@instructor_required
def index():
    return render_template("instructors/index.html", stats=bank_stats(), categories=roles_by_category())


def _subject(kind: str, slug: str):
    """The role or category of the URL (404 when there is none)."""
    if kind == "roles":
        return get_role(slug) or abort(404)
    return db.session.scalar(select(Category).where(Category.slug == slug)) or abort(404)


def _scope(kind: str, slug: str, args) -> tuple[object, Scope | dict]:
    """The role or category and the range asked for, or the problems with the range."""
    subject = _subject(kind, slug)
    try:
        filters = parse_filters({"from": args.get("from"), "to": args.get("to")})
    except ReportError as exc:
        return subject, exc.errors
    if kind == "roles":
        return subject, Scope(subject, filters.start, filters.end)
    return subject, Scope(None, filters.start, filters.end, category=subject)


def _analysis(scope: Scope) -> tuple[dict | None, list[dict]]:
    """The stored analysis and its rows with the items' text; (None, []) when it was never
    calculated. A GET only reads: calculating is the recalculate button's POST."""
    entry = cached(scope)
    if entry is None:
        return None, []
    result = report(entry)
    rows = item_rows(result["items"], version_texts({i["item_version_id"] for i in result["items"]}))
    return result, rows


def _range_args(args) -> dict:
    return {k: args[k] for k in ("from", "to") if args.get(k)}


@bp.get("/<any(roles, categories):kind>/<slug>/items")
@instructor_required
def items(kind: str, slug: str):
    subject, scope = _scope(kind, slug, request.args)
    flag = request.args.get("flag", "") if request.args.get("flag", "") in FLAG_FILTERS else ""
    sort = request.args.get("sort", "external_id") if request.args.get("sort") in SORTS else "external_id"
    common = {"subject": subject, "kind": kind, "flags": FLAG_FILTERS, "sorts": SORTS, "args": request.args}
    if isinstance(scope, dict):
        return render_template("instructors/items.html", errors=scope, **common), 422
    result, rows = _analysis(scope)
    return render_template(
        "instructors/items.html",
        result=result,
        rows=select_rows(rows, flag, sort),
        total=len(rows),
        flagged=sum(1 for r in rows if r["flags"]),
        flag=flag,
        sort=sort,
        range_args=_range_args(request.args),
        errors={},
        **common,
    )


@bp.get("/<any(roles, categories):kind>/<slug>/items/flags.csv")
@instructor_required
def item_flags_csv(kind: str, slug: str):
    subject, scope = _scope(kind, slug, request.args)
    if isinstance(scope, dict):
        abort(422)
    result, rows = _analysis(scope)
    if result is None:
        flash("The item analysis of this range has not been calculated yet: calculate it first.", "error")
        return redirect(url_for("instructors.items", kind=kind, slug=slug, **_range_args(request.args)))
    response = Response(csv_lines(FLAG_COLUMNS, flag_rows(rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="item-flags-{subject.slug}.csv"'
    return response


@bp.post("/<any(roles, categories):kind>/<slug>/items/recalculate")
@instructor_required
def recalculate_items(kind: str, slug: str):
    _, scope = _scope(kind, slug, request.form)
    if isinstance(scope, dict):
        abort(422)
    item_analysis(scope, recalculate=True)
    flash("Item analysis recalculated from the stored responses.", "success")
    target = request.form.get("next") if request.form.get("next") in ("pretest",) else "items"
    return redirect(url_for(f"instructors.{target}", kind=kind, slug=slug, **_range_args(request.form)))


@bp.get("/<any(roles, categories):kind>/<slug>/pretest")
@instructor_required
def pretest(kind: str, slug: str):
    """Which pretest items to activate, from the stored analysis, with the reason for each."""
    subject, scope = _scope(kind, slug, request.args)
    common = {
        "subject": subject,
        "kind": kind,
        "args": request.args,
        "min_responses": pretest_rules.MIN_RESPONSES,
        "facility_range": pretest_rules.FACILITY_RANGE,
        "min_discrimination": pretest_rules.MIN_DISCRIMINATION,
    }
    if isinstance(scope, dict):
        return render_template("instructors/pretest.html", errors=scope, range_args={}, **common), 422
    entry = cached(scope)
    result = report(entry) if entry is not None else None
    advice = pretest_rules.pretest_advice(result["items"]) if result else []
    texts = version_texts({a.item_version_id for a in advice})
    return render_template(
        "instructors/pretest.html",
        result=result,
        advice=advice,
        texts=texts,
        statuses=current_statuses({a.item_version_id for a in advice}),
        range_args=_range_args(request.args),
        errors={},
        **common,
    )


@bp.get("/integrity")
@instructor_required
def integrity():
    role = get_role(request.args.get("role", "")) if request.args.get("role") else None
    return render_template(
        "instructors/integrity.html",
        rows=integrity_summary(role.id if role else None),
        categories=roles_by_category(),
        selected=role,
    )


@bp.get("/attempts/<int:attempt_id>/events")
@instructor_required
def attempt_events(attempt_id: int):
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    events = db.session.scalars(
        select(IntegrityEvent)
        .where(IntegrityEvent.attempt_id == attempt.id)
        .order_by(IntegrityEvent.occurred_at)
    ).all()
    return render_template("instructors/events.html", attempt=attempt, events=events)
