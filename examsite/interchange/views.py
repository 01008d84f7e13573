"""/instructor/import: upload -> preview of every item as a trainee sees it -> confirm -> drafts."""

from __future__ import annotations

from pathlib import PurePath

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from examsite.authoring.access import assigned_banks
from examsite.banks.models import Domain
from examsite.database import unit_of_work
from examsite.extensions import db
from examsite.interchange.forms import EXTENSIONS, ConfirmForm, UploadForm
from examsite.interchange.safety import InputFile
from examsite.interchange.services import CATEGORIES, apply_import, prepare_import
from examsite.interchange.staging import discard, load, stage
from examsite.interchange.tabular import template_csv, template_xlsx
from examsite.security import instructor_required

bp = Blueprint("interchange", __name__, url_prefix="/instructor/import", template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_form() -> UploadForm:
    form = UploadForm()
    banks = assigned_banks(current_user)
    form.category.choices = {c: c for c in CATEGORIES if c in banks}
    domains = db.session.scalars(
        select(Domain).where(Domain.bank.in_(banks)).order_by(Domain.bank, Domain.position)
    ).all()
    form.domain.choices = {"": "Choose later", **{d.code: f"{d.bank}: {d.name}" for d in domains}}
    return form


@bp.get("/")
@instructor_required
def upload():
    return render_template("interchange/upload.html", form=_upload_form())


def _uploaded_files(form: UploadForm) -> list[InputFile]:
    """The uploads, each checked against the chosen format's file extensions."""
    files = []
    allowed = EXTENSIONS[form.format.data]
    for upload in form.files.data:
        name = PurePath(upload.filename or "upload").name
        if not name.lower().endswith(allowed):
            form.files.errors.append(
                f"{name}: a {form.format.data.upper()} import takes {', '.join(allowed)} files."
            )
        files.append(InputFile(name, upload.read()))
    return files


@bp.post("/preview")
@instructor_required
def preview():
    form = _upload_form()
    files = _uploaded_files(form) if form.validate_on_submit() else []
    if form.errors or not files:
        return render_template("interchange/upload.html", form=form), 422
    settings = {
        "format": form.format.data,
        "category": form.category.data,
        "domain": form.domain.data or None,
        "level": form.level.data or None,
    }
    plan = prepare_import(
        files, settings["format"], settings["category"], settings["domain"], settings["level"]
    )
    token = None if plan.errors else stage(current_app.instance_path, current_user.id, files, settings)
    confirm_form = ConfirmForm(token=token)
    return render_template(
        "interchange/preview.html", plan=plan, settings=settings, confirm=confirm_form, token=token
    )


@bp.post("/confirm")
@instructor_required
def confirm():
    form = ConfirmForm()
    staged = (
        load(current_app.instance_path, form.token.data, current_user.id)
        if form.validate_on_submit()
        else None
    )
    if staged is None or staged[1]["category"] not in assigned_banks(current_user):
        abort(404)
    files, settings = staged
    plan = prepare_import(
        files, settings["format"], settings["category"], settings["domain"], settings["level"]
    )
    if plan.errors:  # the bank changed since the preview
        return render_template(
            "interchange/preview.html", plan=plan, settings=settings, confirm=form, token=None
        ), 409
    with unit_of_work():
        added = apply_import(plan, author=current_user.name, user=current_user)
    discard(current_app.instance_path, form.token.data)
    return render_template("interchange/done.html", plan=plan, added=added, settings=settings)


@bp.get("/template.csv")
@instructor_required
def template_csv_file():
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=examsite-questions.csv"},
    )


@bp.get("/template.xlsx")
@instructor_required
def template_xlsx_file():
    return Response(
        template_xlsx(),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=examsite-questions.xlsx"},
    )
