"""The Spanish catalog covers every string marked for translation, with the same placeholders,
and compiles (issue 24)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from examsite.i18n import SOURCE_DIR, compile_catalogs, percent

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("examsite/**.py", "python"),
    ("config.py", "python"),
    ("templates/**.html", "jinja2"),
    ("examsite/**/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def marked_strings() -> set:
    found = set()
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, options_map=options, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalog(language: str):
    with (SOURCE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def test_every_marked_string_has_a_spanish_translation():
    spanish = catalog("es")
    translated = {}
    for message in spanish:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if "fuzzy" not in message.flags and all(strings):
            translated[key] = strings
    marked = marked_strings()
    assert len(marked) > 100  # the extraction itself works
    missing = sorted(str(m) for m in marked - translated.keys())
    assert not missing, (
        f"{len(missing)} strings without a Spanish translation (run `make messages`): {missing[:10]}"
    )


def test_translations_keep_their_placeholders_and_markup():
    for message in catalog("es"):
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, (ids[0], text)
            assert re.findall(r"</?\w+", text) == re.findall(r"</?\w+", ids[0]), (ids[0], text)


def test_catalogs_compile_once_and_again_when_the_source_changes(tmp_path):
    source = tmp_path / "source"
    po = source / "es" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((SOURCE_DIR / "es" / "LC_MESSAGES" / "messages.po").read_bytes())
    target = tmp_path / "compiled"
    assert compile_catalogs(source, target) == [target / "es" / "LC_MESSAGES" / "messages.mo"]
    assert compile_catalogs(source, target) == []  # up to date: nothing rebuilt
    mo = target / "es" / "LC_MESSAGES" / "messages.mo"
    import os

    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert compile_catalogs(source, target) == [mo]


def test_percentages_follow_the_language():
    from flask import Flask
    from flask_babel import Babel, force_locale

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        with force_locale("en"):
            assert percent(0.705) == "70.5%"
            assert percent(0.7) == "70%"
        with force_locale("es"):
            assert percent(0.705) == "70,5\xa0%"
