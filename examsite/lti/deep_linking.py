"""Deep Linking 2.0: the signed LtiDeepLinkingResponse carrying the chosen role exam."""

from __future__ import annotations

import secrets
import time
from typing import Any

from joserfc import jwt

from examsite.lti import keys
from examsite.lti.messages import DEPLOYMENT_ID, DL_CONTENT_ITEMS, DL_DATA, MESSAGE_TYPE, VERSION

#: a grade book column of 0-100: the score posted is the exam's percentage
SCORE_MAXIMUM = 100


def content_item(role_slug: str, role_name: str, launch_url: str, line_item: bool = True) -> dict[str, Any]:
    """The resource link to the role's exam, with a grade column unless the platform said
    `accept_lineitem: false`."""
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": f"{role_name} exam",
        "url": launch_url,
        "custom": {"role": role_slug},
    }
    if line_item:
        item["lineItem"] = {
            "scoreMaximum": SCORE_MAXIMUM,
            "label": f"{role_name} exam",
            "resourceId": role_slug,
        }
    return item


def response_jwt(
    *,
    client_id: str,
    issuer: str,
    deployment_id: str,
    data: str | None,
    items: list[dict[str, Any]],
    now: float | None = None,
) -> str:
    """The LtiDeepLinkingResponse message (Deep Linking 2.0 §4.2), signed with the tool's key:
    iss is the tool's client id and aud the platform's issuer."""
    now = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 600,
        "nonce": secrets.token_urlsafe(16),
        MESSAGE_TYPE: "LtiDeepLinkingResponse",
        VERSION: "1.3.0",
        DEPLOYMENT_ID: deployment_id,
        DL_CONTENT_ITEMS: items,
    }
    if data is not None:
        claims[DL_DATA] = data
    key, kid = keys.signing_jwk()
    return jwt.encode({"alg": keys.ALGORITHM, "kid": kid, "typ": "JWT"}, claims, key)
