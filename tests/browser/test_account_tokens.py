"""A user creates a personal API token on the account page, copies it once, and it works (axe-checked)."""

from __future__ import annotations

import json
import urllib.request
import uuid

from tests.browser.conftest import PASSWORD


def test_create_a_token_in_the_browser_and_use_it(live_server, page, check_a11y):
    email = f"tok-{uuid.uuid4().hex[:6]}@example.org"
    page.goto(live_server.url + "/register")
    page.get_by_label("Full name").fill("Tara Token")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("link", name="Account (Tara Token)").click()

    page.get_by_label("Name (what the token is for)").fill("")
    page.get_by_label("Expires after (days)").fill("0")
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_role("alert").is_visible()
    check_a11y(page, "account page, token form with errors")

    page.get_by_label("Name (what the token is for)").fill("grading script")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Your new API token", exact=True).input_value()
    assert len(token) > 30
    check_a11y(page, "account page, new token shown")

    request = urllib.request.Request(
        live_server.url + "/api/v1/me/skills-profile", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200
        assert "domains" in json.loads(reply.read())

    page.goto(live_server.url + "/account")  # shown once: gone on the next visit, listed by name
    assert page.get_by_label("Your new API token", exact=True).count() == 0
    assert page.get_by_role("cell", name="grading script", exact=True).is_visible()
