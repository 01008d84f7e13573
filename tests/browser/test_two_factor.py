"""A user sets up two-factor sign-in from the account page and signs in with it (issue 18)."""

from __future__ import annotations

import re
import uuid

import pyotp

from tests.browser.conftest import PASSWORD, log_in


def test_two_factor_enrolment_and_sign_in_are_accessible(live_server, page, check_a11y):
    email = f"tf-{uuid.uuid4().hex[:6]}@example.org"
    page.goto(live_server.url + "/register")
    page.get_by_label("Full name").fill("Tomas Factor")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    page.get_by_role("link", name="Account (Tomas Factor)").click()
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    check_a11y(page, "two-factor set-up")
    secret = page.locator("#totp-secret").inner_text()

    page.get_by_label("The 6-digit code your app shows now").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert page.get_by_role("alert").is_visible()
    check_a11y(page, "two-factor set-up (wrong code)")

    page.get_by_label("The 6-digit code your app shows now").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = re.findall(r"[0-9a-f]{6}-[0-9a-f]{6}", page.locator(".recovery-codes").inner_text())
    assert len(codes) == 10
    check_a11y(page, "recovery codes")

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, email)
    assert page.get_by_role("heading", level=1).inner_text() == "Two-factor sign-in"
    check_a11y(page, "second step")
    # a recovery code: the app's code of a moment ago may be in the step already used
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("link", name="Account (Tomas Factor)").is_visible()
