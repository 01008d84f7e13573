"""Open Badges 3.0 credentials: the key, the JWKS, the credential's shape, and the signature,
checked against a second, independent JOSE library (PyJWT)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
from datetime import UTC, datetime

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP384R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsite.certificates import keys
from examsite.certificates.credential import (
    BadgeData,
    build_open_badge_credential,
    identity_hash,
    revocation_list,
    sign_vc_jwt,
    subject_urn,
    verify_vc_jwt,
)

BASE = "https://exams.example.org"
CODE = "7KQM-XH3P-A9TZ"


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def kid(key) -> str:
    return f"{BASE}/api/v1/issuer/keys/{keys.thumbprint(key)}"


def jwks_of(*signing_keys) -> dict:
    return {"keys": [keys.public_jwk(k, kid(k)) for k in signing_keys]}


# RSA key generation is slow, so each algorithm's key is made once per module.
_KEYS = {alg: keys.generate_key(alg) for alg in keys.ALGORITHMS}


@pytest.fixture(params=keys.ALGORITHMS)
def key(request):
    return _KEYS[request.param]


@pytest.fixture
def badge() -> BadgeData:
    return BadgeData(
        code=CODE,
        holder="Zoë Nguyễn",
        role_slug="trainer",
        role_name="Trainer",
        role_description="Designs and delivers health IT training to clinical and office staff.",
        category_name="Permanent staff",
        issued_at=datetime(2025, 1, 15, 9, 30, 12, 345000, tzinfo=UTC),
        expires_at=datetime(2090, 1, 15, 9, 30, 12, tzinfo=UTC),
        verify_url=f"{BASE}/verify/{CODE}",
        credential_url=f"{BASE}/api/v1/certificates/{CODE}/credential",
        status_url=f"{BASE}/api/v1/certificates/{CODE}/status",
        issuer_id=f"{BASE}/issuer",
        issuer_name="examsite",
        issuer_url=BASE,
        achievement_id=f"{BASE}/achievements/trainer",
        subject_id=subject_urn(CODE, BASE),
        holder_email="Zoe.Nguyen@example.edu",
        issuer_email="credentials@example.org",
        achievement_image=f"{BASE}/api/v1/roles/trainer/badge.svg",
        issuer_image=f"{BASE}/api/v1/issuer/image.svg",
        email_salt="0123456789abcdef",
    )


def pyjwt_verify(token: str, jwks: dict) -> dict:
    """Verify with PyJWT, an independent JOSE library: find the key by kid, as a verifier does."""
    kid_ = pyjwt.get_unverified_header(token)["kid"]
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid_]
    return pyjwt.decode(token, pyjwt.PyJWK(jwk), algorithms=["ES256", "RS256", "EdDSA"])


def tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "B" if payload[middle] != "B" else "C"
    return ".".join([header, payload[:middle] + swapped + payload[middle + 1 :], signature])


# --- the keys --------------------------------------------------------------------------------


def test_key_is_created_once_with_mode_0600_and_reloaded_identically(tmp_path):
    path = tmp_path / "keys" / "credential-signing.pem"
    created = keys.load_or_create(path)
    assert keys.algorithm_of(created) == "ES256"  # the default
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()  # PKCS8
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    reloaded = keys.load_or_create(path)
    assert pem(reloaded) == pem(created)
    assert keys.thumbprint(reloaded) == keys.thumbprint(created)


def test_a_key_written_by_another_worker_meanwhile_wins(tmp_path, monkeypatch):
    path = tmp_path / "key.pem"
    first = keys.load_or_create(path)
    # As if another worker wrote its key between our existence check and our link.
    monkeypatch.setattr(type(path), "exists", lambda self: False)
    second = keys.load_or_create(path)
    assert pem(second) == pem(first)
    assert os.listdir(tmp_path) == ["key.pem"]


def test_a_key_of_another_algorithm_is_retired_and_still_published(tmp_path):
    path = tmp_path / "key.pem"
    old = keys.load_or_create(path, "EdDSA")  # what earlier versions made
    new = keys.load_or_create(path, "ES256")
    assert keys.algorithm_of(new) == "ES256"
    assert [keys.thumbprint(k) for k in keys.retired_keys(path)] == [keys.thumbprint(old)]


def test_rotation_keeps_every_earlier_key_verifying(tmp_path, badge):
    path = tmp_path / "key.pem"
    first = keys.load_or_create(path)
    token = sign_vc_jwt(build_open_badge_credential(badge), first, kid(first))
    second = keys.rotate(path)
    assert keys.thumbprint(second) != keys.thumbprint(first)
    published = jwks_of(second, *keys.retired_keys(path))
    assert verify_vc_jwt(token, published)["jti"] == badge.credential_url
    assert pyjwt_verify(token, published)["jti"] == badge.credential_url


def test_key_types_a_credential_cannot_use_are_refused(tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(pem(generate_private_key(SECP384R1())))
    with pytest.raises(TypeError):
        keys.load_or_create(path)
    with pytest.raises(ValueError, match="unknown credential algorithm"):
        keys.load_or_create(tmp_path / "other.pem", "HS256")


def test_thumbprint_is_the_rfc7638_one():
    # RFC 8037, appendix A.1 (key) and A.3 (its JWK thumbprint).
    d = b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
    key = Ed25519PrivateKey.from_private_bytes(d)
    assert keys.thumbprint(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert keys.public_jwk(key, "k")["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"


def test_published_jwk_has_the_public_part_only(key):
    jwk = keys.public_jwk(key, kid(key))
    assert jwk["kid"] == kid(key) and jwk["use"] == "sig"
    assert jwk["alg"] == keys.algorithm_of(key)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    assert pyjwt.PyJWK(jwk).algorithm_name == keys.algorithm_of(key)


# --- the credential --------------------------------------------------------------------------


def test_credential_has_the_properties_open_badges_3_requires(badge):
    vc = build_open_badge_credential(badge)
    assert vc["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == badge.credential_url
    assert vc["name"]
    assert vc["issuer"] == {
        "id": badge.issuer_id,
        "type": ["Profile"],
        "name": "examsite",
        "url": badge.issuer_url,
        "email": "credentials@example.org",
        "image": {"id": badge.issuer_image, "type": "Image", "caption": "examsite"},
    }
    assert vc["validFrom"] == "2025-01-15T09:30:12Z"
    assert vc["validUntil"] == "2090-01-15T09:30:12Z"
    assert vc["image"]["id"] == badge.achievement_image

    subject = vc["credentialSubject"]
    assert subject["id"] == badge.subject_id and subject["id"].startswith("urn:uuid:")
    assert subject["type"] == ["AchievementSubject"]
    name, email = subject["identifier"]
    assert name == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Zoë Nguyễn",
    }
    assert email["identityType"] == "emailAddress" and email["hashed"] is True
    assert email["salt"] == "0123456789abcdef"
    assert "zoe" not in email["identityHash"].lower()
    # A verifier who knows the address can match it, whatever its case.
    assert email["identityHash"] == identity_hash("zoe.nguyen@example.edu ", "0123456789abcdef")
    achievement = subject["achievement"]
    assert achievement["id"] == badge.achievement_id
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Trainer"
    assert achievement["description"] == badge.role_description
    assert "Trainer" in achievement["criteria"]["narrative"]
    assert achievement["achievementType"] == "Certification"
    assert achievement["image"] == {
        "id": badge.achievement_image,
        "type": "Image",
        "caption": "Trainer badge",
    }

    assert vc["credentialStatus"] == {"id": badge.status_url, "type": "1EdTechRevocationList"}
    json.dumps(vc)  # plain JSON, nothing exotic inside


def test_subject_urn_is_stable_per_certificate_and_issuer():
    assert subject_urn(CODE, BASE) == subject_urn(CODE, BASE)
    assert subject_urn(CODE, BASE) != subject_urn("OTHER-CODE", BASE)
    assert subject_urn(CODE, BASE) != subject_urn(CODE, "https://elsewhere.example")


def test_revocation_list_names_revoked_credentials_by_id():
    doc = revocation_list(
        "https://x/status", "https://x/issuer", [{"id": "https://x/c/1", "reason": "fraud"}]
    )
    assert doc["id"] == "https://x/status" and doc["issuer"] == "https://x/issuer"
    assert doc["revokedCredential"] == [{"id": "https://x/c/1", "revoked": True, "revocationReason": "fraud"}]
    assert revocation_list("https://x/status", "https://x/issuer", [])["revokedCredential"] == []


def test_credential_refuses_naive_dates(badge):
    naive = BadgeData(**{**badge.__dict__, "issued_at": datetime(2025, 1, 15)})
    with pytest.raises(ValueError):
        build_open_badge_credential(naive)


# --- the proof -------------------------------------------------------------------------------


def test_signed_credential_verifies_with_pyjwt_and_joserfc(key, badge):
    vc = build_open_badge_credential(badge)
    token = sign_vc_jwt(vc, key, kid(key))
    jwks = jwks_of(key)

    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": keys.algorithm_of(key), "typ": "JWT", "kid": kid(key)}

    for claims in (pyjwt_verify(token, jwks), verify_vc_jwt(token, jwks)):
        assert claims["iss"] == badge.issuer_id
        assert claims["jti"] == badge.credential_url
        assert claims["sub"] == claims["credentialSubject"]["id"] == badge.subject_id
        assert claims["nbf"] == claims["iat"] == int(badge.issued_at.replace(microsecond=0).timestamp())
        assert claims["exp"] == int(badge.expires_at.timestamp())
        # The payload is the credential itself (VC 2.0 style), not wrapped in a "vc" claim.
        assert {k: v for k, v in claims.items() if k in vc} == vc


def test_signing_time_is_iat_when_given(key, badge):
    vc = build_open_badge_credential(badge)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    claims = verify_vc_jwt(sign_vc_jwt(vc, key, kid(key), now=now), jwks_of(key))
    assert claims["iat"] == int(now.timestamp())


def test_tampered_payload_fails_with_both_libraries(key, badge):
    token = sign_vc_jwt(build_open_badge_credential(badge), key, kid(key))
    jwks = jwks_of(key)
    forged = tamper_payload(token)
    assert forged != token
    with pytest.raises(pyjwt.PyJWTError):
        pyjwt_verify(forged, jwks)
    with pytest.raises(ValueError):
        verify_vc_jwt(forged, jwks)


def test_token_from_another_key_fails(badge):
    ours, other = _KEYS["ES256"], keys.generate_key("ES256")
    token = sign_vc_jwt(build_open_badge_credential(badge), other, kid(other))
    with pytest.raises(ValueError):
        verify_vc_jwt(token, jwks_of(ours))
    # Even when it claims our kid, the signature gives it away.
    _, payload, signature = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "typ": "JWT", "kid": kid(ours)}).encode())
    with pytest.raises(ValueError):
        verify_vc_jwt(f"{header.rstrip(b'=').decode()}.{payload}.{signature}", jwks_of(ours))


def test_unsigned_and_hmac_tokens_are_refused(badge):
    key = _KEYS["RS256"]
    token = sign_vc_jwt(build_open_badge_credential(badge), key, kid(key))
    payload = token.split(".")[1]
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    with pytest.raises(ValueError):
        verify_vc_jwt(f"{none_header}.{payload}.", jwks_of(key))
    # The classic confusion attack: HS256 "signed" with the published public key as the secret.
    hs_header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid(key)}).encode()
    ).rstrip(b"=")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = hs_header + b"." + payload.encode()
    mac = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    with pytest.raises(ValueError):
        verify_vc_jwt((signing_input + b"." + mac).decode(), jwks_of(key))


def test_claims_must_match_the_credential_inside(badge):
    key = _KEYS["ES256"]
    claims = verify_vc_jwt(sign_vc_jwt(build_open_badge_credential(badge), key, kid(key)), jwks_of(key))
    for name, value in (("jti", f"{BASE}/api/v1/certificates/ANOTHER/credential"), ("sub", "urn:uuid:0")):
        bad = pyjwt.encode({**claims, name: value}, key, algorithm="ES256", headers={"kid": kid(key)})
        with pytest.raises(ValueError, match=name):
            verify_vc_jwt(bad, jwks_of(key))
