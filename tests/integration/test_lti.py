"""The LTI 1.3 tool against a simulated platform (tests/support/lti_platform.py): registration,
login and launch with every check, accounts and cohorts, deep linking, grade passback through the
outbox, roster sync, key rotation, and who may reach each /lti page."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from examsite.extensions import db
from tests.conftest import csrf_from
from tests.support.lti_platform import (
    DROP,
    INSTRUCTOR,
    LEARNER,
    LTI,
    TEACHING_ASSISTANT,
    Platform,
    User,
    parse_redirect,
)

ROLE = "implementation-manager"
_TOOL_KEY: dict[str, bytes] = {}


def _tool_key_pem(tmp_path_factory) -> bytes:
    if "pem" not in _TOOL_KEY:  # one 3072-bit RSA key for the run, copied into each app
        from examsite.certificates import keys

        path = tmp_path_factory.mktemp("lti-key") / "key.pem"
        keys.load_or_create(path, "RS256")
        _TOOL_KEY["pem"] = path.read_bytes()
    return _TOOL_KEY["pem"]


@pytest.fixture
def tool_key(app, tmp_path_factory):
    path = Path(app.config["LTI_KEY_PATH"])
    path.write_bytes(_tool_key_pem(tmp_path_factory))
    path.chmod(0o600)
    return path


@pytest.fixture
def platform(app, client, tool_key):
    lms = Platform(tool_jwks=lambda: client.get("/lti/jwks.json").get_json()).start()
    yield lms
    lms.stop()


@pytest.fixture
def institution(app):
    from examsite.programs.models import Institution

    with app.app_context():
        row = Institution(name="Valley Community College")
        db.session.add(row)
        db.session.commit()
        return row.name


@pytest.fixture
def registered(app, runner, platform, institution):
    result = runner.invoke(args=[*platform.register_args(), "--institution", institution])
    assert result.exit_code == 0, result.output
    return platform


LEARNER_ANA = User("ana-sub-1", "Ana Learner", "ana@students.example.edu", [LEARNER])
TEACHER_TOM = User("tom-sub-2", "Tom Teacher", "tom@faculty.example.edu", [INSTRUCTOR])


def launch(client, platform, user, login_overrides=None, **claims):
    """Login initiation -> the platform's authorization -> the launch, as a browser would."""
    platform.current_user = user
    response = client.post("/lti/login", data=platform.login_params(**(login_overrides or {})))
    assert response.status_code == 302, response.get_data(as_text=True)
    endpoint, query = parse_redirect(response.headers["Location"])
    assert endpoint == platform.base_url + "/auth"
    form = platform.authorize(query, user, **claims)
    return client.post("/lti/launch", data=form), form


def linked_user(app, platform, sub):
    from examsite.accounts.models import User as Account
    from examsite.lti.models import LtiAccount

    with app.app_context():
        return db.session.scalar(
            select(Account)
            .join(LtiAccount, LtiAccount.user_id == Account.id)
            .where(LtiAccount.issuer == platform.issuer, LtiAccount.sub == sub)
        )


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- registration and keys ----------------------------------------------------------------------


def test_register_twice_updates_and_adds_a_deployment(app, runner, registered):
    from examsite.lti.models import LtiDeployment, LtiPlatform

    urls = registered.urls
    args = ["lti", "register", "--allow-http"]
    for name in ("issuer", "client_id", "auth_login_url", "auth_token_url", "key_set_url"):
        args += ["--" + name.replace("_", "-"), urls[name]]
    result = runner.invoke(args=[*args, "--deployment-id", "deployment-2"])
    assert result.exit_code == 0 and "updated" in result.output
    assert count(app, LtiPlatform) == 1 and count(app, LtiDeployment) == 2
    bad = runner.invoke(args=[*args[:3], *args[5:], "--issuer", "ftp://x", "--deployment-id", "d"])
    assert bad.exit_code == 1 and "https URL" in bad.output
    unknown = runner.invoke(args=[*args, "--deployment-id", "d", "--institution", "Nowhere"])
    assert unknown.exit_code == 1 and "no institution named 'Nowhere'" in unknown.output
    assert count(app, LtiPlatform) == 1


