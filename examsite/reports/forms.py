"""The report page's filter form: a GET form, so the address bookmarks the report (no CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from examsite.reports.queries import ATTEMPT_SCOPES, GROUPINGS, ReportError, ReportFilters, make_filters


class PassRateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    by = SelectField("Group by", choices=dict(GROUPINGS), default="role")
    start = DateField("From (UTC date)", validators=[Optional()], name="from")
    end = DateField("To (UTC date, not included)", validators=[Optional()], name="to")
    attempts = SelectField("Attempts", choices=dict(ATTEMPT_SCOPES), default="all")

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError("The end date must come after the start date.")

    def filters(self) -> ReportFilters:
        try:
            return make_filters(self.by.data, self.start.data, self.end.data, self.attempts.data)
        except ReportError as exc:  # the field validators catch these first
            raise ValueError(str(exc)) from exc
