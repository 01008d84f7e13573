"""Register, log in, log out, account and password pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from examsite.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm
from examsite.accounts.services import AccountError, authenticate, change_password, create_user
from examsite.accounts.sessions import end_current_session, keep_session, start_session
from examsite.audit.services import record
from examsite.database import begin_write
from examsite.errors import json_error
from examsite.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("catalog.home")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.name.data, form.password.data)
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            start_session(user)
            flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("catalog.home"))
    return render_template(
        "accounts/register.html", form=form
    ), 200 if request.method == "GET" else 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, request.remote_addr or "-")
        user = result.user
        if user is not None:
            start_session(user)
            record("login", user, actor=user)
        db.session.commit()
        if result.wait is not None:
            form.password.errors.append(
                "Too many failed attempts for this account from your network. "
                f"Please wait {result.wait.seconds} second{'' if result.wait.seconds == 1 else 's'} "
                "and try again."
            )
            headers = {"Retry-After": str(result.wait.seconds)}
            return render_template("accounts/login.html", form=form), 429, headers
        if result.expired:
            form.password.errors.append(
                "This one-time password has expired. Please ask an administrator for a new one."
            )
            return render_template("accounts/login.html", form=form), 401
        if user is None:
            form.password.errors.append("The e-mail or password is not correct.")
            return render_template("accounts/login.html", form=form), 401
        if user.must_change_password:
            flash("Please choose a new password before you go on.", "info")
            return redirect(url_for("accounts.account"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    user_id = current_user.id if current_user.is_authenticated else None
    if user_id is not None:
        begin_write()
    end_current_session(user_id)
    db.session.commit()
    flash("You are logged out.", "info")
    return redirect(url_for("catalog.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            form.current.errors.append(str(exc))
        else:
            db.session.commit()
            keep_session(current_user)
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)


# Endpoints a user who must change their password may still reach.
_WHILE_PASSWORD_MUST_CHANGE = {"accounts.account", "accounts.logout", "static"}


@bp.before_app_request
def require_password_change():
    """While a one-time password is in use, every page but the account page and logout leads
    there, and every API call is refused with 403 password_change_required."""
    endpoint = request.endpoint or ""
    if endpoint in _WHILE_PASSWORD_MUST_CHANGE or endpoint.startswith("health."):
        return None
    if not (current_user.is_authenticated and current_user.must_change_password):
        return None
    if request.path.startswith("/api/"):
        return json_error(
            403, "password_change_required", "Change your password on the account page before you go on."
        )
    flash("Please choose a new password before you go on.", "info")
    return redirect(url_for("accounts.account"))
