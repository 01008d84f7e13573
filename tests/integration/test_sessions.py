"""Sessions and tokens end when they should; one-time passwords must be changed and expire;
the session key is never a published one (issue 18)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta

import pytest

from examsite.extensions import db
from tests.conftest import PASSWORD, ROOT

NEW_PASSWORD = "a brand new passphrase"


def copy_of(app, session):
    """Another browser holding a copy of this session's cookie."""
    thief = app.test_client()
    thief.set_cookie("session", session.client.get_cookie("session").value)
    return thief


def logged_in(client) -> bool:
    return client.get("/account").status_code == 200


def issue_token(app, user) -> str:
    from examsite.accounts.models import User
    from examsite.accounts.services import issue_token as issue

    with app.app_context():
        token = issue(db.session.get(User, user.id))
        db.session.commit()
        return token


def token_works(app, token) -> bool:
    # an unknown attempt: 404 for a known user, 401 for nobody
    response = app.test_client().get("/api/v1/attempts/999999", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (401, 404), response.get_data(as_text=True)
    return response.status_code == 404


def test_logout_ends_that_session_and_every_copy_of_its_cookie(app, login, make_user):
    user = make_user("trainee")
    laptop, phone = login(user), login(user)
    copy = copy_of(app, laptop)
    assert logged_in(copy)
    laptop.form("/logout")
    assert not logged_in(laptop.client)
    assert not logged_in(copy)  # the copied cookie is refused too
    assert logged_in(phone.client)  # the user's other session goes on


def test_a_password_change_ends_every_other_session_and_token_but_keeps_this_one(app, login, make_user):
    from examsite.accounts.models import ApiToken

    user = make_user("trainee")
    here, elsewhere = login(user), login(user)
    token = issue_token(app, user)
    assert token_works(app, token)
    response = here.form("/account", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert logged_in(here.client)
    assert not logged_in(elsewhere.client)
    assert not token_works(app, token)
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken.revoked_at)) is not None


