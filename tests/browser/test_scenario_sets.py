"""Instructors in Chromium write a scenario set: the shared case with its live preview, two
questions attached, submitted; a second instructor approves the set and both questions join the
role's pool (`flask banks stats`). axe-core on the set pages."""

from __future__ import annotations

import re
import uuid

from tests.browser.conftest import log_in
from tests.browser.test_workspace import MAS, eligible

GIFT = """
::{tag} a:: Which chart shows who does each step of the {tag} morning check-in? {{
=A swim-lane diagram
~A pie chart
~A radar chart
~A balance sheet
####Swim lanes name the actor of each step.
}}

::{tag} b:: Which measure shows how long the {tag} check-in queue takes? {{
=The median wait from arrival to rooming
~The number of chairs
~The colour of the forms
~The vendor's price list
####Waiting time is the measure of the queue.
}}
"""


def test_write_a_set_preview_submit_approve_and_serve(live_server, browser, page, check_a11y, tmp_path):
    author = live_server.create_user("instructor", name="Sam Scenario")
    reviewer = live_server.create_user("instructor", name="Vera Vignette")
    for email in (author, reviewer):
        live_server.flask("users", "assign", email, "--category", MAS)
    tag = f"t{uuid.uuid4().hex[:8]}"
    gift = tmp_path / "set.gift.txt"
    gift.write_text(GIFT.format(tag=tag))
    live_server.flask(
        "banks", "import-external", str(gift), "--format", "gift", "--category", MAS,
        "--domain", "mas-workflow-redesign", "--level", "application",
    )  # fmt: skip
    before = eligible(live_server)

    log_in(page, live_server, author)
    page.goto(live_server.url + f"/instructor/items?q={tag}")
    ids = sorted(set(re.findall(r"MAS-[0-9A-Z]+", page.locator("table.item-list tbody").inner_text())))
    assert len(ids) == 2, ids
    page.get_by_role("link", name="Scenario sets").first.click()
    page.wait_for_load_state()
    check_a11y(page, "scenario sets")
    page.get_by_role("link", name="Write a new scenario set").click()
    page.wait_for_load_state()
    page.get_by_label("Category").select_option(MAS)
    page.get_by_label("Title").fill("The morning check-in")
    page.get_by_label("Case (Markdown)").fill(
        "Riverside clinic checks in **80 patients** before ten.\n\n<script>window.pwned = 1</script>"
    )
    page.locator("#case-preview strong", has_text="80 patients").wait_for()
    page.locator("#case-preview h2", has_text="The morning check-in").wait_for()
    assert page.locator("#case-preview script").count() == 0
    page.get_by_label("Questions of the set (item ids, separated by spaces or commas)").fill(" ".join(ids))
    check_a11y(page, "new scenario set")
    page.get_by_role("button", name="Save the set as drafts").click()
    page.wait_for_load_state()
    assert page.get_by_text("each of its 2 item(s) has a new draft version").is_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    scenario_id = heading.split()[-1]
    assert re.fullmatch(r"MAS-S\d{3}", scenario_id)
    assert page.locator(".preview-pane fieldset.options").count() == 2
    check_a11y(page, "scenario set")
    page.get_by_role("button", name="Submit the set for review").click()
    page.wait_for_load_state()
    assert page.get_by_text("Submitted for review").is_visible()

    second = browser.new_context(viewport={"width": 1200, "height": 900})
    other = second.new_page()
    other.set_default_timeout(15000)
    log_in(other, live_server, reviewer)
    other.goto(live_server.url + f"/instructor/scenarios/{scenario_id}")
    check_a11y(other, "scenario set in review")
    other.get_by_label("Comment (kept with each question's version)").fill("A fair case.")
    other.get_by_role("button", name="Approve and publish the set").click()
    other.wait_for_load_state()
    assert other.get_by_text("Approved: the set serves exams").is_visible()
    second.close()

    assert eligible(live_server) == before + 2
