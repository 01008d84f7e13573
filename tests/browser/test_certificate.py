"""From passing to downloading the PDF to the public verification page, in Chromium."""

from __future__ import annotations

import json
import re

from tests.browser.conftest import log_in
from tests.browser.test_exam import start_exam


def keys_at(server, attempt_id: int, position: int) -> list[str]:
    row = server.sql(
        "SELECT iv.keys FROM attempt_items ai JOIN item_versions iv ON iv.id = ai.item_version_id "
        "WHERE ai.attempt_id = :a AND ai.position = :p",
        a=attempt_id,
        p=position,
    )[0][0]
    return json.loads(row) if isinstance(row, str) else row


def test_pass_download_and_verify(live_server, page, check_a11y, tmp_path):
    email = live_server.create_user("trainee", name="Paz Passer")
    log_in(page, live_server, email)
    attempt_id = start_exam(page, live_server)
    total = page.locator(".navigator li").count()
    for position in range(1, total + 1):
        page.wait_for_url(re.compile(rf"/items/{position}$"))
        for key in keys_at(live_server, attempt_id, position):
            page.locator(f'input[name="choice"][value="{key}"]').check()
        page.get_by_text("All answers saved").wait_for()
        page.get_by_role("button", name="Save and next" if position < total else "Save and review").click()
    page.get_by_role("button", name="Submit the exam for scoring").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert page.locator("#outcome").inner_text().startswith("Passed: 100.0%")
    code = page.locator("strong").filter(has_text=re.compile(r"^[A-Z2-9]{4}-")).first.inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="My certificates").click()
    assert code in page.content()
    check_a11y(page, "my certificates")

    page.goto(live_server.url + "/verify")
    page.get_by_label("Certificate code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(rf"/verify/{code}$"))
    heading = page.get_by_role("heading", level=2).inner_text()
    assert code in heading and "Valid" in heading
    assert "Paz Passer" in page.content()
    check_a11y(page, "verification")
