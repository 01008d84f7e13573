"""Skills profile end to end: attempts taken and submitted through the API, then the profile."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examsite.extensions import db

ROLE = "implementation-manager"
STRONG = "core-health-care-system"


def take(app, session, right_domains: set[str]) -> dict:
    """One attempt: items of `right_domains` answered with the key, the others with a wrong option."""
    from examsite.delivery.models import AttemptItem

    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    with app.app_context():
        rows = {
            r.id: (
                list(r.item_version.keys),
                [o["id"] for o in r.item_version.options],
                r.item_version.domain.code,
            )
            for r in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"]))
        }
    for item in attempt["items"]:
        keys, options, domain = rows[item["id"]]
        choices = keys if domain in right_domains else [o for o in options if o not in keys][:1]
        saved = session.api(
            "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": choices}
        )
        assert saved.status_code == 200
    return session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()


def add_blueprint(slug: str, weights: dict[str, int]) -> None:
    from examsite.banks.models import Blueprint, BlueprintDomain, Domain
    from examsite.catalog.services import get_role

    role = get_role(slug)
    blueprint = Blueprint(
        role_id=role.id, content_hash="test", form_items=sum(weights.values()), minutes=30, passing_percent=50
    )
    for position, (code, items) in enumerate(weights.items()):
        domain = db.session.scalar(select(Domain).where(Domain.code == code))
        blueprint.domains.append(BlueprintDomain(domain_id=domain.id, items=items, position=position))
    db.session.add(blueprint)
    db.session.commit()


@pytest.fixture
def trainee(make_user, banks):
    return make_user("trainee")


def test_profile_rests_on_all_attempts(app, trainee, login, clock, runner):
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    with app.app_context():
        # a lateral role (same category) and an upward one (university track) sharing the strong domain
        add_blueprint("implementation-support-specialist", {STRONG: 3, "mas-workflow-redesign": 1})
        add_blueprint("health-it-sub-specialist", {STRONG: 1, "core-privacy-security": 1})
        add_blueprint("clinician-public-health-leader", {"core-privacy-security": 2})
    session = login(trainee)
    empty = session.api("GET", "/api/v1/me/skills-profile").get_json()
    assert empty["domains"] == [] and empty["next_roles"] == []
    assert {r["readiness"] for r in empty["roles"]} == {0}

    results = []
    for _ in range(3):
        results.append(take(app, session, {STRONG}))
        clock.advance(days=1)
    assert [r["passed"] for r in results] == [False, False, False]  # 2 of 6 right each time

    response = session.api("GET", "/api/v1/me/skills-profile")
    assert response.status_code == 200
    profile = response.get_json()
    domains = {d["code"]: d for d in profile["domains"]}
    # 6 of 6 right over three attempts: proficient, not advanced (fewer than 12 items)
    assert domains[STRONG]["level"] == "proficient" and domains[STRONG]["items"] == 6
    # 0 of 6: enough items to say developing
    assert domains["mas-workflow-redesign"]["level"] == "developing"
    # 3 items each: never a level from fewer than 5
    assert domains["core-privacy-security"]["level"] == "not_shown"
    assert domains["core-privacy-security"]["items"] == 3
    assert domains["mas-deployment-support"]["level"] == "not_shown"
    assert domains[STRONG]["last_tested_at"].startswith("2026-11-25")  # the third attempt's day
    assert domains[STRONG]["name"] == "The U.S. health care and public health system"

    roles = {r["slug"]: r for r in profile["roles"]}
    assert len(roles) == 12
    assert roles[ROLE]["readiness"] == pytest.approx(2 / 6, abs=1e-4)
    assert roles[ROLE]["to_study"] == [
        "mas-workflow-redesign",
        "core-privacy-security",
        "mas-deployment-support",
    ]
    assert roles["implementation-support-specialist"]["readiness"] == 0.75
    assert roles["health-it-sub-specialist"]["readiness"] == 0.5
    assert roles["trainer"] == {"slug": "trainer", "readiness": 0, "to_study": []}
    # ranked by readiness; the university role with nothing shared is no next step
    assert profile["next_roles"] == ["implementation-support-specialist", "health-it-sub-specialist"]

    # the page's career paths: each next step lateral or upward, with its domains still to study
    html = session.client.get("/me/skills").get_data(as_text=True)
    steps = html[html.index('<ul class="next-steps">') :]
    steps = steps[: steps.index("</ul>")]
    lateral, upward = steps.split("</li>")[:2]
    assert "Implementation support specialist" in lateral and "Lateral, within Mobile adoption" in lateral
    assert "75% of its blueprint already shown" in lateral
    assert "still to study: Workflow" in lateral
    assert "Health IT sub-specialist" in upward and "Upward, to the university track" in upward
    assert "still to study: Privacy and security essentials" in upward


def test_profile_is_the_trainees_own(app, banks, make_user, login, client):
    assert client.get("/api/v1/me/skills-profile").status_code == 401
    for role in ("instructor", "admin"):
        denied = login(make_user(role)).api("GET", "/api/v1/me/skills-profile")
        assert denied.status_code == 403
        assert denied.get_json()["error"] == "forbidden"


def test_another_trainees_attempts_do_not_count(app, trainee, make_user, login, clock):
    take(app, login(trainee), {STRONG, "mas-workflow-redesign"})
    other = login(make_user("trainee")).api("GET", "/api/v1/me/skills-profile").get_json()
    assert other["domains"] == []
    mine = login(trainee).api("GET", "/api/v1/me/skills-profile").get_json()
    assert {d["code"] for d in mine["domains"]} == {
        STRONG,
        "mas-workflow-redesign",
        "core-privacy-security",
        "mas-deployment-support",
    }


def test_skills_page_and_pdf(app, trainee, login, clock, runner):
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    session = login(trainee)
    blank = session.client.get("/me/skills")
    assert blank.status_code == 200 and "no finished exam yet" in blank.get_data(as_text=True)
    for _ in range(3):
        take(app, session, {STRONG})
        clock.advance(days=1)
    page = session.client.get("/me/skills")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/me/skills"' in html  # linked from the trainee's navigation
    # the chart is an image with a text alternative, and the numbers are in a table too
    assert 'role="img"' in html
    assert "The U.S. health care and public health system: proficient (6 items)" in html
    assert "<td>Developing</td>" in html and "<td>Not yet shown</td>" in html
    # strict CSP: no inline script or style on the page
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert 'value="0.3333"' in html  # readiness meter for the exam taken
    pdf = session.client.get("/me/skills.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_skills_page_is_for_trainees(app, banks, make_user, login, client):
    for path in ("/me/skills", "/me/skills.pdf"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for role in ("instructor", "admin"):
        staff = login(make_user(role))
        assert staff.client.get("/me/skills").status_code == 403
        assert staff.client.get("/me/skills.pdf").status_code == 403


def test_skills_gap_report(app, banks, make_user, login, clock, runner, tmp_path):
    import csv
    import io
    import json

    from openpyxl import load_workbook

    from examsite.programs.models import Cohort, Institution

    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    with app.app_context():
        place = Institution(name="Northern College")
        db.session.add(place)
        db.session.flush()
        risky, other = (
            Cohort(institution_id=place.id, name="=HYPERLINK(1)"),
            Cohort(institution_id=place.id, name="B"),
        )
        db.session.add_all([risky, other])
        db.session.commit()
        risky_id, other_id = risky.id, other.id
    strong = login(make_user("trainee", cohort=risky_id))
    weak = login(make_user("trainee", cohort=other_id))
    for _ in range(3):
        take(app, strong, {STRONG})
        take(app, weak, set())
        clock.advance(days=1)
    take(app, login(make_user("trainee")), {STRONG})  # no cohort, one attempt

    result = runner.invoke(args=["reports", "skills", "--by", "cohort", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(r["group"], r["domain"]): r for r in json.loads(result.output)["rows"]}
    assert rows[("=HYPERLINK(1) (Northern College)", STRONG)]["proficient"] == 1.0
    assert rows[("B (Northern College)", STRONG)]["developing"] == 1.0
    assert rows[("No cohort", STRONG)]["not_shown"] == 1.0
    everyone = rows[("All trainees", STRONG)]
    assert everyone["trainees"] == 3
    assert (everyone["proficient"], everyone["developing"], everyone["not_shown"]) == (0.3333, 0.3333, 0.3333)
    assert rows[("All trainees", "core-privacy-security")]["not_shown"] == 1.0  # 3 items each: never a level

    # a date range that leaves out the first two days: 2 items per trainee, nothing shown
    later = runner.invoke(
        args=["reports", "skills", "--by", "institution", "--from", "2026-11-25", "--format", "json"]
    )
    assert later.exit_code == 0, later.output
    later_rows = {(r["group"], r["domain"]): r for r in json.loads(later.output)["rows"]}
    northern = later_rows[("Northern College", STRONG)]
    assert (northern["trainees"], northern["not_shown"]) == (2, 1.0)

    text = runner.invoke(args=["reports", "skills", "--by", "cohort"]).output
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][:4] == ["group", "domain", "domain_name", "trainees"]
    assert sorted({r[0] for r in parsed if "HYPERLINK" in r[0]}) == ["'=HYPERLINK(1) (Northern College)"]

    out = tmp_path / "skills.xlsx"
    assert runner.invoke(args=["reports", "skills", "--format", "xlsx", "--out", str(out)]).exit_code == 0
    sheet = load_workbook(out).worksheets[0]
    assert any(str(cell.value).startswith("'=HYPERLINK") for cell in sheet["A"])

    bad = runner.invoke(args=["reports", "skills", "--from", "yesterday"])
    assert bad.exit_code != 0 and "--from" in bad.output


def test_role_page_says_what_it_shares(app, banks, client):
    with app.app_context():
        add_blueprint("trainer", {STRONG: 5, "core-privacy-security": 5})
    html = client.get(f"/roles/{ROLE}").get_data(as_text=True)
    assert "What this role shares with the others" in html
    # implementation-manager: 2 + 1 of its 6 blueprint items are in domains the trainer's exam tests
    row = html[html.index('href="/roles/trainer"') :]
    assert "50%" in row[: row.index("</tr>")]
    assert "Privacy and security essentials" in row[: row.index("</tr>")]
    other = client.get("/roles/trainer").get_data(as_text=True)
    row = other[other.index(f'href="/roles/{ROLE}"') :]
    assert "100%" in row[: row.index("</tr>")]
    assert "What this role shares" not in client.get("/roles/programmer-software-engineer").get_data(
        as_text=True
    )
