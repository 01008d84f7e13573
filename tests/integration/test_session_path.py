"""The browser's path for answers: session cookie plus `X-CSRFToken`, made cheaper without
weakening it. A (token, session) pair that passed Flask-WTF's check is remembered per worker
(examsite.security.protect_api_write); these tests show that nothing else gets through."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examsite.extensions import db

ROLE = "implementation-manager"


@pytest.fixture
def trainee(make_user, banks):
    return make_user("trainee")


def _save_url(attempt, n=0):
    item = attempt["items"][n]
    return f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", item


def _stored(app, attempt_id, item_id):
    from examsite.delivery.models import Response

    with app.app_context():
        row = db.session.scalars(
            select(Response).where(Response.attempt_id == attempt_id, Response.attempt_item_id == item_id)
        ).first()
        return None if row is None else sorted(row.choices)


def test_after_a_checked_save_csrf_is_still_required(app, login, trainee, make_user):
    session = login(trainee)
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    url, item = _save_url(attempt)
    first, second = item["options"][0]["id"], item["options"][1]["id"]
    for _ in range(2):  # the second is answered from the remembered pair
        assert session.api("PUT", url, json={"choices": [first]}).status_code == 200

    missing = session.client.put(url, json={"choices": [second]}, headers={"Accept": "application/json"})
    assert (missing.status_code, missing.get_json()["error"]) == (400, "csrf_failed")
    wrong = session.api("PUT", url, json={"choices": [second]}, headers={"X-CSRFToken": session.csrf + "x"})
    assert (wrong.status_code, wrong.get_json()["error"]) == (400, "csrf_failed")
    # another trainee's valid token (its pair checked too) is not this session's
    other = login(make_user("trainee"))
    other_attempt = other.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    assert other.api("PUT", _save_url(other_attempt)[0], json={"choices": []}).status_code == 200
    crossed = session.api("PUT", url, json={"choices": [second]}, headers={"X-CSRFToken": other.csrf})
    assert (crossed.status_code, crossed.get_json()["error"]) == (400, "csrf_failed")

    assert _stored(app, attempt["id"], item["id"]) == [first]  # no refused save wrote anything


def test_a_logged_out_session_cannot_save(app, login, trainee):
    session = login(trainee)
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    url, item = _save_url(attempt)
    choice = item["options"][0]["id"]
    assert session.api("PUT", url, json={"choices": [choice]}).status_code == 200
    assert session.form("/logout").status_code == 302
    after = session.api("PUT", url, json={"choices": [item["options"][1]["id"]]})
    assert (after.status_code, after.get_json()["error"]) == (401, "unauthorized")
    assert _stored(app, attempt["id"], item["id"]) == [choice]


def test_over_https_the_referrer_is_checked_on_every_save(app, login, trainee):
    session = login(trainee)
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    url, item = _save_url(attempt)
    body = {"choices": [item["options"][0]["id"]]}
    https = {"base_url": "https://localhost"}
    good = session.api(
        "PUT", url, json=body, headers={"X-CSRFToken": session.csrf, "Referer": "https://localhost/"}, **https
    )
    assert good.status_code == 200
    for referrer in (None, "https://evil.example/"):
        headers = {"X-CSRFToken": session.csrf, **({"Referer": referrer} if referrer else {})}
        refused = session.api("PUT", url, json=body, headers=headers, **https)
        assert (refused.status_code, refused.get_json()["error"]) == (400, "csrf_failed")
