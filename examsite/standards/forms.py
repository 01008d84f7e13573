"""The standard-setting pages' forms (Flask-WTF: every one carries the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from examsite.standards.angoff import RatingError, parse_rating


class OpenStudyForm(FlaskForm):
    role = SelectField("Role whose exam the study sets the standard for", validators=[DataRequired()])
    title = StringField("Title (optional)", validators=[Length(max=200)])


class AtLeastOne:
    """At least one box ticked. Unlike DataRequired it sets no `required` flag: a browser puts
    `required` on every checkbox of the list and then refuses to send the form until all of them
    are ticked, so a facilitator could not invite some of the category's instructors."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        if not field.data:
            raise ValidationError(self.message)


class InviteForm(FlaskForm):
    panelists = SelectMultipleField(
        "Instructors of the category to invite",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[AtLeastOne("Choose at least one instructor.")],
    )


class ConfirmForm(FlaskForm):
    """A button that moves the study on: the CSRF token only."""


def _rating(form, field) -> None:
    if not (field.data or "").strip():
        field.parsed = None
        return
    try:
        field.parsed = parse_rating(field.data)
    except RatingError as exc:
        raise ValidationError(str(exc)) from exc


def rating_form(items, values: dict[int, str]) -> FlaskForm:
    """One text field per item (`item-<version id>`), blank or a probability, and two buttons."""

    class RatingForm(FlaskForm):
        save = SubmitField("Save ratings")
        submit_round = SubmitField("Save and submit this round")

    for rated in items:
        setattr(
            RatingForm,
            f"item_{rated.version.id}",
            StringField(
                f"Probability that a minimally competent candidate answers {rated.external_id} correctly",
                validators=[_rating],
                render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 5},
            ),
        )
    form = RatingForm()  # bound to the posted form on a POST
    if not form.is_submitted():
        for rated in items:
            getattr(form, f"item_{rated.version.id}").data = values.get(rated.version.id, "")
    return form


def parsed_ratings(form, items) -> dict[int, object]:
    return {r.version.id: getattr(getattr(form, f"item_{r.version.id}"), "parsed", None) for r in items}
