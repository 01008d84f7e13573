"""The skills-gap view (page, CSV, XLSX, API) and who may see whose individual profile."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from examsite.extensions import db
from tests.integration.test_skills import ROLE, STRONG, take

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DOMAIN = "core-health-care-system"
OTHER = "core-privacy-security"


def place(app, institution: str, *cohorts: str) -> list[int]:
    """An institution with cohorts; returns [institution id, cohort ids...]."""
    from examsite.programs.models import Cohort, Institution

    with app.app_context():
        found = Institution(name=institution)
        db.session.add(found)
        db.session.flush()
        rows = [Cohort(institution_id=found.id, name=name) for name in cohorts]
        db.session.add_all(rows)
        db.session.commit()
        return [found.id, *(c.id for c in rows)]


def closed(app, user, cohort: int | None, at: datetime, results: dict[str, tuple[int, int]], **extra):
    """A closed attempt with its per-domain results {code: (correct, total)}, as scoring stores them."""
    from examsite.catalog.services import get_role
    from examsite.delivery.models import Attempt
    from examsite.programs.models import Cohort
    from examsite.skills.evidence import store_evidence

    with app.app_context():
        institution = db.session.get(Cohort, cohort).institution_id if cohort else None
        attempt = Attempt(
            user_id=user.id,
            role_id=get_role(ROLE).id,
            status=extra.pop("status", "submitted"),
            started_at=at - timedelta(hours=1),
            deadline=at + timedelta(hours=2),
            grace_seconds=60,
            minutes=180,
            time_multiplier=Decimal("1"),
            passing_percent=Decimal(70),
            institution_id=institution,
            cohort_id=cohort,
            closed_at=at,
            domain_results=[
                {"code": code, "name": code, "correct": right, "total": total}
                for code, (right, total) in results.items()
            ],
            **extra,
        )
        db.session.add(attempt)
        db.session.flush()
        if attempt.status != "in_progress":  # what scoring announces, the evidence stored
            store_evidence(attempt, now=at)
        db.session.commit()


@pytest.fixture
def program(app, banks, make_user):
    """Northern College (cohorts =cmd|' and B) and Southern College (cohort S), with trainees."""
    north, risky, plain = place(app, "Northern College", "=cmd|' /C calc'!A0", "B")
    south, southern = place(app, "Southern College", "S")
    users = {
        "strong": make_user("trainee", cohort=risky),
        "weak": make_user("trainee", cohort=plain),
        "south": make_user("trainee", cohort=southern),
        "loose": make_user("trainee"),
    }
    closed(app, users["strong"], risky, NOW, {DOMAIN: (12, 12), OTHER: (2, 3)})
    closed(app, users["weak"], plain, NOW, {DOMAIN: (1, 6)})
    closed(app, users["south"], southern, NOW, {DOMAIN: (5, 5)})
    closed(app, users["loose"], None, NOW - timedelta(days=60), {DOMAIN: (6, 6)})
    # left out: simulated, still open, and closed before the range used below
    closed(app, users["south"], southern, NOW, {OTHER: (9, 9)}, simulated=True)
    closed(app, users["south"], southern, NOW, {OTHER: (9, 9)}, status="in_progress")
    groups = {"north_id": north, "south_id": south, "risky": risky, "plain": plain, "southern": southern}
    return groups | users


def test_page_compares_a_cohort_with_all_trainees(app, program, make_user, login, clock):
    staff = login(make_user("instructor"))
    page = staff.client.get(f"/reports/skills?show=cohort-{program['risky']}&from=2026-11-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Skills gap for =cmd|&#39; /C calc&#39;!A0 (Northern College)" in html
    # the cohort: one trainee, advanced; all trainees in the range: 3 (the loose one closed in September)
    row = html[html.index("<td>The U.S. health care and public health system</td>") :]
    row = row[: row.index("</tr>")]
    assert "<td>1</td>" in row and "<td>100%</td>" in row
    assert "+33.3" in row  # 100% at least proficient against 2 of 3 (66.7%) of all trainees
    everyone = html[html.index("<h3>All trainees</h3>") :]
    assert "<td>3</td>" in everyone and "<td>66.7%</td>" in everyone
    # the form keeps what was asked, and its downloads carry the same filters
    assert f'<option selected value="cohort-{program["risky"]}">' in html
    assert f"/reports/skills.csv?show=cohort-{program['risky']}&amp;from=2026-11-01" in html


def test_every_group_and_downloads_are_spreadsheet_safe(app, program, make_user, login):
    from openpyxl import load_workbook

    staff = login(make_user("admin"))
    text = staff.client.get("/reports/skills.csv?show=cohort").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    groups = {r["group"] for r in rows}
    assert "'=cmd|' /C calc'!A0 (Northern College)" in groups  # neutralised
    assert {"B (Northern College)", "S (Southern College)", "No cohort", "All trainees"} <= groups
    everyone = next(r for r in rows if r["group"] == "All trainees" and r["domain"] == DOMAIN)
    assert everyone["trainees"] == "4"
    # the simulated and the open attempt count nowhere
    assert not [r for r in rows if r["domain"] == OTHER and r["group"].startswith("S ")]

    response = staff.client.get(f"/reports/skills.xlsx?show=institution-{program['south_id']}")
    assert response.status_code == 200
    assert 'filename="skills-gap-institution-' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert {v[0] for v in values} == {"Southern College", "All trainees"}
    assert workbook["About"]["B1"].value.startswith("Skills gap for Southern College")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("show=cohort-999999", "Not a valid choice"),
        ("show=nonsense", "Not a valid choice"),
        ("from=2026-13-01", "Not a valid date value"),
        ("from=2026-11-02&to=2026-11-01", "The end date must come after the start date."),
    ],
)
def test_bad_filters_are_explained(app, program, make_user, login, query, message):
    staff = login(make_user("instructor"))
    for path in ("/reports/skills", "/reports/skills.csv", "/reports/skills.xlsx"):
        response = staff.client.get(f"{path}?{query}")
        assert response.status_code == 422, path
        assert message in response.get_data(as_text=True)


