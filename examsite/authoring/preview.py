"""The trainee's view of an item being written, through delivery's own presenter and Markdown."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from examsite.delivery.content import RowState, VersionData
from examsite.delivery.presenters import item_view


def preview_html(data: dict, prefix: str = "preview") -> Markup:
    """The question as an exam page shows it (options in authored order; exams shuffle them)."""
    options = tuple(
        (o["id"], o.get("text") or "")
        for o in data.get("options") or []
        if isinstance(o, dict) and isinstance(o.get("id"), str)
    )
    keys = frozenset(k for k in data.get("key") or [] if isinstance(k, str))
    kind = data.get("type") if data.get("type") in ("single", "multiple") else "single"
    stem = data.get("stem") if isinstance(data.get("stem"), str) else ""
    version = VersionData(0, 0, kind, stem, options, keys, 0, None, None, None)
    row = RowState(0, 1, version, tuple(o for o, _ in options), False, (), False)
    # The template autoescapes; the Markdown parts are sanitized by delivery's renderer.
    return Markup(render_template("authoring/_preview.html", item=item_view(row, html=True), prefix=prefix))  # noqa: S704


def case_html(title: str, case: str) -> Markup:
    """A scenario's case as every exam page of its questions shows it, above the question."""
    return Markup(render_template("authoring/_case.html", title=title, case=case))  # noqa: S704
