"""Two-factor sign-in with TOTP and recovery codes; required for staff when configured (issue 18)."""

from __future__ import annotations

import re

import pyotp
import pytest

from examsite.extensions import db
from tests.conftest import PASSWORD, csrf_from


def enrol(session, clock) -> tuple[str, list[str]]:
    """Set up two-factor sign-in through the account page; the secret and the recovery codes."""
    page = session.client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert 'alt="QR code for your authenticator app"' in page
    wrong = session.form("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 422 and "not correct" in wrong.get_data(as_text=True)
    done = session.form("/account/two-factor", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def password_step(app, user, client=None):
    client = client or app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return client, response


def code_step(client, code):
    token = csrf_from(client.get("/login/two-factor").get_data(as_text=True))
    return client.post("/login/two-factor", data={"code": code, "csrf_token": token})


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_a_trainee_enrols_and_then_needs_a_code_after_the_password(app, login, make_user, clock):
    user = make_user("trainee")
    secret, _ = enrol(login(user), clock)
    client, response = password_step(app, user)
    assert response.status_code == 302 and "/login/two-factor" in response.location
    assert not signed_in(client)  # the password alone is not enough
    assert code_step(client, "123456").status_code == 401
    assert not signed_in(client)
    clock.advance(seconds=30)
    assert code_step(client, pyotp.TOTP(secret).at(clock.now())).status_code == 302
    assert signed_in(client)


def test_a_code_cannot_be_used_twice(app, login, make_user, clock):
    user = make_user("trainee")
    secret, _ = enrol(login(user), clock)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now())
    first, _ = password_step(app, user)
    assert code_step(first, code).status_code == 302
    second, _ = password_step(app, user)
    assert code_step(second, code).status_code == 401  # the same code, replayed
    assert not signed_in(second)


def test_a_recovery_code_works_once(app, login, make_user, clock):
    user = make_user("trainee")
    _, codes = enrol(login(user), clock)
    client, _ = password_step(app, user)
    assert code_step(client, codes[0].upper()).status_code == 302
    assert signed_in(client)
    again, _ = password_step(app, user)
    assert code_step(again, codes[0]).status_code == 401


def test_the_second_step_needs_a_correct_password_first(app, client):
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_staff_must_enrol_when_required_and_trainees_need_not(app, login, make_user, clock):
    app.config["REQUIRE_STAFF_2FA"] = True
    instructor, trainee = make_user("instructor"), make_user("trainee")
    staff = login(instructor)
    for path in ("/", "/instructor/", "/admin/"):
        response = staff.client.get(path)
        assert response.status_code == 302 and response.location.endswith("/account/two-factor"), path
    api = staff.api("GET", "/api/v1/roles")
    assert api.status_code == 403 and api.get_json()["error"] == "two_factor_required"
    secret, codes = enrol(staff, clock)
    assert staff.client.get("/").status_code == 200
    # it cannot be turned off while required
    staff.form("/account/two-factor/disable", {"code": codes[1]})
    from examsite.accounts.models import User

    with app.app_context():
        assert db.session.get(User, instructor.id).totp_secret == secret
    assert login(trainee).client.get("/").status_code == 200


def test_turning_it_off_needs_a_code(app, login, make_user, clock):
    from examsite.accounts.models import User

    user = make_user("trainee")
    session = login(user)
    _, codes = enrol(session, clock)
    session.form("/account/two-factor/disable", {"code": "999999"})
    with app.app_context():
        assert db.session.get(User, user.id).totp_secret is not None
    assert session.form("/account/two-factor/disable", {"code": codes[3]}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).totp_secret is None
    client, response = password_step(app, user)
    assert response.status_code == 302 and signed_in(client)


@pytest.mark.parametrize("path", ["/account/two-factor"])
def test_the_enrolment_form_needs_csrf(app, login, make_user, path):
    session = login(make_user("trainee"))
    assert session.client.post(path, data={"code": "123456"}).status_code == 400
