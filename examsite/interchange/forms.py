"""The import page's forms (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from examsite.banks.models import LEVELS

FORMAT_LABELS = {
    "gift": "Moodle GIFT (.txt, .gift)",
    "aiken": "Aiken (.txt)",
    "qti": "IMS QTI 2.1 or 3.0 (.xml item or .zip package)",
    "csv": "CSV spreadsheet (.csv)",
    "xlsx": "Excel workbook (.xlsx)",
}
EXTENSIONS = {
    "gift": (".txt", ".gift"),
    "aiken": (".txt",),
    "qti": (".xml", ".zip"),
    "csv": (".csv", ".txt"),
    "xlsx": (".xlsx",),
}


class UploadForm(FlaskForm):
    files = MultipleFileField("Question files", validators=[DataRequired("Choose at least one file.")])
    format = SelectField("File format", choices=FORMAT_LABELS, validators=[DataRequired()])
    category = SelectField("Bank the drafts go to", validators=[DataRequired()])
    domain = SelectField(
        "Domain for questions whose file names none", validators=[Optional()], choices={"": "Choose later"}
    )
    level = SelectField(
        "Level for questions whose file names none",
        choices={"": "Recall (check each in review)", **{level: level.title() for level in LEVELS}},
        validators=[Optional()],
    )


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(32, 32), Regexp(r"^[0-9a-f]{32}$")])
