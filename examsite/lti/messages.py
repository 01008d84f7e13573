"""The claims of an LTI 1.3 message, checked (pure: no request, no database).

`check_claims` applies LTI Core 1.3 §5 and the Security Framework §5.1.3 to the verified id_token's
claims and returns a Launch, or raises LaunchError with a message a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

#: seconds of clock difference tolerated between the platform and us
LEEWAY = 60
#: an id_token issued longer ago than this is refused even if its exp is later
MAX_AGE = 600

_LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
#: roles (LTI Core 1.3 Appendix A) that make someone staff here: never a trainee with exam access
STAFF_ROLES = {
    _LIS + "membership#Instructor",
    _LIS + "membership#Administrator",
    _LIS + "membership#ContentDeveloper",
    _LIS + "institution/person#Administrator",
    _LIS + "institution/person#Faculty",
    _LIS + "institution/person#Instructor",
    _LIS + "system/person#Administrator",
    _LIS + "system/person#SysAdmin",
}
LEARNER_ROLES = {
    _LIS + "membership#Learner",
    _LIS + "institution/person#Student",
    _LIS + "institution/person#Learner",
}
_SHORT = {"Instructor", "Administrator", "ContentDeveloper", "Learner"}  # deprecated simple names


class LaunchError(Exception):
    """A launch the tool refuses; the message is shown on the 400 page."""


def staff_or_learner(roles: list[str]) -> str | None:
    """'staff' if any role is an instructor's or administrator's (sub-roles such as
    membership/Instructor#TeachingAssistant count as their principal role), else 'learner' for a
    learner, else None."""
    principal = set()
    for role in roles:
        if not isinstance(role, str):
            continue
        if role in _SHORT:  # LTI Core allows the simple names for context roles
            role = _LIS + "membership#" + role
        if role.startswith(_LIS + "membership/") and "#" in role:  # a sub-role: .../Instructor#TA
            base = role[len(_LIS + "membership/") :].split("#", 1)[0]
            role = _LIS + "membership#" + base
        principal.add(role)
    if principal & STAFF_ROLES:
        return "staff"
    if principal & LEARNER_ROLES:
        return "learner"
    return None


@dataclass(frozen=True)
class Launch:
    message_type: str
    issuer: str
    sub: str
    deployment_id: str
    kind: str  # "staff" or "learner"
    name: str
    email: str | None
    context_id: str | None
    context_title: str
    custom: dict[str, Any] = field(default_factory=dict)
    resource_link_id: str | None = None
    lineitem_url: str | None = None
    score_allowed: bool = False
    memberships_url: str | None = None
    deep_linking: dict[str, Any] | None = None


def _str(claims: dict, name: str, what: str, limit: int = 255) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise LaunchError(f"The launch has no valid {what}.")
    return value


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    deployment_ids: set[str],
    nonce: str,
    now: float,
) -> Launch:
    if claims.get("iss") != issuer:
        raise LaunchError("The launch came from another issuer than the registered platform.")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences:
        raise LaunchError("The launch was not meant for this tool (wrong audience).")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise LaunchError("The launch names another authorized party (azp) than this tool.")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise LaunchError("The launch has no valid expiry or issue time.")
    if exp < now - LEEWAY:
        raise LaunchError("The launch has expired. Go back to the course and open the activity again.")
    if iat > now + LEEWAY or iat < now - MAX_AGE:
        raise LaunchError("The launch's issue time is not plausible; check the platform's clock.")
    if claims.get("nonce") != nonce:
        raise LaunchError("The launch's nonce does not match this sign-in.")
    message_type = claims.get(MESSAGE_TYPE)
    if message_type not in MESSAGE_TYPES:
        raise LaunchError(f"This tool does not handle messages of type {str(message_type)[:60]!r}.")
    if claims.get(VERSION) != "1.3.0":
        raise LaunchError("Only LTI version 1.3.0 launches are supported.")
    deployment_id = _str(claims, DEPLOYMENT_ID, "deployment id")
    if deployment_id not in deployment_ids:
        raise LaunchError("The platform's deployment is not registered with this tool.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise LaunchError("Anonymous launches are not supported: the platform must send the user (sub).")
    roles = claims.get(ROLES)
    if not isinstance(roles, list):
        raise LaunchError("The launch has no roles claim.")
    kind = staff_or_learner(roles)
    if kind is None:
        raise LaunchError(
            "Your role in this course gives no access to the exams (learners and instructors only)."
        )
    context = claims.get(CONTEXT) if isinstance(claims.get(CONTEXT), dict) else {}
    context_id = context.get("id") if isinstance(context.get("id"), str) and context.get("id") else None
    if context_id and len(context_id) > 255:
        raise LaunchError("The launch's context id is too long.")
    custom = claims.get(CUSTOM) if isinstance(claims.get(CUSTOM), dict) else {}
    name = (
        " ".join(
            str(claims.get(part) or "").strip() for part in ("given_name", "family_name") if claims.get(part)
        )
        or str(claims.get("name") or "").strip()
    )
    email = (
        claims.get("email") if isinstance(claims.get("email"), str) and "@" in claims.get("email") else None
    )
    ags = claims.get(AGS_ENDPOINT) if isinstance(claims.get(AGS_ENDPOINT), dict) else {}
    scopes = ags.get("scope") if isinstance(ags.get("scope"), list) else []
    nrps = claims.get(NRPS) if isinstance(claims.get(NRPS), dict) else {}
    launch = {
        "message_type": message_type,
        "issuer": issuer,
        "sub": sub,
        "deployment_id": deployment_id,
        "kind": kind,
        "name": name[:120],
        "email": email.strip().lower()[:254] if email else None,
        "context_id": context_id,
        "context_title": str(context.get("title") or context.get("label") or "")[:200],
        "custom": custom,
        "lineitem_url": ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None,
        "score_allowed": SCORE_SCOPE in scopes,
        "memberships_url": nrps.get("context_memberships_url")
        if isinstance(nrps.get("context_memberships_url"), str)
        else None,
    }
    if message_type == RESOURCE_LINK_REQUEST:
        link = claims.get(RESOURCE_LINK) if isinstance(claims.get(RESOURCE_LINK), dict) else {}
        if not isinstance(link.get("id"), str) or not link.get("id"):
            raise LaunchError("The launch has no resource link id.")
        return Launch(**launch, resource_link_id=link["id"])
    settings = claims.get(DL_SETTINGS)
    if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
        raise LaunchError("The deep-linking request has no return URL.")
    return_url = settings["deep_link_return_url"]
    if not return_url.startswith(("https://", "http://")) or len(return_url) > 2000:
        raise LaunchError("The deep-linking request's return URL is not a web address.")
    if len(str(settings.get("data") or "")) > 2000:
        raise LaunchError("The deep-linking request carries more data than this tool can return.")
    accepted = settings.get("accept_types")
    if isinstance(accepted, list) and "ltiResourceLink" not in accepted:
        raise LaunchError("The platform does not accept LTI resource links here, so no exam can be added.")
    if kind != "staff":
        raise LaunchError("Only instructors can add exams to a course.")
    return Launch(**launch, deep_linking=settings)
