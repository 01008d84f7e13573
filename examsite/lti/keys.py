"""The tool's RSA key (RS256, as LTI 1.3 requires) and its published key set.

Stored as the credential keys are (`examsite.certificates.keys`: a PKCS8 PEM at `LTI_KEY_PATH`,
created atomically on first use, mode 0600; rotating moves it to `<name>.retired/<thumbprint>.pem`).
Platforms fetch `/lti/jwks.json` when a tool message or service-token request carries a `kid`
they do not know, and some cache the set for hours, so a retired key stays published for
`LTI_RETIRED_KEY_DAYS` (30 by default) after its rotation: messages signed just before keep
verifying.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from joserfc.jwk import RSAKey

from examsite.certificates import keys

ALGORITHM = "RS256"
_cache: dict[str, tuple[float, keys.PrivateKey]] = {}


def _path() -> Path:
    return Path(current_app.config["LTI_KEY_PATH"])


def tool_key() -> keys.PrivateKey:
    """The current private key (created on first use); kept per process until its file changes."""
    path = _path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        mtime = None
    cached = _cache.get(str(path))
    if mtime is not None and cached and cached[0] == mtime:
        return cached[1]
    key = keys.load_or_create(path, ALGORITHM)
    _cache[str(path)] = (path.stat().st_mtime, key)
    return key


def kid_of(key) -> str:
    return keys.thumbprint(key)


def signing_jwk() -> tuple[RSAKey, str]:
    """The joserfc key to sign with and its kid."""
    key = tool_key()
    return keys.jose_key(key), kid_of(key)


def published_keys(now: float | None = None) -> list:
    """Public keys to publish: the current one, then those retired within LTI_RETIRED_KEY_DAYS."""
    now = now if now is not None else time.time()
    keep = timedelta(days=float(current_app.config["LTI_RETIRED_KEY_DAYS"])).total_seconds()
    current = keys.public_of(tool_key())
    folder = keys.retired_dir(_path())
    retired = []
    if folder.is_dir():
        for file in sorted(folder.glob("*.pem"), key=lambda p: p.stat().st_mtime, reverse=True):
            if now - file.stat().st_mtime <= keep:
                retired.append(keys.public_of(keys.read_key(file)))
    return [current, *retired]


def jwks() -> dict[str, Any]:
    return {"keys": [keys.public_jwk(key, kid_of(key)) for key in published_keys()]}


def rotate() -> str:
    """Retire the current key (published for LTI_RETIRED_KEY_DAYS more) and make a new one; the new kid."""
    path = _path()
    old = kid_of(tool_key()) if path.exists() else None
    new = keys.rotate(path, ALGORITHM)
    if old is not None:
        retired = keys.retired_dir(path) / f"{old}.pem"
        if retired.exists():
            os.utime(retired)  # the retirement time: rename kept the key's creation time
    _cache.pop(str(path), None)
    return kid_of(new)
