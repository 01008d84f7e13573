"""The item-analysis pages in Chromium: calculate on request (a GET only shows what is stored),
the pretest recommendations and a category's analysis; axe-core on each."""

from __future__ import annotations

from tests.browser.conftest import log_in

ROLE = "implementation-manager"


def test_calculate_then_pretest_and_category(live_server, page, check_a11y):
    instructor = live_server.create_user("instructor", name="Ivy Instructor")
    log_in(page, live_server, instructor)
    page.goto(live_server.url + "/instructor/")
    page.get_by_role("link", name=f"Items for {ROLE}", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("has not been calculated yet").is_visible()
    check_a11y(page, "item analysis, not calculated")
    page.get_by_role("button", name="Calculate from the stored responses").click()
    page.wait_for_load_state()
    assert page.get_by_text("Item analysis recalculated from the stored responses.").is_visible()
    assert page.get_by_role("button", name="Recalculate from the stored responses").is_visible()
    check_a11y(page, "item analysis, calculated")
    page.get_by_role("link", name="Pretest items: which to activate").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Pretest items")
    check_a11y(page, "pretest items")
    page.goto(live_server.url + "/instructor/")
    page.get_by_role("link", name="Mobile adoption support").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Calculate from the stored responses").press("Enter")
    page.wait_for_load_state()
    assert page.get_by_text("Every role of the category").is_visible()
    check_a11y(page, "category item analysis")
