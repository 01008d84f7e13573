"""Languages of the trainee-facing pages (Flask-Babel): English and Spanish.

The message catalogs (`examsite/translations/<lang>/LC_MESSAGES/messages.po`) are the source;
their compiled `.mo` files are built at start-up into the instance folder when missing or older
than the `.po` (so nothing generated sits in the repository and a deployment needs no extra step).
The language is, in this order: the one the user chose with the switch (a cookie), else the best
match of the browser's `Accept-Language`, else English. Exam items stay in the language they were
written in; only the platform around them is translated.

Workflow for translators: `make messages` extracts the marked strings and updates the catalogs;
translate the new `msgid`s in the `.po` files; `tests/unit/test_i18n.py` fails while any is
missing or fuzzy.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from babel import numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, abort, has_request_context, redirect, request, url_for
from flask_babel import Babel, format_decimal, get_locale, lazy_gettext

#: the languages of the switch, in their own names
LANGUAGES = {"en": "English", "es": "Español"}
COOKIE = "lang"
SOURCE_DIR = Path(__file__).resolve().parent / "translations"

babel = Babel()
bp = Blueprint("i18n", __name__)


#: the two tracks of roles, as the pages name them
TRACKS = {
    "community college": lazy_gettext("Community college track"),
    "university": lazy_gettext("University track"),
}


#: account types, as the pages name them
ROLES = {
    "trainee": lazy_gettext("Trainee"),
    "instructor": lazy_gettext("Instructor"),
    "admin": lazy_gettext("Administrator"),
}


def role_label(role: str) -> str:
    return str(ROLES.get(role, role))


def track_label(track: str) -> str:
    return str(TRACKS.get(track, track))


def number(value) -> str:
    """A number as the reader's language writes it (1,234.5 / 1.234,5)."""
    return format_decimal(value)


def percent(fraction, digits: int = 1) -> str:
    """A share (0.705) as a percentage in the reader's language (70.5% / 70,5 %)."""
    # the language's own pattern (the space before % in Spanish), with up to `digits` decimals
    return numbers.format_percent(
        round(float(fraction) * 100, digits) / 100, locale=get_locale() or "en", decimal_quantization=False
    )


def select_locale() -> str:
    if not has_request_context():  # the command line, cron: the default language
        return "en"
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every `.po` under `source` to a `.mo` under `target` (same layout) when the
    `.mo` is missing or older; the compiled files."""
    built = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        partial = mo_path.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        partial.replace(mo_path)  # atomic: another worker never reads half a file
        built.append(mo_path)
    return built


def init_app(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations"
    compile_catalogs(SOURCE_DIR, compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["track_label"] = track_label
    app.jinja_env.globals["role_label"] = role_label

    @app.context_processor
    def languages():
        return {"languages": LANGUAGES, "current_language": str(get_locale() or "en")}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("catalog.home")


@bp.post("/language")
def choose_language():
    """The language switch (a form with CSRF in every page's footer): remembered for a year."""
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        abort(400, description=f"Unknown language; choose one of: {', '.join(LANGUAGES)}.")
    response = redirect(_safe_next(request.form.get("next")), code=303)
    response.set_cookie(
        COOKIE,
        language,
        max_age=365 * 24 * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response
