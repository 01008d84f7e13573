"""What delivery announces to the areas built on it (they connect; delivery never imports them)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sent with the Attempt and `now` when it has just been scored, inside the transaction that
#: closes it (receivers add to that transaction and never commit): LTI grade passback listens,
#: and the skills evidence (examsite/skills/evidence.py)
attempt_scored = _signals.signal("attempt-scored")
