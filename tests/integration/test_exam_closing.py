"""What the exam page is told when its attempt closes, and integrity events (issue 17)."""

from __future__ import annotations

import pytest

from tests.integration.test_delivery_api import ROLE


@pytest.fixture
def session(login, make_user, banks):
    return login(make_user("trainee"))


def start(session):
    return session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()


def save(session, attempt, index=0):
    item = attempt["items"][index]
    return session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        json={"choices": [item["options"][0]["id"]]},
    )


def event(session, attempt, kind="tab_hidden"):
    return session.api("POST", f"/api/v1/attempts/{attempt['id']}/events", json={"kind": kind})


def test_a_save_after_submitting_elsewhere_says_submitted(session, clock):
    attempt = start(session)
    assert session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").status_code == 200
    late = save(session, attempt)
    assert late.status_code == 409
    assert late.get_json()["error"] == "attempt_closed"
    assert late.get_json()["attempt_status"] == "submitted"


def test_a_save_past_the_deadline_says_expired(session, clock):
    attempt = start(session)
    clock.advance(minutes=32)
    late = save(session, attempt)
    assert late.status_code == 409
    assert late.get_json()["attempt_status"] == "expired"


def test_the_item_page_gives_the_true_reason(session, clock):
    attempt = start(session)
    session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    page = session.client.get(f"/attempts/{attempt['id']}/items/1", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "already submitted, from another window or device" in text
    assert "time is up" not in text.lower()
    # a plain form post (no JavaScript) of a late answer lands on the result with the same reason
    posted = session.form(f"/attempts/{attempt['id']}/items/1", {"choice": "a", "go": "next"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/result")


def test_the_item_page_says_time_is_up_when_it_is(session, clock):
    attempt = start(session)
    clock.advance(hours=5)
    page = session.client.get(f"/attempts/{attempt['id']}/items/1", follow_redirects=True)
    assert "Your time is up" in page.get_data(as_text=True)


def test_integrity_events_are_throttled_and_refused_once_closed(session, clock):
    attempt = start(session)
    assert event(session, attempt).status_code == 201
    burst = event(session, attempt)
    assert burst.status_code == 429 and burst.get_json()["error"] == "rate_limited"
    assert event(session, attempt, "copy").status_code == 201  # another kind is its own
    clock.advance(seconds=3)
    assert event(session, attempt).status_code == 201
    session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    clock.advance(seconds=10)
    closed = event(session, attempt)
    assert closed.status_code == 409 and closed.get_json()["attempt_status"] == "submitted"
