"""Registration, login, logout, password change, rate limits, role checks, user CLI."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from examsite.extensions import db
from tests.conftest import PASSWORD, csrf_from


def count_users(app) -> int:
    from examsite.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def register(client, **fields):
    token = csrf_from(client.get("/register").get_data(as_text=True))
    data = {
        "name": "Ada Trainee",
        "email": "ada@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": token,
    }
    data.update(fields)
    return client.post("/register", data=data)


def test_register_logs_in_as_trainee(app, client):
    response = register(client)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Ada Trainee" in home
    from examsite.accounts.models import User

    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.role == "trainee"
        assert user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "ADA@Example.org"}, "already exists"),
        ({"password": "short", "confirm": "short"}, "at least 10 characters"),
        ({"password": "password123", "confirm": "password123"}, "too easy to guess"),
        ({"confirm": "something else entirely"}, "The passwords differ"),
        ({"name": ""}, "This field is required"),
        ({"email": "not-an-email"}, "Invalid email"),
    ],
)
def test_register_bad_input_creates_nothing(app, client, make_user, fields, message):
    make_user("trainee", email="ada@example.org")
    before = count_users(app)
    response = register(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_users(app) == before


def test_register_without_csrf_is_refused(app, client):
    response = client.post(
        "/register", data={"name": "X", "email": "x@example.org", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert count_users(app) == 0


def test_login_same_message_for_unknown_email_and_wrong_password(client, make_user):
    user = make_user("trainee")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": PASSWORD, "csrf_token": token}
    )
    wrong = client.post(
        "/login", data={"email": user.email, "password": "wrong password!", "csrf_token": token}
    )
    assert unknown.status_code == wrong.status_code == 401
    message = "The e-mail or password is not correct."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)


def test_login_logout_and_session_cookie_flags(client, make_user):
    user = make_user("trainee")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email.upper(), "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/account")
    assert page.status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert client.get("/account").status_code == 302


def test_inactive_user_cannot_log_in(app, client, make_user):
    user = make_user("trainee")
    from examsite.accounts.models import User

    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 401


def post_login(app, email, password, address, client=None):
    client = client or app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_lab_of_40_trainees_behind_one_address_all_log_in_within_a_minute(app, make_user, clock):
    users = [make_user("trainee") for _ in range(40)]
    # a few typos on the way, as in a real lab
    for user in users[:5]:
        assert post_login(app, user.email, "not my password", "203.0.113.7").status_code == 401
    statuses = [post_login(app, u.email, PASSWORD, "203.0.113.7").status_code for u in users]
    assert statuses == [302] * 40


def test_a_strangers_guesses_never_keep_the_owner_out(app, make_user, clock):
    user = make_user("trainee")
    statuses = [post_login(app, user.email, f"guess {n}", "198.51.100.9").status_code for n in range(8)]
    # five free failures, then the attacker's address waits a growing delay for this account
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    refused = post_login(app, user.email, "guess 9", "198.51.100.9")
    assert "Please wait 1 second and try again" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) >= 1
    # the owner, from their own address, is not held up
    assert post_login(app, user.email, PASSWORD, "192.0.2.44").status_code == 302
    # the attacker's delay grows with each failure
    clock.advance(seconds=1)
    assert post_login(app, user.email, "guess 10", "198.51.100.9").status_code == 401
    assert "Please wait 2 seconds" in post_login(app, user.email, "guess 11", "198.51.100.9").get_data(
        as_text=True
    )
    # and the count ends with the window
    clock.advance(hours=2)
    assert post_login(app, user.email, "guess 12", "198.51.100.9").status_code == 401


def test_a_successful_login_clears_that_addresss_failures(app, make_user, clock):
    user = make_user("trainee")
    for n in range(4):
        post_login(app, user.email, f"typo {n}", "192.0.2.1")
    assert post_login(app, user.email, PASSWORD, "192.0.2.1").status_code == 302
    statuses = [post_login(app, user.email, f"typo {n}", "192.0.2.1").status_code for n in range(5)]
    assert statuses == [401] * 5


def test_spraying_many_accounts_from_one_address_slows_that_address(app, make_user, clock, monkeypatch):
    from examsite.accounts import throttle

    monkeypatch.setattr(throttle, "ADDRESS_FAILURES", 6)
    victims = [make_user("trainee") for _ in range(7)]
    for victim in victims:
        assert post_login(app, victim.email, "Summer2026!", "198.51.100.20").status_code == 401
    bystander = make_user("trainee")
    assert post_login(app, bystander.email, PASSWORD, "198.51.100.20").status_code == 429
    assert post_login(app, bystander.email, PASSWORD, "192.0.2.5").status_code == 302


def test_an_account_guessed_from_many_addresses_is_reported_once_and_listed(app, login, make_user, clock):
    from examsite.audit.models import AuditEvent

    user = make_user("trainee")
    for n in range(6):
        post_login(app, user.email, "wrong password!", f"198.51.100.{n + 1}")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.under_attack")).all()
        assert [e.details["email"] for e in events] == [user.email]
        assert events[0].ip_address == "198.51.100.5"
    page = login(make_user("admin")).client.get("/admin/").get_data(as_text=True)
    assert "Accounts under attack" in page and user.email in page
    # never a lockout: the owner still logs in
    assert post_login(app, user.email, PASSWORD, "192.0.2.8").status_code == 302


def test_a_flood_of_login_requests_from_one_address_is_refused(app):
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    client = app.test_client()
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"  # the limiter's storage may outlive one app
    statuses = [
        post_login(app, f"user{n}@example.org", "x" * 12, address, client).status_code for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert "Too many attempts" in post_login(app, "a@example.org", "x" * 12, address, client).get_data(
        as_text=True
    )


def test_an_outdated_password_hash_is_upgraded_at_the_next_login(app, make_user):
    from argon2 import PasswordHasher

    from examsite.accounts.models import User

    user = make_user("trainee")
    with app.app_context():
        row = db.session.get(User, user.id)
        row.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
        db.session.commit()
    assert post_login(app, user.email, PASSWORD, "192.0.2.3").status_code == 302
    with app.app_context():
        upgraded = db.session.get(User, user.id).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert post_login(app, user.email, PASSWORD, "192.0.2.3").status_code == 302


@pytest.fixture
def hashing_watch(app, monkeypatch):
    """Every argon2 hash or verify records whether a write was under way in this thread's session:
    a unit of work open, the SQLite writer queue held, or rows already flushed in the open
    transaction."""
    from examsite.accounts import models
    from examsite.database import QUEUED, UNIT, WROTE

    seen = []
    real = models._hasher

    class Watched:
        def __getattr__(self, name):
            return getattr(real, name)

        def _note(self):
            session = db.session()
            seen.append(
                bool(
                    session.info.get(UNIT)
                    or session.info.get(QUEUED)
                    or session.info.get(WROTE)
                    or session.new
                    or session.dirty
                )
            )

        def hash(self, *args, **kwargs):
            self._note()
            return real.hash(*args, **kwargs)

        def verify(self, *args, **kwargs):
            self._note()
            return real.verify(*args, **kwargs)

    monkeypatch.setattr(models, "_hasher", Watched())
    return seen


def test_no_password_is_hashed_or_checked_inside_a_write(app, client, login, make_user, hashing_watch):
    from examsite.accounts.models import User
    from examsite.programs.models import Cohort, Institution

    user = make_user("trainee")
    make_user("admin")
    hashing_watch.clear()
    assert post_login(app, user.email, PASSWORD, "192.0.2.1").status_code == 302  # login and its audit
    assert post_login(app, user.email, "wrong password!", "192.0.2.1").status_code == 401  # a failure
    assert post_login(app, "nobody@example.org", "wrong password!", "192.0.2.1").status_code == 401
    session = login(user)
    session.form(
        "/account",
        {"current": PASSWORD, "password": "a new long passphrase", "confirm": "a new long passphrase"},
    )
    assert register_and_count(client) == 302
    with app.app_context():
        institution = Institution(name="Lakeside College")
        db.session.add(institution)
        db.session.flush()
        db.session.add(Cohort(name="Fall", institution_id=institution.id))
        db.session.commit()
        institution_id = institution.id
    roster = "email,name,cohort\n" + "".join(f"new{n}@example.org,New {n},Fall\n" for n in range(5))
    admin = login(make_user("admin"))  # the administrators' roster page: 5 accounts with passwords
    response = admin.form(
        f"/admin/institutions/{institution_id}/roster",
        {"roster": (io.BytesIO(roster.encode()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_data(as_text=True).count("@example.org") >= 5
    with app.app_context():
        created = db.session.scalar(select(func.count()).select_from(User).where(User.email.like("new%")))
        assert created == 5
    assert len(hashing_watch) >= 10
    assert not any(hashing_watch), hashing_watch


def register_and_count(client):
    return register(client, email="fresh@example.org").status_code


def test_client_address_comes_from_trusted_proxies_only(app, make_user, database_url, tmp_path):
    from config import TestConfig
    from examsite import create_app
    from examsite.audit.models import AuditEvent

    user = make_user("trainee")

    def last_login_address(server):
        client = server.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.50, 10.0.0.2"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
        with server.app_context():
            return db.session.scalars(
                select(AuditEvent.ip_address)
                .where(AuditEvent.action == "login")
                .order_by(AuditEvent.id.desc())
            ).first()

    assert last_login_address(app) == "10.0.0.1"  # default 0: the header is ignored
    overrides = {"SQLALCHEMY_DATABASE_URI": database_url, "SIGNING_KEY_PATH": str(tmp_path / "k.pem")}
    one = create_app(TestConfig, overrides={**overrides, "TRUSTED_PROXIES": 1})
    assert last_login_address(one) == "10.0.0.2"  # the hop our one proxy saw
    two = create_app(TestConfig, overrides={**overrides, "TRUSTED_PROXIES": 2})
    assert last_login_address(two) == "203.0.113.50"


def test_change_password(client, login, make_user):
    session = login(make_user("trainee"))
    page = session.client.get("/account").get_data(as_text=True)
    assert "<title>Your account · examsite</title>" in page
    assert page.count('id="tokens-heading"') == 1
    bad = session.form(
        "/account", {"current": "wrong one!!", "password": "a new password 1", "confirm": "a new password 1"}
    )
    assert "not correct" in bad.get_data(as_text=True)
    ok = session.form(
        "/account", {"current": PASSWORD, "password": "a new password 1", "confirm": "a new password 1"}
    )
    assert ok.status_code == 302


@pytest.mark.parametrize("path", ["/admin/", "/reports/pass-rates"])
def test_admin_pages_need_admin(client, login, make_user, path):
    assert client.get(path).status_code == 302  # to the login page
    assert login(make_user("trainee")).client.get(path).status_code == 403
    assert login(make_user("instructor")).client.get(path).status_code == 403
    assert login(make_user("admin")).client.get(path).status_code == 200


def test_open_redirect_refused(client, make_user):
    user = make_user("trainee")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


# ---- CLI ----


def test_users_create_and_token(app, runner):
    result = runner.invoke(
        args=["users", "create", "Boss@Example.org", "--name", "Boss", "--role", "admin", "--password-stdin"],
        input="a long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss@example.org" in result.output
    again = runner.invoke(args=["users", "create", "boss@example.org", "--name", "Boss"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    token = runner.invoke(args=["users", "token", "boss@example.org"])
    assert token.exit_code == 0
    value = token.output.strip()
    assert value.startswith("exs_")
    from examsite.accounts.models import ApiToken

    with app.app_context():
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash == ApiToken.hash(value) != value


def test_users_create_rejects_unknown_role_and_weak_password(runner):
    result = runner.invoke(args=["users", "create", "x@example.org", "--name", "X", "--role", "wizard"])
    assert result.exit_code != 0
    weak = runner.invoke(
        args=["users", "create", "x@example.org", "--name", "X", "--password-stdin"], input="abc\n"
    )
    assert weak.exit_code == 1
    assert "at least 10" in weak.output


def test_users_token_unknown_email(runner):
    result = runner.invoke(args=["users", "token", "ghost@example.org"])
    assert result.exit_code == 1
    assert "no user" in result.output


def test_exams_configure(app, runner):
    result = runner.invoke(
        args=[
            "exams",
            "configure",
            "trainer",
            "--items",
            "100",
            "--minutes",
            "150",
            "--passing-percent",
            "72.5",
            "--retake-days",
            "30",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "100 items, 150 minutes, passing 72.50%" in result.output
    bad = runner.invoke(args=["exams", "configure", "astronaut", "--items", "10"])
    assert bad.exit_code == 1 and "unknown role" in bad.output
    out_of_range = runner.invoke(args=["exams", "configure", "trainer", "--passing-percent", "120"])
    assert out_of_range.exit_code == 1 and "at most 100" in out_of_range.output
    from examsite.audit.models import AuditEvent

    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.configure"))
        assert event.details["form_items"] == "100"


def test_audit_log_is_append_only(app, runner):
    from sqlalchemy.exc import DBAPIError

    from examsite.audit.models import AuditEvent
    from examsite.audit.services import record

    with app.app_context():
        record("test.event", object_type="Thing", object_id=1)
        db.session.commit()
        event = db.session.scalar(select(AuditEvent))
        event.action = "tampered"
        with pytest.raises(DBAPIError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(DBAPIError):
            db.session.execute(AuditEvent.__table__.delete())
            db.session.commit()
        db.session.rollback()


def test_cli_reports_unreachable_database_in_one_line(tmp_path):
    from click.testing import CliRunner

    from config import TestConfig
    from examsite import create_app

    app = create_app(
        TestConfig,
        overrides={
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SIGNING_KEY_PATH": str(tmp_path / "k.pem"),
        },
    )
    result = app.test_cli_runner().invoke(args=["users", "token", "a@example.org"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output
    del CliRunner


def test_healthz_reports_database_down(tmp_path):
    from config import TestConfig
    from examsite import create_app

    app = create_app(
        TestConfig,
        overrides={
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            "SIGNING_KEY_PATH": str(tmp_path / "k.pem"),
        },
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_unexpected_error_gives_friendly_500(app, client, monkeypatch):
    from examsite.catalog import views

    def boom():
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "roles_by_category", boom)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    api = client.get("/api/v1/roles", headers={"Accept": "application/json"})
    assert api.status_code == 200  # the API route does not use the patched view helper
