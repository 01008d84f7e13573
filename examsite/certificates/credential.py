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
  the JOSE header is only `alg`, `kid` and `typ`. We sign with EdDSA over Ed25519. OB 3.0 requires
  verifiers to support RS256 as a minimum and permits others; EdDSA keys are small, signatures
  deterministic, and PyJWT and the OB verifiers we know of accept "EdDSA" (RFC 9864's newer
  "Ed25519" name is not yet widely understood).

The signing key is one Ed25519 key in a PEM file under the instance folder, created on first use.
Its public half is published as a JWKS; `kid` is the key's RFC 7638 thumbprint, so rotating the key
changes the kid and verifiers can tell which key signed what.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import KeySet, OKPKey
from joserfc.jws import JWSRegistry

logger = logging.getLogger(__name__)

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
REVOCATION_LIST_TYPE = "1EdTechRevocationList"
ALGORITHM = "EdDSA"


class _QuietEdDSA(EdDSAAlgorithm):
    # joserfc warns on every use of "EdDSA" since RFC 9864; we choose it on purpose (see the
    # module docstring), and a warning per request would bury real ones.
    security_warning = None


class _EdDSAOnlyRegistry(JWSRegistry):
    # Only EdDSA is known, so a token claiming "none" or an HMAC algorithm is refused outright.
    algorithms: ClassVar[dict[str, EdDSAAlgorithm]] = {ALGORITHM: _QuietEdDSA()}


_REGISTRY = _EdDSAOnlyRegistry(algorithms=[ALGORITHM])


# --- the signing key -------------------------------------------------------------------------


def _read_key(path: Path) -> Ed25519PrivateKey:
    if os.stat(path).st_mode & 0o077:
        # Not fatal (the operator may have reasons), but whoever can read it can issue certificates.
        logger.warning("credential signing key %s is readable by other users; chmod 600 it", path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The issuer's Ed25519 key from a PKCS8 PEM file, created (mode 0600) if the file is absent.

    The file appears atomically and is never overwritten: the key is written to a temporary file
    beside it and hard-linked into place, so when several app workers start together exactly one
    key wins and every worker signs with it (a replaced key would leave earlier signatures
    unverifiable). Where hard links are not supported, os.replace is the fallback.
    """
    path = Path(path)
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp already creates the file 0600; chmod guards against an unusual umask or platform.
        os.chmod(tmp_name, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return _read_key(path)  # another worker got there first: use its key
        except OSError:
            os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    logger.info("created a new credential signing key at %s (kid %s)", path, key_id(key))
    return key


def _okp(key: Ed25519PrivateKey | Ed25519PublicKey) -> OKPKey:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return OKPKey.import_key(public)


def key_id(private_key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key: a kid that names the key
    by its content, so it needs no storage and changes whenever the key does."""
    return _okp(private_key).thumbprint()


def public_jwks(private_key: Ed25519PrivateKey | Ed25519PublicKey) -> dict[str, Any]:
    """The JWKS to publish for verifiers: the public key only (no "d"), with its kid and use."""
    jwk = _okp(private_key).as_dict(private=False)
    return {
        "keys": [
            {
                "kty": jwk["kty"],
                "crv": jwk["crv"],
                "x": jwk["x"],
                "kid": key_id(private_key),
                "alg": ALGORITHM,
                "use": "sig",
            }
        ]
    }


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
    expires_at: datetime
    verify_url: str
    credential_url: str
    #: a public JSON endpoint answering whether this certificate is revoked (the VCRL list)
    status_url: str
    issuer_id: str
    issuer_name: str
    issuer_url: str
    achievement_id: str


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
    return {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": data.credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{data.role_name} certificate of competency",
        "description": (
            f"{data.holder} passed the {data.role_name} competency exam. Certificate "
            f"{data.code}; check its current status at {data.verify_url}"
        ),
        "issuer": {
            "id": data.issuer_id,
            "type": ["Profile"],
            "name": data.issuer_name,
            "url": data.issuer_url,
        },
        "validFrom": _timestamp(data.issued_at),
        "validUntil": _timestamp(data.expires_at),
        # Kept apart from validFrom so a reissue (after a name correction) keeps the award date.
        "awardedDate": _timestamp(data.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            # OB 3.0's way to name a recipient who has no id; not hashed, because the verification
            # page shows the name publicly anyway.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": data.holder,
                }
            ],
            # Not an OB 3.0 AchievementSubject property, but schema:name in the context, and what
            # wallets and displayers show.
            "name": data.holder,
            "achievement": achievement,
        },
        "credentialStatus": {"id": data.status_url, "type": REVOCATION_LIST_TYPE},
    }


# --- the proof -------------------------------------------------------------------------------


def _issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential["issuer"]
    return issuer if isinstance(issuer, str) else issuer["id"]


def _subject(credential: dict[str, Any]) -> str:
    """The `sub` claim: the subject's id, or (ours have none) the credential's own id.

    OB 3.0 requires `sub` and matches it against credentialSubject.id; with no subject id the
    credential URL, which names this one award to this one person, is the closest URI we have.
    """
    subject = credential.get("credentialSubject") or {}
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    return subject.get("id") or credential["id"]


def sign_vc_jwt(
    credential: dict[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    now: datetime | None = None,
) -> str:
    """The credential as a compact JWS (VC-JWT) signed with the issuer's key.

    `iat` is `now` when given (the moment of signing) and otherwise validFrom, so by default the
    same credential and key always give the same token (Ed25519 is deterministic): responses can
    be cached and compared byte for byte.
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
    header = {"alg": ALGORITHM, "typ": "JWT", "kid": key_id(private_key)}
    return jwt.encode(
        header, claims, OKPKey.import_key(private_key), algorithms=[ALGORITHM], registry=_REGISTRY
    )


def verify_vc_jwt(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims of a VC-JWT whose signature checks out against `jwks`; ValueError otherwise.

    Besides the signature, the registered claims must agree with the credential inside (OB 3.0
    "Verify a Credential VC-JWT Signature"), so a token cannot borrow another credential's iss or
    jti. Expiry is deliberately not judged here: an expired credential is still authentic, and the
    caller reports its status (valid, expired, revoked) alongside.
    """
    try:
        keys = KeySet.import_key_set(jwks)
        decoded = jwt.decode(token, keys, algorithms=[ALGORITHM], registry=_REGISTRY)
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
