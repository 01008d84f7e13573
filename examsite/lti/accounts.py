"""A platform user's examsite account: found by (issuer, sub), made on first launch.

Staff in the LMS (instructors, administrators, content developers, their sub-roles) get
instructor accounts and learners trainee accounts; an existing trainee who launches as staff is
refused rather than promoted (an administrator changes roles), and an instructor or administrator
who launches as a learner (a "student view") stays what they are, so no staff account ever starts
an exam. Accounts made here have no password: they sign in through their LMS.
"""

from __future__ import annotations

import hashlib
import urllib.parse

from sqlalchemy import select

from examsite.accounts.models import User, email_taken
from examsite.audit.services import record
from examsite.extensions import db
from examsite.lti.messages import Launch, LaunchError
from examsite.lti.models import LtiAccount, LtiContext, LtiContextMember, LtiPlatform
from examsite.programs.models import Cohort
from examsite.timeutil import utcnow


def _placeholder_email(issuer: str, sub: str) -> str:
    """For a user whose platform sends no e-mail (or one another account already has): unique,
    and in the reserved .invalid domain so nothing is ever sent to it."""
    digest = hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:20]
    host = urllib.parse.urlsplit(issuer).hostname or "lms"
    return f"lti-{digest}@{host}.invalid"[:254]


def find_or_create_user(
    platform: LtiPlatform, sub: str, kind: str, name: str, email: str | None, actor=None
) -> User:
    """The linked account (made now if new), checked against the launch's role. Flushes, never commits."""
    account = db.session.scalar(
        select(LtiAccount).where(LtiAccount.issuer == platform.issuer, LtiAccount.sub == sub)
    )
    if account is not None:
        user = account.user
        if not user.active:
            raise LaunchError("Your examsite account is deactivated. Ask your program's administrator.")
        if kind == "staff" and user.role == "trainee":
            raise LaunchError(
                "You launched as an instructor, but your examsite account is a trainee's. "
                "An administrator must change its role first."
            )
        if name and user.name != name:
            user.name = name
        return user
    address = email if email and not email_taken(email) else _placeholder_email(platform.issuer, sub)
    user = User(
        email=address,
        name=name or "LMS user",
        role="instructor" if kind == "staff" else "trainee",
        password_hash=None,
    )
    db.session.add(user)
    db.session.flush()
    # two first launches of one user at the same moment: the unique (issuer, sub) refuses the
    # second at its commit, which the view turns into a "try again" page
    db.session.add(LtiAccount(issuer=platform.issuer, sub=sub, user_id=user.id))
    db.session.flush()
    record(
        "lti.account_created",
        user,
        actor=actor,
        issuer=platform.issuer,
        sub=sub,
        role=user.role,
        email=user.email,
    )
    return user


def context_for(platform: LtiPlatform, context_id: str, title: str) -> LtiContext:
    """The course's row, with a cohort in the platform's institution (when it has one)."""
    context = db.session.scalar(
        select(LtiContext).where(LtiContext.platform_id == platform.id, LtiContext.context_id == context_id)
    )
    if context is None:
        context = LtiContext(platform_id=platform.id, context_id=context_id, title=title or context_id)
        db.session.add(context)
        db.session.flush()
    elif title:
        context.title = title
    if context.cohort_id is None and platform.institution_id is not None:
        context.cohort = _new_cohort(platform, context)
    return context


def _new_cohort(platform: LtiPlatform, context: LtiContext) -> Cohort:
    base = (context.title or context.context_id)[:150]
    name = base
    taken = set(
        db.session.scalars(select(Cohort.name).where(Cohort.institution_id == platform.institution_id))
    )
    if name in taken:
        name = f"{base} (LMS course {context.context_id[:40]})"
    cohort = Cohort(institution_id=platform.institution_id, name=name[:200])
    db.session.add(cohort)
    db.session.flush()
    record("lti.cohort_created", cohort, actor=None, context_id=context.context_id, name=cohort.name)
    return cohort


def place_in_course(user: User, context: LtiContext, staff: bool) -> None:
    """Remember the membership; a trainee joins the course's cohort."""
    member = db.session.scalar(
        select(LtiContextMember).where(
            LtiContextMember.context_id == context.id, LtiContextMember.user_id == user.id
        )
    )
    if member is None:
        db.session.add(LtiContextMember(context_id=context.id, user_id=user.id, staff=staff))
    else:
        member.staff = staff
    if user.role == "trainee" and context.cohort_id is not None and user.cohort_id != context.cohort_id:
        user.cohort_id = context.cohort_id
        record("lti.cohort_joined", user, actor=None, cohort=context.cohort_id, context_id=context.context_id)


def sign_in_user(platform: LtiPlatform, launch: Launch) -> tuple[User, LtiContext | None]:
    """Account, course and cohort for a launch. Flushes; the caller commits."""
    user = find_or_create_user(platform, launch.sub, launch.kind, launch.name, launch.email)
    context = None
    if launch.context_id:
        context = context_for(platform, launch.context_id, launch.context_title)
        if launch.memberships_url:
            context.memberships_url = launch.memberships_url[:500]
        place_in_course(user, context, launch.kind == "staff")
    user.last_login_at = utcnow()
    return user, context
