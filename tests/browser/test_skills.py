"""Skills pages in Chromium: a trainee's profile, and an instructor's skills-gap view, download
and one trainee's profile, each checked with axe-core."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tests.browser.conftest import log_in
from tests.integration.test_durability import call


def trainee_in_a_cohort(server) -> tuple[str, str, str]:
    """(trainee e-mail, institution name, cohort name), with one closed attempt in that cohort."""
    tag = uuid.uuid4().hex[:6]
    institution, cohort = f"Skills College {tag}", f"Cohort {tag}"
    now = datetime.now(UTC)
    server.sql("INSERT INTO institutions (name, created_at) VALUES (:n, :t)", n=institution, t=now)
    (institution_id,) = server.sql("SELECT id FROM institutions WHERE name = :n", n=institution)[0]
    server.sql(
        "INSERT INTO cohorts (institution_id, name, created_at) VALUES (:i, :n, :t)",
        i=institution_id,
        n=cohort,
        t=now,
    )
    (cohort_id,) = server.sql("SELECT id FROM cohorts WHERE name = :n", n=cohort)[0]
    email = server.create_user("trainee", name=f"Skills Trainee {tag}")
    server.sql("UPDATE users SET cohort_id = :c WHERE email = :e", c=cohort_id, e=email)
    token = server.token(email)
    _, attempt = call(server.url, "POST", "/api/v1/attempts", token, {"role": "implementation-manager"})
    call(server.url, "POST", f"/api/v1/attempts/{attempt['id']}/submit", token)
    return email, institution, cohort


def test_profile_and_skills_gap_are_accessible(live_server, browser, page, check_a11y, tmp_path):
    email, institution, cohort = trainee_in_a_cohort(live_server)

    trainee = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    log_in(trainee, live_server, email)
    trainee.get_by_role("link", name="My skills").click()
    trainee.wait_for_load_state()
    assert trainee.get_by_role("heading", name="Proficiency by domain").is_visible()
    assert trainee.get_by_role("heading", name="Career paths").is_visible()
    check_a11y(trainee, "trainee skills profile")
    trainee.context.close()

    instructor = live_server.create_user("instructor", name="Skills Instructor")
    live_server.flask("users", "institution", instructor, "--institution", institution)
    log_in(page, live_server, instructor)
    page.get_by_role("link", name="Skills gap").click()
    page.wait_for_load_state()
    check_a11y(page, "skills gap, every cohort")
    page.get_by_label("Show").select_option(label=f"{cohort} ({institution})")
    page.get_by_role("button", name="Show skills gap").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Skills gap for {cohort} ({institution})").is_visible()
    assert "All trainees" in page.content()
    check_a11y(page, "skills gap of one cohort")

    with page.expect_download() as csv_info:
        page.get_by_role("link", name="CSV").click()
    path = tmp_path / "gap.csv"
    csv_info.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("group,domain,domain_name,trainees") and f"{cohort} ({institution})" in text

    page.get_by_role("link", name="Individual profiles of your institution's trainees").click()
    page.wait_for_load_state()
    check_a11y(page, "trainees of the instructor's institution")
    page.get_by_role("link", name=f"Skills Trainee {cohort.split()[-1]}").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=f"Skills of Skills Trainee {cohort.split()[-1]}").is_visible()
    check_a11y(page, "one trainee's profile, as staff")
