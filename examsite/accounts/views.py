"""Register, log in, log out, account and password pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from examsite.accounts.forms import ChangePasswordForm, LoginForm, RegisterForm
from examsite.accounts.services import AccountError, authenticate, create_user
from examsite.audit.services import record
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
            login_user(user)
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
            login_user(user)
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
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("catalog.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("The current password is not correct.")
        else:
            current_user.set_password(form.password.data)
            current_user.must_change_password = False
            record("user.password", current_user, actor=current_user)
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form)
