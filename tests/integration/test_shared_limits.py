"""Several app servers share rate limits through Redis (RATELIMIT_STORAGE_URI=redis://...)."""

from __future__ import annotations

import os
import uuid

import pytest

from config import TestConfig
from examsite import create_app
from tests.conftest import csrf_from

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means no Redis here
        return False


def test_login_limit_is_shared_between_two_servers(database_url, tmp_path, app):
    if not redis_available():
        # .ci/run starts Redis and sets REQUIRE_REDIS=1: there a missing Redis is a failure
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS} and REQUIRE_REDIS=1")
        pytest.skip("Redis is not reachable")
    prefix = f"examsite-test-{uuid.uuid4().hex[:8]}"
    servers = [
        create_app(
            TestConfig,
            overrides={
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_STORAGE_URI": REDIS,
                "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_RATE_LIMIT": "10 per minute",
                "SIGNING_KEY_PATH": str(tmp_path / "k.pem"),
            },
        )
        for _ in range(2)
    ]
    # An address of this test's own: counters are keyed by address, and the extension's storage
    # may outlive one app in this process.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    statuses = []
    for n in range(12):
        client = servers[n % 2].test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        statuses.append(
            client.post(
                "/login",
                data={"email": f"nobody{n}@example.org", "password": "x" * 12, "csrf_token": token},
                environ_base={"REMOTE_ADDR": address},
            ).status_code
        )
    # 10 per minute per address across BOTH servers: the 11th and 12th are refused
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_failed_logins_for_an_account_are_counted_across_servers(database_url, tmp_path, app, make_user):
    """Guessing is slowed per account and address in the database, so no server sees fewer."""
    user = make_user("trainee")
    servers = [
        create_app(
            TestConfig,
            overrides={"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEY_PATH": str(tmp_path / "k.pem")},
        )
        for _ in range(2)
    ]
    statuses = []
    for n in range(7):
        client = servers[n % 2].test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": user.email, "password": f"guess {n}", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429] * 2
