"""The issuer's keys for this app: loaded once per worker (created on first use, never served)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for

from examsite.certificates import keys


def _path() -> Path:
    return Path(current_app.config["SIGNING_KEY_PATH"])


def signing_key() -> keys.PrivateKey:
    """The current private key, of the configured algorithm (CREDENTIAL_ALGORITHM)."""
    key = current_app.extensions.get("examsite_signing_key")
    if key is None:
        key = keys.load_or_create(_path(), current_app.config["CREDENTIAL_ALGORITHM"])
        current_app.extensions["examsite_signing_key"] = key
    return key


def verification_keys() -> list:
    """Public keys that verify credentials: the current one first, then the retired ones."""
    return [keys.public_of(signing_key()), *reversed(keys.retired_keys(_path()))]


def kid_url(key) -> str:
    """The absolute URL that returns this key's JWK: the `kid` OB 3.0 asks for."""
    path = url_for("api.issuer_key", thumbprint=keys.thumbprint(key))
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}"


def jwk_for(key) -> dict:
    return keys.public_jwk(key, kid_url(key))


def public_jwks() -> dict:
    return {"keys": [jwk_for(key) for key in verification_keys()]}


def rotate() -> keys.PrivateKey:
    """Retire the current key and make a new one (this worker; others pick it up on restart)."""
    key = keys.rotate(_path(), current_app.config["CREDENTIAL_ALGORITHM"])
    current_app.extensions["examsite_signing_key"] = key
    return key
