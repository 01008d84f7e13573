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


def test_upgrade_fills_in_report_links_for_attempts_already_there(empty_database, tmp_path):
    """The revision that added closed_month and the prev_*_closed_at links computes them for the
    attempts already stored, exactly as the app keeps them from then on."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from examsite.timeutil import UTCDateTime

    app = make_app(empty_database, tmp_path)
    with app.app_context():
        from examsite.extensions import db

        upgrade(revision="ee492ac2c896")
        now = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
        db.session.execute(
            text(
                "INSERT INTO categories (id, slug, name, description, position) VALUES "
                "(1, 'a', 'A', '', 1), (2, 'b', 'B', '', 2)"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO roles (id, slug, category_id, name, track, summary, duties, position) VALUES "
                "(1, 'r1', 1, 'R1', 'university', '', '', 1), "
                "(2, 'r2', 1, 'R2', 'university', '', '', 2), "
                "(3, 'r3', 2, 'R3', 'university', '', '', 3)"
            )
        )
        users = sa.table(
            "users",
            *(sa.column(c) for c in ("id", "email", "name", "role", "active", "must_change_password")),
            sa.column("created_at", UTCDateTime()),
        )
        db.session.execute(
            sa.insert(users),
            [
                {
                    "id": i,
                    "email": f"t{i}@example.org",
                    "name": f"T{i}",
                    "role": "trainee",
                    "active": True,
                    "must_change_password": False,
                    "created_at": now,
                }
                for i in (1, 2)
            ],
        )
        moments = ("started_at", "deadline", "closed_at")
        attempts = sa.table(
            "attempts",
            *(sa.column(c) for c in ("user_id", "role_id", "status", "grace_seconds", "minutes")),
            *(sa.column(c) for c in ("time_multiplier", "passing_percent", "sequence")),
            *(sa.column(c, UTCDateTime()) for c in moments),
        )
        history = [  # (user, role, passing, hours after `now`, status); the open one has no close
            (1, 1, 70, 0, "submitted"),
            (1, 1, 75, 1, "expired"),  # into February (UTC)
            (1, 2, 70, 2, "submitted"),
            (1, 3, 70, -1000, "submitted"),
            (2, 1, 70, 0, "submitted"),
            (2, 1, 70, 5, "in_progress"),
        ]
        db.session.execute(
            sa.insert(attempts),
            [
                {
                    "user_id": user,
                    "role_id": role,
                    "status": status,
                    "grace_seconds": 60,
                    "minutes": 180,
                    "time_multiplier": 1,
                    "passing_percent": passing,
                    "sequence": 1,
                    "started_at": now + timedelta(hours=hours - 1),
                    "deadline": now + timedelta(hours=hours + 2),
                    "closed_at": None if status == "in_progress" else now + timedelta(hours=hours),
                }
                for user, role, passing, hours, status in history
            ],
        )
        db.session.commit()
        upgrade()

        from examsite.delivery.history import closed_month, link_closed_attempts
        from examsite.delivery.models import Attempt

        stored = db.session.scalars(sa.select(Attempt).order_by(Attempt.id)).all()
        assert [a.closed_month for a in stored] == [
            closed_month(a.closed_at) if a.closed_at else None for a in stored
        ]
        assert [a.closed_month for a in stored[:3]] == [202601, 202602, 202602]
        assert stored[2].prev_closed_at == stored[1].closed_at
        assert stored[2].prev_category_closed_at == stored[1].closed_at
        assert stored[2].prev_role_closed_at is None and stored[1].prev_role_year_closed_at is None
        assert stored[1].prev_role_closed_at == stored[0].closed_at
        assert stored[5].prev_closed_at is None  # open: no links
        # The app, linking the same attempts afresh, changes nothing.
        assert link_closed_attempts(1) + link_closed_attempts(2) == 0
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_certificate_expiry_upgrade_keeps_certificates_and_converts_days_to_months(empty_database, tmp_path):
    """Issue 25's revision on a database with certificates and a name change (on SQLite it
    recreates the certificates table, which other rows refer to): nothing is lost, 365 and 730
    days become 12 and 24 months, and a downgrade brings the days back."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from examsite.timeutil import UTCDateTime

    app = make_app(empty_database, tmp_path)
    with app.app_context():
        from examsite.extensions import db

        upgrade(revision="d7a1c3e5f902")
        now = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
        db.session.execute(
            text("INSERT INTO categories (id, slug, name, description, position) VALUES (1, 'a', 'A', '', 1)")
        )
        db.session.execute(
            text(
                "INSERT INTO roles (id, slug, category_id, name, track, summary, duties, position) VALUES "
                "(1, 'r1', 1, 'R1', 'university', '', '', 1), (2, 'r2', 1, 'R2', 'university', '', '', 2)"
            )
        )
        settings = sa.table(
            "exam_settings",
            *(sa.column(c) for c in ("role_id", "form_items", "pretest_items", "minutes", "passing_percent")),
            *(
                sa.column(c)
                for c in ("grace_seconds", "retake_days", "attempts_per_year", "certificate_valid_days")
            ),
            sa.column("updated_at", UTCDateTime()),
        )
        db.session.execute(
            sa.insert(settings),
            [
                {
                    "role_id": role,
                    "form_items": 10,
                    "pretest_items": 0,
                    "minutes": 60,
                    "passing_percent": 70,
                    "grace_seconds": 60,
                    "retake_days": 90,
                    "attempts_per_year": 3,
                    "certificate_valid_days": days,
                    "updated_at": now,
                }
                for role, days in ((1, 365), (2, 730))
            ],
        )
        users = sa.table(
            "users",
            *(sa.column(c) for c in ("id", "email", "name", "role", "active", "must_change_password")),
            sa.column("created_at", UTCDateTime()),
        )
        db.session.execute(
            sa.insert(users),
            [
                {
                    "id": 1,
                    "email": "t@example.org",
                    "name": "T",
                    "role": "trainee",
                    "active": True,
                    "must_change_password": False,
                    "created_at": now,
                }
            ],
        )
        attempts = sa.table(
            "attempts",
            *(sa.column(c) for c in ("id", "user_id", "role_id", "status", "grace_seconds", "minutes")),
            *(sa.column(c) for c in ("time_multiplier", "passing_percent", "sequence")),
            *(sa.column(c, UTCDateTime()) for c in ("started_at", "deadline", "closed_at")),
        )
        db.session.execute(
            sa.insert(attempts),
            [
                {
                    "id": 1,
                    "user_id": 1,
                    "role_id": 1,
                    "status": "submitted",
                    "grace_seconds": 60,
                    "minutes": 60,
                    "time_multiplier": 1,
                    "passing_percent": 70,
                    "sequence": 1,
                    "started_at": now,
                    "deadline": now,
                    "closed_at": now,
                }
            ],
        )
        certificates = sa.table(
            "certificates",
            *(sa.column(c) for c in ("id", "code", "attempt_id", "user_id", "role_id", "holder_name")),
            *(sa.column(c) for c in ("role_name", "category_name", "score_percent")),
            *(sa.column(c, UTCDateTime()) for c in ("issued_at", "expires_at")),
        )
        db.session.execute(
            sa.insert(certificates),
            [
                {
                    "id": 1,
                    "code": "AAAA-BBBB-CCCC",
                    "attempt_id": 1,
                    "user_id": 1,
                    "role_id": 1,
                    "holder_name": "T",
                    "role_name": "R1",
                    "category_name": "A",
                    "score_percent": 80,
                    "issued_at": now,
                    "expires_at": datetime(2027, 1, 31, 9, 0, tzinfo=UTC),
                }
            ],
        )
        changes = sa.table(
            "certificate_name_changes",
            *(sa.column(c) for c in ("certificate_id", "old_name", "new_name", "reason")),
            sa.column("changed_at", UTCDateTime()),
        )
        db.session.execute(
            sa.insert(changes),
            [{"certificate_id": 1, "old_name": "S", "new_name": "T", "reason": "", "changed_at": now}],
        )
        db.session.commit()
        upgrade()
        months = db.session.execute(
            text("SELECT role_id, validity_months, renewal_ce_hours FROM exam_settings ORDER BY role_id")
        )
        assert [tuple(r) for r in months] == [(1, 12, 0), (2, 24, 0)]
        row = db.session.execute(text("SELECT code, basis, renews_id FROM certificates")).one()
        assert tuple(row) == ("AAAA-BBBB-CCCC", "exam", None)
        assert db.session.execute(text("SELECT certificate_id FROM certificate_name_changes")).scalar() == 1
        db.session.commit()
        downgrade(revision="d7a1c3e5f902")
        days = db.session.execute(text("SELECT certificate_valid_days FROM exam_settings ORDER BY role_id"))
        assert [r[0] for r in days] == [365, 730]
        assert db.session.execute(text("SELECT code FROM certificates")).scalar() == "AAAA-BBBB-CCCC"
        db.session.commit()
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
