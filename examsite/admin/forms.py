"""Administration forms. Forms that change something carry the CSRF token (Flask-WTF); the GET
filter forms only narrow a list, so they have none and keep their values in the address."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from examsite.accounts.models import USER_ROLES, UserRole

ROLE_LABELS = {
    UserRole.TRAINEE: "Trainee",
    UserRole.INSTRUCTOR: "Instructor",
    UserRole.ADMIN: "Administrator",
}


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= 2**63 - 1 else None  # beyond any id: no such row


class FilterForm(FlaskForm):
    class Meta:
        csrf = False


class InstitutionForm(FlaskForm):
    institution_name = StringField("Institution name", validators=[DataRequired(), Length(max=200)])


class RenameForm(FlaskForm):
    new_name = StringField("New name", validators=[DataRequired(), Length(max=200)])


class CohortForm(FlaskForm):
    cohort_name = StringField(
        "Cohort name (for example “Spring 2027 evening”)", validators=[DataRequired(), Length(max=200)]
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (archive, restore, deactivate...): CSRF token only."""


class AddMemberForm(FlaskForm):
    email = EmailField("Trainee's e-mail", validators=[DataRequired(), Length(max=254)])


class RosterForm(FlaskForm):
    roster = FileField(
        "Roster file (CSV)",
        validators=[
            FileRequired("Choose a CSV file."),
            FileAllowed(["csv", "txt"], "The file must be a .csv file."),
        ],
    )
    check_only = BooleanField("Only check the file; change nothing")


class UserSearchForm(FilterForm):
    q = StringField("Name or e-mail contains", validators=[Optional(), Length(max=254)])
    role = SelectField("Account type", choices={"": "Any", **ROLE_LABELS}, validators=[Optional()])
    institution = SelectField("Institution", coerce=_int_or_none, validators=[Optional()])
    cohort = SelectField("Cohort", coerce=_int_or_none, validators=[Optional()])


class RoleForm(FlaskForm):
    role = SelectField("Account type", choices={r: ROLE_LABELS[r] for r in USER_ROLES})


class UserCohortForm(FlaskForm):
    cohort = SelectField("Cohort", coerce=_int_or_none)


class AccommodationForm(FlaskForm):
    multiplier = DecimalField(
        "Time multiplier (1.0 to 4.0; 1.5 means 50% more time)",
        places=2,
        validators=[
            DataRequired("Give a multiplier between 1.0 and 4.0."),
            NumberRange(min=1, max=4, message="The multiplier must be between 1.0 and 4.0."),
        ],
    )
    note = TextAreaField(
        "Note (what the accommodation is based on)", validators=[DataRequired(), Length(max=1000)]
    )


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason (shown to anyone who verifies the certificate)", validators=[DataRequired(), Length(max=500)]
    )


class AuditFilterForm(FilterForm):
    action = SelectField("Action", validators=[Optional()])
    actor = StringField("Done by (name or e-mail contains)", validators=[Optional(), Length(max=254)])
    start = DateField("From (UTC date)", validators=[Optional()], name="from")
    end = DateField("To (UTC date, not included)", validators=[Optional()], name="to")

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError("The end date must come after the start date.")
