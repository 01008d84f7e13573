"""A newcomer opens the home page, registers, logs out, logs in and reaches the role pages."""

from __future__ import annotations

import uuid

from tests.browser.conftest import PASSWORD, log_in


def test_newcomer_journey_is_accessible(live_server, page, check_a11y):
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Competency exams")
    assert page.locator(".role-card").count() == 12
    check_a11y(page, "home")

    page.get_by_role("link", name="Register").click()
    check_a11y(page, "register (empty)")
    email = f"new-{uuid.uuid4().hex[:6]}@example.org"
    page.get_by_label("Full name").fill("Nia Newcomer")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill("short")
    page.get_by_label("Repeat password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("alert").is_visible()
    assert "at least 10 characters" in page.content()
    check_a11y(page, "register (errors)")

    page.get_by_label("Password (at least 10 characters)").fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("Welcome! Your account is ready.").is_visible()

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in").is_visible()
    log_in(page, live_server, email)
    assert page.get_by_role("link", name="Account (Nia Newcomer)").is_visible()

    page.get_by_role("link", name="Implementation manager").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Implementation manager"
    assert page.get_by_role("link", name="Start this exam").is_visible()
    check_a11y(page, "role page")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exams").click()
    page.get_by_role("link", name="Trainer").click()
    assert "Designs and delivers training" in page.content()
    check_a11y(page, "trainer role page")

    page.goto(live_server.url + "/verify")
    check_a11y(page, "verify")
    page.goto(live_server.url + "/no-such-page")
    check_a11y(page, "404")


def test_skip_link_and_keyboard_focus(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