def test_jwks_publishes_the_tool_key_and_keeps_a_rotated_one(app, client, runner, tool_key):
    first = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256"
    assert "d" not in first[0] and "p" not in first[0]
    result = runner.invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0
    after = client.get("/lti/jwks.json").get_json()["keys"]
    assert [k["kid"] for k in after][1:] == [first[0]["kid"]] and after[0]["kid"] != first[0]["kid"]
    app.config["LTI_RETIRED_KEY_DAYS"] = 0
    old = next(Path(str(tool_key) + ".retired").glob("*.pem"))
    past = time.time() - 3600
    import os

    os.utime(old, (past, past))
    assert [k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]] == [after[0]["kid"]]


# --- launches -----------------------------------------------------------------------------------


def test_full_launch_exam_and_score_posted(app, client, registered, banks):
    from examsite.lti.models import LtiScore

    response, _ = launch(client, registered, LEARNER_ANA, **{LTI + "custom": {"role": ROLE}})
    assert response.status_code == 302 and response.headers["Location"] == f"/roles/{ROLE}"
    user = linked_user(app, registered, "ana-sub-1")
    assert (user.role, user.name, user.email, user.password_hash) == (
        "trainee",
        "Ana Learner",
        "ana@students.example.edu",
        None,
    )
    with app.app_context():
        from examsite.accounts.models import User as Account

        cohort = db.session.get(Account, user.id).cohort
        assert cohort.name == "HIT 101: Implementation"
        assert cohort.institution.name == "Valley Community College"

    page = client.get(f"/roles/{ROLE}").get_data(as_text=True)
    token = csrf_from(page)
    started = client.post("/api/v1/attempts", json={"role": ROLE}, headers={"X-CSRFToken": token})
    assert started.status_code == 201
    attempt = started.get_json()
    submitted = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers={"X-CSRFToken": token})
    assert submitted.status_code == 200
    percent = submitted.get_json()["score_percent"]
    assert len(registered.scores) == 1
    posted = registered.scores[0]
    assert posted["lineitem"] == "/lineitems/1" and posted["query"] == "course=course-101"
    assert posted["userId"] == "ana-sub-1"
    assert posted["scoreGiven"] == pytest.approx(float(percent)) and posted["scoreMaximum"] == 100
    assert posted["activityProgress"] == "Completed" and posted["gradingProgress"] == "FullyGraded"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", posted["timestamp"])
    token_request = registered.token_requests[0]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in token_request["scope"]
    with app.app_context():
        row = db.session.scalar(select(LtiScore))
        assert row.sent_at is not None and row.tries == 1 and row.last_error is None
    # submitting again changes nothing and posts nothing
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers={"X-CSRFToken": token})
    assert len(registered.scores) == 1


def test_a_replayed_launch_is_refused(app, client, registered):
    from examsite.lti.launch import cookie_name, cookie_value

    first, form = launch(client, registered, LEARNER_ANA, **{LTI + "custom": {"role": ROLE}})
    assert first.status_code == 302
    # the same browser (its state cookie put back) posts the same id_token again
    client.set_cookie(cookie_name(form["state"]), cookie_value(form["state"]), path="/lti/launch")
    again = client.post("/lti/launch", data=form)
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"aud": "someone-else"}, "wrong audience"),
        ({"aud": ["examsite-client", "other"], "azp": "other"}, "authorized party"),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({LTI + "deployment_id": "unknown-deployment"}, "deployment is not registered"),
        ({LTI + "message_type": "LtiSubmissionReviewRequest"}, "does not handle messages"),
        ({LTI + "version": "1.1"}, "1.3.0"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "expired"),
        ({"iat": int(time.time()) + 3600}, "not plausible"),
        ({"nonce": "not-the-one"}, "nonce does not match"),
        ({"sub": DROP}, "Anonymous launches"),
        ({LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]}, "no access"),
        ({LTI + "resource_link": DROP}, "resource link"),
    ],
)
def test_bad_launches_get_a_clear_400_page(app, client, registered, claims, message):
    response, _ = launch(client, registered, LEARNER_ANA, **claims)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert linked_user(app, registered, "ana-sub-1") is None


