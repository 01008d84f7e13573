"""Pass-rate reports: figures against hand-computed fixtures, exports read back, access rules.

The fixture program (all times UTC; passing standard 70 unless given in brackets):

    trainee  cohort                      exam                      seq  score  passed  closed
    A        Spring (Northern College)   trainer                    1    60    no      2026-01-10 12:00
    A        Spring                      trainer                    2    80    yes     2026-04-20 12:00
    B        Spring                      trainer                    1    90    yes     2026-01-31 23:59:59
    C        Fall (Northern College)     trainer (time ran out)     1    50    no      2026-02-01 00:00:00
    D        none                        implementation-manager     1    70    yes     2026-02-15 09:00
    A        Spring                      implementation-manager     1    75    yes     2026-03-01 00:00 (75)
    B        Spring                      implementation-manager     -    open (never counted)
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from examsite.extensions import db
from examsite.reports.queries import COLUMNS

ROLES = 12


def when(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def add_attempt(
    user_id, role_slug, score, passed, closed_at, *, sequence=1, status="submitted", passing=70, cohort=None
):
    from examsite.catalog.models import Role
    from examsite.delivery.history import closed_month
    from examsite.delivery.models import Attempt

    role = db.session.scalar(select(Role).where(Role.slug == role_slug))
    start = (closed_at or when(2026, 5, 1)) - timedelta(hours=1)
    attempt = Attempt(
        user_id=user_id,
        role_id=role.id,
        status=status,
        started_at=start,
        deadline=start + timedelta(hours=3),
        grace_seconds=60,
        minutes=180,
        time_multiplier=Decimal("1"),
        passing_percent=Decimal(passing),
        institution_id=cohort.institution_id if cohort else None,
        cohort_id=cohort.id if cohort else None,
        sequence=sequence,
        closed_at=closed_at,
        closed_month=closed_month(closed_at) if closed_at else None,
        score_percent=None if score is None else Decimal(str(score)),
        passed=passed,
    )
    db.session.add(attempt)
    db.session.flush()
    if closed_at is not None:
        from examsite.delivery.history import link_closed_attempts

        link_closed_attempts(user_id)  # as closing it in the app does
    return attempt


def make_place(institution: str, *cohorts: str, archived=False):
    from examsite.programs.models import Cohort, Institution

    place = Institution(name=institution, archived_at=when(2025, 1, 1) if archived else None)
    db.session.add(place)
    db.session.flush()
    made = [Cohort(institution_id=place.id, name=name) for name in cohorts]
    db.session.add_all(made)
    db.session.flush()
    return place, made


@pytest.fixture
def program(app, make_user):
    a, b, c, d = (make_user(name=n, email=f"{n.lower()}@example.org") for n in "ABCD")
    with app.app_context():
        make_place("Empty University")
        make_place("Old University", "Gone", archived=True)
        _, (spring, fall) = make_place("Northern College", "Spring", "Fall")
        add_attempt(a.id, "trainer", 60, False, when(2026, 1, 10, 12), cohort=spring)
        add_attempt(a.id, "trainer", 80, True, when(2026, 4, 20, 12), sequence=2, cohort=spring)
        add_attempt(b.id, "trainer", 90, True, when(2026, 1, 31, 23, 59, 59), cohort=spring)
        add_attempt(c.id, "trainer", 50, False, when(2026, 2, 1), status="expired", cohort=fall)
        add_attempt(d.id, "implementation-manager", 70, True, when(2026, 2, 15, 9))
        add_attempt(a.id, "implementation-manager", 75, True, when(2026, 3, 1), passing=75, cohort=spring)
        add_attempt(b.id, "implementation-manager", None, None, None, status="in_progress", cohort=spring)
        db.session.commit()
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin"))


def report(session, **params):
    response = session.client.get("/api/v1/reports/pass-rates", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_group(data) -> dict:
    return {row["group_key"]: row for row in data["rows"]}


def figures(row) -> tuple:
    return (
        row["attempts"],
        row["candidates"],
        row["passed"],
        row["pass_rate"],
        row["mean_score"],
        row["sd_score"],
        row["passing_percent_min"],
        row["passing_percent_max"],
    )


# --- figures ------------------------------------------------------------------------------------


def test_by_role_all_attempts(program, admin):
    data = report(admin, by="role")
    assert data["by"] == "role" and data["attempts"] == "all"
    rows = by_group(data)
    assert len(data["rows"]) == ROLES  # every role is listed, tested or not
    assert figures(rows["trainer"]) == (4, 3, 2, 50.0, 70.0, 18.26, 70.0, 70.0)
    assert figures(rows["implementation-manager"]) == (2, 2, 2, 100.0, 72.5, 3.54, 70.0, 75.0)
    assert rows["trainer"]["group"] == "Trainer"
    assert figures(rows["health-it-sub-specialist"]) == (0, 0, 0, None, None, None, None, None)
    assert figures(data["total"])[:5] == (6, 4, 4, 66.67, 70.83)


def test_rows_follow_the_catalogue_order(program, admin):
    from examsite.catalog.data import ROLE_SLUGS

    assert [r["group_key"] for r in report(admin, by="role")["rows"]] == ROLE_SLUGS


def test_first_attempts_only(program, admin):
    rows = by_group(report(admin, by="role", attempts="first"))
    assert figures(rows["trainer"]) == (3, 3, 1, 33.33, 66.67, 20.82, 70.0, 70.0)
    assert figures(rows["implementation-manager"]) == (2, 2, 2, 100.0, 72.5, 3.54, 70.0, 75.0)


def test_date_range_includes_from_and_excludes_to(program, admin):
    january = by_group(report(admin, by="role", **{"from": "2026-01-01", "to": "2026-02-01"}))
    # B closed at 23:59:59 on 31 January is in; C, closed at midnight on 1 February, is not.
    assert figures(january["trainer"]) == (2, 2, 1, 50.0, 75.0, 21.21, 70.0, 70.0)
    assert january["implementation-manager"]["attempts"] == 0
    february = by_group(report(admin, by="role", **{"from": "2026-02-01", "to": "2026-03-01"}))
    assert figures(february["trainer"]) == (1, 1, 0, 0.0, 50.0, None, 70.0, 70.0)
    # A's attempt closed at midnight on 1 March belongs to March.
    assert figures(february["implementation-manager"]) == (1, 1, 1, 100.0, 70.0, None, 70.0, 70.0)


def test_datetimes_with_an_offset_are_converted_to_utc(program, admin):
    # 00:30 at UTC+1 is 23:30 UTC on 31 January, so B's attempt (23:59:59 UTC) is inside.
    rows = by_group(report(admin, by="role", **{"from": "2026-02-01T00:30:00+01:00", "to": "2026-03-01"}))
    assert rows["trainer"]["attempts"] == 2 and rows["trainer"]["mean_score"] == 70.0
    assert report(admin, **{"from": "2026-02-01T00:30:00+01:00"})["from"] == "2026-01-31T23:30:00+00:00"


def test_by_month_in_utc(program, admin):
    rows = report(admin, by="month")["rows"]
    assert [(r["group"], r["attempts"], r["candidates"], r["passed"], r["mean_score"]) for r in rows] == [
        ("2026-01", 2, 2, 1, 75.0),
        ("2026-02", 2, 2, 1, 60.0),
        ("2026-03", 1, 1, 1, 75.0),
        ("2026-04", 1, 1, 1, 80.0),
    ]


@pytest.mark.postgres_only
def test_month_grouping_ignores_the_session_time_zone(program, app):
    from sqlalchemy import text

    from examsite.reports.queries import make_filters, pass_rate_rows

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL sessions have a time zone; SQLite stores UTC text")
        db.session.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
        rows = pass_rate_rows(make_filters(by="month"))
        assert [(r.group, r.attempts) for r in rows] == [
            ("2026-01", 2),
            ("2026-02", 2),
            ("2026-03", 1),
            ("2026-04", 1),
        ]


def test_by_cohort_lists_empty_cohorts_and_no_cohort_last(program, admin):
    rows = report(admin, by="cohort")["rows"]
    assert [r["group"] for r in rows] == ["Fall (Northern College)", "Spring (Northern College)", "No cohort"]
    fall, spring, none = rows
    assert figures(fall) == (1, 1, 0, 0.0, 50.0, None, 70.0, 70.0)
    assert figures(spring) == (4, 2, 3, 75.0, 76.25, 12.5, 70.0, 75.0)
    assert figures(none)[:3] == (1, 1, 1) and none["group_key"] == ""


def test_by_institution(program, admin):
    rows = report(admin, by="institution")["rows"]
    # The archived institution without attempts is left out; the active empty one is listed.
    assert [r["group"] for r in rows] == ["Empty University", "Northern College", "No institution"]
    assert figures(rows[0]) == (0, 0, 0, None, None, None, None, None)
    assert figures(rows[1]) == (5, 3, 3, 60.0, 71.0, 15.97, 70.0, 75.0)
    assert figures(rows[2])[:3] == (1, 1, 1)


def test_by_category(program, admin):
    rows = by_group(report(admin, by="category"))
    assert rows["mobile-adoption-support"]["attempts"] == 2
    assert rows["permanent-staff"]["attempts"] == 4
    assert figures(rows["informaticians"]) == (0, 0, 0, None, None, None, None, None)


def test_by_exam_form_and_year(program, app, admin):
    with app.app_context():
        add_attempt(program["d"].id, "trainer", 40, False, when(2025, 12, 31, 23, 59, 59))
        db.session.commit()
    rows = report(admin, by="role-year")["rows"]
    assert [
        (
            r["group_key"],
            r["candidates"],
            r["pass_rate"],
            r["passing_percent_min"],
            r["mean_score"],
            r["sd_score"],
        )
        for r in rows
    ] == [
        ("implementation-manager/2026/70", 1, 100.0, 70.0, 70.0, None),
        ("implementation-manager/2026/75", 1, 100.0, 75.0, 75.0, None),
        ("trainer/2025/70", 1, 0.0, 70.0, 40.0, None),
        ("trainer/2026/70", 3, 50.0, 70.0, 70.0, 18.26),
    ]
    assert rows[3]["group"] == "Trainer, 2026, passing 70%"


def test_no_attempts_at_all(app, admin):
    data = report(admin, by="month")
    assert data["rows"] == []
    assert figures(data["total"]) == (0, 0, 0, None, None, None, None, None)
    assert all(r["attempts"] == 0 for r in report(admin, by="role")["rows"])


def test_one_aggregate_query_per_report(program, app):
    from sqlalchemy import event

    from examsite.reports.queries import make_filters, pass_rate_rows

    with app.app_context():
        statements = []
        listen = lambda *args: statements.append(args[2])
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            pass_rate_rows(make_filters(by="month"))
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 1 and "GROUP BY" in selects[0]


# --- exports ------------------------------------------------------------------------------------


def csv_rows(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body)))


def as_text(value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("by", ["role", "cohort", "month"])
def test_csv_download_matches_json(program, admin, by):
    expected = report(admin, by=by, attempts="first")["rows"]
    response = admin.client.get("/reports/pass-rates.csv", query_string={"by": by, "attempts": "first"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert f"pass-rates-{by}-first-attempts.csv" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.split("\r\n", 1)[0].split(",") == [key for key, _ in COLUMNS]
    rows = csv_rows(body)
    assert rows == [{k: as_text(v) for k, v in row.items()} for row in expected]


def test_api_gives_csv_when_asked(program, admin):
    response = admin.client.get("/api/v1/reports/pass-rates?by=role", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Accept" in response.headers["Vary"]
    rows = {r["group_key"]: r for r in csv_rows(response.get_data(as_text=True))}
    assert rows["trainer"]["pass_rate"] == "50.0" and rows["trainer"]["sd_score"] == "18.26"


def test_xlsx_download_matches_json(program, admin):
    expected = report(admin, by="role", **{"from": "2026-01-01"})["rows"]
    response = admin.client.get("/reports/pass-rates.xlsx?by=role&from=2026-01-01")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "pass-rates-role-from-2026-01-01.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Pass rates"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Group" and len(values) == 1 + ROLES
    assert [list(v) for v in values[1:]] == [[row[key] for key, _ in COLUMNS] for row in expected]
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert "2026-01-01T00:00:00" in about["Closed between"]


def test_exports_neutralise_formulas(app, admin, make_user):
    formula = '=HYPERLINK("http://x","y")'
    with app.app_context():
        _, (cohort,) = make_place("@SUM(1+1)", formula)
        db.session.commit()
        cohort_id = cohort.id
    user = make_user(name=formula, cohort=cohort_id)
    with app.app_context():
        from examsite.programs.models import Cohort

        add_attempt(user.id, "trainer", 80, True, when(2026, 3, 3), cohort=db.session.get(Cohort, cohort_id))
        db.session.commit()
    label = f"{formula} (@SUM(1+1))"
    body = admin.client.get("/reports/pass-rates.csv?by=cohort").get_data(as_text=True)
    assert csv_rows(body)[0]["group"] == "'" + label
    assert "\n=" not in body and ",=" not in body
    body = admin.client.get("/reports/pass-rates.csv?by=institution").get_data(as_text=True)
    assert csv_rows(body)[0]["group"] == "'@SUM(1+1)"
    sheet = load_workbook(io.BytesIO(admin.client.get("/reports/pass-rates.xlsx?by=cohort").data))[
        "Pass rates"
    ]
    assert sheet["A2"].value == "'" + label and sheet["A2"].data_type == "s"
    # JSON is not a spreadsheet: the name comes back exactly as it is.
    assert report(admin, by="cohort")["rows"][0]["group"] == label


def test_cli_json_csv_and_xlsx(program, runner, tmp_path):
    result = runner.invoke(
        args=[
            "reports",
            "pass-rates",
            "--by",
            "role",
            "--attempts",
            "first",
            "--from",
            "2026-01-01",
            "--to",
            "2027-01-01",
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["from"] == "2026-01-01T00:00:00+00:00" and data["attempts"] == "first"
    trainer = next(r for r in data["rows"] if r["group_key"] == "trainer")
    assert figures(trainer) == (3, 3, 1, 33.33, 66.67, 20.82, 70.0, 70.0)

    out = tmp_path / "month.csv"
    result = runner.invoke(args=["reports", "pass-rates", "--by", "month", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = csv_rows(out.read_text(encoding="utf-8"))
    assert [(r["group"], r["attempts"]) for r in rows] == [
        ("2026-01", "2"),
        ("2026-02", "2"),
        ("2026-03", "1"),
        ("2026-04", "1"),
    ]

    out = tmp_path / "cohort.xlsx"
    result = runner.invoke(
        args=["reports", "pass-rates", "--by", "cohort", "--format", "xlsx", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["Pass rates"]
    spring = [c.value for c in sheet[3]]
    assert spring[0] == "Spring (Northern College)" and spring[2:5] == [4, 2, 3]


@pytest.mark.parametrize(
    "args", [["--by", "planet"], ["--from", "yesterday"], ["--from", "2026-02-01", "--to", "2026-01-01"]]
)
def test_cli_refuses_bad_parameters(app, runner, args):
    result = runner.invoke(args=["reports", "pass-rates", *args])
    assert result.exit_code == 2


# --- the page -----------------------------------------------------------------------------------


def test_page_shows_table_charts_and_downloads(program, admin):
    response = admin.client.get("/reports/pass-rates?by=cohort&from=2026-01-01&attempts=all")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<th scope="row">Spring (Northern College)</th>' in html
    assert "76.25%" in html and "70–75%" in html
    assert html.count('<img src="data:image/svg+xml;base64,') == 2
    assert 'alt="Bar chart of the pass rate by cohort' in html
    assert 'alt="Histogram of 6 scores' in html
    assert 'href="/reports/pass-rates.csv?by=cohort&amp;from=2026-01-01&amp;attempts=all"' in html
    assert 'href="/reports/pass-rates.xlsx?by=cohort&amp;from=2026-01-01&amp;attempts=all"' in html
    assert "<script" not in html.split("<main", 1)[1]
    for name in ("by", "from", "to", "attempts"):
        assert f'for="{name}"' in html


def test_chart_svg_draws_the_passing_line(program, app):
    import base64

    from examsite.reports import charts
    from examsite.reports.queries import make_filters, score_distribution

    with app.app_context():
        distribution = score_distribution(make_filters())
    assert [(b.low, b.count) for b in distribution.bins if b.count] == [
        (50, 1),
        (60, 1),
        (70, 1),
        (75, 1),
        (80, 1),
        (90, 1),
    ]
    assert distribution.passing_percents == [70.0, 75.0]
    chart = charts.score_histogram(distribution)
    svg = base64.b64decode(chart.src.split(",", 1)[1]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "<script" not in svg
    assert "passing standard at 70% and 75%" in chart.alt


def test_page_without_attempts_says_so(app, admin):
    html = admin.client.get("/reports/pass-rates?by=month").get_data(as_text=True)
    assert "No closed attempts match these filters." in html and "data:image/svg" not in html


def test_page_explains_bad_filters(app, admin):
    response = admin.client.get("/reports/pass-rates?from=2026-02-01&to=2026-01-01")
    assert response.status_code == 422
    assert "The end date must come after the start date." in response.get_data(as_text=True)
    assert admin.client.get("/reports/pass-rates.csv?by=planet").status_code == 422


# --- the API and access -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"by": "planet"}, "by"),
        ({"attempts": "second"}, "attempts"),
        ({"from": "31/01/2026"}, "from"),
        ({"from": "2026-02-01", "to": "2026-02-01"}, "to"),
    ],
)
def test_api_refuses_bad_parameters(app, admin, params, field):
    response = admin.client.get("/api/v1/reports/pass-rates", query_string=params)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and field in body["fields"]


REPORT_PAGES = ["/reports/pass-rates", "/reports/pass-rates.csv", "/reports/pass-rates.xlsx"]


@pytest.mark.parametrize("path", REPORT_PAGES)
def test_report_pages_send_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", REPORT_PAGES)
@pytest.mark.parametrize("role", ["trainee", "instructor"])
def test_report_pages_are_for_administrators_only(make_user, login, path, role):
    assert login(make_user(role)).client.get(path).status_code == 403


def test_api_needs_an_administrator(client, make_user, login):
    response = client.get("/api/v1/reports/pass-rates")
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    for role in ("trainee", "instructor"):
        response = login(make_user(role)).client.get("/api/v1/reports/pass-rates")
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_api_works_with_a_bearer_token(program, app, client, make_user):
    from examsite.accounts.models import User
    from examsite.accounts.services import issue_token

    admin_user, trainee = make_user("admin"), make_user("trainee")
    with app.app_context():
        admin_token = issue_token(db.session.get(User, admin_user.id))
        trainee_token = issue_token(db.session.get(User, trainee.id))
        db.session.commit()
    response = client.get(
        "/api/v1/reports/pass-rates?by=month", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert response.status_code == 200 and len(response.get_json()["rows"]) == 4
    response = client.get("/api/v1/reports/pass-rates", headers={"Authorization": f"Bearer {trainee_token}"})
    assert response.status_code == 403
    response = client.get("/api/v1/reports/pass-rates", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
