"""Configuration classes, read from the environment with explicit defaults.

`create_app()` picks one by `EXAMSITE_ENV` (development, production, test). Secrets and URLs come from
the environment so the same code runs on a laptop, in CI and behind a load balancer.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EXAMSITE_INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'examsite.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Connections kept per worker: one per gunicorn thread, so that busy workers do not open and
    # close overflow connections all the time (each a new PostgreSQL backend process).
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", os.environ.get("THREADS", "8")))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    #: proxy hops in front of the app whose X-Forwarded-For / X-Forwarded-Proto are trusted (0: none,
    #: the client address is the connection's); set it to the number of load balancers/proxies.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Requests to POST /login per client address: a flood guard only, generous enough for a
    # class of 300 behind one lab address. Guessing is slowed per account and address by
    # examsite/accounts/throttle.py, which counts failures, not requests.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "600 per minute")
    #: how long a one-time password (first administrator, roster, administrator's reset) works
    ONE_TIME_PASSWORD_HOURS = int(os.environ.get("ONE_TIME_PASSWORD_HOURS", "72"))
    #: 1: instructors and administrators must use two-factor sign-in (TOTP)
    REQUIRE_STAFF_2FA = _bool("REQUIRE_STAFF_2FA", False)
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "60 per minute")
    # Session cookie: HttpOnly and SameSite=Lax always, Secure wherever HTTPS is in front.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # an exam lasts hours; the token lives as long as the session
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    QUESTION_BANKS_PATH = os.environ.get("QUESTION_BANKS_PATH", str(BASE_DIR / "question_banks"))
    SIGNING_KEY_PATH = os.environ.get("SIGNING_KEY_PATH", str(INSTANCE_DIR / "credential-signing-key.pem"))
    ISSUER_NAME = os.environ.get("ISSUER_NAME", "examsite health IT competency program")
    #: who verifiers and holders can write to about a credential (the issuer profile's e-mail)
    ISSUER_EMAIL = os.environ.get("ISSUER_EMAIL", "")
    #: ES256 (default), RS256 or EdDSA; changing it retires the old key, which keeps verifying
    CREDENTIAL_ALGORITHM = os.environ.get("CREDENTIAL_ALGORITHM", "ES256")
    # SQLite durability: an acknowledged save survives a power loss (WAL + synchronous=FULL).
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "FULL")
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000"))
    # Saves arriving together in a worker are written in one transaction, each answered after
    # its commit (examsite/delivery/group_commit.py): "auto" (on for SQLite, whose writers take
    # turns; off for PostgreSQL, which already shares WAL flushes between concurrent commits),
    # "on" or "off".
    SAVE_GROUP_COMMIT = os.environ.get("SAVE_GROUP_COMMIT", "auto")
    # Outgoing mail (password resets): written to an outbox table, sent after the commit and by
    # `flask mail send-outbox` (cron) with retries; without MAIL_SERVER messages wait there.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "examsite <no-reply@localhost>")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    # LTI 1.3 tool (examsite/lti): the tool's RSA key (created on first use; retired keys stay
    # published for LTI_RETIRED_KEY_DAYS), and how long a call to a platform may take.
    LTI_KEY_PATH = os.environ.get("LTI_KEY_PATH", str(INSTANCE_DIR / "lti-tool-key.pem"))
    LTI_RETIRED_KEY_DAYS = int(os.environ.get("LTI_RETIRED_KEY_DAYS", "30"))
    LTI_HTTP_TIMEOUT = float(os.environ.get("LTI_HTTP_TIMEOUT", "10"))
    PASSWORD_RESET_HOURS = int(os.environ.get("PASSWORD_RESET_HOURS", "1"))
    HSTS_SECONDS = 0  # Strict-Transport-Security only where HTTPS is certain (production)
    TESTING = False


class DevelopmentConfig(Config):
    # Without SECRET_KEY, a random key is made once under instance/ and kept (examsite/secret_key.py).
    SECRET_KEY_FILE = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL_ACTIVE", "sqlite://")
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_BASE_URL = "https://exams.example.test"


class ProductionConfig(Config):
    # Browsers remember to use HTTPS only (a year; 0 turns it off, e.g. while trying HTTPS out)
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