def test_a_token_signed_by_another_key_is_refused(app, client, registered):
    from joserfc.jwk import RSAKey

    response = client.post("/lti/login", data=registered.login_params())
    _, query = parse_redirect(response.headers["Location"])
    forged_key = RSAKey.generate_key(2048, parameters={"kid": registered.key.kid})
    good = registered.authorize(query, LEARNER_ANA)
    claims = jwt.decode(good["id_token"], registered.key).claims
    forged = jwt.encode({"alg": "RS256", "kid": registered.key.kid}, claims, forged_key)
    refused = client.post("/lti/launch", data={"id_token": forged, "state": good["state"]})
    assert refused.status_code == 400 and "signature" in refused.get_data(as_text=True)


def test_state_must_be_ours_and_come_with_its_cookie(app, client, registered):
    assert client.post("/lti/launch", data={"state": "forged", "id_token": "x"}).status_code == 400
    registered.current_user = LEARNER_ANA
    response = client.post("/lti/login", data=registered.login_params())
    _, query = parse_redirect(response.headers["Location"])
    form = registered.authorize(query, LEARNER_ANA)
    other_browser = app.test_client()
    blocked = other_browser.post("/lti/launch", data=form)
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 400 and "new window" in html
    relaunch = re.search(r'href="([^"]+)" target="_blank"', html).group(1).replace("&amp;", "&")
    assert relaunch.startswith("/lti/login?") and "login_hint=hint-for-ana-sub-1" in relaunch
    assert other_browser.get(relaunch).status_code == 302  # a new login in the new window
    assert linked_user(app, registered, "ana-sub-1") is None


def test_login_initiation_refuses_unknown_platforms_and_foreign_targets(client, registered):
    unknown = client.post("/lti/login", data=registered.login_params(iss="https://unknown.example"))
    assert unknown.status_code == 400 and "not registered" in unknown.get_data(as_text=True)
    foreign = client.post(
        "/lti/login", data=registered.login_params(target_link_uri="https://evil.example/x")
    )
    assert foreign.status_code == 400
    assert client.get("/lti/login").status_code == 400


