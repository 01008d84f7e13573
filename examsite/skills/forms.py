"""The skills-gap filter form: a GET form, so the address bookmarks the view (no CSRF: it changes nothing)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from examsite.reports.queries import to_utc
from examsite.skills.gap import GapFilters, group_choices, parse_show


class SkillsGapForm(FlaskForm):
    class Meta:
        csrf = False

    show = SelectField("Show", default="cohort")
    start = DateField("From (UTC date)", validators=[Optional()], name="from")
    end = DateField("To (UTC date, not included)", validators=[Optional()], name="to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.show.choices = group_choices()

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError("The end date must come after the start date.")

    def filters(self) -> GapFilters:
        by, group = parse_show(self.show.data)
        return GapFilters(by, group, to_utc(self.start.data), to_utc(self.end.data))
