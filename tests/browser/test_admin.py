"""An administrator manages the program and pulls the pass-rate report in Chromium."""

from __future__ import annotations

import re

from openpyxl import load_workbook

from tests.browser.conftest import log_in
from tests.integration.test_durability import call


def closed_attempt(server) -> None:
    email = server.create_user("trainee", name="Report Trainee")
    token = server.token(email)
    _, attempt = call(server.url, "POST", "/api/v1/attempts", token, {"role": "implementation-manager"})
    call(server.url, "POST", f"/api/v1/attempts/{attempt['id']}/submit", token)


def test_admin_filters_report_sees_charts_and_downloads(live_server, page, check_a11y, tmp_path):
    closed_attempt(live_server)
    log_in(page, live_server, live_server.create_user("admin", name="Ada Admin"))
    page.get_by_role("link", name="Administration").click()
    check_a11y(page, "admin home")
    page.goto(live_server.url + "/admin/users")
    check_a11y(page, "admin users")
    page.goto(live_server.url + "/admin/institutions")
    check_a11y(page, "admin institutions")
    page.goto(live_server.url + "/admin/audit")
    check_a11y(page, "audit log")

    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Group by").select_option("role")
    page.get_by_role("button", name="Show report").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Pass rates by role").is_visible()
    table = page.locator("table").first.inner_text()
    assert "Implementation manager" in table
    charts = page.locator("figure img")
    assert charts.count() >= 2
    assert all(charts.nth(i).get_attribute("alt") for i in range(charts.count()))
    assert charts.first.evaluate("img => img.complete && img.naturalWidth > 0")
    check_a11y(page, "pass-rate report")

    with page.expect_download() as csv_info:
        page.get_by_role("link", name=re.compile(r"^CSV")).click()
    csv_path = tmp_path / "report.csv"
    csv_info.value.save_as(csv_path)
    text = csv_path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("group,group_key,attempts,candidates,passed,pass_rate")
    assert "Implementation manager" in text

    with page.expect_download() as xlsx_info:
        page.get_by_role("link", name=re.compile(r"^Excel workbook")).click()
    xlsx_path = tmp_path / "report.xlsx"
    xlsx_info.value.save_as(xlsx_path)
    sheet = load_workbook(xlsx_path).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "Implementation manager" in values
