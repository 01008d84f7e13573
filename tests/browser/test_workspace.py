"""Instructors in Chromium: one writes an item with the live preview and lint, another approves
it, and the item joins the role's pool (`flask banks stats`). axe-core on every workspace page."""

from __future__ import annotations

import json

from tests.browser.conftest import log_in
from tests.integration.test_authoring_images import PNG

MAS = "mobile-adoption-support"


def eligible(server, role: str = "implementation-manager") -> int:
    stats = json.loads(server.flask("banks", "stats", "--json"))
    return next(r["eligible_items"] for r in stats["roles"] if r["slug"] == role)


def test_write_preview_submit_approve_and_serve(live_server, browser, page, check_a11y):
    author = live_server.create_user("instructor", name="Ada Author")
    reviewer = live_server.create_user("instructor", name="Rita Reviewer")
    for email in (author, reviewer):
        live_server.flask("users", "assign", email, "--category", MAS)
    before = eligible(live_server)

    log_in(page, live_server, author)
    page.get_by_role("link", name="Workspace").click()
    page.wait_for_load_state()
    check_a11y(page, "find items")
    page.get_by_role("link", name="Write an item").first.click()
    page.wait_for_load_state()
    page.get_by_label("Category").select_option(MAS)
    page.get_by_label("Domain").select_option("mas-workflow-redesign")
    options = ["A swim-lane diagram", "A pie chart", "A Gantt chart", "A balance sheet"]
    for letter, text in zip("abcd", options, strict=True):
        page.get_by_label(f"Option {letter}", exact=True).fill(text)
    page.get_by_label("Correct (option a)").check()
    page.get_by_label("Rationale (Markdown; never shown to trainees)").fill(
        "Swim lanes name the actor of a step."
    )
    page.get_by_label("Stem (Markdown)").fill("Which diagram is not about *who* does a step?")
    page.locator("#lint-stem").get_by_text("negative stem: write NOT in capitals").wait_for()
    page.get_by_label("Stem (Markdown)").fill("Which diagram shows *who* does each step of a check-in?")
    page.get_by_label("Add an image to the stem (PNG, JPEG, GIF or WebP, up to 1 MB)").set_input_files(
        files=[{"name": "chart.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator("#preview img[src^='/media/items/']").wait_for()
    assert page.locator("#preview img").evaluate("img => img.complete && img.naturalWidth > 0")
    page.get_by_label("Stem (Markdown)").fill(
        page.get_by_label("Stem (Markdown)")
        .input_value()
        .replace("Describe the image", "A check-in swim lane")
    )
    page.locator("#preview em", has_text="who").wait_for()
    page.locator("#lint-all").get_by_text("No problems found.").wait_for()
    assert page.locator("#preview label.option").count() == 4
    check_a11y(page, "item editor")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_text("saved as a draft (version 1)").is_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    external_id = heading.split()[0]
    page.get_by_label("Comment").fill("Ready for review")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert page.get_by_text("Submitted for review.").is_visible()
    assert page.get_by_role("button", name="Approve and publish").is_visible()
    check_a11y(page, "item in review")

    second = browser.new_context(viewport={"width": 1200, "height": 900})
    other = second.new_page()
    other.set_default_timeout(15000)
    log_in(other, live_server, reviewer)
    other.goto(live_server.url + "/instructor/review")
    check_a11y(other, "review queue")
    other.get_by_role("link", name=external_id).click()
    other.wait_for_load_state()
    other.get_by_label("Comment").fill("Clear and fair.")
    other.get_by_role("button", name="Approve and publish").click()
    other.wait_for_load_state()
    assert other.get_by_text("Approved: the new version serves").is_visible()
    other.get_by_role("link", name="History and differences").click()
    other.wait_for_load_state()
    check_a11y(other, "history")
    other.goto(live_server.url + "/instructor/roles")
    check_a11y(other, "roles")
    other.goto(live_server.url + "/instructor/roles/implementation-manager/blueprint")
    other.get_by_label("Workflow analysis and process redesign").fill("40")
    other.get_by_text("cannot be filled from the active pool").wait_for()
    check_a11y(other, "blueprint")
    other.goto(live_server.url + "/instructor/roles/implementation-manager/exam")
    check_a11y(other, "exam settings")
    second.close()

    assert eligible(live_server) == before + 1