def test_state_cookie_is_cross_site_over_https(client, registered):
    response = client.post(
        "/lti/login", data=registered.login_params(), base_url="https://exams.example.test"
    )
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_lti_session_over_https_may_be_framed_by_the_platform_only(app, registered):
    client = app.test_client()
    https = {"base_url": "https://exams.example.test"}
    response = client.post("/lti/login", data=registered.login_params(), **https)
    _, query = parse_redirect(response.headers["Location"])
    form = registered.authorize(query, LEARNER_ANA, **{LTI + "custom": {"role": ROLE}})
    launched = client.post("/lti/launch", data=form, **https)
    assert launched.status_code == 302
    session_cookie = [c for c in launched.headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "SameSite=None" in session_cookie and "Secure" in session_cookie
    page = client.get(f"/roles/{ROLE}", **https)
    assert page.status_code == 200
    assert f"frame-ancestors 'self' {registered.base_url}" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    # an ordinary session still may not be framed and keeps its Lax cookie
    other = app.test_client().get("/login", **https)
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
    assert other.headers["X-Frame-Options"] == "DENY"


# --- accounts -----------------------------------------------------------------------------------


def test_instructor_launch_never_becomes_a_trainee(app, client, registered, banks):
    response, _ = launch(client, registered, TEACHER_TOM, **{LTI + "custom": {"role": ROLE}})
    assert response.status_code == 302
    tom = linked_user(app, registered, "tom-sub-2")
    assert tom.role == "instructor" and tom.cohort_id is None
    token = csrf_from(client.get(f"/roles/{ROLE}").get_data(as_text=True))
    started = client.post("/api/v1/attempts", json={"role": ROLE}, headers={"X-CSRFToken": token})
    assert started.status_code == 403
    # a teaching assistant (sub-role of Instructor) who is also a learner is staff too
    assistant = User("ta-sub-3", "Tia Assistant", None, [LEARNER, TEACHING_ASSISTANT])
    response, _ = launch(app.test_client(), registered, assistant)
    ta = linked_user(app, registered, "ta-sub-3")
    assert response.status_code == 302 and ta.role == "instructor" and ta.email.endswith(".invalid")
    # the same instructor launching in a student view stays an instructor
    launch(app.test_client(), registered, User("tom-sub-2", "Tom Teacher", None, [LEARNER]))
    assert linked_user(app, registered, "tom-sub-2").role == "instructor"


def test_a_trainee_launching_as_instructor_is_refused_not_promoted(app, registered):
    launch(app.test_client(), registered, LEARNER_ANA)
    response, _ = launch(app.test_client(), registered, User("ana-sub-1", "Ana", None, [INSTRUCTOR]))
    assert response.status_code == 400 and "administrator must change its role" in response.get_data(
        as_text=True
    )
    assert linked_user(app, registered, "ana-sub-1").role == "trainee"


def test_an_email_already_taken_is_not_linked_to(app, registered, make_user):
    owner = make_user("admin", email="ana@students.example.edu")
    launch(app.test_client(), registered, LEARNER_ANA)
    ana = linked_user(app, registered, "ana-sub-1")
    assert ana.id != owner.id and ana.role == "trainee" and ana.email.endswith(".invalid")


# --- deep linking -------------------------------------------------------------------------------


def test_deep_linking_returns_a_signed_content_item(app, client, registered):
    response, _ = launch(client, registered, TEACHER_TOM, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 302 and response.headers["Location"] == "/lti/deep-link"
    page = client.get("/lti/deep-link")
    assert page.status_code == 200 and "Add an exam to your course" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post("/lti/deep-link", data={"role": ROLE}).status_code == 400  # no CSRF token
    assert client.post("/lti/deep-link", data={"csrf_token": token, "role": "astronaut"}).status_code == 422
    chosen = client.post("/lti/deep-link", data={"csrf_token": token, "role": ROLE})
    assert chosen.status_code == 200
    html = chosen.get_data(as_text=True)
    assert f'action="{registered.base_url}/deep-link-return"' in html
    assert f"form-action 'self' {registered.base_url}" in chosen.headers["Content-Security-Policy"]
    reply = re.search(r'name="JWT" value="([^"]+)"', html).group(1)
    tool_keys = KeySet.import_key_set(client.get("/lti/jwks.json").get_json())
    claims = jwt.decode(reply, tool_keys, algorithms=["RS256"]).claims
    assert claims["iss"] == registered.client_id and claims["aud"] == registered.issuer
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse" and claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == registered.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"role": ROLE}
    assert item["url"] == "https://exams.example.test/lti/launch"
    assert item["lineItem"]["scoreMaximum"] == 100
    assert claims["exp"] > time.time() > claims["iat"] - 5
    # the request is answered once
    assert client.get("/lti/deep-link").status_code == 400


def test_learners_cannot_deep_link(app, client, registered):
    response, _ = launch(client, registered, LEARNER_ANA, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 400 and "Only instructors" in response.get_data(as_text=True)


# --- grade passback -----------------------------------------------------------------------------


def _take_exam(client):
    token = csrf_from(client.get(f"/roles/{ROLE}").get_data(as_text=True))
    attempt = client.post("/api/v1/attempts", json={"role": ROLE}, headers={"X-CSRFToken": token}).get_json()
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers={"X-CSRFToken": token})


def test_a_failing_line_item_then_recovering_gets_the_score_once(
    app, client, runner, registered, banks, clock
):
    from examsite.lti.models import LtiScore

    launch(client, registered, LEARNER_ANA, **{LTI + "custom": {"role": ROLE}})
    registered.fail_scores = 2
    assert _take_exam(client).status_code == 200  # the trainee never sees the LMS's trouble
    assert registered.scores == []
    with app.app_context():
        row = db.session.scalar(select(LtiScore))
        assert row.sent_at is None and row.tries == 1 and "503" in row.last_error
    admin = _admin_session(app)
    page = admin.get("/admin/lti/").get_data(as_text=True)
    assert "Scores not yet in their LMS" in page and "grade book unavailable" in page
    # not due yet: cron does nothing
    assert runner.invoke(args=["lti", "send-scores"]).output.startswith("0 sent, 0 failed")
    clock.advance(minutes=1)
    failed = runner.invoke(args=["lti", "send-scores"])
    assert failed.exit_code == 1 and "0 sent, 1 failed" in failed.output
    clock.advance(minutes=2)
    ok = runner.invoke(args=["lti", "send-scores"])
    assert ok.exit_code == 0 and "1 sent, 0 failed" in ok.output
    clock.advance(hours=2)
    assert runner.invoke(args=["lti", "send-scores"]).output.startswith("0 sent")
    assert len(registered.scores) == 1 and registered.scores[0]["userId"] == "ana-sub-1"
    assert "Every score has reached its LMS" in admin.get("/admin/lti/").get_data(as_text=True)


def test_an_exam_taken_without_lti_posts_nothing(app, login, make_user, registered, banks):
    from examsite.lti.models import LtiScore

    session = login(make_user("trainee"))
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    assert session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").status_code == 200
    assert count(app, LtiScore) == 0 and registered.scores == []


# --- rosters ------------------------------------------------------------------------------------


def test_an_instructor_syncs_the_course_roster_into_the_cohort(app, client, registered):
    from examsite.accounts.models import User as Account

    registered.members = [
        {"user_id": "tom-sub-2", "roles": [INSTRUCTOR], "status": "Active", "name": "Tom Teacher"},
        {
            "user_id": "s1",
            "roles": [LEARNER],
            "status": "Active",
            "given_name": "Sam",
            "family_name": "One",
            "email": "sam@students.example.edu",
        },
        {"user_id": "s2", "roles": [LEARNER], "status": "Active", "name": "Sue Two"},
        {"user_id": "s3", "roles": [LEARNER], "status": "Inactive", "name": "Gone Three"},
    ]
    launch(client, registered, TEACHER_TOM)
    page = client.get("/lti/courses")
    assert page.status_code == 200 and "HIT 101: Implementation" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    context_id = re.search(r"/lti/courses/(\d+)/sync", page.get_data(as_text=True)).group(1)
    assert client.post(f"/lti/courses/{context_id}/sync").status_code == 400  # CSRF
    synced = client.post(f"/lti/courses/{context_id}/sync", data={"csrf_token": token}, follow_redirects=True)
    assert "2 learner(s), 1 instructor(s), 1 skipped" in synced.get_data(as_text=True)
    sam, sue = linked_user(app, registered, "s1"), linked_user(app, registered, "s2")
    assert (sam.name, sam.email, sam.role) == ("Sam One", "sam@students.example.edu", "trainee")
    assert sam.cohort_id == sue.cohort_id is not None
    assert linked_user(app, registered, "s3") is None
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Account).where(Account.cohort_id == sam.cohort_id)
            )
            == 2
        )
    # again: nobody twice
    client.post(f"/lti/courses/{context_id}/sync", data={"csrf_token": token})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Account)) == 3


