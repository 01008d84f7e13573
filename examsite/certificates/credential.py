"""Signed digital credentials: each certificate as an Open Badges 3.0 OpenBadgeCredential.

Spec followed: 1EdTech Open Badges Specification v3.0 (Final, document version 1.4.1, November
2025), which builds on the W3C Verifiable Credentials Data Model v2.0:

* the credential (`build_open_badge_credential`) carries the properties OB 3.0 requires of an
  OpenBadgeCredential: `@context` (VC 2.0 first, then the OB 3.0.3 context), `id`, `type`
  (`VerifiableCredential`, `OpenBadgeCredential`), `name`, `issuer` (a `Profile` with `id`),
  `validFrom` and `credentialSubject` (an `AchievementSubject` whose `achievement` has `id`, `type`,
  `name`, `description` and `criteria`). The holder has no DID or URL of their own, so the subject
  has no `id`; they are named through an `identifier` `IdentityObject` of type `name`, as OB 3.0
  provides for recipients without one.
* `credentialStatus` uses OB 3.0's 1EdTech Revocation List Status Method (`1EdTechRevocationList`,
  VCRL 1.0): its `id` is the URL of this certificate's public status endpoint. OB 3.0 document
  version 1.3 deprecated VCRL in favour of the W3C Bitstring Status List; we keep VCRL because it
  needs no per-certificate list index and no second signed credential, and status is also
  published on /verify/<code>.
* the proof (`sign_vc_jwt`) is the "JSON Web Token Proof Format" of OB 3.0 section 8.2: the JWT
  payload is the credential itself plus the registered claims `iss`, `jti`, `sub`, `nbf` and `exp`;
  the JOSE header is only `alg`, `kid` and `typ`. `alg` is ES256 by default (RS256 or EdDSA by
  setting; see examsite/certificates/keys.py): OB 3.0 makes RS256 the minimum verifiers support, and
  1EdTech's validator accepts RS256 and ES256. `kid` is an absolute URL that returns the signing
  key's JWK, as OB 3.0 defines it, and `sub` equals `credentialSubject.id`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from examsite.certificates.keys import ALGORITHMS, PrivateKey, algorithm_of, jose_key

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
REVOCATION_LIST_TYPE = "1EdTechRevocationList"


class _QuietEdDSA(EdDSAAlgorithm):
    # joserfc warns on every use of "EdDSA" since RFC 9864; it is an operator's explicit choice
    # here, and a warning per request would bury real ones.
    security_warning = None


class _CredentialRegistry(JWSRegistry):
    # Only the three signing algorithms are known, so a token claiming "none" or an HMAC
    # algorithm (signed with the public key as a shared secret) is refused outright.
    algorithms: ClassVar[dict[str, Any]] = {
        "ES256": JWSRegistry.algorithms["ES256"],
        "RS256": JWSRegistry.algorithms["RS256"],
        "EdDSA": _QuietEdDSA(),
    }


_REGISTRY = _CredentialRegistry(algorithms=list(ALGORITHMS))


# --- the credential --------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeData:
    """What a credential says about one certificate; URLs are absolute (PUBLIC_BASE_URL based)."""

    code: str
    holder: str
    role_slug: str
    role_name: str
    role_description: str
    category_name: str
    issued_at: datetime
    #: None: the exam sets no validity period, and the credential has no validUntil (nor exp)
    expires_at: datetime | None
    verify_url: str
    credential_url: str
    #: a public JSON endpoint answering whether this certificate is revoked (the VCRL list)
    status_url: str
    issuer_id: str
    issuer_name: str
    issuer_url: str
    achievement_id: str
    #: the holder's stable identifier, `credentialSubject.id` and the JWT's `sub`
    subject_id: str
    #: the holder's e-mail address, published only as a salted SHA-256 hash
    holder_email: str | None = None
    issuer_email: str | None = None
    #: absolute URLs of the role's badge image and the issuer's logo
    achievement_image: str | None = None
    issuer_image: str | None = None
    #: a salt for the e-mail hash; fixed per certificate so the credential stays deterministic
    email_salt: str = field(default="", repr=False)


def subject_urn(code: str, namespace: str) -> str:
    """A stable URN for the holder of one certificate: a name-based UUID (RFC 9562 v5) of the
    issuer's namespace and the certificate code, so it needs no storage and never changes."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}#holder-of-{code}").urn


def identity_hash(value: str, salt: str) -> str:
    """OB 3.0 IdentityHash: "sha256$" and the hex digest of the normalized value and the salt."""
    return "sha256$" + hashlib.sha256((value.strip().lower() + salt).encode()).hexdigest()


def _image(url: str | None, caption: str) -> dict[str, str] | None:
    return {"id": url, "type": "Image", "caption": caption} if url else None


