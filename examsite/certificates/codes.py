"""Certificate codes: short, random, and easy to read aloud or type from paper.

A code is what an employer types into /verify/<code> from a printed certificate, so it avoids
characters that look alike on paper or on screen (0/O, 1/I/L) and U (read as V). Twelve characters
from the thirty below carry about 59 bits, enough that guessing a valid code is hopeless while the
verification page is rate limited.
"""

from __future__ import annotations

import secrets

#: No 0/O, 1/I/L or U: the characters people misread or mistype from a printed page.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

CODE_LENGTH = 12
GROUP_LENGTH = 4

# What people (or PDF copy-paste) put between groups: spaces, hyphens of every width, underscores.
_SEPARATORS = frozenset(" \t\r\n\u00a0-_\u2010\u2011\u2012\u2013\u2014\u2212")
_ALLOWED = frozenset(ALPHABET)
# Longer input than this is not a mistyped code; refuse it before doing any work on it.
_MAX_INPUT_LENGTH = 64


def _group(raw: str) -> str:
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, len(raw), GROUP_LENGTH))


def new_code() -> str:
    """A fresh code such as "7KQM-XH3P-A9TZ" drawn from the OS's secure random source.

    Uniqueness is finally the database's job (a unique constraint on the column); at 59 bits a
    collision is so rare that retrying the insert once is all a caller needs.
    """
    return _group("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def normalize_code(text: str) -> str | None:
    """The canonical "XXXX-XXXX-XXXX" form of what a person typed, or None if it cannot be a code.

    Case, spaces, dashes and underscores are forgiven. Look-alike characters (O, 0, I, 1, L, U) are
    not guessed at: a code containing one was mistyped, and guessing could point at someone else's
    certificate, so the answer is None and the page says "not found".
    """
    if not text or len(text) > _MAX_INPUT_LENGTH:
        return None
    raw = "".join(ch for ch in text if ch not in _SEPARATORS)
    # ASCII only: str.upper() maps a few non-ASCII letters onto ASCII ones (the long s becomes S).
    if not raw.isascii():
        return None
    raw = raw.upper()
    if len(raw) != CODE_LENGTH or not set(raw) <= _ALLOWED:
        return None
    return _group(raw)
