"""`flask stats simulate`: marked attempts from an item response model, with planted defects that
the item analysis finds; never in pass-rate reports, never certified, refused on production."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from tests.integration.test_item_analysis_queries import ROLE, START, _versions, write_attempt


def _simulate(runner, *extra):
    out = runner.invoke(args=["stats", "simulate", ROLE, "--attempts", "300", "--seed", "3", *extra])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_planted_items_are_flagged(app, runner, banks):
    planted = _simulate(runner, "--plant-miskey", "1", "--plant-dead-distractor", "1")
    assert len(planted["miskey"]) == 1 and len(planted["dead_distractor"]) == 1
    assert set(planted["miskey"]).isdisjoint(planted["dead_distractor"])
    result = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json", "--recalculate"]).output)
    assert result["attempts"] == 300 and result["simulated"] == 300
    flags = {}
    for item in result["items"]:
        flags.setdefault(item["external_id"], set()).update(f["code"] for f in item["flags"])
    assert "possible_miskey" in flags[planted["miskey"][0]]
    assert "dead_distractor" in flags[planted["dead_distractor"][0]]
    # the defects are planted, not everywhere: no other item looks miskeyed
    assert [e for e, codes in flags.items() if "possible_miskey" in codes] == planted["miskey"]
    with app.app_context():
        from examsite.certificates.models import Certificate
        from examsite.delivery.models import Attempt
        from examsite.extensions import db

        assert db.session.scalar(select(func.count()).where(Attempt.simulated.is_(True))) == 300
        assert db.session.scalar(select(func.count()).where(Attempt.passed.is_(True))) > 0
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_same_seed_same_plan_and_bad_input(runner, banks):
    first = _simulate(runner, "--plant-miskey", "2")
    assert _simulate(runner, "--plant-miskey", "2") == first
    too_many = runner.invoke(args=["stats", "simulate", ROLE, "--attempts", "5", "--plant-miskey", "999"])
    assert too_many.exit_code == 1 and "eligible" in too_many.output
    assert runner.invoke(args=["stats", "simulate", ROLE, "--attempts", "0"]).exit_code == 2
    assert runner.invoke(args=["stats", "simulate", "nope", "--attempts", "3"]).exit_code == 2


def test_refused_on_production(app, runner, banks, monkeypatch):
    monkeypatch.setenv("EXAMSITE_ENV", "production")
    out = runner.invoke(args=["stats", "simulate", ROLE, "--attempts", "3"])
    assert out.exit_code == 1 and "production" in out.output
    with app.app_context():
        from examsite.delivery.models import Attempt
        from examsite.extensions import db

        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_simulated_attempts_are_not_in_pass_rate_reports(app, runner, banks, make_user):
    from examsite.catalog.services import get_role

    _simulate(runner)
    user = make_user("trainee")
    with app.app_context():
        role = get_role(ROLE)
        versions = _versions(role)
        write_attempt(user.id, role, [(v, v.keys, False) for v in versions], 1, START)
    out = runner.invoke(args=["reports", "pass-rates", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = {r["group_key"]: r for r in json.loads(out.output)["rows"]}
    assert rows[ROLE]["attempts"] == 1 and rows[ROLE]["passed"] == 1


def test_a_simulated_attempt_is_never_certified(app, banks, make_user):
    from examsite.catalog.services import get_role
    from examsite.certificates.models import Certificate
    from examsite.delivery.models import Attempt
    from examsite.extensions import db

    users = [make_user("trainee") for _ in range(2)]
    with app.app_context():
        role = get_role(ROLE)
        versions = _versions(role)
        plan = [(v, v.keys, False) for v in versions]
        real = write_attempt(users[0].id, role, plan, 1, START)
        simulated = write_attempt(users[1].id, role, plan, 1, START + timedelta(hours=1), simulated=True)
        assert db.session.get(Attempt, simulated).passed is True
        certified = db.session.scalars(select(Certificate.attempt_id)).all()
        assert certified == [real]


def test_item_page_flags_csv_and_recalculate(app, runner, login, make_user, banks):
    planted = _simulate(runner, "--plant-miskey", "1", "--plant-dead-distractor", "1")
    instructor = login(make_user("instructor"))
    base = f"/instructor/roles/{ROLE}/items"
    assert "has not been calculated yet" in instructor.client.get(base).get_data(as_text=True)
    assert instructor.form(base + "/recalculate").status_code == 302
    page = instructor.client.get(base).get_data(as_text=True)
    assert "from 300 closed attempts (300 of them simulated)" in page
    assert "First attempts" in page and "CSEM at the cut" in page
    with app.app_context():
        from examsite.banks.models import Item
        from examsite.extensions import db

        miskeyed = db.session.scalar(select(Item).where(Item.external_id == planted["miskey"][0]))
        stem = miskeyed.current_version.stem
        editor = f'href="/instructor/items/{miskeyed.id}"'
    assert stem in page and editor in page and "(key)" in page
    only_miskeys = instructor.client.get(base + "?flag=possible_miskey").get_data(as_text=True)
    assert planted["miskey"][0] in only_miskeys and planted["dead_distractor"][0] not in only_miskeys
    assert "More of the strongest candidates chose" in only_miskeys
    sorted_page = instructor.client.get(base + "?sort=discrimination").get_data(as_text=True)
    assert sorted_page.index(planted["miskey"][0]) < sorted_page.index("</section>")  # lowest r first
    csv_text = instructor.client.get(base + "/flags.csv").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0].startswith("external_id,item_version_id,scored,responses,facility,discrimination,code")
    assert any(line.startswith(planted["miskey"][0]) and "possible_miskey" in line for line in lines)
    assert ",=" not in csv_text and ",+" not in csv_text and ",@" not in csv_text
    # recalculate: POST with the CSRF token only
    assert instructor.client.post(base + "/recalculate").status_code == 400
    calculated = page.split('<time datetime="')[1].split('"')[0]
    done = instructor.form(base + "/recalculate", follow_redirects=True)
    assert done.status_code == 200
    assert done.get_data(as_text=True).split('<time datetime="')[1].split('"')[0] > calculated
    assert "Item analysis recalculated" in done.get_data(as_text=True)
    assert login(make_user("trainee")).form(base + "/recalculate").status_code == 403
    bad = instructor.client.get(base + "?from=never")
    assert bad.status_code == 422 and "The range could not be used" in bad.get_data(as_text=True)


def test_flag_csv_cells_are_spreadsheet_safe():
    from examsite.instructors.presenters import FLAG_COLUMNS, flag_rows
    from examsite.reports.formatters import csv_lines

    rows = [
        {
            "external_id": "=HYPERLINK(1)",
            "item_version_id": 1,
            "scored": True,
            "responses": 30,
            "facility": 0.5,
            "discrimination": -0.2,
            "stem": "@SUM(A1)",
            "flags": [{"code": "low_discrimination", "reason": "-bad"}],
        }
    ]
    text = "".join(csv_lines(FLAG_COLUMNS, flag_rows(rows)))
    assert "'=HYPERLINK(1)" in text and "'@SUM(A1)" in text and "'-bad" in text and ",-0.2," in text


def test_simulated_attempts_are_not_in_the_skills_report(runner, banks):
    before = runner.invoke(args=["reports", "skills", "--by", "cohort", "--format", "json"])
    assert before.exit_code == 0, before.output
    _simulate(runner)
    after = runner.invoke(args=["reports", "skills", "--by", "cohort", "--format", "json"])
    assert after.exit_code == 0, after.output
    assert after.output == before.output
