"""Forms of the LTI pages; each carries the CSRF token (Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class ChooseExamForm(FlaskForm):
    role = RadioField("Exam", validators=[DataRequired(message="Choose an exam.")])


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF token only."""


class RegistrationForm(FlaskForm):
    issuer = StringField("Issuer (iss)", validators=[DataRequired(), Length(max=255)])
    client_id = StringField("Client id", validators=[DataRequired(), Length(max=255)])
    auth_login_url = StringField(
        "Authorization (OIDC auth) URL", validators=[DataRequired(), Length(max=500)]
    )
    auth_token_url = StringField("Access token URL", validators=[DataRequired(), Length(max=500)])
    key_set_url = StringField("Public keyset (JWKS) URL", validators=[DataRequired(), Length(max=500)])
    deployment_id = StringField("Deployment id", validators=[DataRequired(), Length(max=255)])
    institution = SelectField("Institution", choices=[], validate_choice=True)
