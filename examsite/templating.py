"""Template helpers: safe Markdown for bank text, dates, and globals every page needs."""

from __future__ import annotations

from datetime import datetime

import nh3
from babel import dates as babel_dates
from flask import Flask, has_request_context
from markdown_it import MarkdownIt
from markupsafe import Markup

from examsite.timeutil import as_utc

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "em",
    "strong",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sub",
    "sup",
    "hr",
    "img",
}
#: images only from the workspace's uploads (examsite/authoring/images.py), never other sites
_IMAGE_PREFIX = "/media/items/"


def _only_uploaded_images(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith(_IMAGE_PREFIX):
        return None
    return value


def render_markdown(text: str | None) -> Markup:
    """Instructor-written Markdown to HTML: raw HTML off, then an allow-list sanitizer (defence in depth)."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"img": {"src", "alt"}},
        attribute_filter=_only_uploaded_images,
        link_rel=None,
    )
    return Markup(clean)  # noqa: S704 - sanitized


def render_inline(text: str | None) -> Markup:
    html = _md.renderInline(text or "")
    return Markup(nh3.clean(html, tags={"em", "strong", "code", "sub", "sup"}, attributes={}))  # noqa: S704 - sanitized


def _language() -> str:
    if not has_request_context():
        return "en"
    from flask_babel import get_locale

    return str(get_locale() or "en")


def format_date(value: datetime | None) -> str:
    """A date as the reader's language writes it ("4 December 2026", "4 de diciembre de 2026")."""
    value = as_utc(value)
    if not value:
        return ""
    language = _language()
    if language == "en":
        return value.strftime("%-d %B %Y")
    return babel_dates.format_date(value.date(), format="long", locale=language)


def format_datetime(value: datetime | None) -> str:
    """A moment in UTC, in the reader's language."""
    value = as_utc(value)
    if not value:
        return ""
    language = _language()
    if language == "en":
        return value.strftime("%-d %B %Y, %H:%M UTC")
    return f"{babel_dates.format_date(value.date(), format='long', locale=language)}, {value:%H:%M} UTC"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["inline_markdown"] = render_inline
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
