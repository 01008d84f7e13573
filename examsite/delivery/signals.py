"""What delivery announces to the areas built on it (they connect; delivery never imports them)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with the Attempt just scored, its `domains` (scoring.DomainResult, scored items only) and
#: `now`, inside the closing transaction (receivers write into it and never commit)
attempt_scored = _signals.signal("attempt-scored")
