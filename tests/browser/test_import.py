"""An instructor imports a Moodle GIFT file in Chromium: upload, preview as a trainee sees it, confirm,
then finds the drafts in the workspace."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import log_in

GIFT = Path(__file__).resolve().parents[1] / "fixtures" / "interchange" / "moodle-export.gift.txt"


def test_instructor_uploads_previews_and_imports_drafts(live_server, page, check_a11y):
    email = live_server.create_user("instructor", name="Ira Instructor")
    live_server.flask("users", "assign", email, "--category", "mobile-adoption-support")
    log_in(page, live_server, email)
    page.goto(live_server.url + "/instructor/")
    page.get_by_role("link", name="Import questions from Moodle, QTI or a spreadsheet").click()
    check_a11y(page, "import upload")
    page.get_by_label("Question files").set_input_files(str(GIFT))
    page.get_by_label("File format").select_option("gift")
    page.get_by_label("Bank the drafts go to").select_option("mobile-adoption-support")
    page.get_by_label("Domain for questions whose file names none").select_option("mas-deployment-support")
    page.get_by_role("button", name="Check and preview").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Preview: 6 new draft(s)", exact=False).is_visible()
    stem = page.locator(".stem strong", has_text="EHR").first
    assert stem.is_visible()  # the GIFT [html] stem rendered as the exam page renders Markdown
    assert page.get_by_text("moodle-export.gift.txt:38").is_visible()  # the essay, listed with its line
    check_a11y(page, "import preview")
    page.get_by_role("button", name="Import 6 drafts for review").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="6 drafts imported into mobile-adoption-support").is_visible()
    assert page.locator("ul.imported li").count() == 6
    check_a11y(page, "import done")
    imported = page.locator("ul.imported li").all_inner_texts()
    page.goto(live_server.url + "/instructor/items?status=draft&category=mobile-adoption-support")
    listing = page.locator("main").inner_text()
    assert all(external_id in listing for external_id in imported)  # waiting for review in the workspace
    again = ["--category", "mobile-adoption-support", "--domain", "mas-deployment-support", "--dry-run"]
    listed = live_server.flask("banks", "import-external", str(GIFT), "--format", "gift", *again)
    assert "0 new draft(s), 6 already in the bank" in listed
