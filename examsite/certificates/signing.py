"""The issuer's Ed25519 key (created on first use under instance/, never served) and its JWKS."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from examsite.certificates.credential import load_or_create_signing_key


def signing_key():
    key = current_app.extensions.get("examsite_signing_key")
    if key is None:
        key = load_or_create_signing_key(Path(current_app.config["SIGNING_KEY_PATH"]))
        current_app.extensions["examsite_signing_key"] = key
    return key
