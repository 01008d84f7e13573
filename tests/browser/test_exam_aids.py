"""Exam-taking aids in Chromium (issue 24): strike-out by keyboard, text size and contrast kept,
the sticky bar at 200% and 400% zoom, the navigator in forced colours, the submit confirmation,
the skip link to the question, and axe-core on the exam, review and result pages in both themes."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_exam import start_exam, stored_choices

#: Chromium's zoom is CSS pixels per device pixel: 200% of a 1280 x 1024 window is a 640 x 512
#: viewport at device scale factor 2, 400% is 320 x 256 at 4 (WCAG 1.4.10's reflow width)
ZOOMS = {200: ({"width": 640, "height": 512}, 2), 400: ({"width": 320, "height": 256}, 4)}


def stored_struck(server, attempt_id: int, position: int) -> list[str]:
    rows = server.sql(
        "SELECT struck FROM attempt_items WHERE attempt_id = :a AND position = :p", a=attempt_id, p=position
    )
    value = rows[0][0]
    return (json.loads(value) if isinstance(value, str) else value) or []


def tab_count_to(page, predicate_js: str, limit: int = 20, enter_on=None) -> int:
    """Tab presses from the top of the page until the predicate holds (Enter on a skip link)."""
    for count in range(1, limit + 1):
        page.keyboard.press("Tab")
        if enter_on and page.evaluate(
            f"(() => {{ const el = document.activeElement; return {enter_on}; }})()"
        ):
            page.keyboard.press("Enter")
            enter_on = None
            continue
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js}; }})()"):
            return count
    raise AssertionError(f"nothing matched {predicate_js} in {limit} Tab presses")


def test_strike_out_by_keyboard_survives_a_reload_and_is_never_scored(live_server, page, check_a11y):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    strikes = page.locator("button.strike")
    target = strikes.nth(1)
    option_id = target.get_attribute("value")
    expect(target).to_have_attribute("aria-pressed", "false")
    target.focus()
    with page.expect_response(re.compile(r"/items/\d+/struck$")) as reply:
        page.keyboard.press("Enter")
    assert reply.value.status == 200
    expect(target).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#aid-status")).to_contain_text("Struck out:")
    assert stored_struck(live_server, attempt_id, 1) == [option_id]
    # a second one by Space, then undone
    other = strikes.nth(2)
    other.focus()
    with page.expect_response(re.compile(r"/struck$")):
        page.keyboard.press("Space")
    with page.expect_response(re.compile(r"/struck$")):
        page.keyboard.press("Space")
    expect(page.locator("#aid-status")).to_contain_text("Restored:")
    assert stored_struck(live_server, attempt_id, 1) == [option_id]
    page.reload()
    expect(page.locator(f"#strike-{option_id}")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".option.struck")).to_have_count(1)
    expect(page.locator(f'.option.struck input[value="{option_id}"]')).to_have_count(1)
    # the accessible name says what it strikes out
    assert page.get_by_role("button", name=re.compile("^Strike out ")).count() == strikes.count()
    check_a11y(page, "exam item with a struck option")
    # never an answer: nothing was saved, and the attempt scores without it
    assert stored_choices(live_server, attempt_id) == {}
    page.goto(f"{live_server.url}/attempts/{attempt_id}/review")
    page.get_by_role("button", name="Submit the exam for scoring").click()
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert live_server.sql("SELECT raw_score FROM attempts WHERE id = :a", a=attempt_id)[0][0] == 0
    assert stored_choices(live_server, attempt_id) == {}


def test_text_size_and_contrast_persist_across_pages_and_reloads(live_server, page, check_a11y):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    page.emulate_media(reduced_motion="reduce")  # axe measures the new colours, not a transition
    html = page.locator("html")
    base_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.option-text')).fontSize)")
    with page.expect_response(re.compile(r"/api/v1/me/preferences$")):
        page.get_by_label("Text size").select_option("200")
    with page.expect_response(re.compile(r"/api/v1/me/preferences$")):
        page.get_by_label("Contrast").select_option("high-contrast")
    expect(html).to_have_attribute("data-text-size", "200")
    expect(html).to_have_attribute("data-theme", "high-contrast")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.option-text')).fontSize)")
    assert abs(size - 2 * base_size) < 0.5
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    check_a11y(page, "exam item, high contrast, 200% text")
    page.reload()
    expect(html).to_have_attribute("data-text-size", "200")
    expect(page.get_by_label("Contrast")).to_have_value("high-contrast")
    # other pages, and the review and result pages, keep them
    page.goto(f"{live_server.url}/attempts")
    expect(html).to_have_attribute("data-theme", "high-contrast")
    page.goto(f"{live_server.url}/attempts/{attempt_id}/review")
    expect(html).to_have_attribute("data-text-size", "200")
    check_a11y(page, "review, high contrast")
    page.get_by_role("button", name="Submit the exam for scoring").click()
    check_a11y(page, "submit confirmation, high contrast")
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    expect(html).to_have_attribute("data-theme", "high-contrast")
    check_a11y(page, "result, high contrast")
    # back to the standard theme and size, from the exam page of a new session
    page.context.clear_cookies()
    log_in(page, live_server, email)
    expect(html).to_have_attribute("data-theme", "high-contrast")
    row = live_server.sql("SELECT text_size, theme FROM users WHERE email = :e", e=email)[0]
    assert tuple(row) == (200, "high-contrast")


def test_timer_and_actions_stay_in_view_at_200_and_400_percent_zoom(live_server, browser):
    email = live_server.create_user("trainee")
    for zoom, (viewport, scale) in ZOOMS.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, reduced_motion="reduce")
        try:
            page = context.new_page()
            page.set_default_timeout(15000)
            log_in(page, live_server, email)
            if zoom == 200:
                start_exam(page, live_server)
            else:
                page.goto(f"{live_server.url}/attempts")
                page.get_by_role("link", name="Resume").click()
            page.wait_for_url(re.compile(r"/items/\d+$"))
            bar = page.locator("#exam-bar")
            heading = page.locator("#q-heading")
            # at the top nothing lies under the bar: the question's heading starts below it
            assert heading.bounding_box()["y"] >= bar.bounding_box()["y"] + bar.bounding_box()["height"] - 1
            # no horizontal scrolling of the page (reflow)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), zoom
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_timeout(100)
            assert page.evaluate("window.scrollY") > 0, f"{zoom}%: the page did not scroll"
            for locator in (page.locator("#timer"), page.locator("#save-state")):
                box = locator.bounding_box()
                assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
                    zoom
                )
            save_next = page.get_by_role("button", name="Save and next")
            box = save_next.bounding_box()
            assert 0 <= box["y"] < viewport["height"] and box["x"] + box["width"] <= viewport["width"] + 1, (
                zoom
            )
            # the bar takes less than half of the window, even at 400%
            assert bar.bounding_box()["height"] < viewport["height"] / 2, zoom
            # a focused option scrolls into view below the bar, not under it
            page.locator('input[name="choice"]').first.focus()
            option_box = page.locator(".option").first.bounding_box()
            bar_box = bar.bounding_box()
            assert option_box["y"] >= bar_box["y"] + bar_box["height"] - 1, zoom
            if zoom == 400:  # the largest text on top of the largest zoom: the bar still fits
                with page.expect_response(re.compile(r"/api/v1/me/preferences$")):
                    page.get_by_label("Text size").select_option("200")
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                assert bar.bounding_box()["height"] < viewport["height"] / 2
                box = page.locator("#timer").bounding_box()
                assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
                with page.expect_response(re.compile(r"/api/v1/me/preferences$")):
                    page.get_by_label("Text size").select_option("100")
            save_next.click()
            page.wait_for_url(re.compile(r"/items/2$"))
        finally:
            context.close()


def test_navigator_states_are_distinct_in_forced_colours(live_server, page, check_a11y):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    page.locator('input[name="choice"]').first.check()
    page.get_by_text("All answers saved").wait_for()
    page.goto(f"{live_server.url}/attempts/{attempt_id}/items/2")
    page.get_by_label("Flag for review").check()
    page.get_by_text("All answers saved").wait_for()
    page.goto(f"{live_server.url}/attempts/{attempt_id}/items/3")
    expect(page.locator(".legend")).to_contain_text("Answered")
    expect(page.locator(".legend")).to_contain_text("Flagged for review")
    style_js = """(sel) => { const a = document.querySelector(sel); const s = getComputedStyle(a);
        return [s.backgroundColor, s.borderStyle, s.borderTopWidth, getComputedStyle(a, '::before').content,
                getComputedStyle(a, '::after').content, s.outlineStyle]; }"""
    for forced in ("none", "active"):
        page.emulate_media(forced_colors=forced)
        answered = page.evaluate(style_js, '.navigator a[data-position="1"]')
        flagged = page.evaluate(style_js, '.navigator a[data-position="2"]')
        current = page.evaluate(style_js, '.navigator a[data-position="3"]')
        unanswered = page.evaluate(style_js, '.navigator a[data-position="4"]')
        states = {"answered": answered, "flagged": flagged, "current": current, "unanswered": unanswered}
        assert len({tuple(v) for v in states.values()}) == 4, (forced, states)
        # a shape or a mark besides colour: the tick, the flag, the dashed border, the outline
        assert "✓" in answered[3] and "⚑" in flagged[4], forced
        assert unanswered[1] == "dashed" and answered[1] == "solid", forced
        assert current[5] == "solid", forced
        if forced == "active":  # the answered tile keeps a system colour fill apart from the rest
            assert answered[0] != unanswered[0]
    page.emulate_media(forced_colors="none")
    # the screen-reader text says the same
    assert "answered" in page.locator('.navigator a[data-position="1"]').inner_text()
    check_a11y(page, "navigator with every state")
    # transitions only for those who have not asked for reduced motion
    option_transition = "getComputedStyle(document.querySelector('.option')).transitionDuration"
    assert page.evaluate(option_transition) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(option_transition) == "0s"
    # the standard theme follows the system's dark mode, still without a violation (checked
    # with motion reduced, so axe does not measure colours halfway through a transition)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 24, 29)"
    check_a11y(page, "exam item, dark mode")


def test_submit_with_unanswered_questions_asks_first(live_server, page, check_a11y):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    page.locator('input[name="choice"]').first.check()
    page.get_by_label("Flag for review").check()
    page.get_by_text("All answers saved").wait_for()
    page.get_by_role("button", name="Review all answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    grid = page.get_by_role("list", name="All questions")
    expect(grid.get_by_role("listitem")).to_have_count(7)
    expect(grid.get_by_role("link", name=re.compile(r"^Question 1 Answered Flagged$"))).to_have_count(1)
    expect(grid.get_by_role("link", name=re.compile(r"^Question 2 Unanswered$"))).to_have_count(1)
    check_a11y(page, "review grid")
    submit = page.get_by_role("button", name="Submit the exam for scoring")
    submit.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Submit with questions left?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You have 6 unanswered questions and 1 question flagged for review.")
    check_a11y(page, "submit confirmation")
    # Escape goes back; nothing was submitted
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert live_server.sql("SELECT status FROM attempts WHERE id = :a", a=attempt_id)[0][0] == "in_progress"
    submit.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    check_a11y(page, "result")
    assert live_server.sql("SELECT status FROM attempts WHERE id = :a", a=attempt_id)[0][0] == "submitted"


def test_first_option_within_three_tab_presses(live_server, page):
    email = live_server.create_user("trainee")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    for position in (1, 4):
        page.goto(f"{live_server.url}/attempts/{attempt_id}/items/{position}")
        count = tab_count_to(page, "el.name === 'choice'", enter_on="el.classList.contains('skip-link')")
        assert count <= 3, count
        first = page.locator('input[name="choice"]').first.get_attribute("id")
        assert page.evaluate("document.activeElement.id") == first
        assert page.evaluate("document.querySelector('.skip-link').textContent") == "Skip to the question"
