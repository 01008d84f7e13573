"""Exam forms; answers are read from the posted option ids, the forms carry CSRF."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


class StartForm(FlaskForm):
    submit = SubmitField("Start the exam now")


class AnswerForm(FlaskForm):
    """Choices come from the item's own option ids (request.form.getlist('choice'))."""


class SubmitAttemptForm(FlaskForm):
    submit = SubmitField("Submit the exam for scoring")
