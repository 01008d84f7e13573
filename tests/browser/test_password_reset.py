"""A trainee who forgot the password asks for a link, gets it by mail, sets a new one (axe-checked)."""

from __future__ import annotations

import re

NEW_PASSWORD = "a brand new passphrase"


def test_reset_by_mail_in_the_browser(live_server, page, check_a11y, smtp_server):
    email = live_server.create_user("trainee", name="Forgetful Trainee")
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Forgot your password?"
    check_a11y(page, "forgot password")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send me a reset link").click()
    assert page.get_by_text("If an account uses that address").is_visible()
    check_a11y(page, "login with the neutral notice")

    [message] = [m for m in smtp_server.messages if m["To"] == email]
    body = message.get_payload(decode=True).decode()
    link = re.search(r"http://127\.0\.0\.1:\d+/reset-password/\S+", body).group(0)
    page.goto(link)
    check_a11y(page, "choose a new password")
    page.get_by_label("New password (at least 10 characters)").fill("short")
    page.get_by_label("Repeat new password").fill("short")
    page.get_by_role("button", name="Set new password").click()
    assert page.get_by_role("alert").is_visible()
    check_a11y(page, "choose a new password (errors)")
    page.get_by_label("New password (at least 10 characters)").fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    assert page.get_by_text("Your password has been changed").is_visible()

    page.goto(link)  # used once: no form any more
    assert page.get_by_role("alert").inner_text().startswith("This link has already been used")
    check_a11y(page, "used link")

    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("link", name="Account (Forgetful Trainee)").is_visible()
