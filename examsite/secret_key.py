"""The key that signs session cookies: from SECRET_KEY, or made once and kept under instance/.

`make run` on a fresh machine has no SECRET_KEY; a key written in the repository would let anyone
forge a session cookie for any account on a server others can reach. So development makes a
random key on first start, stores it in `instance/secret_key` (mode 0600) and reuses it, so
sessions survive restarts and every gunicorn worker signs with the same key. Keys that have been
published (in this repository's history or its tests) are refused outside the test suite.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

#: keys that anyone can read in the repository: never accepted outside tests
KNOWN_KEYS = frozenset({"dev-only-not-secret", "test-secret"})
FILE_NAME = "secret_key"


def configure_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if key and str(key) in KNOWN_KEYS and not app.testing:
        raise RuntimeError(
            "SECRET_KEY is a value published in the examsite repository; set a random one "
            '(python -c "import secrets; print(secrets.token_hex(32))") or unset it in development'
        )
    if key:
        return
    if not app.config.get("SECRET_KEY_FILE"):
        raise RuntimeError("SECRET_KEY must be set outside development")
    app.config["SECRET_KEY"] = load_or_create(Path(app.instance_path) / FILE_NAME)


def load_or_create(path: Path) -> str:
    """The key stored at `path`, made (random, 0600) if there is none yet. Safe when several
    workers start at once: the file is created exclusively and written before it is renamed in."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(draft, path)  # fails if another worker got there first: theirs is kept
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to make a new one")
    return key
