"""Browser tests: gunicorn serving the app (as in production) and Playwright driving Debian's Chromium.

Skipped when Chromium is missing, unless REQUIRE_BROWSER=1. Each backend (SQLite, PostgreSQL)
gets its own server and database, set up with the real `flask setup` on the fixture banks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but Chromium was not found at {CHROMIUM}")
        pytest.skip("Chromium not found; browser tests skipped")
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url: str, workdir: Path):
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "EXAMSITE_ENV": "development",
            "SECRET_KEY": "browser-tests",
            "EXAMSITE_INSTANCE_PATH": str(workdir / "instance"),
            "QUESTION_BANKS_PATH": str(ROOT / "tests" / "fixtures" / "banks" / "valid"),
            "PUBLIC_BASE_URL": self.url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "ACCESS_LOG": "/dev/null",
            "RATELIMIT_ENABLED": "0",
        }
        self.process = None

    def flask(self, *args: str, input: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self) -> None:
        self.flask("setup")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "gunicorn.log", "w"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + (self.workdir / "gunicorn.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)

    def create_user(self, role: str = "trainee", name: str | None = None) -> str:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        self.flask(
            "users",
            "create",
            email,
            "--name",
            name or f"Browser {role.title()}",
            "--role",
            role,
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        return email

    def sql(self, statement: str, **params):
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return result.fetchall() if result.returns_rows else None
        finally:
            engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request, tmp_path_factory, chromium_path):
    workdir = tmp_path_factory.mktemp(f"live-{request.param}")
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'browser.sqlite3'}"
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
        name = f"examsite_browser_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.rsplit("/", 1)[0] + "/" + name
    server = LiveServer(url, workdir)
    server.start()
    yield server
    server.stop()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_a11y(axe):
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; fail listing each violation."""

    def check(page, label: str = "") -> None:
        results = axe.run(
            page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        )
        violations = results.response.get("violations", [])
        details = [
            f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in violations
        ]
        assert not violations, f"axe violations on {label or page.url}:\n" + "\n".join(details)

    return check


def log_in(page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
