"""Checks on the names people type (users, institutions, cohorts, tokens).

A name is printed on certificates, in reports and in the audit log, so it must read the same
everywhere: no NUL or other control characters (they break exports and terminals) and no
bidirectional controls (they can make a name display as something else, "Trojan Source").
"""

from __future__ import annotations

import unicodedata

#: Unicode's explicit directional formatting characters (embeddings, overrides, isolates) and marks
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def text_problem(value: str) -> str | None:
    """Why this name cannot be stored, as the end of a sentence, or None when it is fine."""
    for char in value:
        if char == "\x00":
            return "must not contain a NUL character"
        if char in BIDI_CONTROLS:
            return f"must not contain the bidirectional control character U+{ord(char):04X}"
        if unicodedata.category(char) == "Cc":
            return f"must not contain the control character U+{ord(char):04X}"
    return None
