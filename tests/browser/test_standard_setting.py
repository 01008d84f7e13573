"""A modified-Angoff study in Chromium, by keyboard where a panelist types: open, invite, rate two
rounds, close, apply; axe-core on every standard-setting page and on the role's public page."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import log_in

MAS = "mobile-adoption-support"
ROLE = "implementation-manager"


def test_study_from_opening_to_the_role_page(live_server, browser, page, check_a11y):
    facilitator = live_server.create_user("instructor", name=f"Fay Facilitator {uuid.uuid4().hex[:4]}")
    live_server.flask("users", "assign", facilitator, "--category", MAS)
    # another instructor of the category, not invited: the form must send with only some ticked
    bystander = live_server.create_user("instructor", name="Pat Bystander")
    live_server.flask("users", "assign", bystander, "--category", MAS)
    admin = live_server.create_user("admin", name="Abe Admin")

    log_in(page, live_server, facilitator)
    page.goto(live_server.url + "/instructor/")
    page.get_by_role("link", name="Set a passing standard (modified Angoff)").click()
    page.wait_for_load_state()
    check_a11y(page, "standard setting")
    page.get_by_label("Role whose exam the study sets the standard for").select_option(ROLE)
    page.get_by_label("Title (optional)").fill("Browser study")
    page.get_by_role("button", name="Open the study").click()
    page.wait_for_load_state()
    check_a11y(page, "study, round 1")
    page.get_by_label(facilitator, exact=False).check()
    page.get_by_role("button", name="Invite").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Rate the items (round 1)").click()
    page.wait_for_load_state()
    check_a11y(page, "rating, round 1")
    fields = page.get_by_label("Probability that a minimally competent candidate answers", exact=False)
    first = fields.first
    first.focus()
    first.fill("0.99")
    page.get_by_role("button", name="Save and submit this round").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert")).to_be_visible()
    check_a11y(page, "rating with an error")
    fields = page.get_by_label("Probability that a minimally competent candidate answers", exact=False)
    for i in range(fields.count()):
        fields.nth(i).fill("0.6")
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Save and submit this round").press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_text("Round 1 submitted.")).to_be_visible()
    page.get_by_role("button", name="End round 1 and start round 2").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Rate the items (round 2)").click()
    page.wait_for_load_state()
    expect(page.get_by_text("median 0.60", exact=False).first).to_be_visible()
    check_a11y(page, "rating, round 2")
    fields = page.get_by_label("Probability that a minimally competent candidate answers", exact=False)
    for i in range(fields.count()):
        fields.nth(i).fill("0.65")
    page.get_by_role("button", name="Save and submit this round").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Close the study").click()
    page.wait_for_load_state()
    expect(page.get_by_text("65.00% (applied as 65.00%)")).to_be_visible()
    check_a11y(page, "closed study")
    study_url = page.url

    second = browser.new_context(viewport={"width": 1200, "height": 900})
    other = second.new_page()
    other.set_default_timeout(15000)
    log_in(other, live_server, admin)
    other.goto(study_url)
    other.get_by_role("button", name="Apply 65.00% to the exam").click()
    other.wait_for_load_state()
    expect(other.get_by_text("is now 65.00%")).to_be_visible()
    check_a11y(other, "applied study")
    other.goto(live_server.url + f"/roles/{ROLE}")
    expect(other.get_by_text("Set by a modified-Angoff study of 1 panelist on", exact=False)).to_be_visible()
    check_a11y(other, "role page")
    second.close()
