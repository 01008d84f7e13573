"""Account forms (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField
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
        "Full name (as it should appear on certificates)", validators=[DataRequired(), Length(max=120)]
    )
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField(
        "Password (at least 10 characters)", validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Log in")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    password = PasswordField(
        "New password (at least 10 characters)", validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
    submit = SubmitField("Change password")


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[DataRequired(), Length(max=32)],
    )
    submit = SubmitField("Continue")


class EnableTwoFactorForm(FlaskForm):
    code = StringField("The 6-digit code your app shows now", validators=[DataRequired(), Length(max=16)])
    submit = SubmitField("Turn on two-factor sign-in")


class DisableTwoFactorForm(FlaskForm):
    code = StringField("A current code or a recovery code", validators=[DataRequired(), Length(max=32)])
    submit = SubmitField("Turn off two-factor sign-in")


class RevokeTokenForm(FlaskForm):
    """The revoke button beside each API token on the account page (CSRF token only)."""

    submit = SubmitField("Revoke")


class CreateTokenForm(FlaskForm):
    """A personal API token on the account page; the token is shown once, on the next page."""

    name = StringField(
        "Name (what the token is for)", validators=[DataRequired(), Length(max=80)], default="API token"
    )
    scope = SelectField(
        "Scope",
        choices={"": "Everything you may do", **TOKEN_SCOPES},
        default="",
        validate_choice=True,
    )
    days = IntegerField(
        "Expires after (days)",
        validators=[InputRequired(), NumberRange(min=1, max=TOKEN_MAX_DAYS)],
        default=TOKEN_DEFAULT_DAYS,
    )
    submit = SubmitField("Create token")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password (at least 10 characters)", validators=[DataRequired(), StrongPassword()]
    )
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )
    submit = SubmitField("Set new password")
