"""What expires soon and a renewal by continuing education, in Chromium, with axe-core on each page."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from examsite.certificates.codes import ALPHABET

ROLE = "implementation-manager"


def add_certificate(server, email: str, code: str, days_left: int) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_left)
    issued = expires - timedelta(days=730)
    if server.database_url.startswith("sqlite"):  # stored as naive UTC there
        expires, issued = expires.replace(tzinfo=None), issued.replace(tzinfo=None)
    server.sql(
        "INSERT INTO certificates (code, user_id, role_id, holder_name, role_name, category_name, "
        "score_percent, issued_at, expires_at, basis) SELECT :code, u.id, r.id, u.name, r.name, 'Mobile', "
        "80, :issued, :expires, 'exam' FROM users u, roles r WHERE u.email = :email AND r.slug = :role",
        code=code,
        email=email,
        role=ROLE,
        issued=issued,
        expires=expires,
    )


def test_expiring_list_and_renewal_by_continuing_education(live_server, page, check_a11y):
    from tests.browser.conftest import log_in

    trainee = live_server.create_user("trainee", name="Cleo Expiring")
    code = "CCCC-DDDD-" + "".join(secrets.choice(ALPHABET) for _ in range(4))
    add_certificate(live_server, trainee, code, days_left=40)
    live_server.flask("exams", "configure", ROLE, "--renewal-ce-hours", "20")

    log_in(page, live_server, live_server.create_user("admin", name="Ada Admin"))
    page.goto(live_server.url + f"/instructor/roles/{ROLE}/exam")
    check_a11y(page, "exam settings with certificate validity")
    page.goto(live_server.url + "/admin/certificates/expiring")
    assert "Cleo Expiring" in page.content()
    check_a11y(page, "certificates expiring soon")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(re.compile(rf"/certificates/{code}/manage$"))
    check_a11y(page, "certificate page with CE form")
    page.get_by_label("Hours").fill("20")
    page.get_by_label("Activity (course, conference, publication…)").fill("Health IT summit")
    page.get_by_label("Date completed").fill((datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%d"))
    page.get_by_role("button", name="Record credits").click()
    page.wait_for_url(re.compile(r"/certificates/[A-Z2-9-]+/manage$"))
    assert "is renewed as" in page.content() and code in page.content()
    check_a11y(page, "renewed certificate")

    page.context.clear_cookies()
    log_in(page, live_server, trainee)
    page.goto(live_server.url + "/certificates")
    assert f"Renews {code} (continuing education)" in page.content()
    check_a11y(page, "my certificates with history")
    page.goto(live_server.url + f"/verify/{code}")
    assert "Renewed by certificate" in page.content()
    check_a11y(page, "verification with history")
