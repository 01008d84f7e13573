"""Certificate pages: the trainee's list and PDF, and public verification (no login)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from examsite.certificates import validity
from examsite.certificates.expiry import expiring_for_admin, expiring_for_holder, in_scope, scope_of
from examsite.certificates.models import Certificate
from examsite.certificates.renewal import ce_entries, ce_hours, ce_problem, format_hours, record_ce
from examsite.certificates.services import (
    CertificateError,
    correct_name,
    find_certificate,
    history,
    public_view,
    revoke,
    status_of,
)
from examsite.extensions import db, limiter
from examsite.programs.models import Institution
from examsite.reports.formatters import csv_lines
from examsite.security import admin_required
from examsite.timeutil import isoformat, utcnow

bp = Blueprint("certificates", __name__, template_folder="templates")


def verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{code}"


@bp.get("/certificates")
@login_required
def mine():
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == current_user.id)
        .order_by(Certificate.issued_at.desc())
    ).all()
    return render_template(
        "certificates/mine.html",
        certificates=certificates,
        status_of=status_of,
        expiring=expiring_for_holder(current_user.id),
        soon_days=validity.EXPIRING_SOON_DAYS,
        renewal_opens=validity.renewal_opens,
        can_renew=validity.can_renew,
        now=utcnow(),
    )


def _managed(code: str) -> Certificate:
    """A certificate an administrator may act on: 404 outside their institution, as if absent."""
    certificate = find_certificate(code)
    if certificate is None or not in_scope(current_user, certificate):
        abort(404)
    return certificate


@bp.get("/certificates/<code>.pdf")
@login_required
def pdf(code: str):
    certificate = find_certificate(code)
    if certificate is None:
        abort(404)
    mine = certificate.user_id == current_user.id
    if not mine and not (current_user.role == "admin" and in_scope(current_user, certificate)):
        abort(404)
    from examsite.certificates.pdf import CertificateDocument, render_certificate_pdf

    document = CertificateDocument(
        holder=certificate.holder_name,
        role_name=certificate.role_name,
        category_name=certificate.category_name,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        code=certificate.code,
        verify_url=verify_url(certificate.code),
        status=status_of(certificate),
        revoked_reason=certificate.revoked_reason,
        score_percent=None if certificate.score_percent is None else float(certificate.score_percent),
        issuer_name=current_app.config["ISSUER_NAME"],
    )
    body = render_certificate_pdf(document)
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{certificate.code}.pdf"'},
    )


@bp.get("/verify")
@limiter.limit(verify_limit)
def verify_search():
    code = request.args.get("code", "").strip()
    if code:
        certificate = find_certificate(code)
        if certificate is not None:
            return redirect(url_for("certificates.verify", code=certificate.code))
        return render_template("certificates/verify.html", certificate=None, searched=code), 404
    return render_template("certificates/verify.html", certificate=None, searched=None)


@bp.get("/verify/<code>")
@limiter.limit(verify_limit)
def verify(code: str):
    certificate = find_certificate(code)
    if certificate is None:
        return render_template("certificates/verify.html", certificate=None, searched=code), 404
    if certificate.code != code:
        return redirect(url_for("certificates.verify", code=certificate.code))
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        view=public_view(certificate),
        chain=history(certificate),
        searched=None,
    )


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_certificate(code: str):
    """Revoke with a reason; the record stays and verification shows it revoked."""
    from examsite.certificates.forms import RevokeForm

    certificate = _managed(code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            revoke(certificate, form.reason.data, actor=current_user)
        except CertificateError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Certificate {certificate.code} is revoked.", "success")
        return redirect(url_for("certificates.manage", code=certificate.code))
    return _manage_page(certificate, revoke_form=form, reissue_form=None)


@bp.route("/certificates/<code>/reissue", methods=["GET", "POST"])
@admin_required
def reissue_certificate(code: str):
    """Correct the holder's name: same code, the old name kept in the history."""
    from examsite.certificates.forms import ReissueForm

    certificate = _managed(code)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            correct_name(certificate, form.new_name.data, form.reason.data, actor=current_user)
        except CertificateError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Certificate {certificate.code} now reads {certificate.holder_name}.", "success")
        return redirect(url_for("certificates.manage", code=certificate.code))
    return redirect(url_for("certificates.manage", code=certificate.code))


