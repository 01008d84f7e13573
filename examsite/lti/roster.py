"""Names and Role Provisioning Services 2.0: bring a course's members into examsite.

Each active member gets the account a launch would give them (linked by `user_id` = sub, the same
role rules), and learners join the course's cohort. The membership container is read page by page
(`Link: <…>; rel="next"`) before anything is written, so a failed call writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from examsite.audit.services import record
from examsite.database import begin_write
from examsite.extensions import db
from examsite.lti import http
from examsite.lti.accounts import find_or_create_user, place_in_course
from examsite.lti.messages import NRPS_SCOPE, LaunchError, staff_or_learner
from examsite.lti.models import LtiContext
from examsite.lti.platforms import PlatformRef, access_token
from examsite.timeutil import utcnow

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 50


class RosterError(Exception):
    """The roster could not be read; nothing was changed."""


@dataclass
class RosterResult:
    learners: int = 0
    staff: int = 0
    skipped: int = 0


def _next_link(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "link":
            match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', value)
            if match:
                return match.group(1)
    return None


def fetch_members(context: LtiContext) -> list[dict]:
    if not context.memberships_url:
        raise RosterError("No launch from this course has offered its roster service yet.")
    platform = context.platform
    ref = PlatformRef(platform.id, platform.client_id, platform.auth_token_url)
    members: list[dict] = []
    url: str | None = context.memberships_url
    try:
        token = access_token(ref, (NRPS_SCOPE,))
        for _ in range(MAX_PAGES):
            if url is None:
                break
            reply = http.get_json(url, accept=MEDIA_TYPE, token=token)
            page = reply.body.get("members")
            if not isinstance(page, list):
                raise RosterError("The roster service answered without a members list.")
            members.extend(m for m in page if isinstance(m, dict))
            url = _next_link(reply.headers)
    except http.PlatformError as exc:
        raise RosterError(f"The roster could not be read: {exc}") from exc
    return members


def sync_roster(context: LtiContext, actor) -> RosterResult:
    """Fetch the roster, then create or update every active member's account; commits."""
    members = fetch_members(context)
    begin_write()
    context = db.session.get(LtiContext, context.id, populate_existing=True)
    platform = context.platform
    result = RosterResult()
    for member in members:
        sub = member.get("user_id")
        status = member.get("status", "Active")
        kind = staff_or_learner(member.get("roles") if isinstance(member.get("roles"), list) else [])
        if not isinstance(sub, str) or not sub or len(sub) > 255 or status != "Active" or kind is None:
            result.skipped += 1
            continue
        name = (
            " ".join(str(member.get(p) or "").strip() for p in ("given_name", "family_name") if member.get(p))
            or str(member.get("name") or "").strip()
        )
        email = (
            member.get("email") if isinstance(member.get("email"), str) and "@" in member["email"] else None
        )
        try:
            user = find_or_create_user(
                platform, sub, kind, name[:120], email.strip().lower()[:254] if email else None, actor=actor
            )
        except LaunchError:
            result.skipped += 1  # a trainee listed as staff, a deactivated account: left alone
            continue
        place_in_course(user, context, kind == "staff")
        if kind == "staff":
            result.staff += 1
        else:
            result.learners += 1
    context.roster_synced_at = utcnow()
    record(
        "lti.roster_synced",
        context,
        actor=actor,
        context_id=context.context_id,
        learners=result.learners,
        staff=result.staff,
        skipped=result.skipped,
    )
    db.session.commit()
    return result
