"""Security headers (issue 18): HSTS in production, the strict CSP, Referrer-Policy,
Permissions-Policy on every page; no server software or version in the Server header."""

from __future__ import annotations

import urllib.request

import pytest

from config import ProductionConfig
from examsite import create_app


@pytest.fixture
def production(app, database_url, tmp_path):
    """The production configuration on the test database (`app` made its schema)."""
    return create_app(
        ProductionConfig,
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "a-production-secret-" + "x" * 40,
            "SIGNING_KEY_PATH": str(tmp_path / "production-key.pem"),
            "RATELIMIT_STORAGE_URI": "memory://",
        },
    )


@pytest.mark.parametrize("path", ["/", "/login", "/forgot-password", "/api/v1/roles", "/no-such-page"])
def test_production_headers(production, path):
    reply = production.test_client().get(path, base_url="https://exams.example.edu")
    headers = reply.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_hsts_outside_production(client):
    headers = client.get("/login").headers
    assert "Strict-Transport-Security" not in headers  # development may be plain HTTP
    assert "Permissions-Policy" in headers and "Content-Security-Policy" in headers


def test_gunicorn_sends_no_server_software_banner(backend, tmp_path):
    from tests.support.live import LiveServer

    if backend != "sqlite":
        pytest.skip("the Server header is gunicorn's, the same on either database")
    server = LiveServer(f"sqlite:///{tmp_path / 'banner.sqlite3'}", tmp_path)
    server.start()
    try:
        with urllib.request.urlopen(server.url + "/login", timeout=10) as reply:
            banner = reply.headers.get("Server", "")
            assert reply.headers["Permissions-Policy"]
    finally:
        server.stop()
    assert "gunicorn" not in banner.lower() and not any(ch.isdigit() for ch in banner)