def _manage_page(certificate: Certificate, status_code: int = 200, **forms):
    from examsite.certificates.forms import ContinuingEducationForm, ReissueForm, RevokeForm

    forms.setdefault("revoke_form", RevokeForm())
    forms.setdefault("reissue_form", ReissueForm(new_name=certificate.holder_name))
    forms.setdefault("ce_form", ContinuingEducationForm())
    chain = history(certificate)
    now = utcnow()
    return render_template(
        "certificates/manage.html",
        certificate=certificate,
        status=status_of(certificate),
        chain=chain,
        status_of=status_of,
        ce_entries=ce_entries(chain),
        ce_hours=format_hours(ce_hours(certificate)),
        format_hours=format_hours,
        ce_needed=certificate.role.exam.renewal_ce_hours,
        ce_problem=ce_problem(certificate, now),
        **forms,
    ), status_code


@bp.get("/certificates/<code>/manage")
@admin_required
def manage(code: str):
    return _manage_page(_managed(code))


@bp.post("/certificates/<code>/continuing-education")
@admin_required
def record_continuing_education(code: str):
    """Record CE credits for the holder (audited); they renew the certificate once they suffice."""
    from examsite.certificates.forms import ContinuingEducationForm

    certificate = _managed(code)
    form = ContinuingEducationForm()
    if not form.validate_on_submit():
        return _manage_page(certificate, 422, ce_form=form)
    try:
        _, renewal = record_ce(
            certificate, form.hours.data, form.activity.data, form.completed_on.data, actor=current_user
        )
    except CertificateError as exc:
        db.session.rollback()
        form.hours.errors = [*form.hours.errors, str(exc)]
        return _manage_page(certificate, 422, ce_form=form)
    db.session.commit()
    if renewal is not None:
        flash(f"Credits recorded; certificate {certificate.code} is renewed as {renewal.code}.", "success")
        return redirect(url_for("certificates.manage", code=renewal.code))
    flash(f"Credits recorded toward {certificate.code}.", "success")
    return redirect(url_for("certificates.manage", code=certificate.code))


@bp.get("/admin/certificates/expiring")
@admin_required
def expiring():
    """Certificates expiring in the next 90 days, of the holders this administrator may see."""
    scope = scope_of(current_user)
    institution_id = scope if scope is not None else _institution_filter()
    rows = expiring_for_admin(current_user, institution_id)
    institutions = (
        [] if scope is not None else db.session.scalars(select(Institution).order_by(Institution.name)).all()
    )
    return render_template(
        "certificates/expiring.html",
        rows=rows,
        institutions=institutions,
        institution_id=None if scope is not None else institution_id,
        scope=db.session.get(Institution, scope) if scope is not None else None,
        soon_days=validity.EXPIRING_SOON_DAYS,
    )


EXPIRING_COLUMNS = (
    ("code", "Code"),
    ("holder", "Holder"),
    ("email", "E-mail"),
    ("role", "Role"),
    ("institution", "Institution"),
    ("cohort", "Cohort"),
    ("issued_at", "Issued"),
    ("expires_at", "Expires"),
    ("days_left", "Days left"),
    ("renewable_now", "Renewable now"),
)


@bp.get("/admin/certificates/expiring.csv")
@admin_required
def expiring_csv():
    rows = expiring_for_admin(current_user, _institution_filter())
    dicts = (
        {
            **row.__dict__,
            "issued_at": isoformat(row.issued_at),
            "expires_at": isoformat(row.expires_at),
        }
        for row in rows
    )
    response = Response(csv_lines(EXPIRING_COLUMNS, dicts), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="certificates-expiring.csv"'
    return response


def _institution_filter() -> int | None:
    raw = request.args.get("institution", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or db.session.get(Institution, int(raw)) is None:
        abort(404)
    return int(raw)
