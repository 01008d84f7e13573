"""Administrators' certificate forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revocation (shown on the verification page)", validators=[DataRequired(), Length(max=500)]
    )
    submit = SubmitField("Revoke certificate")


class ReissueForm(FlaskForm):
    new_name = StringField("Corrected holder name", validators=[DataRequired(), Length(max=120)])
    reason = StringField("Reason for the correction", validators=[Length(max=300)])
    submit = SubmitField("Reissue with corrected name")


class ContinuingEducationForm(FlaskForm):
    hours = DecimalField("Hours", places=1, validators=[InputRequired(), NumberRange(min=0.1, max=1000)])
    activity = StringField(
        "Activity (course, conference, publication…)", validators=[DataRequired(), Length(max=300)]
    )
    completed_on = DateField("Date completed", validators=[InputRequired()])
    submit = SubmitField("Record credits")
