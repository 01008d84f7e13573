"""Certificate pages: the trainee's list and PDF, and public verification (no login)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from examsite.accounts.models import UserRole
from examsite.certificates.models import Certificate
from examsite.certificates.services import (
    CertificateError,
    correct_name,
    find_certificate,
    public_view,
    revoke,
    status_of,
)
from examsite.database import unit_of_work
from examsite.extensions import db, limiter
from examsite.security import admin_required

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
    return render_template("certificates/mine.html", certificates=certificates, status_of=status_of)


@bp.get("/certificates/<code>.pdf")
@login_required
def pdf(code: str):
    certificate = find_certificate(code)
    if certificate is None or (
        certificate.user_id != current_user.id and current_user.role != UserRole.ADMIN
    ):
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
        score_percent=float(certificate.score_percent),
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
        "certificates/verify.html", certificate=certificate, view=public_view(certificate), searched=None
    )


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@admin_required
def revoke_certificate(code: str):
    """Revoke with a reason; the record stays and verification shows it revoked."""
    from examsite.certificates.forms import RevokeForm

    certificate = find_certificate(code) or abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                revoke(certificate, form.reason.data, actor=current_user)
        except CertificateError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Certificate {certificate.code} is revoked.", "success")
        return redirect(url_for("certificates.manage", code=certificate.code))
    return render_template(
        "certificates/manage.html",
        certificate=certificate,
        revoke_form=form,
        reissue_form=None,
        status=status_of(certificate),
    )


@bp.route("/certificates/<code>/reissue", methods=["GET", "POST"])
@admin_required
def reissue_certificate(code: str):
    """Correct the holder's name: same code, the old name kept in the history."""
    from examsite.certificates.forms import ReissueForm

    certificate = find_certificate(code) or abort(404)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                correct_name(certificate, form.new_name.data, form.reason.data, actor=current_user)
        except CertificateError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Certificate {certificate.code} now reads {certificate.holder_name}.", "success")
        return redirect(url_for("certificates.manage", code=certificate.code))
    return redirect(url_for("certificates.manage", code=certificate.code))


@bp.get("/certificates/<code>/manage")
@admin_required
def manage(code: str):
    from examsite.certificates.forms import ReissueForm, RevokeForm

    certificate = find_certificate(code) or abort(404)
    return render_template(
        "certificates/manage.html",
        certificate=certificate,
        revoke_form=RevokeForm(),
        reissue_form=ReissueForm(new_name=certificate.holder_name),
        status=status_of(certificate),
    )
