"""/admin/lti: registered platforms (list and add), the tool's URLs to give an LMS, and scores
that have not reached their LMS yet. Administrators only."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from examsite.database import begin_write
from examsite.extensions import db
from examsite.lti import keys
from examsite.lti.forms import ConfirmForm, RegistrationForm
from examsite.lti.models import LtiPlatform
from examsite.lti.platforms import Registration, RegistrationError, register
from examsite.lti.scores import send_due, unsent
from examsite.programs.models import Institution
from examsite.security import admin_required

bp = Blueprint("lti_admin", __name__, url_prefix="/admin/lti", template_folder="templates")


@bp.before_request
@admin_required
def only_administrators():
    """Every page here is for administrators."""


def tool_urls() -> dict[str, str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "OIDC login initiation URL": base + url_for("lti.login"),
        "Redirect (launch) URL and target link URI": base + url_for("lti.launch"),
        "Deep linking URL": base + url_for("lti.launch"),
        "Public keyset (JWKS) URL": base + url_for("lti.jwks"),
    }


def _page(form: RegistrationForm, status: int = 200):
    platforms = db.session.scalars(
        select(LtiPlatform).order_by(LtiPlatform.issuer, LtiPlatform.client_id)
    ).all()
    return (
        render_template(
            "lti/admin.html",
            platforms=platforms,
            form=form,
            confirm=ConfirmForm(),
            urls=tool_urls(),
            kid=keys.kid_of(keys.tool_key()),
            scores=unsent(),
        ),
        status,
    )


def _form() -> RegistrationForm:
    form = RegistrationForm()
    names = db.session.scalars(
        select(Institution.name).where(Institution.archived_at.is_(None)).order_by(Institution.name)
    ).all()
    form.institution.choices = [SelectChoice("", "(none)")] + [SelectChoice(n, n) for n in names]
    return form


@bp.get("/")
@admin_required
def index():
    return _page(_form())


@bp.post("/")
@admin_required
def add():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, 422)
    begin_write()
    try:
        platform, created = register(
            Registration(
                issuer=form.issuer.data,
                client_id=form.client_id.data,
                auth_login_url=form.auth_login_url.data,
                auth_token_url=form.auth_token_url.data,
                key_set_url=form.key_set_url.data,
                deployment_id=form.deployment_id.data,
                institution=form.institution.data or None,
            ),
            actor=current_user,
            allow_http=current_app.config.get("TESTING") or current_app.debug,
        )
    except RegistrationError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _page(form, 422)
    db.session.commit()
    flash(f"Platform {platform.issuer} {'registered' if created else 'updated'}.", "success")
    return redirect(url_for("lti_admin.index"))


@bp.post("/scores/send")
@admin_required
def send_scores():
    if not ConfirmForm().validate_on_submit():
        return _page(_form(), 400)
    sent, failed = send_due(ids=[s.id for s in unsent()], now=None)
    flash(
        f"{sent} score(s) posted, {failed} failed (kept for a retry).", "success" if not failed else "error"
    )
    return redirect(url_for("lti_admin.index"))
