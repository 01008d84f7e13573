"""Standard-setting pages under /instructor/standards: open a study, invite, rate, move on, apply.

Every study page answers 404 to whoever may not see the study (another category's instructor,
one not invited); applying is for administrators only (404 for others too).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from examsite.accounts.models import UserRole
from examsite.catalog.services import get_role
from examsite.database import unit_of_work
from examsite.extensions import db
from examsite.security import instructor_required
from examsite.standards import services
from examsite.standards.forms import ConfirmForm, InviteForm, OpenStudyForm, parsed_ratings, rating_form
from examsite.standards.models import StandardStudy, StudyStatus

bp = Blueprint("standards", __name__, url_prefix="/instructor/standards", template_folder="templates")


def _study(study_id: int) -> StandardStudy:
    return services.study_for(current_user, study_id) or abort(404)


def _refused(exc: services.StudyError, study_id: int | None = None):
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    flash(exc.message, "error")
    target = url_for("standards.study", study_id=study_id) if study_id else url_for("standards.index")
    return redirect(target)


@bp.route("/", methods=["GET", "POST"])
@instructor_required
def index():
    form = OpenStudyForm()
    form.role.choices = [(r.slug, r.name) for r in services.openable_roles(current_user)]
    if form.validate_on_submit():
        role = get_role(form.role.data) or abort(404)
        try:
            with unit_of_work():
                study = services.open_study(current_user, role, form.title.data or "")
        except services.StudyError as exc:
            return _refused(exc)
        flash("Study opened in round 1. Invite the panelists below.", "success")
        return redirect(url_for("standards.study", study_id=study.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "standards/index.html", form=form, studies=services.visible_studies(current_user)
    ), status


@bp.get("/<int:study_id>")
@instructor_required
def study(study_id: int):
    study = _study(study_id)
    return _study_page(study, InviteForm())


def _study_page(study: StandardStudy, invite: InviteForm, status: int = 200):
    facilitator = services.is_facilitator(current_user, study)
    present = {p.user_id for p in study.panelists}
    invite.panelists.choices = [
        (u.id, f"{u.name} ({u.email})")
        for u in services.eligible_panelists(study.role)
        if u.id not in present
    ]
    return render_template(
        "standards/study.html",
        study=study,
        facilitator=facilitator,
        me=services.panelist_of(current_user, study),
        may_rate=services.may_rate(services.panelist_of(current_user, study), study),
        invite=invite,
        confirm=ConfirmForm(),
        items=len(study.item_version_ids),
        statuses=StudyStatus,
    ), status


@bp.post("/<int:study_id>/panelists")
@instructor_required
def invite(study_id: int):
    study = _study(study_id)
    form = InviteForm()
    form.panelists.choices = [(u.id, u.name) for u in services.eligible_panelists(study.role)]
    if not services.is_facilitator(current_user, study):
        abort(404)
    if not form.validate_on_submit():
        return _study_page(study, form, 422)
    try:
        with unit_of_work():
            added = services.invite(current_user, study, form.panelists.data)
    except services.StudyError as exc:
        return _refused(exc, study_id)
    flash(f"Invited {', '.join(u.name for u in added) or 'nobody new'}.", "success")
    return redirect(url_for("standards.study", study_id=study_id))


@bp.route("/<int:study_id>/rate", methods=["GET", "POST"])
@instructor_required
def rate(study_id: int):
    study = _study(study_id)
    panelist = services.panelist_of(current_user, study) or abort(404)
    round_ = services.current_round(study)
    if not services.may_rate(panelist, study):
        flash("There is nothing for you to rate in this study now.", "info")
        return redirect(url_for("standards.study", study_id=study_id))
    items = services.study_items(study)
    own_round1 = services.round_ratings(study, 1).get(panelist.id, {}) if round_ == 2 else {}
    # round 2 starts from the panelist's round-1 ratings; what they saved in round 2 wins
    mine = {**own_round1, **services.round_ratings(study, round_).get(panelist.id, {})}
    form = rating_form(items, {v: f"{r:.2f}" for v, r in mine.items()})
    if form.validate_on_submit():
        submit = bool(form.submit_round.data)
        try:
            with unit_of_work():
                services.save_ratings(current_user, study, parsed_ratings(form, items), submit)
        except services.StudyError as exc:
            if exc.status == 422:
                flash(exc.message, "error")
                return _rate_page(study, form, items, round_, own_round1, 422)
            return _refused(exc, study_id)
        if submit:
            flash(f"Round {round_} submitted. Thank you.", "success")
            return redirect(url_for("standards.study", study_id=study_id))
        flash("Ratings saved; submit the round when every item is rated.", "success")
        return redirect(url_for("standards.rate", study_id=study_id))
    return _rate_page(study, form, items, round_, own_round1, 422 if form.is_submitted() else 200)


def _rate_page(study, form, items, round_, own_round1, status):
    return render_template(
        "standards/rate.html",
        study=study,
        form=form,
        items=items,
        round=round_,
        own_round1=own_round1,
        spreads=services.round1_spreads(study) if round_ == 2 else {},
        facilities={int(k): v for k, v in (study.item_data or {}).items()},
    ), status


@bp.post("/<int:study_id>/round2")
@instructor_required
def round2(study_id: int):
    study = _study(study_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not services.is_facilitator(current_user, study):
        abort(404)
    try:
        facilities = services.item_facilities(study.role)  # may store a fresh analysis (own unit)
        with unit_of_work():
            services.start_round2(current_user, study, facilities)
    except services.StudyError as exc:
        return _refused(exc, study_id)
    flash("Round 2 has begun: panelists now see the item data and the panel's round-1 ratings.", "success")
    return redirect(url_for("standards.study", study_id=study_id))


@bp.post("/<int:study_id>/close")
@instructor_required
def close(study_id: int):
    study = _study(study_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            services.close_study(current_user, study)
    except services.StudyError as exc:
        return _refused(exc, study_id)
    flash("Study closed; its recommended passing standard is below.", "success")
    return redirect(url_for("standards.study", study_id=study_id))


@bp.post("/<int:study_id>/apply")
@instructor_required
def apply(study_id: int):
    study = _study(study_id)
    if current_user.role != UserRole.ADMIN:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            percent = services.apply_study(current_user, study)
    except services.StudyError as exc:
        return _refused(exc, study_id)
    flash(
        f"The passing standard of {study.role.name} is now {percent}% for attempts started from now on.",
        "success",
    )
    return redirect(url_for("standards.study", study_id=study_id))
