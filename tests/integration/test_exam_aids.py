"""Exam-taking aids (issue 24): struck-out options kept with the attempt, never scored; display
preferences kept per user; the confirmation before submitting with questions left."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examsite.extensions import db

ROLE = "implementation-manager"


@pytest.fixture
def trainee(make_user, banks):
    return make_user("trainee")


@pytest.fixture
def session(login, trainee):
    return login(trainee)


def start(session) -> dict:
    return session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()


def struck_url(attempt: dict, item: dict) -> str:
    return f"/api/v1/attempts/{attempt['id']}/items/{item['id']}/struck"


def stored_struck(app, attempt_item_id: int):
    from examsite.delivery.models import AttemptItem

    with app.app_context():
        return db.session.scalar(select(AttemptItem.struck).where(AttemptItem.id == attempt_item_id))


def test_strike_out_is_kept_shown_and_never_scored(app, session):
    attempt = start(session)
    item = attempt["items"][0]
    options = [o["id"] for o in item["options"]]
    reply = session.api(
        "PUT", struck_url(attempt, item), json={"struck": [options[1], options[1], options[2]]}
    )
    assert reply.status_code == 200
    assert reply.get_json() == {"item_id": item["id"], "struck": [options[1], options[2]]}
    assert stored_struck(app, item["id"]) == [options[1], options[2]]
    # the item page shows them pressed, the others not, after any reload
    page = session.client.get(f"/attempts/{attempt['id']}/items/1").get_data(as_text=True)
    pressed = dict(re.findall(r'id="strike-([^"]+)" aria-pressed="(true|false)"', page))
    assert pressed == {o: ("true" if o in options[1:3] else "false") for o in options}
    assert page.count('class="option struck"') == 2
    # never an answer: nothing in the responses, the API's response stays empty, scoring ignores it
    read = session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert read["items"][0]["response"] == []
    result = session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()
    assert result["status"] == "submitted"
    with app.app_context():
        from examsite.delivery.models import AttemptItem, Response

        assert db.session.scalars(select(Response).where(Response.attempt_id == attempt["id"])).all() == []
        assert db.session.get(AttemptItem, item["id"]).correct is False
    # cleared with an empty list is refused now: the attempt is closed
    closed = session.api("PUT", struck_url(attempt, item), json={"struck": []})
    assert closed.status_code == 409
    assert closed.get_json()["error"] == "attempt_closed"
    assert stored_struck(app, item["id"]) == [options[1], options[2]]


def test_strike_out_is_authorized_to_the_attempts_owner(app, session, make_user, login):
    attempt = start(session)
    item = attempt["items"][0]
    option = item["options"][0]["id"]
    other = login(make_user("trainee"))
    refused = other.api("PUT", struck_url(attempt, item), json={"struck": [option]})
    assert refused.status_code == 404
    assert refused.get_json()["error"] == "not_found"
    instructor = login(make_user("instructor"))
    assert instructor.api("PUT", struck_url(attempt, item), json={"struck": [option]}).status_code == 403
    anonymous = app.test_client().put(struck_url(attempt, item), json={"struck": [option]})
    assert anonymous.status_code in (400, 401)  # no session: no CSRF token either
    assert stored_struck(app, item["id"]) is None


def test_strike_out_needs_csrf_with_a_session(session):
    attempt = start(session)
    item = attempt["items"][0]
    reply = session.client.put(struck_url(attempt, item), json={"struck": []})
    assert reply.status_code == 400
    assert reply.get_json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"struck": ["zz"]}, 422, "unknown_option"),
        ({"struck": "a"}, 422, "invalid"),
        ({"struck": [1]}, 422, "invalid"),
        ({}, 422, "invalid"),
        ({"struck": ["a"] * 11}, 422, "invalid"),
    ],
)
def test_strike_out_bad_input_is_a_json_error(app, session, body, status, code):
    attempt = start(session)
    item = attempt["items"][0]
    reply = session.api("PUT", struck_url(attempt, item), json=body)
    assert reply.status_code == status
    assert reply.get_json()["error"] == code and reply.get_json()["message"]
    assert stored_struck(app, item["id"]) is None


def test_strike_out_of_another_attempts_item_is_404(session):
    attempt = start(session)
    reply = session.api("PUT", f"/api/v1/attempts/{attempt['id']}/items/999999/struck", json={"struck": []})
    assert reply.status_code == 404
    malformed = session.api(
        "PUT", struck_url(attempt, attempt["items"][0]), data="{", content_type="application/json"
    )
    assert malformed.status_code == 400 and malformed.get_json()["error"]


def test_strike_out_without_javascript_toggles(app, session):
    attempt = start(session)
    item = attempt["items"][1]
    option = item["options"][0]["id"]
    url = f"/attempts/{attempt['id']}/items/2"
    first = session.form(url, {"strike": option})
    assert first.status_code == 302 and first.headers["Location"].endswith(url)
    assert stored_struck(app, item["id"]) == [option]
    session.form(url, {"strike": option})
    assert stored_struck(app, item["id"]) == []


def test_preferences_are_kept_per_user_and_shown_on_every_page(app, session, trainee, make_user, login):
    reply = session.api("PUT", "/api/v1/me/preferences", json={"text_size": 150, "theme": "high-contrast"})
    assert reply.status_code == 200
    assert reply.get_json() == {"text_size": 150, "theme": "high-contrast"}
    home = session.client.get("/").get_data(as_text=True)
    assert '<html lang="en" data-text-size="150" data-theme="high-contrast">' in home
    only_size = session.api("PUT", "/api/v1/me/preferences", json={"text_size": 200})
    assert only_size.get_json() == {"text_size": 200, "theme": "high-contrast"}
    # another user keeps the defaults
    other = login(make_user("trainee"))
    assert 'data-text-size="100" data-theme="default"' in other.client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [
        {"text_size": 300},
        {"text_size": "150"},
        {"text_size": True},
        {"theme": "dark"},
        {"theme": 1},
    ],
)
def test_preferences_bad_input_is_a_json_error(app, session, trainee, body):
    reply = session.api("PUT", "/api/v1/me/preferences", json=body)
    assert reply.status_code == 422
    assert reply.get_json()["error"] == "invalid"
    from examsite.accounts.models import User

    with app.app_context():
        user = db.session.get(User, trainee.id)
        assert (user.text_size, user.theme) == (100, "default")


def test_preferences_need_a_login_and_csrf(app, session):
    assert app.test_client().put("/api/v1/me/preferences", json={"theme": "default"}).status_code in (
        400,
        401,
    )
    no_csrf = session.client.put("/api/v1/me/preferences", json={"theme": "high-contrast"})
    assert no_csrf.status_code == 400


def test_preferences_form_without_javascript(app, session, trainee):
    saved = session.form(
        "/account/preferences", {"text_size": "125", "theme": "high-contrast", "next": "/attempts"}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/attempts")
    bad = session.form("/account/preferences", {"text_size": "abc", "next": "https://evil.example/"})
    assert bad.status_code == 302 and "evil" not in bad.headers["Location"]
    unknown = session.form("/account/preferences", {"theme": "neon"})
    assert unknown.status_code == 302
    assert (
        session.client.post("/account/preferences", data={"theme": "default"}).status_code == 400
    )  # no CSRF
    from examsite.accounts.models import User

    with app.app_context():
        user = db.session.get(User, trainee.id)
        assert (user.text_size, user.theme) == (125, "high-contrast")


def test_submit_from_review_asks_first_when_questions_are_left(app, session):
    attempt = start(session)
    item = attempt["items"][0]
    session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        json={"choices": [item["options"][0]["id"]], "flagged": True},
    )
    review = session.client.get(f"/attempts/{attempt['id']}/review").get_data(as_text=True)
    assert 'data-unanswered="6" data-flagged="1"' in review
    assert "You have 6 unanswered questions and 1 question flagged for review." in review
    url = f"/attempts/{attempt['id']}/submit"
    asked = session.form(url, {"from_review": "1"})
    assert asked.status_code == 200
    asked_page = asked.get_data(as_text=True)
    assert "You have 6 unanswered questions and 1 question flagged for review." in asked_page
    assert '<h1 id="confirm-title">' in asked_page  # a page of its own
    assert '<h2 id="confirm-title">' in review  # a dialog within the review page
    assert session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()["status"] == "in_progress"
    confirmed = session.form(url, {"from_review": "1", "confirmed": "1"})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/result")
    assert session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()["status"] == "submitted"


def _attempt_with_a_multiple_response_item(app, make_user, login):
    """Forms are drawn at random: start attempts (a new trainee each) until one has one."""
    from examsite.delivery.models import AttemptItem

    for _ in range(30):
        session = login(make_user("trainee"))
        attempt = start(session)
        with app.app_context():
            rows = db.session.scalars(
                select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"])
            ).all()
            multiple = [r.position for r in rows if r.item_version.type == "multiple"]
        if multiple:
            return session, attempt, attempt["items"][multiple[0] - 1]
    pytest.fail("no form with a multiple-response item was drawn")


def test_multiple_response_count_is_shown(app, make_user, login, banks):
    session, attempt, item = _attempt_with_a_multiple_response_item(app, make_user, login)
    url = f"/attempts/{attempt['id']}/items/{item['position']}"
    page = session.client.get(url).get_data(as_text=True)
    choose = int(re.search(r'data-choose="(\d+)"', page).group(1))
    assert 'data-type="multiple"' in page and choose >= 2
    assert f"0 chosen of {choose} required" in page
    ids = [o["id"] for o in item["options"]][: choose + 1]
    saved = session.api(
        "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": ids}
    )
    assert saved.status_code == 200  # a warning, never a block
    page = session.client.get(url).get_data(as_text=True)
    assert f"{choose + 1} chosen of {choose} required. You have chosen more than {choose}" in page
