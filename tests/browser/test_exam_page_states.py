"""The exam page never hangs and records only real departures (issue 17), in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_exam import start_exam, stored_choices


def events(server, attempt_id: int) -> list[str]:
    return [
        kind
        for (kind,) in server.sql(
            "SELECT kind FROM integrity_events WHERE attempt_id = :a ORDER BY id", a=attempt_id
        )
    ]


def real_focus(page):
    """Let the page see real focus changes (headless Chromium otherwise emulates focus)."""
    page.context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})


def test_submitted_in_another_window_then_an_answer_changed(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    page.locator('input[name="choice"]').first.check()
    page.get_by_text("All answers saved").wait_for()
    # the same trainee submits from a second window
    other = page.context.new_page()
    other.goto(f"{live_server.url}/attempts/{attempt_id}/review")
    other.get_by_role("button", name="Submit the exam for scoring").click()
    other.get_by_role("button", name="Submit anyway").click()  # nothing answered: confirmed
    other.wait_for_url(re.compile(r"/result$"))
    other.close()
    # back in the first window: an answer changed and, while it is being saved, Enter pressed to
    # go on: the refused save ends the waiting navigation instead of leaving it hanging
    page.bring_to_front()
    page.locator('input[name="choice"]').nth(1).check()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/result$"))
    expect(page.locator("main")).to_contain_text("submitted, from another window or device")
    assert "time is up" not in page.locator("main").inner_text().lower()
    assert live_server.sql("SELECT status FROM attempts WHERE id = :a", a=attempt_id)[0][0] == "submitted"
    assert len(stored_choices(live_server, attempt_id)) == 1  # the late answer was not taken


def test_enter_on_an_option_saves_it_and_goes_to_the_next_question(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    option = page.locator('input[name="choice"]').first
    option_id = option.get_attribute("value")
    option.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/items/2$"))
    assert stored_choices(live_server, attempt_id) == {1: [option_id]}


def test_moving_around_the_exam_records_no_integrity_event(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    real_focus(page)
    moves = 0
    for position in range(1, 7):  # Save and next, six times
        page.locator('input[name="choice"]').first.check()
        page.get_by_role("button", name="Save and next").click()
        page.wait_for_url(re.compile(rf"/items/{position + 1}$"))
        moves += 1
    page.get_by_role("button", name="Previous").click()
    page.wait_for_url(re.compile(r"/items/6$"))
    for target in (2, 5):  # the navigator
        page.locator(f'.navigator a[data-position="{target}"]').click()
        page.wait_for_url(re.compile(rf"/items/{target}$"))
    page.get_by_role("button", name="Review all answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    page.get_by_role("link", name="Question 7").click()
    page.wait_for_url(re.compile(r"/items/7$"))
    moves += 5
    assert moves >= 10
    page.wait_for_timeout(500)  # let any stray event request land
    assert events(live_server, attempt_id) == []


def test_leaving_the_window_records_one_event_and_a_burst_records_one(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    real_focus(page)
    page.locator('input[name="choice"]').first.focus()
    # a real switch to another window: the exam page loses focus
    other = page.context.new_page()
    other.bring_to_front()
    for _ in range(50):
        if events(live_server, attempt_id):
            break
        page.wait_for_timeout(100)
    assert events(live_server, attempt_id) == ["window_blur"]
    # the tab hidden, as a visibility change reaches the page (headless Chromium keeps every tab
    # "visible", so the browser's own event is dispatched with the state it reports when hidden),
    # twice within a second: one event
    page.bring_to_front()
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
            document.dispatchEvent(new Event("visibilitychange"));
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    for _ in range(50):
        if len(events(live_server, attempt_id)) == 2:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert events(live_server, attempt_id) == ["window_blur", "tab_hidden"]