def _timestamp(value: datetime) -> str:
    # xsd:dateTimeStamp in UTC with whole seconds: what VC 2.0 requires, and what maps exactly
    # onto the NumericDate (integer seconds) of nbf and exp.
    if value.tzinfo is None:
        raise ValueError("naive datetime: credential dates must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"credential date {value!r} has no UTC offset")
    return parsed


def build_open_badge_credential(data: BadgeData) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential for one certificate, as a JSON-ready dict.

    Pure data in, data out: the same BadgeData always gives the same dict, so a credential signed
    today and one signed next week for the same certificate say the same thing.
    """
    criteria = (
        f"Pass the {data.role_name} competency exam ({data.category_name}) at or above its "
        "passing standard, under the proctoring and time limits the exam sets."
    )
    achievement = {
        "id": data.achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": data.role_name,
        "description": data.role_description.strip() or criteria,
        "criteria": {"narrative": criteria},
        "humanCode": data.role_slug,
        "tag": [data.category_name],
        "creator": {"id": data.issuer_id, "type": ["Profile"]},
    }
    if image := _image(data.achievement_image, f"{data.role_name} badge"):
        achievement["image"] = image
    identifiers = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": data.holder,
        }
    ]
    if data.holder_email:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": identity_hash(data.holder_email, data.email_salt),
                "salt": data.email_salt,
            }
        )
    issuer = {"id": data.issuer_id, "type": ["Profile"], "name": data.issuer_name, "url": data.issuer_url}
    if data.issuer_email:
        issuer["email"] = data.issuer_email
    if image := _image(data.issuer_image, data.issuer_name):
        issuer["image"] = image
    credential = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": data.credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{data.role_name} certificate of competency",
        "description": (
            f"{data.holder} passed the {data.role_name} competency exam. Certificate "
            f"{data.code}; check its current status at {data.verify_url}"
        ),
        "issuer": issuer,
        "validFrom": _timestamp(data.issued_at),
        # Kept apart from validFrom so a reissue (after a name correction) keeps the award date.
        "awardedDate": _timestamp(data.issued_at),
        "credentialSubject": {
            "id": data.subject_id,
            "type": ["AchievementSubject"],
            # The name is not hashed, because the verification page shows it publicly anyway; the
            # e-mail address is, so a verifier who knows it can match it and no one else learns it.
            "identifier": identifiers,
            # Not an OB 3.0 AchievementSubject property, but schema:name in the context, and what
            # wallets and displayers show.
            "name": data.holder,
            "achievement": achievement,
        },
        "credentialStatus": {"id": data.status_url, "type": REVOCATION_LIST_TYPE},
    }
    if data.expires_at is not None:
        # VC Data Model 2.0's validUntil (VC 1.1 called it expirationDate); a verifier reports the
        # credential expired after it, and the JWT carries the same moment as `exp`.
        credential["validUntil"] = _timestamp(data.expires_at)
    if image := _image(data.achievement_image, f"{data.role_name} badge"):
        credential["image"] = image
    return credential


def revocation_list(status_url: str, issuer_id: str, revoked: list[dict[str, str]]) -> dict[str, Any]:
    """The 1EdTech Revocation List document a credential's `credentialStatus.id` returns.

    `revoked` holds {"id": credential id, "reason": text} for each revoked credential the list
    covers; a verifier looks for the credential's own `id` in `revokedCredential`.
    """
    return {
        "id": status_url,
        "issuer": issuer_id,
        "revokedCredential": [
            {"id": entry["id"], "revoked": True, "revocationReason": entry.get("reason") or "revoked"}
            for entry in revoked
        ],
    }


# --- the proof -------------------------------------------------------------------------------


def _issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential["issuer"]
    return issuer if isinstance(issuer, str) else issuer["id"]


def _subject(credential: dict[str, Any]) -> str:
    """The `sub` claim, which OB 3.0 requires to equal credentialSubject.id."""
    subject = credential["credentialSubject"]
    if isinstance(subject, list):
        subject = subject[0]
    return subject["id"]


def sign_vc_jwt(
    credential: dict[str, Any],
    private_key: PrivateKey,
    kid: str,
    *,
    now: datetime | None = None,
) -> str:
    """The credential as a compact JWS (VC-JWT) signed with the issuer's key, named by `kid`
    (the absolute URL of that key's JWK).

    `iat` is `now` when given (the moment of signing) and otherwise validFrom, so the claims of the
    same credential never change (ECDSA signatures themselves are randomized).
    """
    valid_from = _parse_timestamp(credential["validFrom"])
    claims = dict(credential)
    claims["iss"] = _issuer_id(credential)
    claims["jti"] = credential["id"]
    claims["sub"] = _subject(credential)
    claims["nbf"] = int(valid_from.timestamp())
    claims["iat"] = int((now or valid_from).timestamp())
    if credential.get("validUntil"):
        claims["exp"] = int(_parse_timestamp(credential["validUntil"]).timestamp())
    algorithm = algorithm_of(private_key)
    header = {"alg": algorithm, "typ": "JWT", "kid": kid}
    return jwt.encode(header, claims, jose_key(private_key), algorithms=[algorithm], registry=_REGISTRY)


def verify_vc_jwt(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims of a VC-JWT whose signature checks out against `jwks`; ValueError otherwise.

    Besides the signature, the registered claims must agree with the credential inside (OB 3.0
    "Verify a Credential VC-JWT Signature"), so a token cannot borrow another credential's iss or
    jti. Expiry is deliberately not judged here: an expired credential is still authentic, and the
    caller reports its status (valid, expired, revoked) alongside.
    """
    try:
        keys = KeySet.import_key_set(jwks)
        decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"credential signature is not valid: {exc}") from exc
    claims = dict(decoded.claims)
    try:
        expected = {
            "iss": _issuer_id(claims),
            "jti": claims["id"],
            "sub": _subject(claims),
            "nbf": int(_parse_timestamp(claims["validFrom"]).timestamp()),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"signed payload is not a credential: {exc}") from exc
    for name, value in expected.items():
        if claims.get(name) != value:
            raise ValueError(f"claim {name!r} does not match the credential")
    return claims
