"""Browser tests: gunicorn serving the app (as in production) and Playwright driving Debian's Chromium.

Skipped when Chromium is missing, unless REQUIRE_BROWSER=1. Each backend (SQLite, PostgreSQL)
gets its own server and database, set up with the real `flask setup` on the fixture banks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.live import PASSWORD, LiveServer, postgres_url_or_skip, scratch_postgres  # noqa: F401

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


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server the live servers send their mail to (password resets)."""
    from tests.support.smtp import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request, tmp_path_factory, chromium_path, smtp_server):
    workdir = tmp_path_factory.mktemp(f"live-{request.param}")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'browser.sqlite3'}"
    else:
        url, drop = scratch_postgres(postgres_url_or_skip())
    server = LiveServer(url, workdir)
    server.env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_server.port))
    server.start()
    yield server
    server.stop()
    if drop is not None:
        drop()


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
