"""Administration pages: institutions, cohorts, users, accommodations, the audit log.

Each handler parses its form, calls one service, commits and redirects (or re-renders the page with
the form's errors, status 422). Every route is for administrators only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from examsite.accounts.models import User, normalize_email
from examsite.accounts.services import AccountError, change_role, set_active
from examsite.accounts.throttle import accounts_under_attack
from examsite.admin import queries
from examsite.admin.forms import (
    ROLE_LABELS,
    AccommodationForm,
    AddMemberForm,
    AuditFilterForm,
    CohortForm,
    ConfirmForm,
    InstitutionForm,
    RenameForm,
    RevokeForm,
    RoleForm,
    RosterForm,
    UserCohortForm,
    UserSearchForm,
)
from examsite.certificates.expiry import in_scope
from examsite.certificates.models import Certificate
from examsite.certificates.services import CertificateError, revoke, status_of
from examsite.extensions import db
from examsite.inputs import page_number
from examsite.programs import services
from examsite.programs.models import Cohort, Institution
from examsite.programs.services import ProgramError
from examsite.security import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
USERS_PER_PAGE = 25
EVENTS_PER_PAGE = 50
ROSTER_MAX_BYTES = 1024 * 1024


@bp.before_request
@admin_required
def only_administrators():
    """Every page here is for administrators; the decorators on the views say so again."""


def _changed(form, change: Callable[[], object], field: str | None = None) -> bool:
    """Validate `form` and run `change`; a refused change lands on `field` (or the form). True if done."""
    if not form.validate_on_submit():
        return False
    try:
        change()
    except (ProgramError, AccountError, CertificateError) as exc:
        db.session.rollback()
        (getattr(form, field).errors if field else form.form_errors).append(str(exc))
        return False
    db.session.commit()
    return True


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _refused(form, endpoint: str, **values):
    flash(
        " ".join(str(e) for errors in form.errors.values() for e in errors) or "Nothing was changed.", "error"
    )
    return redirect(url_for(endpoint, **values))


def _blank(form_class, **data):
    return form_class(formdata=None, **data)


def _utc(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


@bp.get("/")
@admin_required
def index():
    return render_template(
        "admin/index.html",
        counts=queries.dashboard(),
        role_labels=ROLE_LABELS,
        attacked=accounts_under_attack(),
    )


# --- institutions -------------------------------------------------------------------------------


@bp.route("/institutions", methods=["GET", "POST"])
@admin_required
def institutions():
    form = InstitutionForm() if request.method == "POST" else _blank(InstitutionForm)
    holder = {}

    def create():
        holder["institution"] = services.create_institution(form.institution_name.data, current_user)

    if request.method == "POST" and _changed(form, create, "institution_name"):
        institution = holder["institution"]
        return _done(f"{institution.name} was added.", "admin.institution", institution_id=institution.id)
    return render_template(
        "admin/institutions.html",
        institutions=queries.institutions(),
        form=form,
        members=queries.member_counts(),
    ), 422 if form.errors else 200


def _institution_page(institution: Institution, **forms):
    forms.setdefault("rename", _blank(RenameForm, new_name=institution.name))
    forms.setdefault("cohort", _blank(CohortForm))
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template(
        "admin/institution.html",
        institution=institution,
        confirm=_blank(ConfirmForm),
        members=queries.member_counts(),
        **forms,
    ), status


@bp.get("/institutions/<int:institution_id>")
@admin_required
def institution(institution_id: int):
    return _institution_page(db.get_or_404(Institution, institution_id))


@bp.post("/institutions/<int:institution_id>/rename")
@admin_required
def rename_institution(institution_id: int):
    institution = db.get_or_404(Institution, institution_id)
    form = RenameForm()
    if _changed(
        form, lambda: services.rename_institution(institution, form.new_name.data, current_user), "new_name"
    ):
        return _done(
            f"The institution is now called {institution.name}.",
            "admin.institution",
            institution_id=institution_id,
        )
    return _institution_page(institution, rename=form)


@bp.post("/institutions/<int:institution_id>/<any(archive, restore):action>")
@admin_required
def archive_institution(institution_id: int, action: str):
    institution = db.get_or_404(Institution, institution_id)
    form = ConfirmForm()
    if not _changed(
        form, lambda: services.set_institution_archived(institution, action == "archive", current_user)
    ):
        return _refused(form, "admin.institution", institution_id=institution_id)
    return _done(f"{institution.name} was {action}d.", "admin.institution", institution_id=institution_id)


@bp.post("/institutions/<int:institution_id>/cohorts")
@admin_required
def create_cohort(institution_id: int):
    institution = db.get_or_404(Institution, institution_id)
    form = CohortForm()
    if _changed(
        form, lambda: services.create_cohort(institution, form.cohort_name.data, current_user), "cohort_name"
    ):
        return _done(
            f"Cohort {form.cohort_name.data.strip()} was added.",
            "admin.institution",
            institution_id=institution_id,
        )
    return _institution_page(institution, cohort=form)


@bp.route("/institutions/<int:institution_id>/roster", methods=["GET", "POST"])
@admin_required
def roster(institution_id: int):
    institution = db.get_or_404(Institution, institution_id)
    form = RosterForm()
    report = None
    if form.validate_on_submit():
        upload = form.roster.data
        data = upload.read(ROSTER_MAX_BYTES + 1)
        if len(data) > ROSTER_MAX_BYTES:
            form.roster.errors.append("The file is larger than 1 MB; split it into smaller files.")
        else:
            try:
                report = services.import_roster(
                    institution, data, current_user, apply=not form.check_only.data, filename=upload.filename
                )
                db.session.commit()
            except AccountError as exc:  # another request created one of the accounts meanwhile
                db.session.rollback()
                form.roster.errors.append(f"Nothing was changed: {exc}. Please upload the file again.")
                report = None
    status = 422 if form.errors else 200
    return render_template("admin/roster.html", institution=institution, form=form, report=report), status


# --- cohorts ------------------------------------------------------------------------------------


def _cohort_page(cohort: Cohort, **forms):
    forms.setdefault("rename", _blank(RenameForm, new_name=cohort.name))
    forms.setdefault("member", _blank(AddMemberForm))
    status = 422 if any(f.errors for f in forms.values()) else 200
    return render_template(
        "admin/cohort.html",
        cohort=cohort,
        members=queries.cohort_members(cohort),
        confirm=_blank(ConfirmForm),
        **forms,
    ), status


@bp.get("/cohorts/<int:cohort_id>")
@admin_required
def cohort(cohort_id: int):
    return _cohort_page(db.get_or_404(Cohort, cohort_id))


@bp.post("/cohorts/<int:cohort_id>/rename")
@admin_required
def rename_cohort(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = RenameForm()
    if _changed(form, lambda: services.rename_cohort(cohort, form.new_name.data, current_user), "new_name"):
        return _done(f"The cohort is now called {cohort.name}.", "admin.cohort", cohort_id=cohort_id)
    return _cohort_page(cohort, rename=form)


@bp.post("/cohorts/<int:cohort_id>/<any(archive, restore):action>")
@admin_required
def archive_cohort(cohort_id: int, action: str):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = ConfirmForm()
    if not _changed(form, lambda: services.set_cohort_archived(cohort, action == "archive", current_user)):
        return _refused(form, "admin.cohort", cohort_id=cohort_id)
    return _done(f"Cohort {cohort.name} was {action}d.", "admin.cohort", cohort_id=cohort_id)


@bp.post("/cohorts/<int:cohort_id>/members")
@admin_required
def add_member(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = AddMemberForm()

    def add():
        email = normalize_email(form.email.data)
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            raise ProgramError(f"No account has the e-mail {email}. Use a roster upload to create accounts.")
        services.assign_cohort(user, cohort, current_user)

    if _changed(form, add, "email"):
        return _done(
            f"{normalize_email(form.email.data)} is now in {cohort.name}.",
            "admin.cohort",
            cohort_id=cohort_id,
        )
    return _cohort_page(cohort, member=form)


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@admin_required
def remove_member(cohort_id: int, user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if user.cohort_id != cohort_id or not _changed(
        form, lambda: services.assign_cohort(user, None, current_user)
    ):
        return _refused(form, "admin.cohort", cohort_id=cohort_id)
    return _done(f"{user.name} was removed from the cohort.", "admin.cohort", cohort_id=cohort_id)


# --- users --------------------------------------------------------------------------------------


def _cohort_choices(blank: str, cohorts) -> list[SelectChoice]:
    """Cohorts grouped by institution; an archived one is marked so."""
    return [SelectChoice("", blank)] + [
        SelectChoice(
            str(c.id), c.name + (" (archived)" if c.archived_at else ""), optgroup=c.institution.name
        )
        for c in cohorts
    ]


def _open_cohorts(include: Cohort | None) -> list[Cohort]:
    return [c for c in queries.all_cohorts() if not services.cohort_problem(c) or c == include]


@bp.get("/users")
@admin_required
def users():
    form = UserSearchForm(formdata=request.args)
    form.institution.choices = [SelectChoice("", "Any")] + [
        SelectChoice(str(i.id), i.name + (" (archived)" if i.archived_at else ""))
        for i in queries.institutions()
    ]
    form.cohort.choices = _cohort_choices("Any", queries.all_cohorts())
    form.validate()
    stmt = queries.user_search(
        form.q.data or "", form.role.data or None, form.institution.data, form.cohort.data
    )
    page = db.paginate(stmt, page=page_number(), per_page=USERS_PER_PAGE, error_out=False)
    return render_template("admin/users.html", form=form, page=page, role_labels=ROLE_LABELS)


def _user_page(user: User, status: int | None = None, **forms):
    forms.setdefault("role_form", _blank(RoleForm, role=user.role))
    forms.setdefault("cohort_form", _blank(UserCohortForm, cohort=user.cohort_id))
    forms["cohort_form"].cohort.choices = _cohort_choices("No cohort", _open_cohorts(user.cohort))
    accommodation = user.accommodation
    forms.setdefault(
        "accommodation_form",
        _blank(
            AccommodationForm,
            multiplier=accommodation.time_multiplier if accommodation else None,
            note=accommodation.note if accommodation else "",
        ),
    )
    forms.setdefault("revoke_form", _blank(RevokeForm))
    forms.setdefault("one_time_password", None)
    if status is None:
        status = 422 if any(getattr(f, "errors", None) for f in forms.values()) else 200
    return render_template(
        "admin/user.html",
        user=user,
        attempts=queries.attempts_of(user),
        certificates=queries.certificates_of(user),
        status_of=status_of,
        confirm=_blank(ConfirmForm),
        role_labels=ROLE_LABELS,
        **forms,
    ), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(db.get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()

    def change():
        if user.id == current_user.id:
            raise AccountError("You cannot change your own account type; ask another administrator.")
        change_role(user, form.role.data, current_user)

    if _changed(form, change, "role"):
        return _done(f"{user.name} is now: {ROLE_LABELS[user.role]}.", "admin.user", user_id=user_id)
    return _user_page(user, role_form=form)


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
@admin_required
def user_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not _changed(form, lambda: set_active(user, action == "reactivate", current_user)):
        return _refused(form, "admin.user", user_id=user_id)
    return _done(f"{user.name}'s account was {action}d.", "admin.user", user_id=user_id)


@bp.post("/users/<int:user_id>/cohort")
@admin_required
def user_cohort(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserCohortForm()
    form.cohort.choices = _cohort_choices("No cohort", _open_cohorts(user.cohort))

    def change():
        cohort = db.session.get(Cohort, form.cohort.data) if form.cohort.data else None
        services.assign_cohort(user, cohort, current_user)

    if _changed(form, change, "cohort"):
        where = f"in {user.cohort.name}" if user.cohort else "in no cohort"
        return _done(f"{user.name} is now {where}.", "admin.user", user_id=user_id)
    return _user_page(user, cohort_form=form)


@bp.post("/users/<int:user_id>/accommodation")
@admin_required
def set_accommodation(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AccommodationForm()
    if _changed(
        form,
        lambda: services.set_accommodation(user, form.multiplier.data, form.note.data, current_user),
        "multiplier",
    ):
        return _done(
            f"{user.name} now has {user.time_multiplier:g} × the time limit.", "admin.user", user_id=user_id
        )
    return _user_page(user, accommodation_form=form)


@bp.post("/users/<int:user_id>/accommodation/clear")
@admin_required
def clear_accommodation(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not _changed(form, lambda: services.clear_accommodation(user, current_user)):
        return _refused(form, "admin.user", user_id=user_id)
    return _done(f"{user.name} has the standard time limit again.", "admin.user", user_id=user_id)


@bp.post("/users/<int:user_id>/one-time-password")
@admin_required
def one_time_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    holder = {}
    if not _changed(
        form, lambda: holder.update(password=services.issue_one_time_password(user, current_user))
    ):
        return _refused(form, "admin.user", user_id=user_id)
    # Shown on this response only: not flashed, since the session cookie is signed, not encrypted.
    return _user_page(user, status=200, one_time_password=holder["password"])


@bp.post("/certificates/<int:certificate_id>/revoke")
@admin_required
def revoke_certificate(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    if not in_scope(current_user, certificate):  # an administrator limited to another institution
        abort(404)
    form = RevokeForm()
    if _changed(form, lambda: revoke(certificate, form.reason.data, current_user), "reason"):
        return _done(f"Certificate {certificate.code} is revoked.", "admin.user", user_id=certificate.user_id)
    return _user_page(certificate.user, revoke_form=form)


# --- audit log ----------------------------------------------------------------------------------


@bp.get("/audit")
@admin_required
def audit():
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = [SelectChoice("", "Any action")] + [
        SelectChoice(a) for a in queries.audit_actions()
    ]
    page = None
    if form.validate():
        stmt = queries.audit_search(
            form.action.data or None, form.actor.data or "", _utc(form.start.data), _utc(form.end.data)
        )
        page = db.paginate(stmt, page=page_number(), per_page=EVENTS_PER_PAGE, error_out=False)
    return render_template("admin/audit.html", form=form, page=page), 200 if page else 422
