"""The issuer's signing keys: the current one, the retired ones that still verify, and their JWKs.

Open Badges 3.0 requires verifiers to accept RS256 and 1EdTech's validator accepts only RS256 and
ES256, so credentials are signed with ES256 by default (`CREDENTIAL_ALGORITHM`: ES256, RS256 or
EdDSA). The key's type decides its algorithm: a P-256 key signs ES256, an RSA key RS256, an Ed25519
key EdDSA.

Files: the current private key is a PKCS8 PEM at `SIGNING_KEY_PATH`; retired keys live beside it in
`<name>.retired/<thumbprint>.pem`. Rotating (or changing the algorithm, which rotates on the next
start) moves the current key there and creates a new one, so a credential downloaded before keeps
verifying: its `kid` still dereferences to its key, and the key set lists every key.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.jwk import ECKey, OKPKey, RSAKey

logger = logging.getLogger(__name__)

#: The algorithms a credential may be signed with, by name, with the key type each needs.
ALGORITHMS = ("ES256", "RS256", "EdDSA")
DEFAULT_ALGORITHM = "ES256"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def generate_key(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown credential algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


def public_of(key: PrivateKey | PublicKey) -> PublicKey:
    return key.public_key() if hasattr(key, "private_bytes") else key  # type: ignore[return-value]


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    public = public_of(key)
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise TypeError(f"EC keys must be on P-256 for ES256, not {public.curve.name}")
        return "ES256"
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < 2048:
            raise TypeError("RSA keys must have at least 2048 bits")
        return "RS256"
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise TypeError(f"unsupported signing key type {type(public).__name__}")


def jose_key(key: PrivateKey | PublicKey) -> ECKey | RSAKey | OKPKey:
    """The joserfc key for signing (private) or verifying (public)."""
    kind = {"ES256": ECKey, "RS256": RSAKey, "EdDSA": OKPKey}[algorithm_of(key)]
    return kind.import_key(key)


def thumbprint(key: PrivateKey | PublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key: it names the key by its
    content, so it needs no storage and changes whenever the key does."""
    return jose_key(public_of(key)).thumbprint()


def public_jwk(key: PrivateKey | PublicKey, kid: str) -> dict[str, Any]:
    """The public JWK to publish (never a private member), with its kid, algorithm and use."""
    jwk = jose_key(public_of(key)).as_dict(private=False)
    public = {name: value for name, value in jwk.items() if name in ("kty", "crv", "x", "y", "n", "e")}
    return {**public, "kid": kid, "alg": algorithm_of(key), "use": "sig"}


# --- files -----------------------------------------------------------------------------------


def _pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def read_key(path: Path) -> PrivateKey:
    if os.stat(path).st_mode & 0o077:
        # Not fatal (the operator may have reasons), but whoever can read it can issue certificates.
        logger.warning("credential signing key %s is readable by other users; chmod 600 it", path)
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    algorithm_of(key)  # refuses key types a credential cannot be signed with
    return key  # type: ignore[return-value]


def _write_new(path: Path, key: PrivateKey) -> bool:
    """Write `key` to `path` unless a file is already there; True if this call wrote it.

    The file appears atomically and is never overwritten: the key goes to a temporary file beside
    it and is hard-linked into place, so when several workers start together exactly one key wins.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            return False
        except OSError:
            if path.exists():
                return False
            os.replace(tmp_name, path)
        return True
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def retired_dir(path: Path) -> Path:
    return path.parent / f"{path.name}.retired"


def retire(path: Path) -> None:
    """Move the current key into the retired folder (named by thumbprint), if it is still there."""
    try:
        key = read_key(path)
    except FileNotFoundError:
        return  # another worker retired it already
    folder = retired_dir(path)
    folder.mkdir(mode=0o700, exist_ok=True)
    try:
        os.rename(path, folder / f"{thumbprint(key)}.pem")
    except FileNotFoundError:
        return
    logger.info("retired credential signing key %s; it still verifies earlier credentials", thumbprint(key))


def load_or_create(path: Path, algorithm: str = DEFAULT_ALGORITHM) -> PrivateKey:
    """The current key for `algorithm`, created (mode 0600) if absent.

    A key of another type (for example the Ed25519 key of an earlier version, after the default
    became ES256) is retired, not deleted, and a new key is made: credentials it signed still verify.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown credential algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    path = Path(path)
    for _ in range(3):
        if path.exists():
            try:
                key = read_key(path)
            except FileNotFoundError:
                continue
            if algorithm_of(key) == algorithm:
                return key
            retire(path)
            continue
        key = generate_key(algorithm)
        if _write_new(path, key):
            logger.info("created a new %s credential signing key at %s", algorithm, path)
            return key
    return read_key(path)


def rotate(path: Path, algorithm: str = DEFAULT_ALGORITHM) -> PrivateKey:
    """Retire the current key and make a new one; earlier credentials keep verifying."""
    path = Path(path)
    if path.exists():
        retire(path)
    return load_or_create(path, algorithm)


def retired_keys(path: Path) -> list[PublicKey]:
    """Public halves of the retired keys, oldest file first."""
    folder = retired_dir(Path(path))
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.pem"), key=lambda p: (p.stat().st_mtime, p.name))
    return [public_of(read_key(p)) for p in files]
