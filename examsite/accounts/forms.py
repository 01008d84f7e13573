"""Account forms (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from examsite.accounts.models import TOKEN_DEFAULT_DAYS, TOKEN_MAX_DAYS, TOKEN_SCOPES
from examsite.accounts.services import password_problem


class StrongPassword:
    def __call__(self, form, field) -> None:
        email = form.email.data if hasattr(form, "email") else None
        problem = password_problem(field.data or "", email)
        if problem:
            raise ValidationError(problem)


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Full name (as it should appear on certificates)"), validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField(
        _l("Password (at least 10 characters)"), validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=32)],
    )
    submit = SubmitField(_l("Continue"))


class EnableTwoFactorForm(FlaskForm):
    code = StringField(_l("The 6-digit code your app shows now"), validators=[DataRequired(), Length(max=16)])
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableTwoFactorForm(FlaskForm):
    code = StringField(_l("A current code or a recovery code"), validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("Turn off two-factor sign-in"))


class RevokeTokenForm(FlaskForm):
    """The revoke button beside each API token on the account page (CSRF token only)."""

    submit = SubmitField(_l("Revoke"))


class CreateTokenForm(FlaskForm):
    """A personal API token on the account page; the token is shown once, on the next page."""

    name = StringField(
        _l("Name (what the token is for)"),
        validators=[DataRequired(), Length(max=80)],
        default=_l("API token"),
    )
    scope = SelectField(
        _l("Scope"),
        choices=[SelectChoice("", _l("Everything you may do"))]
        + [SelectChoice(key, label) for key, label in sorted(TOKEN_SCOPES.items())],
        default="",
        validate_choice=True,
    )
    days = IntegerField(
        _l("Expires after (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=TOKEN_MAX_DAYS)],
        default=TOKEN_DEFAULT_DAYS,
    )
    submit = SubmitField(_l("Create token"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set new password"))
