"""Personal API tokens: /api/v1 only, named, scoped, expiring, listed and revoked (issue 18)."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from examsite.extensions import db
from tests.conftest import csrf_from


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def works(app, token: str) -> bool:
    """Whether the API takes this token for its user (a start without a role: 422, not 401)."""
    reply = app.test_client().post("/api/v1/attempts", json={}, headers=bearer(token))
    assert reply.status_code in (401, 422), reply.get_data(as_text=True)
    return reply.status_code == 422


def new_token(runner, email: str, *options: str) -> str:
    result = runner.invoke(args=["users", "token", email, *options])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_a_token_is_refused_on_html_routes(app, runner, make_user):
    admin = make_user("admin")
    trainee = make_user("trainee")
    token = new_token(runner, admin.email)
    client = app.test_client()
    # the API accepts it...
    assert client.get("/api/v1/reports/pass-rates", headers=bearer(token)).status_code == 200
    # ...but the administration pages do not know it: a GET is sent to the login page
    page = client.get("/admin/", headers=bearer(token))
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    # and an administration form posted with it changes nothing
    form = client.post(f"/admin/users/{trainee.id}/role", data={"role": "admin"}, headers=bearer(token))
    assert form.status_code in (302, 400, 401, 403)
    from examsite.accounts.models import User

    with app.app_context():
        assert db.session.get(User, trainee.id).role == "trainee"


def test_name_scope_and_expiry_from_the_command_line(app, runner, make_user, clock):
    from examsite.accounts.models import ApiToken

    admin = make_user("admin")
    token = new_token(
        runner, admin.email, "--name", "Power BI", "--scope", "reports:read", "--expires-days", "30"
    )
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert (row.name, row.scope) == ("Power BI", "reports:read")
        assert (row.expires_at - row.created_at).days == 30
    client = app.test_client()
    # inside its scope: reading reports
    assert client.get("/api/v1/reports/pass-rates", headers=bearer(token)).status_code == 200
    # outside it: 403 with a clear code, even where the admin could go or anyone could
    for method, path in (("GET", "/api/v1/roles"), ("POST", "/api/v1/attempts")):
        reply = client.open(path, method=method, json={}, headers=bearer(token))
        assert (reply.status_code, reply.get_json()["error"]) == (403, "token_scope")
    # expiry: the day after, it names nobody
    clock.advance(days=30, seconds=1)
    reply = client.get("/api/v1/reports/pass-rates", headers=bearer(token))
    assert reply.status_code == 401
    listing = runner.invoke(args=["users", "tokens", admin.email])
    assert re.search(r"^\d+\texpired\tPower BI\treports:read\t", listing.output, re.M), listing.output


def test_default_expiry_is_90_days_and_bad_options_are_refused(app, runner, make_user):
    from examsite.accounts.models import ApiToken

    user = make_user("trainee")
    new_token(runner, user.email)
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert (row.expires_at - row.created_at).days == 90 and row.scope is None
    for options in (["--scope", "everything"], ["--expires-days", "0"], ["--name", "bad\x00name"]):
        result = runner.invoke(args=["users", "token", user.email, *options])
        assert result.exit_code != 0, options
    with app.app_context():
        assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_revoke_from_the_command_line(app, runner, make_user):
    user = make_user("trainee")
    token = new_token(runner, user.email, "--name", "script")
    assert works(app, token)
    listing = runner.invoke(args=["users", "tokens", user.email]).output
    token_id = listing.split("\t")[0]
    assert "\tactive\tscript\tall\t" in listing
    result = runner.invoke(args=["users", "revoke-token", token_id])
    assert result.exit_code == 0 and "revoked" in result.output
    again = runner.invoke(args=["users", "revoke-token", token_id])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert runner.invoke(args=["users", "revoke-token", "999999"]).exit_code == 1
    assert "\trevoked\tscript\t" in runner.invoke(args=["users", "tokens", user.email]).output
    assert not works(app, token)


def test_users_list_and_revoke_their_own_on_the_account_page(app, runner, login, make_user):
    owner, other = make_user("trainee"), make_user("trainee")
    token = new_token(runner, owner.email, "--name", "laptop script")
    others = new_token(runner, other.email, "--name", "someone else's")
    session = login(owner)
    page = session.client.get("/account").get_data(as_text=True)
    assert "laptop script" in page and "someone else" not in page
    from examsite.accounts.models import ApiToken

    with app.app_context():
        mine = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "laptop script"))
        theirs = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "someone else's"))
    # another user's token: not found, and still working
    assert session.form(f"/account/tokens/{theirs}/revoke").status_code == 404
    assert works(app, others)
    # without the CSRF token: refused
    assert session.client.post(f"/account/tokens/{mine}/revoke").status_code == 400
    assert works(app, token)
    done = session.form(f"/account/tokens/{mine}/revoke")
    assert done.status_code == 302
    assert not works(app, token)
    page = session.client.get("/account").get_data(as_text=True)
    assert "revoked" in page
    csrf_from(page)  # the page still carries its forms' token


def test_last_used_is_written_at_most_every_few_minutes(app, runner, make_user, clock):
    from examsite.accounts.models import ApiToken

    user = make_user("trainee")
    token = new_token(runner, user.email)
    client = app.test_client()
    writes = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            writes.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get("/api/v1/roles", headers=bearer(token)).status_code == 200
        assert len(writes) == 1
        with app.app_context():
            first = db.session.scalar(select(ApiToken.last_used_at))
        assert first == clock.now()
        clock.advance(minutes=2)
        for _ in range(3):
            client.get("/api/v1/roles", headers=bearer(token))
        assert len(writes) == 1
        clock.advance(minutes=4)
        client.get("/api/v1/roles", headers=bearer(token))
        assert len(writes) == 2
        with app.app_context():
            assert db.session.scalar(select(ApiToken.last_used_at)) == clock.now()
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_users_create_their_own_token_on_the_account_page(app, login, make_user, clock):
    from examsite.accounts.models import ApiToken

    admin, trainee = make_user("admin"), make_user("trainee")
    session = login(admin)
    # without the CSRF token: refused, nothing created
    assert session.client.post("/account/tokens", data={"name": "x", "days": "30"}).status_code == 400
    # bad input: the page says why, nothing created
    bad = session.form("/account/tokens", {"name": "", "scope": "everything", "days": "0"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Not a valid choice" in html and "Number must be between 1 and 3650" in html
    with app.app_context():
        assert db.session.scalar(select(ApiToken.id)) is None

    made = session.form("/account/tokens", {"name": "BI refresh", "scope": "reports:read", "days": "30"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token-value"[^>]*value="([^"]+)"', made.get_data(as_text=True)).group(1)
    # the token works on the API, within its scope, for its owner only
    client = app.test_client()
    assert client.get("/api/v1/reports/pass-rates", headers=bearer(token)).status_code == 200
    assert client.post("/api/v1/attempts", json={}, headers=bearer(token)).status_code == 403
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "BI refresh"))
        assert row.user_id == admin.id and row.scope == "reports:read"
        assert (row.expires_at - row.created_at).days == 30
        assert token not in (row.token_hash or "")  # only its hash is stored
    # shown once: the account page lists it by name, never the token itself
    page = session.client.get("/account").get_data(as_text=True)
    assert "BI refresh" in page and token not in page

    # a trainee's token carries a trainee's rights
    mine = login(trainee).form("/account/tokens", {"name": "my script", "days": "7"})
    trainee_token = re.search(r'id="new-token-value"[^>]*value="([^"]+)"', mine.get_data(as_text=True)).group(
        1
    )
    assert works(app, trainee_token)
    assert client.get("/api/v1/reports/pass-rates", headers=bearer(trainee_token)).status_code == 403