def test_api_rows_json_and_csv(app, program, make_user, login, runner):
    staff = login(make_user("instructor"))
    response = staff.api("GET", f"/api/v1/reports/skills-gap?by=institution&group={program['north_id']}")
    assert response.status_code == 200
    report = response.get_json()
    assert (report["by"], report["group"], report["from"], report["to"]) == (
        "institution",
        program["north_id"],
        None,
        None,
    )
    rows = {(r["group"], r["domain"]): r for r in report["rows"]}
    north = rows[("Northern College", DOMAIN)]
    assert (north["group_id"], north["trainees"], north["advanced"], north["developing"]) == (
        program["north_id"],
        2,
        0.5,
        0.5,
    )
    assert rows[("Northern College", OTHER)]["not_shown"] == 1.0  # 3 items: never a level
    assert rows[("All trainees", DOMAIN)]["group_id"] is None
    assert {g for g, _ in rows} == {"Northern College", "All trainees"}

    as_csv = staff.api("GET", "/api/v1/reports/skills-gap?by=cohort", headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv" and "'=cmd|" in as_csv.get_data(as_text=True)

    # a reports:read token (BI tools) reads it too
    from examsite.accounts.models import User

    with app.app_context():
        email = db.session.get(User, staff.user.id).email
    token = runner.invoke(args=["users", "token", email, "--scope", "reports:read"]).output.split()[-1]
    with_token = app.test_client().get(
        "/api/v1/reports/skills-gap", headers={"Authorization": f"Bearer {token}"}
    )
    assert with_token.status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [("by=month", "by"), ("group=abc", "group"), ("group=999999", "group"), ("from=soon", "from")],
)
def test_api_bad_parameters_are_422(app, program, make_user, login, query, field):
    response = login(make_user("admin")).api("GET", f"/api/v1/reports/skills-gap?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and field in body["fields"]


def test_the_gap_gives_a_lone_trainee_the_profiles_own_levels(app, banks, make_user, login, clock, runner):
    """Scored through the API (the evidence written on delivery's signal), a year apart so recency
    weighs: the gap's `All trainees` level of a lone trainee is their profile's level, domain by
    domain (SQL from the evidence table there, Python from the items here)."""
    from examsite.skills.services import skills_gap_rows, skills_profile

    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    trainee = make_user("trainee")
    take(app, login(trainee), {STRONG})
    clock.advance(days=400)
    take(app, login(trainee), set())  # a new login: the first session has long expired
    clock.advance(days=30)
    take(app, login(trainee), {STRONG, "mas-workflow-redesign"})
    clock.advance(days=3)
    with app.app_context():
        domains = {d.code: d for d in skills_profile(trainee.id).domains}
        rows = {r["domain"]: r for r in skills_gap_rows("cohort", None, None) if r["group"] == "All trainees"}
    assert set(rows) == set(domains)
    for code, row in rows.items():
        assert row["trainees"] == 1 and row[domains[code].level] == 1.0, (code, row, domains[code])
    # 4 of 6 right; the 2 right a year ago weigh half, which is what keeps the bound below 0.60
    assert (domains[STRONG].items, domains[STRONG].level) == (6, "developing")


def test_sql_levels_are_the_rules_levels(app, banks, make_user):
    """Many hand-made histories near every threshold: the statement's counts are what
    rules.level_from_sums gives for the same weighted sums, trainee by trainee."""
    import random

    from examsite.skills.queries import gap_level_counts
    from examsite.skills.rules import level_from_sums, recency_weight

    rng = random.Random(27)
    (cohort,) = place(app, "Threshold College", "T")[1:]
    expected: dict[str, int] = {}
    for _ in range(60):
        user = make_user("trainee", cohort=cohort)
        history = []
        for _ in range(rng.randint(1, 3)):
            total = rng.choice([2, 3, 5, 6, 12, 20])
            right = max(0, total - rng.choice([0, 0, 1, 2, 5]))
            age = rng.choice([0, 30, 200, 365, 800])
            history.append((right, total, age))
            closed(app, user, cohort, NOW - timedelta(days=age), {DOMAIN: (right, total)})
        weights = [recency_weight(age) for _, _, age in history]
        level, _ = level_from_sums(
            sum(t for _, t, _ in history),
            sum(w * t for w, (_, t, _) in zip(weights, history, strict=True)),
            sum(w * w * t for w, (_, t, _) in zip(weights, history, strict=True)),
            sum(w * r for w, (r, _, _) in zip(weights, history, strict=True)),
        )
        expected[level] = expected.get(level, 0) + 1
    with app.app_context():
        counts = gap_level_counts("cohort", None, None)
    everyone = {c.level: c.trainees for c in counts if c.everyone}
    in_cohort = {c.level: c.trainees for c in counts if not c.everyone and c.group_id == cohort}
    assert everyone == expected == in_cohort
    assert len(expected) == 4  # every level met


# --- individual profiles --------------------------------------------------------------------------


def works_for(runner, user, institution: str, *more: str):
    result = runner.invoke(args=["users", "institution", user.email, "--institution", institution, *more])
    assert result.exit_code == 0, result.output
    return result.output


def test_staff_see_only_their_institutions_trainees(app, program, make_user, login, runner):
    instructor = make_user("instructor")
    session = login(instructor)
    strong, south, loose = program["strong"], program["south"], program["loose"]
    # working for no institution: aggregates only
    assert session.client.get(f"/reports/skills/trainees/{strong.id}").status_code == 404
    assert session.api("GET", f"/api/v1/trainees/{strong.id}/skills-profile").status_code == 404
    assert "no institution lists you yet" in session.client.get("/reports/skills/trainees").get_data(
        as_text=True
    )

    assert "now works for Northern College" in works_for(runner, instructor, "Northern College")
    listing = session.client.get("/reports/skills/trainees").get_data(as_text=True)
    assert strong.name in listing and program["weak"].name in listing
    assert south.name not in listing and loose.name not in listing
    page = session.client.get(f"/reports/skills/trainees/{strong.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Skills of {strong.name}" in html and "Proficiency by domain" in html
    api = session.api("GET", f"/api/v1/trainees/{strong.id}/skills-profile")
    assert api.status_code == 200 and len(api.get_json()["roles"]) == 12
    # another institution's trainee, a trainee in no cohort, a staff account, nobody: all 404
    for other in (south.id, loose.id, instructor.id, 999_999):
        assert session.client.get(f"/reports/skills/trainees/{other}").status_code == 404, other
        assert session.api("GET", f"/api/v1/trainees/{other}/skills-profile").status_code == 404, other

    # no longer working there: nothing again
    assert "no longer works" in works_for(runner, instructor, "Northern College", "--remove")
    assert session.client.get(f"/reports/skills/trainees/{strong.id}").status_code == 404


def test_trainees_see_only_their_own_profile(app, program, login, client):
    session = login(program["strong"])
    for path in (
        "/reports/skills",
        "/reports/skills.csv",
        "/reports/skills.xlsx",
        "/reports/skills/trainees",
        f"/reports/skills/trainees/{program['strong'].id}",
    ):
        assert session.client.get(path).status_code == 403, path
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], path
    for path in (
        "/api/v1/reports/skills-gap",
        f"/api/v1/trainees/{program['weak'].id}/skills-profile",
        f"/api/v1/trainees/{program['strong'].id}/skills-profile",
    ):
        assert session.api("GET", path).status_code == 403, path
        assert client.get(path).status_code == 401, path


def test_staff_institution_command(app, program, make_user, runner):
    admin = make_user("admin")
    assert "now works for Northern College" in works_for(runner, admin, "Northern College")
    assert "already works for Northern College" in works_for(runner, admin, "Northern College")
    refused = runner.invoke(
        args=["users", "institution", program["strong"].email, "--institution", "Northern College"]
    )
    assert refused.exit_code != 0 and "trainees belong to an institution through a cohort" in refused.output
    unknown = runner.invoke(args=["users", "institution", admin.email, "--institution", "Nowhere"])
    assert unknown.exit_code != 0 and "no institution named 'Nowhere'" in unknown.output
    from examsite.audit.models import AuditEvent

    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.institution.add") == 1