def test_roster_of_another_instructors_course_is_404(app, registered, make_user, login):
    launch(app.test_client(), registered, TEACHER_TOM)
    outsider = login(make_user("instructor"))
    assert "course-101" not in outsider.client.get("/lti/courses").get_data(as_text=True)
    from examsite.lti.models import LtiContext

    with app.app_context():
        context_id = db.session.scalar(select(LtiContext.id))
    assert outsider.form(f"/lti/courses/{context_id}/sync").status_code == 404


# --- administration and access ------------------------------------------------------------------


def _admin_session(app):
    from examsite.accounts.models import User as Account
    from tests.conftest import PASSWORD

    with app.app_context():
        admin = Account(email="root@example.org", name="Root", role="admin")
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.commit()
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "root@example.org", "password": PASSWORD, "csrf_token": token})
    return client


def test_admin_page_lists_and_adds_registrations(app, tool_key, institution):
    from examsite.lti.models import LtiPlatform

    admin = _admin_session(app)
    page = admin.get("/admin/lti/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "https://exams.example.test/lti/login" in html
    assert "https://exams.example.test/lti/jwks.json" in html
    data = {
        "issuer": "https://moodle.example.edu",
        "client_id": "abc123",
        "auth_login_url": "https://moodle.example.edu/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.edu/mod/lti/token.php",
        "key_set_url": "https://moodle.example.edu/mod/lti/certs.php",
        "deployment_id": "7",
        "institution": institution,
    }
    assert admin.post("/admin/lti/", data=data).status_code == 400  # no CSRF token
    token = csrf_from(html)
    bad = admin.post("/admin/lti/", data={**data, "key_set_url": "javascript:alert(1)", "csrf_token": token})
    assert bad.status_code == 422 and "must be an https URL" in bad.get_data(as_text=True)
    added = admin.post("/admin/lti/", data={**data, "csrf_token": token}, follow_redirects=True)
    assert added.status_code == 200 and "https://moodle.example.edu" in added.get_data(as_text=True)
    with app.app_context():
        platform = db.session.scalar(select(LtiPlatform))
        assert platform.institution.name == institution and platform.deployments[0].deployment_id == "7"


LTI_PAGES = ["/admin/lti/", "/lti/courses", "/lti/deep-link"]


@pytest.mark.parametrize("path", LTI_PAGES)
def test_lti_pages_send_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_lti_pages_and_actions_by_role(app, make_user, login, tool_key):
    trainee = login(make_user("trainee"))
    for path in LTI_PAGES:
        assert trainee.client.get(path).status_code == 403, path
    assert trainee.form("/lti/courses/1/sync").status_code == 403
    assert trainee.form("/admin/lti/scores/send").status_code == 403
    instructor = login(make_user("instructor"))
    assert instructor.client.get("/admin/lti/").status_code == 403
    assert instructor.form("/admin/lti/", {"issuer": "https://x.example"}).status_code == 403
    assert instructor.client.get("/lti/courses").status_code == 200
    assert instructor.form("/lti/courses/999/sync").status_code == 404
    # public: the key set, and the platform-facing login and launch
    anonymous = app.test_client()
    assert anonymous.get("/lti/jwks.json").status_code == 200
    assert anonymous.post("/lti/launch", data={}).status_code == 400


def test_tool_key_is_made_on_first_use_with_private_permissions(app, client):
    path = Path(app.config["LTI_KEY_PATH"])
    assert not path.exists()
    assert client.get("/lti/jwks.json").status_code == 200
    assert path.exists() and (path.stat().st_mode & 0o077) == 0
    shutil.rmtree(path.parent / (path.name + ".retired"), ignore_errors=True)


def test_deep_linking_honours_the_platforms_settings(app, client, registered):
    settings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    base = {
        "deep_link_return_url": registered.base_url + "/deep-link-return",
        "accept_types": ["ltiResourceLink"],
    }
    response, _ = launch(
        client,
        registered,
        TEACHER_TOM,
        message_type="LtiDeepLinkingRequest",
        **{settings: {**base, "accept_lineitem": False}},
    )
    assert response.status_code == 302
    token = csrf_from(client.get("/lti/deep-link").get_data(as_text=True))
    html = client.post("/lti/deep-link", data={"csrf_token": token, "role": ROLE}).get_data(as_text=True)
    reply = re.search(r'name="JWT" value="([^"]+)"', html).group(1)
    claims = jwt.decode(reply, KeySet.import_key_set(client.get("/lti/jwks.json").get_json())).claims
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert "lineItem" not in item and "data" not in str(
        claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
    )
    refused, _ = launch(
        app.test_client(),
        registered,
        TEACHER_TOM,
        message_type="LtiDeepLinkingRequest",
        **{settings: {**base, "accept_types": ["link"]}},
    )
    assert refused.status_code == 400 and "does not accept LTI resource links" in refused.get_data(
        as_text=True
    )


def test_a_platform_key_rotation_is_followed_and_made_up_kids_do_not_flood_it(app, registered, monkeypatch):
    from joserfc.jwk import RSAKey

    from examsite.lti import platforms

    assert launch(app.test_client(), registered, LEARNER_ANA)[0].status_code == 302
    fetched = registered.jwks_fetches
    # a forged token naming an unknown kid, just after a fetch: refused without fetching again
    client = app.test_client()
    response = client.post("/lti/login", data=registered.login_params())
    _, query = parse_redirect(response.headers["Location"])
    good = registered.authorize(query, LEARNER_ANA)
    claims = jwt.decode(good["id_token"], registered.key).claims
    stranger = RSAKey.generate_key(2048, parameters={"kid": "made-up"})
    forged = jwt.encode({"alg": "RS256", "kid": "made-up"}, claims, stranger)
    assert client.post("/lti/launch", data={"id_token": forged, "state": good["state"]}).status_code == 400
    assert registered.jwks_fetches == fetched
    # the platform rotates its key: the new kid is fetched (once the short guard has passed)
    monkeypatch.setattr(platforms, "KID_REFETCH_SECONDS", 0)
    registered.key = RSAKey.generate_key(2048, parameters={"kid": "platform-key-2", "alg": "RS256"})
    response, _ = launch(app.test_client(), registered, LEARNER_ANA)
    assert response.status_code == 302 and registered.jwks_fetches == fetched + 1


def test_a_failed_roster_read_writes_nothing(app, client, registered):
    from examsite.lti.models import LtiAccount

    registered.members = [{"user_id": "s1", "roles": [LEARNER], "status": "Active", "name": "Sam One"}]
    registered.fail_roster = True
    launch(client, registered, TEACHER_TOM)
    page = client.get("/lti/courses").get_data(as_text=True)
    context_id = re.search(r"/lti/courses/(\d+)/sync", page).group(1)
    synced = client.post(
        f"/lti/courses/{context_id}/sync", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert synced.status_code == 200 and "roster service down" in synced.get_data(as_text=True)
    assert count(app, LtiAccount) == 1  # Tom only


def test_a_deactivated_account_cannot_launch(app, registered):
    from examsite.accounts.models import User as Account

    launch(app.test_client(), registered, LEARNER_ANA)
    with app.app_context():
        db.session.get(Account, linked_user(app, registered, "ana-sub-1").id).active = False
        db.session.commit()
    response, _ = launch(app.test_client(), registered, LEARNER_ANA)
    assert response.status_code == 400 and "deactivated" in response.get_data(as_text=True)


def test_a_launch_without_a_known_role_lands_on_the_exam_list(app, client, registered):
    response, _ = launch(client, registered, LEARNER_ANA, **{LTI + "custom": {"role": "astronaut"}})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "does not offer" in client.get("/").get_data(as_text=True)


def test_an_administrator_posts_due_scores_from_the_page(app, client, registered, banks, clock):
    launch(client, registered, LEARNER_ANA, **{LTI + "custom": {"role": ROLE}})
    registered.fail_scores = 1
    assert _take_exam(client).status_code == 200 and registered.scores == []
    admin = _admin_session(app)
    page = admin.get("/admin/lti/").get_data(as_text=True)
    assert admin.post("/admin/lti/scores/send").status_code == 400  # no CSRF token
    clock.advance(minutes=1)
    done = admin.post("/admin/lti/scores/send", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "1 score(s) posted, 0 failed" in done.get_data(as_text=True)
    assert len(registered.scores) == 1
