"""The unit of work: the one owner of every write transaction (examsite/database.py).

The test configuration turns STRICT_UNIT_OF_WORK on, so every request and command the suite
runs proves its writes go through `unit_of_work()`; these tests pin the rule itself.
"""

from __future__ import annotations

import click
import pytest
from flask.cli import with_appcontext
from sqlalchemy import event, func, select, update

from examsite.database import (
    QUEUED,
    UNIT,
    HashingInsideUnitOfWork,
    WriteOutsideUnitOfWork,
    in_unit_of_work,
    unit_of_work,
)
from examsite.extensions import db


def institutions(app) -> list[str]:
    from examsite.programs.models import Institution

    with app.app_context():
        return sorted(db.session.scalars(select(Institution.name)))


@pytest.fixture
def commits(app):
    """How many transactions that wrote were committed (in any session of this app)."""
    from sqlalchemy.orm import Session

    seen = []

    def count(session):
        seen.append(session)

    event.listen(Session, "after_commit", count)
    yield seen
    event.remove(Session, "after_commit", count)


def add_routes(app):
    from examsite.programs.models import Institution

    def outside():
        db.session.add(Institution(name="Outside"))
        db.session.flush()
        return "written"

    def outside_statement():
        db.session.execute(update(Institution).values(name="Renamed"))
        return "written"

    def inside():
        with unit_of_work():
            db.session.add(Institution(name="Inside"))
        return "written"

    def changed_before():
        institution = db.session.scalar(select(Institution))
        institution.name = "Renamed before the unit"
        with unit_of_work():
            pass
        return "written"

    app.add_url_rule("/test/outside", "test_outside", outside, methods=["POST"])
    app.add_url_rule("/test/changed-before", "test_changed_before", changed_before, methods=["POST"])
    app.add_url_rule("/test/outside-statement", "test_outside_statement", outside_statement, methods=["POST"])
    app.add_url_rule("/test/inside", "test_inside", inside, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False


def test_a_request_that_writes_outside_a_unit_of_work_fails_and_writes_nothing(app, client, caplog):
    add_routes(app)
    response = client.post("/test/outside")
    assert response.status_code == 500
    assert "WriteOutsideUnitOfWork" in caplog.text
    assert institutions(app) == []


def test_a_write_statement_outside_a_unit_of_work_fails_too(app, client, caplog):
    from examsite.programs.models import Institution

    with app.app_context():
        db.session.add(Institution(name="Lakeside"))  # the test's own set-up is not a request
        db.session.commit()
    add_routes(app)
    assert client.post("/test/outside-statement").status_code == 500
    assert "WriteOutsideUnitOfWork" in caplog.text
    assert institutions(app) == ["Lakeside"]


def test_changes_made_before_a_unit_opens_are_refused(app, client, caplog):
    from examsite.programs.models import Institution

    with app.app_context():
        db.session.add(Institution(name="Lakeside"))
        db.session.commit()
    add_routes(app)
    assert client.post("/test/changed-before").status_code == 500
    assert "changed before the unit of work opened" in caplog.text
    assert institutions(app) == ["Lakeside"]


def test_a_request_writing_inside_a_unit_of_work_commits(app, client):
    add_routes(app)
    assert client.post("/test/inside").status_code == 200
    assert institutions(app) == ["Inside"]


def test_a_command_that_writes_outside_a_unit_of_work_fails(app, runner):
    from examsite.programs.models import Institution

    @click.command("write-outside")
    @with_appcontext
    def write_outside():
        db.session.add(Institution(name="From a command"))
        db.session.commit()

    result = runner.invoke(write_outside)
    assert isinstance(result.exception, WriteOutsideUnitOfWork)
    assert institutions(app) == []


def test_without_strict_mode_a_write_outside_a_unit_is_allowed(app, client):
    app.config["STRICT_UNIT_OF_WORK"] = False
    add_routes(app)
    assert client.post("/test/outside").status_code == 200


def test_a_failing_service_inside_a_unit_leaves_nothing_half_written(app, monkeypatch):
    """A roster's accounts are created row by row; the third row's failure undoes the first two."""
    from examsite.accounts.models import User
    from examsite.programs import services
    from examsite.programs.models import Cohort, Institution

    with app.app_context():
        institution = Institution(name="Lakeside College")
        db.session.add(institution)
        db.session.flush()
        db.session.add(Cohort(name="Fall", institution_id=institution.id))
        db.session.commit()
        roster = "email,name,cohort\n" + "".join(f"new{n}@example.org,New {n},Fall\n" for n in range(3))
        report = services.check_roster(institution, roster.encode())
        assert len(report.created) == 3
        real = services.assign_cohort
        calls = []

        def fails_on_the_third(user, cohort, actor):
            calls.append(user.email)
            if len(calls) == 3:
                raise services.ProgramError("the database went away")
            return real(user, cohort, actor)

        monkeypatch.setattr(services, "assign_cohort", fails_on_the_third)
        with pytest.raises(services.ProgramError), unit_of_work():
            services.apply_roster(institution, report, None)
        assert len(calls) == 3  # two accounts were created and placed before the failure
        assert not in_unit_of_work()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_nested_units_join_the_outer_one_and_commit_once(app_ctx, commits):
    from examsite.programs.models import Institution

    with unit_of_work():
        db.session.add(Institution(name="Outer"))
        with unit_of_work():
            db.session.add(Institution(name="Inner"))
            db.session.flush()
        assert db.session.info[UNIT] == 1  # still in the outer unit: nothing committed yet
        assert commits == []
    assert len(commits) == 1
    assert not in_unit_of_work()
    assert sorted(db.session.scalars(select(Institution.name))) == ["Inner", "Outer"]


def test_an_error_in_a_nested_unit_rolls_back_the_whole_unit(app_ctx, commits):
    from examsite.programs.models import Institution

    with pytest.raises(RuntimeError), unit_of_work():
        db.session.add(Institution(name="Outer"))
        with unit_of_work():
            db.session.add(Institution(name="Inner"))
            db.session.flush()
            raise RuntimeError("boom")
    assert commits == []
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 0


def test_unit_of_work_is_also_a_decorator(app_ctx):
    from examsite.programs.models import Institution

    @unit_of_work()
    def add(name):
        assert in_unit_of_work()
        db.session.add(Institution(name=name))

    add("One")
    add("Two")
    assert not in_unit_of_work()
    assert sorted(db.session.scalars(select(Institution.name))) == ["One", "Two"]


def test_a_unit_of_work_holds_the_sqlite_writer_queue_until_it_ends(app_ctx, database_url):
    with unit_of_work():
        held = db.session.info.get(QUEUED)
    if database_url.startswith("sqlite"):
        assert held is not None
    else:
        assert held is None  # PostgreSQL has no writer queue: row locks do that work
    assert db.session.info.get(QUEUED) is None


def test_no_password_is_hashed_inside_a_unit_of_work(app_ctx):
    from examsite.accounts.models import User, hash_password

    with pytest.raises(HashingInsideUnitOfWork), unit_of_work():
        hash_password("a long enough passphrase")
    user = User(email="x@example.org", name="X", role="trainee", password_hash=hash_password("passphrase!!"))
    with pytest.raises(HashingInsideUnitOfWork), unit_of_work():
        user.check_password("passphrase!!")
    assert user.check_password("passphrase!!")  # outside a unit it is fine
