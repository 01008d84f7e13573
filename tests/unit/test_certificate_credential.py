"""Open Badges 3.0 credentials: the key, the JWKS, the credential's shape, and the signature,
checked against a second, independent JOSE library (PyJWT)."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsite.certificates.credential import (
    BadgeData,
    build_open_badge_credential,
    key_id,
    load_or_create_signing_key,
    public_jwks,
    sign_vc_jwt,
    verify_vc_jwt,
)

BASE = "https://exams.example.org"
CODE = "7KQM-XH3P-A9TZ"


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


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
    )


def pyjwt_verify(token: str, jwks: dict) -> dict:
    jwk = pyjwt.PyJWK(jwks["keys"][0])
    return pyjwt.decode(token, jwk, algorithms=["EdDSA"])


def tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    swapped = "B" if payload[middle] != "B" else "C"
    return ".".join([header, payload[:middle] + swapped + payload[middle + 1 :], signature])


# --- the key ---------------------------------------------------------------------------------


def test_key_is_created_once_with_mode_0600_and_reloaded_identically(tmp_path):
    path = tmp_path / "keys" / "credential-signing.pem"
    created = load_or_create_signing_key(path)
    assert path.exists()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()  # PKCS8
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind

    reloaded = load_or_create_signing_key(path)
    assert raw(reloaded) == raw(created)
    assert key_id(reloaded) == key_id(created)


def test_a_key_written_by_another_worker_meanwhile_wins(tmp_path, monkeypatch):
    path = tmp_path / "key.pem"
    first = load_or_create_signing_key(path)
    # As if another worker wrote its key between our existence check and our link.
    monkeypatch.setattr(type(path), "exists", lambda self: False)
    second = load_or_create_signing_key(path)
    assert raw(second) == raw(first)
    assert os.listdir(tmp_path) == ["key.pem"]


def test_a_file_that_is_not_an_ed25519_key_is_refused(tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(TypeError):
        load_or_create_signing_key(path)


def test_key_id_is_the_rfc7638_thumbprint():
    # RFC 8037, appendix A.1 (key) and A.3 (its JWK thumbprint).
    d = b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
    key = Ed25519PrivateKey.from_private_bytes(d)
    assert key_id(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert public_jwks(key)["keys"][0]["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"


def test_jwks_has_the_public_part_only(key):
    jwks = public_jwks(key)
    assert list(jwks) == ["keys"]
    [jwk] = jwks["keys"]
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": jwk["x"],
        "kid": key_id(key),
        "alg": "EdDSA",
        "use": "sig",
    }
    assert "d" not in jwk
    assert b64url_decode(jwk["x"]) == key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


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
    }
    assert vc["validFrom"] == "2025-01-15T09:30:12Z"
    assert vc["validUntil"] == "2090-01-15T09:30:12Z"

    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": "Zoë Nguyễn",
        }
    ]
    achievement = subject["achievement"]
    assert achievement["id"] == badge.achievement_id
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "Trainer"
    assert achievement["description"] == badge.role_description
    assert "Trainer" in achievement["criteria"]["narrative"]
    assert achievement["achievementType"] == "Certification"

    assert vc["credentialStatus"] == {"id": badge.status_url, "type": "1EdTechRevocationList"}
    json.dumps(vc)  # plain JSON, nothing exotic inside


def test_credential_refuses_naive_dates(badge):
    naive = BadgeData(**{**badge.__dict__, "issued_at": datetime(2025, 1, 15)})
    with pytest.raises(ValueError):
        build_open_badge_credential(naive)


# --- the proof -------------------------------------------------------------------------------


def test_signed_credential_verifies_with_pyjwt_and_joserfc(key, badge):
    vc = build_open_badge_credential(badge)
    token = sign_vc_jwt(vc, key)
    jwks = public_jwks(key)

    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": key_id(key)}

    for claims in (pyjwt_verify(token, jwks), verify_vc_jwt(token, jwks)):
        assert claims["iss"] == badge.issuer_id
        assert claims["jti"] == badge.credential_url
        assert claims["sub"] == badge.credential_url
        assert claims["nbf"] == claims["iat"] == int(badge.issued_at.replace(microsecond=0).timestamp())
        assert claims["exp"] == int(badge.expires_at.timestamp())
        # The payload is the credential itself (VC 2.0 style), not wrapped in a "vc" claim.
        assert {k: v for k, v in claims.items() if k in vc} == vc


def test_signing_is_deterministic_unless_a_signing_time_is_given(key, badge):
    vc = build_open_badge_credential(badge)
    assert sign_vc_jwt(vc, key) == sign_vc_jwt(vc, key)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    claims = verify_vc_jwt(sign_vc_jwt(vc, key, now=now), public_jwks(key))
    assert claims["iat"] == int(now.timestamp())


def test_tampered_payload_fails_with_both_libraries(key, badge):
    token = sign_vc_jwt(build_open_badge_credential(badge), key)
    jwks = public_jwks(key)
    forged = tamper_payload(token)
    assert forged != token
    with pytest.raises(pyjwt.PyJWTError):
        pyjwt_verify(forged, jwks)
    with pytest.raises(ValueError):
        verify_vc_jwt(forged, jwks)


def test_token_from_another_key_fails(key, badge):
    other = Ed25519PrivateKey.generate()
    token = sign_vc_jwt(build_open_badge_credential(badge), other)
    with pytest.raises(ValueError):
        verify_vc_jwt(token, public_jwks(key))
    # Even when it claims our kid, the signature gives it away.
    _, payload, signature = token.split(".")
    ours = base64.urlsafe_b64encode(
        json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": key_id(key)}).encode()
    ).rstrip(b"=")
    with pytest.raises(ValueError):
        verify_vc_jwt(f"{ours.decode()}.{payload}.{signature}", public_jwks(key))


def test_unsigned_token_is_refused(key, badge):
    token = sign_vc_jwt(build_open_badge_credential(badge), key)
    payload = token.split(".")[1]
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    with pytest.raises(ValueError):
        verify_vc_jwt(f"{none_header}.{payload}.", public_jwks(key))


def test_claims_must_match_the_credential_inside(key, badge):
    # Properly signed, but jti names a different credential than the one in the payload.
    claims = verify_vc_jwt(sign_vc_jwt(build_open_badge_credential(badge), key), public_jwks(key))
    claims["jti"] = f"{BASE}/api/v1/certificates/ANOTHER/credential"
    bad = pyjwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id(key)})
    with pytest.raises(ValueError, match="jti"):
        verify_vc_jwt(bad, public_jwks(key))
