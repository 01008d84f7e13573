"""Grade passback (Assignment and Grade Services 2.0): an outbox of scores to post.

When delivery scores an attempt (the `attempt_scored` signal, inside its transaction), a row is
added here if the trainee's latest launch of that role came with a line item and the score scope.
After the request commits, the row is posted at once (`after_request`); `flask lti send-scores`
(cron) posts whatever is still due, with the mail outbox's back-off (1, 2, 4 … minutes, at most
hourly), never giving up. A sender claims a row by moving its next try forward (a lease), so two
senders never post the same row at the same time, and a posted row is marked sent in its own
commit: each score reaches the platform once. (AGS scores are idempotent per user and line item,
the newest timestamp winning, so even a repeat after a crash between the post and that commit
would change nothing in the grade book.)
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import select, update

from examsite.database import begin_write
from examsite.delivery.models import Attempt
from examsite.delivery.signals import attempt_scored
from examsite.extensions import db
from examsite.lti import http
from examsite.lti.deep_linking import SCORE_MAXIMUM
from examsite.lti.messages import SCORE_SCOPE
from examsite.lti.models import LtiLineItem, LtiPlatform, LtiScore
from examsite.lti.platforms import PlatformRef, access_token, forget_token
from examsite.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
PENDING = "examsite_lti_pending_scores"


def retry_delay(tries: int) -> timedelta:
    return min(FIRST_RETRY * 2 ** max(tries - 1, 0), LONGEST_RETRY)


@attempt_scored.connect
def queue_score(attempt: Attempt, now: datetime | None = None, **_) -> LtiScore | None:
    """Add the attempt's score to the outbox when it belongs to an LTI launch (caller commits)."""
    if attempt.simulated or attempt.score_percent is None:
        return None
    link = db.session.scalar(
        select(LtiLineItem).where(
            LtiLineItem.user_id == attempt.user_id, LtiLineItem.role_id == attempt.role_id
        )
    )
    if link is None:
        return None
    exists = db.session.scalar(
        select(LtiScore.id).where(
            LtiScore.attempt_id == attempt.id, LtiScore.lineitem_url == link.lineitem_url
        )
    )
    if exists is not None:
        return None
    score = LtiScore(
        attempt_id=attempt.id,
        platform_id=link.platform_id,
        lineitem_url=link.lineitem_url,
        sub=link.sub,
        score_given=Decimal(attempt.score_percent),
        score_maximum=Decimal(SCORE_MAXIMUM),
        scored_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
    )
    db.session.add(score)
    db.session.flush()
    if has_request_context():
        g.setdefault(PENDING, []).append(score.id)
    return score


def pending_in_request() -> list[int]:
    return list(g.pop(PENDING, [])) if has_request_context() else []


def remember_line_item(
    user_id: int, role_id: int, platform: LtiPlatform, lineitem_url: str, sub: str
) -> None:
    """The line item this learner's score for the role goes to (their latest launch's). Flushes."""
    link = db.session.scalar(
        select(LtiLineItem).where(LtiLineItem.user_id == user_id, LtiLineItem.role_id == role_id)
    )
    if link is None:
        link = LtiLineItem(user_id=user_id, role_id=role_id)
        db.session.add(link)
    link.platform_id, link.lineitem_url, link.sub, link.launched_at = (
        platform.id,
        lineitem_url[:500],
        sub,
        utcnow(),
    )
    db.session.flush()


def scores_url(lineitem_url: str) -> str:
    """The line item's scores endpoint (AGS 2.0 §3.4): `/scores` after its path, query kept."""
    parts = urllib.parse.urlsplit(lineitem_url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score_body(row: LtiScore) -> dict:
    return {
        "userId": row.sub,
        "scoreGiven": float(row.score_given),
        "scoreMaximum": float(row.score_maximum),
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": as_utc(row.scored_at).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


@dataclass(frozen=True)
class ScorePost:
    """What one post needs, read before the claim commits (no database during the call)."""

    platform: PlatformRef
    url: str
    body: dict


def post_score(job: ScorePost) -> None:
    """Post one score; a 401 (a token the platform no longer takes) gets one more try with a new token."""
    scopes = (SCORE_SCOPE,)
    for last_try in (False, True):
        token = access_token(job.platform, scopes)
        try:
            http.call("POST", job.url, json_body=job.body, content_type=SCORE_MEDIA_TYPE, token=token)
            return
        except http.PlatformError as exc:
            forget_token(job.platform, scopes)
            if last_try or exc.status != 401:
                raise


def send_due(now: datetime | None = None, ids: list[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Post each due, unsent score (or only `ids`) once; commit each outcome. (sent, failed)."""
    now = now or utcnow()
    query = select(LtiScore.id).where(LtiScore.sent_at.is_(None), LtiScore.next_attempt_at <= now)
    if ids is not None:
        query = query.where(LtiScore.id.in_(ids))
    due = db.session.scalars(query.order_by(LtiScore.id).limit(limit)).all()
    db.session.commit()  # end the read; each score gets its own short write
    sent = failed = 0
    for score_id in due:
        job = _claim(score_id, now)
        if job is None:
            continue
        db.session.commit()  # never hold the database while talking to the platform
        try:
            post_score(job)
        except http.PlatformError as exc:
            failed += 1
            _finish(score_id, str(exc), now)
            log.warning("LTI score %s not posted (will retry): %s", score_id, exc)
        else:
            sent += 1
            _finish(score_id, None, now)
    return sent, failed


def _claim(score_id: int, now: datetime) -> ScorePost | None:
    begin_write()
    claimed = db.session.execute(
        update(LtiScore)
        .where(LtiScore.id == score_id, LtiScore.sent_at.is_(None), LtiScore.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE, tries=LtiScore.tries + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.get(LtiScore, score_id, populate_existing=True)
    platform = PlatformRef(row.platform.id, row.platform.client_id, row.platform.auth_token_url)
    return ScorePost(platform, scores_url(row.lineitem_url), score_body(row))


def _finish(score_id: int, error: str | None, now: datetime) -> None:
    begin_write()
    row = db.session.get(LtiScore, score_id, populate_existing=True)
    if error is None:
        row.sent_at, row.last_error = utcnow(), None
    else:
        row.last_error = error[:2000]
        row.next_attempt_at = now + retry_delay(row.tries)
    db.session.commit()


def unsent(limit: int = 200) -> list[LtiScore]:
    return list(
        db.session.scalars(
            select(LtiScore).where(LtiScore.sent_at.is_(None)).order_by(LtiScore.id).limit(limit)
        )
    )
