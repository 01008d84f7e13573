"""A trainee's exam in Chromium: keyboard only, reload, network loss during a save, time running out."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in

ROLE = "implementation-manager"


def tab_to(page, predicate_js: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js}; }})()"):
            return
    raise AssertionError(f"no focusable element matched {predicate_js}")


def start_exam(page, server) -> int:
    page.goto(f"{server.url}/roles/{ROLE}")
    page.get_by_role("link", name="Start this exam").click()
    page.get_by_role("button", name="Start the exam now").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/items/1$"))
    return int(re.search(r"/attempts/(\d+)/", page.url).group(1))


def stored_choices(server, attempt_id: int) -> dict[int, list[str]]:
    import json

    rows = server.sql(
        "SELECT ai.position, r.choices FROM responses r JOIN attempt_items ai "
        "ON ai.id = r.attempt_item_id WHERE r.attempt_id = :a",
        a=attempt_id,
    )
    return {pos: (json.loads(c) if isinstance(c, str) else c) for pos, c in rows}


def test_full_attempt_by_keyboard_with_reload(live_server, page, check_a11y):
    email = live_server.create_user("trainee", name="Kira Keyboard")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    check_a11y(page, "exam item")
    total = page.locator(".navigator li").count()
    assert total == 7
    for position in range(1, total + 1):
        page.wait_for_url(re.compile(rf"/items/{position}$"))
        if position == 3:  # a refresh in the middle keeps answers and place
            page.reload()
            assert page.locator('input[name="choice"]:checked').count() == 0
            page.goto(f"{live_server.url}/attempts/{attempt_id}/items/2")
            assert page.locator('input[name="choice"]:checked').count() >= 1
            page.goto(f"{live_server.url}/attempts/{attempt_id}/items/3")
        checkbox = page.locator('input[name="choice"]').first.get_attribute("type") == "checkbox"
        tab_to(page, "el.name === 'choice'")
        page.keyboard.press("Space")
        if checkbox:
            tab_to(page, "el.name === 'choice' && !el.checked")
            page.keyboard.press("Space")
        if position == 2:
            tab_to(page, "el.name === 'flagged'")
            page.keyboard.press("Space")
        page.get_by_text("All answers saved").wait_for()
        label = "Save and next" if position < total else "Save and review"
        tab_to(page, f"el.textContent.trim() === '{label}'")
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review$"))
    assert "7 of 7 questions answered" in page.content()
    assert page.get_by_role("link", name="Question 2").is_visible()  # flagged
    check_a11y(page, "review")
    tab_to(page, "el.value === 'Submit the exam for scoring'")
    page.keyboard.press("Enter")
    # question 2 is flagged: the confirmation asks first, focus on "Go back"; Tab back to submit
    expect(page.get_by_role("dialog")).to_contain_text("1 question flagged for review")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/result$"))
    assert page.locator("#outcome").inner_text().startswith(("Passed", "Not passed"))
    check_a11y(page, "result")
    assert len(stored_choices(live_server, attempt_id)) == 7
    status = live_server.sql("SELECT status FROM attempts WHERE id = :a", a=attempt_id)[0][0]
    assert status == "submitted"


def test_answer_saved_after_network_returns(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    page.context.set_offline(True)
    option = page.locator('input[name="choice"]').first
    option_id = option.get_attribute("value")
    option.check()
    page.get_by_text("Not saved: connection lost, retrying").wait_for()
    assert stored_choices(live_server, attempt_id) == {}
    page.context.set_offline(False)
    page.get_by_text("All answers saved").wait_for(timeout=30000)
    assert stored_choices(live_server, attempt_id) == {1: [option_id]}


def test_time_running_out_scores_saved_answers(live_server, page):
    live_server.flask("exams", "configure", ROLE, "--minutes", "1")
    try:
        email = live_server.create_user("trainee")
        log_in(page, live_server, email)
        attempt_id = start_exam(page, live_server)
        # the one-minute warning is announced in the assertive live region
        warning = page.locator("#time-warning")
        assert warning.get_attribute("role") == "alert"
        # a locator assertion, not wait_for_function: a string predicate is eval'd in the page,
        # which the Content-Security-Policy (rightly) refuses once the first check is false
        expect(warning).to_contain_text("One minute left", timeout=30_000)
        option = page.locator('input[name="choice"]').first
        option.check()
        page.get_by_text("All answers saved").wait_for()
        page.wait_for_url(re.compile(r"/result$"), timeout=100_000)
        assert "Your result" in page.content()
        row = live_server.sql("SELECT status, scored_items FROM attempts WHERE id = :a", a=attempt_id)[0]
        assert row[0] in ("submitted", "expired")
        assert row[1] == 6
        assert len(stored_choices(live_server, attempt_id)) == 1
    finally:
        live_server.flask("exams", "configure", ROLE, "--minutes", "30")


def test_closed_in_another_window_then_answer_changed(live_server, page, check_a11y):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    # a second window (same browser, same session) submits the attempt
    other = page.context.new_page()
    other.goto(f"{live_server.url}/attempts/{attempt_id}/review")
    other.get_by_role("button", name="Submit the exam for scoring").click()
    other.get_by_role("button", name="Submit anyway").click()  # nothing answered: confirmed
    other.wait_for_url(re.compile(r"/result$"))
    other.close()
    # back in the first window: the save is held while "Save and next" waits on it
    held = []
    page.route(re.compile(r"/api/v1/attempts/\d+/responses/\d+$"), lambda route: held.append(route))
    page.locator('input[name="choice"]').first.check()
    page.get_by_role("button", name="Save and next").click()
    expect(page.locator("#save-state")).to_have_text("Saving before moving on…")
    assert len(held) == 1
    held[0].continue_()  # the server answers 409 attempt_submitted
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/result$"))
    expect(page.locator("main")).to_contain_text("submitted, from another window or device")
    assert "time is up" not in page.locator("main").inner_text().lower()
    check_a11y(page, "result after closing elsewhere")
    assert stored_choices(live_server, attempt_id) == {}
    status = live_server.sql("SELECT status FROM attempts WHERE id = :a", a=attempt_id)[0][0]
    assert status == "submitted"


def test_refused_answer_is_announced_and_navigation_stays(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    held = []
    page.route(re.compile(r"/api/v1/attempts/\d+/responses/\d+$"), lambda route: held.append(route))
    page.locator('input[name="choice"]').first.check()
    page.get_by_role("button", name="Save and next").click()
    expect(page.locator("#save-state")).to_have_text("Saving before moving on…")
    held[0].fulfill(
        status=422,
        content_type="application/json",
        body='{"error": "unknown_option", "message": "Unknown option(s): x."}',
    )
    expect(page.locator("#save-state")).to_contain_text("refused: Unknown option(s): x.")
    assert page.url.endswith("/items/1")
    page.unroute(re.compile(r"/api/v1/attempts/\d+/responses/\d+$"))
    # the page is not stuck: the next action goes on
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/items/2$"))


def test_enter_on_an_option_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        email = live_server.create_user("trainee")
        log_in(page, live_server, email)
        attempt_id = start_exam(page, live_server)
        page.goto(f"{live_server.url}/attempts/{attempt_id}/items/2")
        option = page.locator('input[name="choice"]').first
        chosen = option.get_attribute("value")
        option.check()
        option.press("Enter")  # the form's default button: save and next, not "Previous"
        page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/items/3$"))
        assert stored_choices(live_server, attempt_id) == {2: [chosen]}
    finally:
        context.close()
