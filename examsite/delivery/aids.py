"""Exam-taking aids kept with an attempt: the options a trainee struck out on each item.

Struck options are a reading aid. They are stored on the attempt item (not in its response), so
they are never sent, stored or scored as an answer, and they come back when the page reloads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, update

from examsite.accounts.models import User
from examsite.delivery.content import attempt_forms, version
from examsite.delivery.models import Attempt, AttemptItem
from examsite.delivery.services import DeliveryError, _save_refusal  # the same reasons as a refused answer
from examsite.extensions import db
from examsite.timeutil import utcnow


def strike_options(
    user: User, attempt_id: int, attempt_item_id: int, struck: list[str], now: datetime | None = None
) -> list[str]:
    """Store the options struck out on one item of the user's open attempt; the ids stored.

    One guarded UPDATE: it writes only while the attempt is this user's, open and in time, so
    a closed attempt (409) or another user's (404) changes nothing. Unknown options are 422.
    The caller opens the unit of work (delivery_unit)."""
    now = now or utcnow()
    facts = attempt_forms().load(attempt_id)
    version_id = facts.versions.get(attempt_item_id) if facts and facts.user_id == user.id else None
    if version_id is None:
        raise _save_refusal(user, attempt_id, attempt_item_id, now)
    valid = {oid for oid, _ in version(version_id).options}
    unique = list(dict.fromkeys(struck))
    unknown = [oid for oid in unique if oid not in valid]
    if unknown:
        raise DeliveryError(422, "unknown_option", f"Unknown option(s): {', '.join(unknown)}.")
    still_open = exists().where(
        Attempt.id == attempt_id,
        Attempt.user_id == user.id,
        Attempt.started_at == facts.started_at,
        Attempt.status == "in_progress",
        Attempt.deadline >= now - timedelta(seconds=facts.grace_seconds),
    )
    result = db.session.execute(
        update(AttemptItem)
        .where(AttemptItem.id == attempt_item_id, AttemptItem.attempt_id == attempt_id, still_open)
        .values(struck=unique)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # nothing written; the refusal may close an attempt past its time
        attempt_forms().forget(attempt_id)
        raise _save_refusal(user, attempt_id, attempt_item_id, now)
    return unique


def struck_options(attempt_item_id: int) -> list[str]:
    """The options struck out on one attempt item (for the item page)."""
    return list(db.session.scalar(select(AttemptItem.struck).where(AttemptItem.id == attempt_item_id)) or [])
