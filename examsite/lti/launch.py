"""OIDC third-party login initiation and the launch's checks (LTI Security Framework §5.1).

The `state` sent to the platform is signed with SECRET_KEY and carries the nonce, the platform and
the login request's hints (so a launch whose cookie the browser blocked can be restarted in a new
window). A cookie named after the state's digest binds it to the browser that started the login
(against login CSRF); the nonce is recorded when a launch uses it, so a replayed id_token is
refused, and the state expires after STATE_SECONDS.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from examsite.database import begin_write
from examsite.extensions import db
from examsite.lti import http
from examsite.lti.messages import Launch, LaunchError, check_claims
from examsite.lti.models import LtiNonce, LtiPlatform
from examsite.lti.platforms import key_set, platforms_for
from examsite.timeutil import utcnow

STATE_SECONDS = 600
COOKIE_PREFIX = "lti_state_"
LOGIN_HINTS = ("login_hint", "lti_message_hint", "lti_deployment_id", "target_link_uri")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="examsite-lti-state")


def cookie_name(state: str) -> str:
    return COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:24]


def cookie_value(state: str) -> str:
    return hashlib.sha256(b"browser:" + state.encode()).hexdigest()


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


def start_login(params: dict[str, str], launch_url: str) -> LoginRedirect:
    """The platform's authorization URL for this login initiation (LTI Security 5.1.1.1-2)."""
    issuer = (params.get("iss") or "").strip()
    if not issuer:
        raise LaunchError("The login request names no issuer (iss).")
    if not params.get("login_hint"):
        raise LaunchError("The login request has no login_hint.")
    candidates = platforms_for(issuer, params.get("client_id"))
    if not candidates:
        raise LaunchError(
            "This platform is not registered with examsite. Ask an administrator to register it."
        )
    if len(candidates) > 1:
        raise LaunchError("Several registrations share this issuer; the platform must send client_id.")
    platform = candidates[0]
    target = params.get("target_link_uri") or launch_url
    base = current_app.config["PUBLIC_BASE_URL"]
    if not (target == launch_url or target.startswith(base + "/")):
        raise LaunchError("The target link is not an address of this tool.")
    nonce = secrets.token_urlsafe(24)
    hints = {k: params[k][:2000] for k in LOGIN_HINTS if params.get(k)}
    state = _serializer().dumps({"n": nonce, "p": platform.id, "h": hints})
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urllib.parse.urlsplit(platform.auth_login_url).query else "?"
    return LoginRedirect(platform.auth_login_url + separator + urllib.parse.urlencode(query), state)


@dataclass(frozen=True)
class StateData:
    nonce: str
    platform_id: int
    hints: dict[str, str]


def read_state(state: str) -> StateData:
    try:
        data = _serializer().loads(state, max_age=STATE_SECONDS)
    except SignatureExpired as exc:
        raise LaunchError(
            "The sign-in took too long. Go back to the course and open the activity again."
        ) from exc
    except BadSignature as exc:
        raise LaunchError("The launch's state is not one this tool issued.") from exc
    return StateData(data["n"], int(data["p"]), dict(data.get("h") or {}))


def relogin_url(state: StateData, login_url: str) -> str | None:
    """The login initiation again, to open in a new window (where cookies are first-party)."""
    platform = db.session.get(LtiPlatform, state.platform_id)
    if platform is None or not state.hints.get("login_hint"):
        return None
    query = {"iss": platform.issuer, "client_id": platform.client_id, **state.hints}
    return login_url + "?" + urllib.parse.urlencode(query)


def verify_launch(id_token: str, state: StateData) -> tuple[LtiPlatform, Launch, dict[str, Any]]:
    """Check the id_token's signature with the platform's key set and its claims; record its nonce
    (a second use is a replay). Commits the nonce. Returns (platform, launch, claims)."""
    platform = db.session.get(LtiPlatform, state.platform_id)
    if platform is None:
        raise LaunchError("The platform of this sign-in is no longer registered.")
    if not id_token or len(id_token) > 64_000:
        raise LaunchError("The launch carries no id_token.")
    try:
        header = jws.extract_compact(id_token.encode()).headers()  # unverified: only to pick the key
    except (JoseError, ValueError, TypeError) as exc:
        raise LaunchError("The launch's id_token is not a JWT.") from exc
    if header.get("alg") != "RS256":
        raise LaunchError("The launch must be signed with RS256.")
    try:
        keys = key_set(platform.key_set_url, header.get("kid"))
    except http.PlatformError as exc:
        raise LaunchError(f"The platform's public keys could not be fetched: {exc}") from exc
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
    except (JoseError, ValueError, TypeError) as exc:
        raise LaunchError("The launch's signature does not verify with the platform's keys.") from exc
    claims = dict(token.claims)
    launch = check_claims(
        claims,
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids={d.deployment_id for d in platform.deployments},
        nonce=state.nonce,
        now=time.time(),
    )
    use_nonce(state.nonce)
    return platform, launch, claims


def use_nonce(nonce: str) -> None:
    """Record the nonce; refuse it if a launch used it before (commits)."""
    begin_write()
    now = utcnow()
    # a nonce older than its state can never pass again (the state has expired): forget it
    db.session.execute(delete(LtiNonce).where(LtiNonce.used_at < now - timedelta(seconds=2 * STATE_SECONDS)))
    db.session.add(LtiNonce(nonce=nonce, used_at=now))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise LaunchError(
            "This launch was already used. Go back to the course and open the activity again."
        ) from exc
