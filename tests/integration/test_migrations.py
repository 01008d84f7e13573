"""Migrations on an empty database: upgrade to head, models agree, downgrade to base; `flask setup`."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from config import TestConfig
from examsite import create_app
from tests.support.live import empty_database as fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        yield url


def make_app(url, tmp_path):
    return create_app(
        TestConfig, overrides={"SQLALCHEMY_DATABASE_URI": url, "SIGNING_KEY_PATH": str(tmp_path / "key.pem")}
    )


def test_upgrade_check_downgrade(empty_database, tmp_path):
    from flask_migrate import check, downgrade, upgrade

    app = make_app(empty_database, tmp_path)
    with app.app_context():
        from examsite.extensions import db

        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "attempts", "responses", "certificates", "audit_events"} <= tables
        check()  # raises if autogenerate finds a difference between models and migrations
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_setup_twice_keeps_data(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    app.config["QUESTION_BANKS_PATH"] = str(
        __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "banks" / "valid"
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "First administrator: admin@example.org" in first.output
    assert "One-time password:" in first.output
    assert "12 added" in first.output
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0, second.output
    assert "First administrator" not in second.output
    assert "12 unchanged" in second.output
    with app.app_context():
        from examsite.extensions import db

        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_migrated_audit_log_is_append_only(empty_database, tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy.exc import DBAPIError

    app = make_app(empty_database, tmp_path)
    with app.app_context():
        from examsite.extensions import db

        upgrade()
        db.session.execute(
            text(
                "INSERT INTO audit_events (at, action, object_type, details) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'y', '{}')"
            )
        )
        db.session.commit()
        with pytest.raises(DBAPIError):
            db.session.execute(text("DELETE FROM audit_events"))
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_gunicorn_refuses_to_start_without_a_database(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "PORT": "1",
        "EXAMSITE_INSTANCE_PATH": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "examsite:" in line]
    assert len(lines) == 1 and "cannot reach the database" in lines[0]
    assert "Traceback" not in result.stderr
