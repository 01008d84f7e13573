"""The trainee's exam pages. Each works as a plain form post; exam.js adds autosave and the timer."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from examsite.accounts.models import TEXT_SIZES
from examsite.catalog.services import get_role
from examsite.delivery import aids, services
from examsite.delivery.content import attempt_rows
from examsite.delivery.forms import AnswerForm, StartForm, SubmitAttemptForm
from examsite.delivery.models import AttemptStatus
from examsite.delivery.presenters import (
    attempt_view,
    item_view,
    navigator_html,
    result_view,
    submit_warning,
)
from examsite.extensions import db
from examsite.programs.rules import accommodated_minutes
from examsite.security import trainee_required

bp = Blueprint("delivery", __name__, template_folder="templates")
bp.add_app_template_global(AttemptStatus, "AttemptStatus")  # results and histories (admin's too)
DEVICE_COOKIE = "exam_device"


def _attempt_or_404(attempt_id: int):
    try:
        return services.get_attempt_for(current_user, attempt_id)
    except services.DeliveryError:
        abort(404)


@bp.route("/exams/<slug>/start", methods=["GET", "POST"])
@trainee_required
def confirm(slug: str):
    role = get_role(slug)
    if role is None:
        abort(404)
    open_attempt = services.open_attempt_for(current_user, role)
    if open_attempt is not None:
        return redirect(url_for("delivery.take", attempt_id=open_attempt.id))
    retake = services.retake_status(current_user, role)
    form = StartForm()
    if retake.allowed and form.validate_on_submit():
        try:
            with services.delivery_unit():
                attempt, _ = services.start_attempt(current_user, role)
        except services.DeliveryError as exc:
            flash(exc.message, "error")
            return redirect(url_for("catalog.role", slug=slug))
        return redirect(url_for("delivery.item", attempt_id=attempt.id, position=1))
    minutes = accommodated_minutes(role.exam.minutes, current_user.time_multiplier)
    return render_template(
        "delivery/confirm.html", role=role, exam=role.exam, form=form, retake=retake, minutes=minutes
    )


@bp.get("/attempts/<int:attempt_id>")
@trainee_required
def take(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("delivery.result", attempt_id=attempt.id))
    first_open = next((row.position for row in attempt_rows(attempt) if not row.answered), 1)
    return redirect(url_for("delivery.item", attempt_id=attempt.id, position=first_open))


@bp.route("/attempts/<int:attempt_id>/items/<int:position>", methods=["GET", "POST"])
@trainee_required
def item(attempt_id: int, position: int):
    attempt = _attempt_or_404(attempt_id)
    if not attempt.is_open:
        flash(closed_reason(attempt), "info")
        return redirect(url_for("delivery.result", attempt_id=attempt.id))
    rows = attempt_rows(attempt)
    if not 1 <= position <= len(rows):
        abort(404)
    row = rows[position - 1]
    form = AnswerForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            services.save_answer(
                current_user,
                attempt.id,
                row.id,
                request.form.getlist("choice"),
                request.form.get("flagged") == "1",
            )
        except services.DeliveryError as exc:
            if exc.status == 409 and exc.code == "attempt_closed":
                db.session.refresh(attempt)
                flash(closed_reason(attempt), "info")
                return redirect(url_for("delivery.result", attempt_id=attempt.id))
            flash(exc.message, "error")
            return redirect(url_for("delivery.item", attempt_id=attempt.id, position=position))
        strike = request.form.get("strike")
        if strike is not None:  # a strike-out button pressed without JavaScript: toggle it, stay
            return _toggle_strike(attempt, row.id, position, strike)
        target = request.form.get("go", "next")
        if target == "review":
            return redirect(url_for("delivery.review", attempt_id=attempt.id))
        if target == "prev":
            position = max(1, position - 1)
        elif target.isdigit():
            position = min(max(1, int(target)), len(rows))
        elif target == "next":
            if position == len(rows):
                return redirect(url_for("delivery.review", attempt_id=attempt.id))
            position = position + 1
        return redirect(url_for("delivery.item", attempt_id=attempt.id, position=position))
    response = _with_device_cookie(attempt)
    return response(
        render_template(
            "delivery/item.html",
            attempt=attempt,
            view=attempt_view(attempt, include_items=False),
            item=item_view(row, html=True),
            rows=rows,
            navigator=navigator_html(rows, attempt.id, position),
            struck=set(aids.struck_options(row.id)),
            text_sizes=TEXT_SIZES,
            form=form,
            submit_form=SubmitAttemptForm(),
        )
    )


def _toggle_strike(attempt, attempt_item_id: int, position: int, option_id: str):
    struck = aids.struck_options(attempt_item_id)
    struck = [o for o in struck if o != option_id] if option_id in struck else [*struck, option_id]
    try:
        with services.delivery_unit():
            aids.strike_options(current_user, attempt.id, attempt_item_id, struck)
    except services.DeliveryError as exc:
        flash(exc.message, "error")
    return redirect(url_for("delivery.item", attempt_id=attempt.id, position=position))


def closed_reason(attempt) -> str:
    """Why an attempt the trainee is still looking at no longer takes answers, truthfully."""
    if attempt.status == AttemptStatus.SUBMITTED:
        return (
            "This exam was already submitted, from another window or device, so nothing more was "
            "saved. Here is its result."
        )
    return "Your time is up: the exam was scored with the answers you saved."


def _with_device_cookie(attempt):
    """Tag this browser so a second device resuming the attempt is recorded for review."""
    device = request.cookies.get(DEVICE_COOKIE)
    new_device = device is None
    device = device or secrets.token_urlsafe(12)
    services.note_device(attempt, device, request.remote_addr)

    def finish(body):
        from flask import make_response

        resp = make_response(body)
        if new_device:
            resp.set_cookie(
                DEVICE_COOKIE,
                device,
                max_age=60 * 60 * 24 * 365,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure,
            )
        return resp

    return finish


@bp.get("/attempts/<int:attempt_id>/review")
@trainee_required
def review(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if not attempt.is_open:
        flash(closed_reason(attempt), "info")
        return redirect(url_for("delivery.result", attempt_id=attempt.id))
    rows = attempt_rows(attempt)
    unanswered = [r.position for r in rows if not r.answered]
    flagged = [r.position for r in rows if r.flagged]
    return render_template(
        "delivery/review.html",
        attempt=attempt,
        rows=rows,
        view=attempt_view(attempt, include_items=False),
        unanswered=unanswered,
        flagged=flagged,
        submit_warning=submit_warning,
        form=SubmitAttemptForm(),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@trainee_required
def submit(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    form = SubmitAttemptForm()
    if not form.validate_on_submit():
        abort(400)
    if attempt.is_open and request.form.get("from_review") and not request.form.get("confirmed"):
        # The review page's button without JavaScript (exam.js asks in a dialog): confirm first
        # when questions are unanswered or flagged. Time running out submits without asking.
        rows = attempt_rows(attempt)
        unanswered = [r.position for r in rows if not r.answered]
        flagged = [r.position for r in rows if r.flagged]
        if unanswered or flagged:
            return render_template(
                "delivery/confirm_submit.html",
                attempt=attempt,
                unanswered=unanswered,
                flagged=flagged,
                submit_warning=submit_warning,
            )
    with services.delivery_unit():
        services.submit_attempt(attempt)
    return redirect(url_for("delivery.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@trainee_required
def result(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if attempt.is_open:
        return redirect(url_for("delivery.take", attempt_id=attempt.id))
    return render_template("delivery/result.html", attempt=attempt, result=result_view(attempt))


@bp.get("/attempts")
@trainee_required
def history():
    from sqlalchemy import select

    from examsite.delivery.models import Attempt
    from examsite.extensions import db

    attempts = db.session.scalars(
        select(Attempt).where(Attempt.user_id == current_user.id).order_by(Attempt.started_at.desc())
    ).all()
    for attempt in attempts:
        services.close_if_expired(attempt)
    return render_template(
        "delivery/history.html",
        attempts=attempts,
        results={a.id: result_view(a) for a in attempts if not a.is_open},
    )
