"""The "forgot your password?" pages: ask for a link, then set a new password through it."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from examsite.accounts import reset
from examsite.accounts.forms import ForgotPasswordForm, ResetPasswordForm
from examsite.accounts.services import AccountError
from examsite.accounts.views import _login_limit, bp
from examsite.extensions import db, limiter
from examsite.mail.outbox import send_after_response


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        hours = current_app.config["PASSWORD_RESET_HOURS"]
        message_id = reset.request_reset(
            form.email.data,
            lambda token: (
                current_app.config["PUBLIC_BASE_URL"] + url_for("accounts.reset_password", token=token)
            ),
            hours=hours,
        )
        db.session.commit()
        if message_id is not None:
            send_after_response([message_id])  # after the answer; else cron retries
        # the same answer whether or not the address has an account
        flash(
            ngettext(
                "If an account uses that address, we have sent it a link to reset the password. "
                "The link works once, within %(num)d hour.",
                "If an account uses that address, we have sent it a link to reset the password. "
                "The link works once, within %(num)d hours.",
                hours,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    problem = reset.link_problem(token)
    if problem:
        return render_template("accounts/reset_password.html", form=None, problem=problem), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(token, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    status = 422 if form.errors else 200
    return render_template("accounts/reset_password.html", form=form, problem=None), status
