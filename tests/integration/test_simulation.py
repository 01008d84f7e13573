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