def test_a_wrong_current_password_changes_nothing(app, login, make_user):
    user = make_user("trainee")
    here, elsewhere = login(user), login(user)
    response = here.form(
        "/account", {"current": "not the password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert logged_in(elsewhere.client)
    assert here.client.post("/logout", data={"csrf_token": here.csrf}).status_code == 302
    assert login(user)  # the old password still works


def _reset(user, admin):
    from examsite.accounts.services import new_one_time_password
    from examsite.programs.services import issue_one_time_password

    issue_one_time_password(user, admin, new_one_time_password())


def _deactivate(user, admin):
    from examsite.accounts.services import set_active

    set_active(user, False, admin)


def _promote(user, admin):
    from examsite.accounts.services import change_role

    change_role(user, "instructor", admin)


@pytest.mark.parametrize("change", [_reset, _deactivate, _promote], ids=["reset", "deactivation", "role"])
def test_an_administrators_change_ends_every_session_and_token(app, login, make_user, change):
    from examsite.accounts.models import User

    user, admin = make_user("trainee"), make_user("admin")
    one, two = login(user), login(user)
    token = issue_token(app, user)
    with app.app_context():
        change(db.session.get(User, user.id), db.session.get(User, admin.id))
        db.session.commit()
    assert not logged_in(one.client)
    assert not logged_in(two.client)
    assert not token_works(app, token)


def test_the_administrators_reset_page_ends_the_users_sessions(app, login, make_user):
    user, admin = make_user("trainee"), make_user("admin")
    trainee = login(user)
    page = login(admin).form(f"/admin/users/{user.id}/one-time-password")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert not logged_in(trainee.client)


def must_change(app, user):
    from examsite.accounts.models import User, hash_password
    from examsite.accounts.services import set_one_time_password

    with app.app_context():
        set_one_time_password(db.session.get(User, user.id), hash_password(PASSWORD))
        db.session.commit()


def test_while_the_password_must_change_only_the_account_page_and_logout_work(app, login, make_user):
    user = make_user("trainee")
    must_change(app, user)
    session = login(user)  # the login form itself leads to the account page
    for path in ("/", "/admin/", "/verify"):
        response = session.client.get(path)
        assert response.status_code == 302 and response.location.endswith("/account"), path
    assert session.client.get("/account").status_code == 200
    for path in ("/api/v1/roles", "/api/v1/attempts/1"):
        response = session.api("GET", path)
        assert response.status_code == 403
        assert response.get_json()["error"] == "password_change_required"
    assert session.api("POST", "/api/v1/attempts", json={"role": "x"}).status_code == 403
    token = issue_token(app, user)
    response = app.test_client().get("/api/v1/roles", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and response.get_json()["error"] == "password_change_required"

    session.form("/account", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert session.client.get("/").status_code == 200
    assert session.api("GET", "/api/v1/roles").status_code == 200
    assert session.form("/logout").status_code == 302


def test_a_one_time_password_expires(app, make_user, clock):
    from tests.integration.test_accounts import post_login

    app.config["ONE_TIME_PASSWORD_HOURS"] = 72
    early, late = make_user("trainee"), make_user("trainee")
    must_change(app, early)
    must_change(app, late)
    clock.advance(hours=71)
    response = post_login(app, early.email, PASSWORD, "192.0.2.10")
    assert response.status_code == 302 and response.location.endswith("/account")
    clock.advance(hours=2)
    response = post_login(app, late.email, PASSWORD, "192.0.2.10")
    assert response.status_code == 401
    assert "one-time password has expired" in response.get_data(as_text=True)


def test_roster_one_time_passwords_expire(app, clock):
    from examsite.accounts.models import User
    from examsite.programs.models import Cohort, Institution
    from examsite.programs.services import import_roster
    from tests.integration.test_accounts import post_login

    app.config["ONE_TIME_PASSWORD_HOURS"] = 24
    with app.app_context():
        institution = Institution(name="Lakeside College")
        db.session.add(institution)
        db.session.flush()
        db.session.add(Cohort(name="Fall", institution_id=institution.id))
        db.session.commit()
        report = import_roster(institution, b"email,name,cohort\nnew@example.org,New One,Fall\n", None)
        db.session.commit()
        password = report.created[0].one_time_password
        user = db.session.scalar(db.select(User).where(User.email == "new@example.org"))
        assert user.must_change_password
        assert user.password_expires_at == clock.now() + timedelta(hours=24)
    clock.advance(hours=25)
    response = post_login(app, "new@example.org", password, "192.0.2.11")
    assert response.status_code == 401
    assert "one-time password has expired" in response.get_data(as_text=True)


def _app_key(instance, **env):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(EXAMSITE_ENV="development", EXAMSITE_INSTANCE_PATH=str(instance), **env)
    return subprocess.run(
        [sys.executable, "-c", "from examsite import create_app; print(create_app().secret_key)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_development_without_secret_key_makes_one_random_key_and_keeps_it(tmp_path):
    first, second = _app_key(tmp_path), _app_key(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key == second.stdout.strip()
    assert len(key) >= 32 and key not in ("dev-only-not-secret", "test-secret")
    path = tmp_path / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = _app_key(tmp_path / "elsewhere")
    assert other.stdout.strip() != key  # random, not a constant


@pytest.mark.parametrize("env", ["development", "production"])
def test_a_published_key_is_refused_outside_tests(tmp_path, env):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(
        EXAMSITE_ENV=env, EXAMSITE_INSTANCE_PATH=str(tmp_path), SECRET_KEY="dev-only-not-secret"
    )
    result = subprocess.run(
        [sys.executable, "-c", "from examsite import create_app; create_app()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "published" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_without_secret_key_is_refused(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(EXAMSITE_ENV="production", EXAMSITE_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", "from examsite import create_app; create_app()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()
