"""Registering platforms; their public keys; access tokens for the Advantage services."""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass

from flask import current_app
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from examsite.audit.services import record
from examsite.extensions import db
from examsite.lti import http, keys
from examsite.lti.models import LtiDeployment, LtiPlatform
from examsite.programs.models import Institution


class RegistrationError(ValueError):
    """A registration the tool refuses (bad URL, unknown institution)."""


@dataclass(frozen=True)
class Registration:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_id: str
    institution: str | None = None


def _url(value: str, what: str, allow_http: bool) -> str:
    value = (value or "").strip()
    parts = urllib.parse.urlsplit(value)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or len(value) > 500:
        raise RegistrationError(f"{what} must be an https URL (at most 500 characters): {value[:80]!r}")
    return value


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 255:
        raise RegistrationError(f"{what} must be 1 to 255 characters")
    return value


def register(reg: Registration, actor=None, allow_http: bool = False) -> tuple[LtiPlatform, bool]:
    """Add a platform (or, for a known issuer and client id, update its URLs and add the
    deployment). The caller commits. Returns (platform, created)."""
    issuer = _url(reg.issuer, "issuer", allow_http)
    client_id = _text(reg.client_id, "client id")
    urls = {
        "auth_login_url": _url(reg.auth_login_url, "auth login URL", allow_http),
        "auth_token_url": _url(reg.auth_token_url, "auth token URL", allow_http),
        "key_set_url": _url(reg.key_set_url, "key set URL", allow_http),
    }
    deployment_id = _text(reg.deployment_id, "deployment id")
    institution = None
    if reg.institution:
        institution = db.session.scalar(
            select(Institution).where(Institution.name == reg.institution.strip())
        )
        if institution is None:
            raise RegistrationError(f"no institution named {reg.institution.strip()!r}")
    platform = db.session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    )
    created = platform is None
    if created:
        platform = LtiPlatform(issuer=issuer, client_id=client_id, **urls)
        db.session.add(platform)
    else:
        for name, value in urls.items():
            setattr(platform, name, value)
    if institution is not None:
        platform.institution = institution
    db.session.flush()
    if deployment_id not in {d.deployment_id for d in platform.deployments}:
        platform.deployments.append(LtiDeployment(deployment_id=deployment_id))
    db.session.flush()
    record(
        "lti.platform_registered" if created else "lti.platform_updated",
        platform,
        actor=actor,
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        institution=institution.name if institution else None,
    )
    return platform, created


def platforms_for(issuer: str, client_id: str | None) -> list[LtiPlatform]:
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    return list(db.session.scalars(query.order_by(LtiPlatform.id)))


# --- the platform's public keys -----------------------------------------------------------------

#: key sets kept per worker for this long; a kid not in the kept set fetches it again at once
KEY_SET_SECONDS = 300
KID_REFETCH_SECONDS = 30
_lock = threading.Lock()


def _cache(name: str) -> dict:
    """A per-app cache (tests build many apps in one process, each with its own platforms)."""
    return current_app.extensions.setdefault(f"examsite_lti_{name}", {})


def key_set(url: str, kid: str | None) -> KeySet:
    """The platform's key set, fetched again when it is old or lacks `kid` (a rotated key)."""
    now = time.monotonic()
    with _lock:
        cached = _cache("key_sets").get(url)
    # An unknown kid fetches the set again (the platform rotated its key), but at most every
    # KID_REFETCH_SECONDS, so forged tokens with made-up kids cannot make us flood the platform.
    fresh = cached is not None and now - cached[0] < KEY_SET_SECONDS
    if fresh and (kid is None or _has(cached[1], kid) or now - cached[0] < KID_REFETCH_SECONDS):
        return cached[1]
    reply = http.get_json(url)
    try:
        keys_ = KeySet.import_key_set(
            {"keys": [k for k in reply.body.get("keys", []) if k.get("kty") in ("RSA", "EC")]}
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise http.PlatformError(f"the key set at {url} is not a valid JWKS: {exc}") from exc
    with _lock:
        _cache("key_sets")[url] = (now, keys_)
    return keys_


def _has(keys_: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys_.keys)


@dataclass(frozen=True)
class PlatformRef:
    """What a service call needs of a platform, read before the database transaction ends."""

    id: int
    client_id: str
    auth_token_url: str


# --- access tokens for the services (client credentials with a signed JWT assertion) ------------


def access_token(platform: LtiPlatform | PlatformRef, scopes: tuple[str, ...]) -> str:
    """A bearer token for `scopes`, kept until shortly before it expires (LTI Security 4.1)."""
    scope = " ".join(sorted(scopes))
    cache_key = (platform.id, scope)
    now = time.time()
    with _lock:
        cached = _cache("tokens").get(cache_key)
    if cached and cached[0] > now:
        return cached[1]
    key, kid = keys.signing_jwk()
    assertion = jwt.encode(
        {"alg": keys.ALGORITHM, "kid": kid, "typ": "JWT"},
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": int(now),
            "exp": int(now) + 300,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )
    reply = http.call(
        "POST",
        platform.auth_token_url,
        form={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": scope,
        },
    )
    body = reply.body if isinstance(reply.body, dict) else {}
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise http.PlatformError(f"the token endpoint {platform.auth_token_url} gave no access_token")
    try:
        lifetime = int(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600
    with _lock:
        _cache("tokens")[cache_key] = (now + max(lifetime - 60, 0), token)
    return token


def forget_token(platform: LtiPlatform | PlatformRef, scopes: tuple[str, ...]) -> None:
    with _lock:
        _cache("tokens").pop((platform.id, " ".join(sorted(scopes))), None)
