"""A verifier that follows Open Badges 3.0's verification steps for a VC-JWT credential.

Written from the specification (OB 3.0 section 9, "Verifying a Credential", with the JSON Web
Token Proof Format of section 8.2 and the 1EdTech Revocation List status method), with PyJWT as
the JOSE library, so it shares no code with the issuer (joserfc). It fetches URLs through a
function it is given, which lets tests dereference the app's own URLs in-process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlparse

import jwt

#: 1EdTech's validator accepts these two; OB 3.0 makes RS256 the minimum.
ACCEPTED_ALGORITHMS = ("RS256", "ES256")
VC_V2 = "https://www.w3.org/ns/credentials/v2"


class VerificationError(Exception):
    pass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise VerificationError(message)


def _is_uri(value) -> bool:
    return isinstance(value, str) and bool(urlparse(value).scheme)


def _seconds(value) -> int:
    _require(isinstance(value, str), "a credential date is missing")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise VerificationError(f"{value!r} is not an xsd:dateTimeStamp") from exc
    _require(moment.tzinfo is not None, f"{value!r} has no time zone")
    return int(moment.timestamp())


def verify(token: str, fetch: Callable[[str], bytes], now: float | None = None) -> dict:
    """The checked credential with "revoked" and "expired" (bools); VerificationError names the
    first failed step. `now` (seconds since the epoch) is the moment of the check."""
    # 1. The JOSE header: an accepted alg and a kid that is a URI.
    header = jwt.get_unverified_header(token)
    _require(header.get("alg") in ACCEPTED_ALGORITHMS, f"alg {header.get('alg')!r} is not RS256 or ES256")
    kid = header.get("kid")
    _require(_is_uri(kid) and urlparse(kid).scheme in ("https", "http"), "kid is not an absolute URL")
    # 2. Dereference kid to a public JWK.
    jwk = json.loads(fetch(kid))
    _require(jwk.get("kty") in ("EC", "RSA"), "kid does not dereference to an EC or RSA JWK")
    _require(not {"d", "p", "q"} & set(jwk), "the published JWK holds private members")
    # 3. The signature, with the algorithm from the header (dates are judged below, at `now`).
    try:
        claims = jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=[header["alg"]],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.PyJWTError as exc:
        raise VerificationError(f"signature: {exc}") from exc
    # 4. The registered claims against the credential they carry.
    issuer = claims.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else (issuer or {}).get("id")
    subject = claims.get("credentialSubject") or {}
    _require(claims.get("iss") == issuer_id, "iss does not equal issuer.id")
    _require(claims.get("jti") == claims.get("id"), "jti does not equal the credential id")
    _require(
        "id" in subject and claims.get("sub") == subject["id"], "sub does not equal credentialSubject.id"
    )
    # The validity period (OB 3.0 "Verify a Credential", VC Data Model 2.0 section 4.9): exp and
    # nbf must carry validUntil and validFrom; a credential not yet valid is refused; one past its
    # validUntil is authentic but reported as expired, which is not the same as revoked.
    now = time.time() if now is None else now
    valid_from = _seconds(claims.get("validFrom"))
    _require(claims.get("nbf") == valid_from, "nbf does not equal validFrom")
    _require(valid_from <= now, "the credential is not valid yet (validFrom is in the future)")
    valid_until = claims.get("validUntil")
    if valid_until is None:
        _require("exp" not in claims, "exp without validUntil")
        expired = False
    else:
        _require(claims.get("exp") == _seconds(valid_until), "exp does not equal validUntil")
        expired = now >= claims["exp"]
    # 5. Required properties and their types.
    _require(claims.get("@context", [None])[0] == VC_V2, "the first @context is not VC 2.0")
    _require(
        {"VerifiableCredential", "OpenBadgeCredential"} <= set(claims.get("type", [])), "type is incomplete"
    )
    _require(_is_uri(claims.get("id")) and _is_uri(issuer_id), "id and issuer.id must be URIs")
    _require(isinstance(claims.get("validFrom"), str), "validFrom is missing")
    _require(
        "AchievementSubject" in subject.get("type", []), "credentialSubject is not an AchievementSubject"
    )
    achievement = subject.get("achievement") or {}
    _require("Achievement" in achievement.get("type", []), "achievement.type lacks Achievement")
    for name in ("id", "name", "description", "criteria"):
        _require(name in achievement, f"achievement.{name} is missing")
    # 6. Status: the 1EdTech Revocation List names revoked credentials by id.
    revoked = False
    status = claims.get("credentialStatus")
    if status:
        _require(status.get("type") == "1EdTechRevocationList", f"unknown status type {status.get('type')!r}")
        listing = json.loads(fetch(status["id"]))
        _require(
            isinstance(listing.get("revokedCredential"), list), "status document has no revokedCredential"
        )
        revoked = any(entry.get("id") == claims["id"] for entry in listing["revokedCredential"])
    return {**claims, "revoked": revoked, "expired": expired}
