"""Template helpers: safe Markdown for bank text, dates, and globals every page needs."""

from __future__ import annotations

from datetime import datetime

import nh3
from flask import Flask
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
}


def render_markdown(text: str | None) -> Markup:
    """Instructor-written Markdown to HTML: raw HTML off, then an allow-list sanitizer (defence in depth)."""
    html = _md.render(text or "")
    return Markup(nh3.clean(html, tags=_ALLOWED_TAGS, attributes={}, link_rel=None))  # noqa: S704 - sanitized


def render_inline(text: str | None) -> Markup:
    html = _md.renderInline(text or "")
    return Markup(nh3.clean(html, tags={"em", "strong", "code", "sub", "sup"}, attributes={}))  # noqa: S704 - sanitized


def format_date(value: datetime | None) -> str:
    value = as_utc(value)
    return value.strftime("%-d %B %Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    value = as_utc(value)
    return value.strftime("%-d %B %Y, %H:%M UTC") if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["inline_markdown"] = render_inline
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
