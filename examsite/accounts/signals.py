"""What the accounts area announces to the areas built on it (they connect; accounts never
imports them)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with the User, `actor` and `now`, inside the deactivation's transaction (receivers write
#: into it and never commit)
user_deactivated = _signals.signal("user-deactivated")
