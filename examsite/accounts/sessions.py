"""Revocable browser sessions on top of Flask-Login's signed cookie.

A session carries a random id (`sid`) and the user's session epoch at login. The user loader
reads both with the user in one statement (no extra query on the session path, which every
answer save takes):

* logout records the session's id in `ended_sessions`, so that cookie, and any copy of it, stops
  working while the user's other sessions (another device) go on;
* a password change or reset, a deactivation or a role change raises the user's epoch
  (services.end_sessions), which ends every session started before it at its next request; the
  session that changed its own password is moved to the new epoch and goes on.

Why not a row per live session: that would be a write at every login and a lookup of a second
table on every request, for the same effect; ended sessions are rare and are purged once their
cookie could no longer be valid anyway (the cookie's signature expires with the session lifetime).
A cookie from before this scheme (no `sid`) logs nobody in: those users log in once more.
"""

from __future__ import annotations

import functools
import secrets

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, exists, select

from examsite.accounts.models import EndedSession, User
from examsite.accounts.services import end_session as record_ended_session
from examsite.extensions import db

SID, EPOCH = "examsite_sid", "examsite_epoch"


def start_session(user: User) -> None:
    """Log the user in with a fresh session id, in the user's current epoch."""
    session.pop(SID, None)
    login_user(user)
    session[SID] = secrets.token_urlsafe(24)
    session[EPOCH] = user.session_epoch or 0


def keep_session(user: User) -> None:
    """Keep this session after a change that ended the user's others (own password change)."""
    session[EPOCH] = user.session_epoch


def end_current_session(user_id: int | None) -> None:
    """Log out; the session's id is recorded (in the caller's write) so copies stop working."""
    sid = session.get(SID)
    logout_user()
    session.pop(SID, None)
    session.pop(EPOCH, None)
    if sid and user_id is not None:
        record_ended_session(sid, user_id)


def load_session_user(user_id: str) -> User | None:
    """The user this session belongs to, or None when the session has been ended."""
    sid, epoch = session.get(SID), session.get(EPOCH)
    if not user_id.isdigit() or not isinstance(sid, str) or not isinstance(epoch, int):
        return None
    row = db.session.execute(_session_user(), {"user_id": int(user_id), "sid": sid}).first()
    if row is None:
        return None
    user, ended = row
    if ended or user.session_epoch != epoch:
        return None
    return user


@functools.cache
def _session_user():
    # Built once (as the bearer-token statement): this runs on every request with a session.
    ended = exists().where(EndedSession.sid == bindparam("sid"))
    return select(User, ended).where(User.id == bindparam("user_id"))
