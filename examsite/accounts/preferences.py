"""Display preferences a user chooses on the exam page (text size, theme), kept on their account
so every page and every device shows them."""

from __future__ import annotations

from examsite.accounts.models import TEXT_SIZES, THEMES, User
from examsite.extensions import db


class PreferenceError(ValueError):
    """A text size or theme that is not one of the choices."""


def set_preferences(user: User, text_size: int | None = None, theme: str | None = None) -> dict:
    """Change the given preferences (None keeps one) in the caller's unit of work; the
    preferences now."""
    if text_size is not None and text_size not in TEXT_SIZES:
        raise PreferenceError(f"Text size must be one of {', '.join(map(str, TEXT_SIZES))}.")
    if theme is not None and theme not in THEMES:
        raise PreferenceError(f"Theme must be one of {', '.join(THEMES)}.")
    if text_size is not None:
        user.text_size = text_size
    if theme is not None:
        user.theme = theme
    db.session.flush()
    return preferences(user)


def preferences(user: User) -> dict:
    return {"text_size": user.text_size, "theme": user.theme}
