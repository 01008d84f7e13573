"""Shared fixtures: the app on SQLite and on PostgreSQL, clients, factories, a movable clock.

Every test that asks for `app` (directly or through `client`, `make_user`, ...) runs once per
database backend. PostgreSQL runs when TEST_DATABASE_URL is set; REQUIRE_POSTGRES=1 turns its
absence into a failure.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig
from examsite import create_app
from examsite.extensions import db

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_BANKS = ROOT / "tests" / "fixtures" / "banks" / "valid"
PASSWORD = "correct horse battery"


def _pg_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    if request.param == "postgresql":
        from tests.support.live import postgres_url_or_skip

        return postgres_url_or_skip()
    return "sqlite"


_pg_schema_ready: set[str] = set()


@pytest.fixture
def database_url(backend, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return backend


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        TestConfig,
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SIGNING_KEY_PATH": str(tmp_path / "signing-key.pem"),
            "LTI_KEY_PATH": str(tmp_path / "lti-tool-key.pem"),
            "QUESTION_BANKS_PATH": str(FIXTURE_BANKS),
        },
    )
    with app.app_context():
        import examsite.models  # noqa: F401

        if database_url.startswith("sqlite"):
            db.create_all()
        else:
            if database_url not in _pg_schema_ready:
                # The whole schema, not drop_all: a database left by an older schema (another
                # branch, an earlier CI run) may lack constraints drop_all would try to drop.
                db.session.execute(text("DROP SCHEMA public CASCADE"))
                db.session.execute(text("CREATE SCHEMA public"))
                db.session.commit()
                db.create_all()
                _pg_schema_ready.add(database_url)
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        from examsite.catalog.services import ensure_catalog

        ensure_catalog()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class FakeClock:
    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


@pytest.fixture
def clock(monkeypatch):
    from examsite import timeutil

    fake = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(timeutil.clock, "now", fake.now)
    return fake


@pytest.fixture
def make_user(app):
    counter = {"n": 0}

    def make(
        role: str = "trainee",
        email: str | None = None,
        name: str | None = None,
        password: str = PASSWORD,
        multiplier: float | None = None,
        cohort=None,
    ):
        from examsite.accounts.models import User
        from examsite.programs.models import Accommodation

        counter["n"] += 1
        with app.app_context():
            user = User(
                email=(email or f"{role}{counter['n']}@example.org").lower(),
                name=name or f"{role.title()} {counter['n']}",
                role=role,
            )
            user.set_password(password)
            if cohort is not None:
                user.cohort_id = cohort
            db.session.add(user)
            db.session.flush()
            if multiplier:
                db.session.add(Accommodation(user_id=user.id, time_multiplier=multiplier, note="test"))
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class Session:
    """A logged-in test client that knows its CSRF token."""

    def __init__(self, client, user):
        self.client, self.user = client, user
        page = client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.csrf = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))

    def api(self, method: str, path: str, json=None, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("X-CSRFToken", self.csrf)
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def form(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def login(app):
    def do(user):
        return Session(app.test_client(), user)

    return do


@pytest.fixture
def banks(app):
    """The small fixture bank imported (one role, implementation-manager, can start an exam)."""
    from examsite.banks.importer import import_banks

    with app.app_context():
        return import_banks([FIXTURE_BANKS])


def pg_admin_engine():
    url = _pg_url()
    return create_engine(url, isolation_level="AUTOCOMMIT") if url else None
