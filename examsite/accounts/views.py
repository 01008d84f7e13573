"""Register, log in, log out, account and password pages."""

from __future__ import annotations

import contextlib
import time
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from examsite.accounts import throttle
from examsite.accounts import two_factor as second_factor
from examsite.accounts.forms import (
    ChangePasswordForm,
    CreateTokenForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    LoginForm,
    RegisterForm,
    RevokeTokenForm,
    TwoFactorForm,
)
from examsite.accounts.models import ApiToken, User, UserRole, hash_password
from examsite.accounts.preferences import PreferenceError, set_preferences
from examsite.accounts.services import (
    AccountError,
    change_password,
    check_login,
    checked_new_password,
    create_user,
    issue_token,
    password_problem,
    record_login,
    revoke_token,
    tokens_of,
)
from examsite.accounts.sessions import end_current_session, keep_session, start_session
from examsite.audit.services import record
from examsite.database import unit_of_work
from examsite.errors import json_error
from examsite.extensions import db, limiter
from examsite.timeutil import utcnow

bp = Blueprint("accounts", __name__, template_folder="templates")
bp.add_app_template_global(UserRole, "UserRole")  # the layout shows each role its own links


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
        password = form.password.data
        # hashed before the unit of work; a weak password is refused by create_user, in its turn
        password_hash = None if password_problem(password, form.email.data) else hash_password(password)
        try:
            with unit_of_work():
                user = create_user(form.email.data, form.name.data, password, password_hash=password_hash)
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            start_session(user)
            flash(_("Welcome! Your account is ready."), "success")
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
        check = check_login(form.email.data, form.password.data, request.remote_addr or "-")  # argon2 first
        # a login told to wait writes nothing: it never queues behind the site's writers
        with unit_of_work() if check.wait is None else contextlib.nullcontext():
            result = record_login(check)
            user = result.user
            if user is not None and user.totp_secret:
                session[PENDING_2FA] = {"user": user.id, "epoch": user.session_epoch, "at": int(time.time())}
            elif user is not None:
                start_session(user)
                record("login", user, actor=user)
        if user is not None and user.totp_secret:
            return redirect(url_for("accounts.two_factor_login", next=request.args.get("next")))
        if result.wait is not None:
            form.password.errors.append(
                ngettext(
                    "Too many failed attempts for this account from your network. "
                    "Please wait %(num)d second and try again.",
                    "Too many failed attempts for this account from your network. "
                    "Please wait %(num)d seconds and try again.",
                    result.wait.seconds,
                )
            )
            headers = {"Retry-After": str(result.wait.seconds)}
            return render_template("accounts/login.html", form=form), 429, headers
        if result.expired:
            form.password.errors.append(
                _("This one-time password has expired. Please ask an administrator for a new one.")
            )
            return render_template("accounts/login.html", form=form), 401
        if user is None:
            form.password.errors.append(_("The e-mail or password is not correct."))
            return render_template("accounts/login.html", form=form), 401
        if user.must_change_password:
            flash(_("Please choose a new password before you go on."), "info")
            return redirect(url_for("accounts.account"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    user_id = current_user.id if current_user.is_authenticated else None
    with unit_of_work() if user_id is not None else contextlib.nullcontext():
        end_current_session(user_id)
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            password_hash = checked_new_password(current_user, form.current.data, form.password.data)
            with unit_of_work():
                change_password(current_user, password_hash)
        except AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            keep_session(current_user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, CreateTokenForm(formdata=None), status=422 if form.errors else 200)


def _account_page(form, token_form, *, new_token: str | None = None, status: int = 200):
    page = render_template(
        "accounts/account.html",
        form=form,
        token_form=token_form,
        new_token=new_token,
        tokens=tokens_of(current_user),
        revoke_form=RevokeTokenForm(),
        now=utcnow(),
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/account/tokens")
@login_required
def create_own_token():
    """A personal API token, shown once on the page that answers (never stored in clear, never
    put in the session cookie)."""
    token_form = CreateTokenForm()
    if token_form.validate_on_submit():
        try:
            with unit_of_work():
                token = issue_token(
                    current_user,
                    actor=current_user,
                    name=token_form.name.data,
                    scope=token_form.scope.data or None,
                    days=token_form.days.data,
                )
        except AccountError as exc:
            token_form.name.errors.append(str(exc))
        else:
            return _account_page(
                ChangePasswordForm(formdata=None), CreateTokenForm(formdata=None), new_token=token
            )
    return _account_page(ChangePasswordForm(formdata=None), token_form, status=422)


@bp.post("/account/preferences")
@login_required
def preferences():
    """Text size and contrast from the exam page's form, without JavaScript (exam.js uses
    PUT /api/v1/me/preferences); back to the page it came from."""
    try:
        text_size = int(request.form["text_size"]) if request.form.get("text_size") else None
        with unit_of_work():
            set_preferences(current_user, text_size, request.form.get("theme") or None)
    except (ValueError, PreferenceError) as exc:
        message = str(exc) if isinstance(exc, PreferenceError) else "Choose a text size from the list."
        flash(message, "error")
    else:
        flash("Display settings saved.", "success")
    return redirect(_safe_next(request.form.get("next")))


# Endpoints a user who must change their password may still reach.
_WHILE_PASSWORD_MUST_CHANGE = {"accounts.account", "accounts.logout", "static"}
# ... and one who must set up two-factor sign-in first.
_WHILE_2FA_MISSING = _WHILE_PASSWORD_MUST_CHANGE | {"accounts.two_factor"}


@bp.before_app_request
def require_password_change():
    """While a one-time password is in use, every page but the account page and logout leads
    there, and every API call is refused with 403 password_change_required."""
    endpoint = request.endpoint or ""
    if endpoint in _WHILE_PASSWORD_MUST_CHANGE or endpoint.startswith("health."):
        return None
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        if request.path.startswith("/api/"):
            return json_error(
                403, "password_change_required", "Change your password on the account page before you go on."
            )
        flash(_("Please choose a new password before you go on."), "info")
        return redirect(url_for("accounts.account"))
    missing_2fa = not current_user.totp_secret and second_factor.required_for(current_user)
    if missing_2fa and endpoint not in _WHILE_2FA_MISSING:
        if request.path.startswith("/api/"):
            return json_error(403, "two_factor_required", "Set up two-factor sign-in on the account page.")
        return redirect(url_for("accounts.two_factor"))
    return None


PENDING_2FA = "examsite_2fa_pending"
PENDING_2FA_SECONDS = 300


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def two_factor_login():
    """The second step of signing in, after a correct password (within five minutes)."""
    pending = session.get(PENDING_2FA)
    user = db.session.get(User, pending["user"]) if isinstance(pending, dict) else None
    if (
        user is None
        or not user.totp_secret
        or user.session_epoch != pending.get("epoch")
        or time.time() - pending.get("at", 0) > PENDING_2FA_SECONDS
    ):
        session.pop(PENDING_2FA, None)
        flash(_("Please log in again."), "info")
        return redirect(url_for("accounts.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        address = request.remote_addr or "-"
        if wait := throttle.wait_before_login(user.email, address):
            form.code.errors.append(
                _("Too many wrong codes. Please wait %(seconds)d s and try again.", seconds=wait.seconds)
            )
            return render_template("accounts/two_factor_login.html", form=form), 429
        with unit_of_work():
            verified = second_factor.verify(user, form.code.data)
            if verified:
                session.pop(PENDING_2FA, None)
                start_session(user)
                record("login", user, actor=user)
            else:
                if throttle.record_failure(user.email, address):
                    record("login.under_attack", object_type="User", email=user.email)
                record("login.2fa_failed", user, actor=user)
        if verified:
            if user.must_change_password:
                return redirect(url_for("accounts.account"))
            return redirect(_safe_next(request.args.get("next")))
        form.code.errors.append(_("That code is not correct."))
        return render_template("accounts/two_factor_login.html", form=form), 401
    return render_template("accounts/two_factor_login.html", form=form)


PENDING_SECRET = "examsite_2fa_secret"  # noqa: S105 - a session key name, not a secret


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    """Set up two-factor sign-in (QR code and key, then a code to prove it), or see its state."""
    required = second_factor.required_for(current_user)
    if current_user.totp_secret:
        return render_template("accounts/two_factor.html", form=DisableTwoFactorForm(), required=required)
    secret = session.get(PENDING_SECRET) or second_factor.new_secret()
    session[PENDING_SECRET] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        with unit_of_work():
            codes = second_factor.enable(current_user, secret, form.code.data)
        if codes is not None:
            session.pop(PENDING_SECRET, None)
            return render_template("accounts/two_factor.html", recovery_codes=codes, required=required)
        form.code.errors.append(_("That code is not correct. Check the time on your phone and try again."))
    uri = second_factor.provisioning_uri(current_user, secret)
    return render_template(
        "accounts/two_factor.html",
        form=form,
        secret=secret,
        qr=segno.make(uri, error="m").svg_data_uri(scale=5, border=4),
        required=required,
    ), 422 if form.errors else 200


@bp.post("/account/two-factor/disable")
@login_required
def disable_two_factor():
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        with unit_of_work():
            disabled = second_factor.disable(current_user, form.code.data)
        if disabled:
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("accounts.account"))
    flash(
        _("Two-factor sign-in stays on: the code was not correct, or your account type requires it."),
        "error",
    )
    return redirect(url_for("accounts.two_factor"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_own_token(token_id: int):
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)  # another user's token is not there for you
    with unit_of_work():
        revoked = revoke_token(token, actor=current_user)
    if revoked:
        flash(_("The API token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("accounts.account"))


# the password-reset pages live on this blueprint too (registered by importing them)
from examsite.accounts import reset_views  # noqa: E402,F401
