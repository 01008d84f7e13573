"""Queue a message (in the caller's transaction) and deliver what is due, with backoff."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import after_this_request, current_app
from sqlalchemy import select, update

from examsite.database import begin_write
from examsite.extensions import db
from examsite.mail.models import OutboxMessage
from examsite.mail.sender import MailError, SmtpSender
from examsite.timeutil import utcnow

log = logging.getLogger(__name__)

#: a claimed message is left alone by other senders for this long (a crashed sender's lease ends)
LEASE = timedelta(minutes=5)
#: the first retry after a minute, doubling up to an hour; never given up on
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(tries: int) -> timedelta:
    """How long to wait after the `tries`-th failed try (1, 2, 4, ... minutes, at most an hour)."""
    return min(FIRST_RETRY * 2 ** max(tries - 1, 0), LONGEST_RETRY)


def enqueue(kind: str, to: str, subject: str, body: str) -> OutboxMessage:
    """Add a message to the caller's transaction: it exists exactly when that transaction commits."""
    message = OutboxMessage(kind=kind, to_address=to, subject=subject, body=body, next_attempt_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def send_after_response(ids: list[int]) -> None:
    """Deliver these messages once the response has gone to the client.

    The request that queued them answers at once, whatever the mail server does (a slow or
    unreachable server would otherwise hold the page for the SMTP timeout), and the answer takes
    as long whether or not a message was queued (a "forgot password" page must not tell by its
    timing which addresses have accounts). What cannot be sent now stays due for
    `flask mail send-outbox`.
    """
    app = current_app._get_current_object()

    @after_this_request
    def _defer(response):
        def _send() -> None:
            with app.app_context():
                try:
                    send_due(ids=ids)
                except Exception:  # never lost: the message stays in the outbox for cron
                    log.exception("mail %s not sent after the response", ids)
                finally:
                    db.session.remove()

        response.call_on_close(_send)
        return response


def send_due(now: datetime | None = None, ids: list[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Try each due, unsent message (or only `ids`) once; commit each outcome. (sent, failed)."""
    sender = SmtpSender.from_config(current_app.config)
    if sender is None:
        return 0, 0
    now = now or utcnow()
    query = select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    due = db.session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()
    db.session.commit()  # end the read; each message gets its own short write
    sent = failed = 0
    for message_id in due:
        message = _claim(message_id, now)
        if message is None:
            continue  # another sender has it
        to, subject, body = message.to_address, message.subject, message.body
        db.session.commit()  # never hold the database while talking to the mail server
        try:
            sender.send(to, subject, body)
        except MailError as exc:
            failed += 1
            _finish(message_id, error=str(exc), now=now)
            log.warning("mail %s to %s not sent (will retry): %s", message_id, to, exc)
        else:
            sent += 1
            _finish(message_id, error=None, now=now)
    return sent, failed


def _claim(message_id: int, now: datetime) -> OutboxMessage | None:
    begin_write()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE, tries=OutboxMessage.tries + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _finish(message_id: int, error: str | None, now: datetime) -> None:
    begin_write()
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if error is None:
        message.sent_at, message.last_error = utcnow(), None
    else:
        message.last_error = error[:2000]
        message.next_attempt_at = now + retry_delay(message.tries)
    db.session.commit()
