"""Administrators' certificate forms."""

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revocation (shown on the verification page)", validators=[DataRequired(), Length(max=500)]
    )
    submit = SubmitField("Revoke certificate")


class ReissueForm(FlaskForm):
    new_name = StringField("Corrected holder name", validators=[DataRequired(), Length(max=120)])
    reason = StringField("Reason for the correction", validators=[Length(max=300)])
    submit = SubmitField("Reissue with corrected name")
