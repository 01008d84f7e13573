"""Certificate codes: the format people read off paper, and forgiving but never guessing input."""

from __future__ import annotations

import re

import pytest

from examsite.certificates.codes import ALPHABET, new_code, normalize_code

CODE_FORMAT = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")


def test_alphabet_has_no_look_alikes():
    assert not set("0O1IL U") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 30


def test_new_code_format_and_alphabet():
    code = new_code()
    assert CODE_FORMAT.match(code)
    assert set(code.replace("-", "")) <= set(ALPHABET)


def test_thousand_codes_are_distinct():
    codes = {new_code() for _ in range(1000)}
    assert len(codes) == 1000


def test_new_code_is_its_own_normal_form():
    code = new_code()
    assert normalize_code(code) == code


@pytest.mark.parametrize(
    "typed",
    [
        "7KQM-XH3P-A9TZ",
        "7kqm-xh3p-a9tz",
        "7KQMXH3PA9TZ",
        " 7kqm xh3p a9tz ",
        "7KQM_XH3P_A9TZ",
        "7KQM - XH3P - A9TZ",
        "7kQm\u2010Xh3P\u2013a9Tz",  # hyphen and en dash, as copied out of a PDF
        "7KQM\u00a0XH3P\u00a0A9TZ",  # non-breaking spaces
    ],
)
def test_normalize_forgives_case_spaces_and_dashes(typed):
    assert normalize_code(typed) == "7KQM-XH3P-A9TZ"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7KQM-XH3P-A9T",  # 11 characters
        "7KQM-XH3P-A9TZZ",  # 13 characters
        "7KQM-XH3P",
        "OKQM-XH3P-A9TZ",  # letter O
        "0KQM-XH3P-A9TZ",  # digit zero
        "1KQM-XH3P-A9TZ",  # digit one
        "IKQM-XH3P-A9TZ",  # letter I
        "LKQM-XH3P-A9TZ",  # letter L
        "UKQM-XH3P-A9TZ",  # letter U
        "7KQM-XH3P-A9T\u017f",  # long s, which str.upper() turns into S
        "7KQM/XH3P/A9TZ",
        "7KQM-XH3P-A9TZ" * 10,
    ],
)
def test_normalize_rejects_what_cannot_be_a_code(typed):
    assert normalize_code(typed) is None
