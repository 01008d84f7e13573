"""The attempt API end to end: every status code of INTERFACE.md, retakes, deadlines, scoring."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from examsite.extensions import db

ROLE = "implementation-manager"


@pytest.fixture
def trainee(make_user, banks):
    return make_user("trainee")


@pytest.fixture
def session(login, trainee):
    return login(trainee)


def start(session, role=ROLE):
    return session.api("POST", "/api/v1/attempts", json={"role": role})


def keys_for(app, attempt_id):
    """Test-side oracle: the key of each attempt item, read straight from the database."""
    from examsite.delivery.models import AttemptItem

    with app.app_context():
        rows = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
        return {r.id: (list(r.item_version.keys), r.is_pretest) for r in rows}


def test_start_resume_and_read(session, clock):
    first = start(session)
    assert first.status_code == 201
    attempt = first.get_json()
    # 6 scored items from the blueprint plus 1 pretest item
    assert len(attempt["items"]) == 7
    assert attempt["status"] == "in_progress"
    assert attempt["deadline"].startswith("2026-11-23T09:30:00")
    again = start(session)
    assert again.status_code == 200
    assert again.get_json()["id"] == attempt["id"]
    read = session.api("GET", f"/api/v1/attempts/{attempt['id']}")
    assert read.status_code == 200
    assert [i["id"] for i in read.get_json()["items"]] == [i["id"] for i in attempt["items"]]
    # options are shown in the stored shuffled order on every read
    assert [i["options"] for i in read.get_json()["items"]] == [i["options"] for i in attempt["items"]]


def test_scenario_set_kept_together(session):
    items = start(session).get_json()["items"]
    positions = [i["position"] for i in items if i["scenario"]]
    if positions:  # the set is drawn whole, in consecutive places
        assert positions == list(range(positions[0], positions[0] + len(positions)))
        assert len(positions) == 2


def test_no_key_material_while_open(app, session):
    attempt = start(session).get_json()
    bodies = [
        json.dumps(attempt),
        session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_data(as_text=True),
    ]
    for position in range(1, len(attempt["items"]) + 1):
        bodies.append(
            session.client.get(f"/attempts/{attempt['id']}/items/{position}").get_data(as_text=True)
        )
    bodies.append(session.client.get(f"/attempts/{attempt['id']}/review").get_data(as_text=True))
    from examsite.banks.models import ItemVersion

    with app.app_context():
        rationales = [v.rationale for v in db.session.scalars(select(ItemVersion))]
    for body in bodies:
        for word in ('"keys"', '"key"', "rationale", '"correct"', "is_pretest", "pretest"):
            assert word not in body
        for rationale in rationales:
            assert rationale[:40] not in body


def test_save_is_idempotent_and_last_write_wins(app, session):
    attempt = start(session).get_json()
    item = attempt["items"][0]
    option = item["options"][0]["id"]
    for _ in range(2):
        saved = session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": [option], "flagged": True},
        )
        assert saved.status_code == 200
        assert "saved_at" in saved.get_json()
    other = item["options"][1]["id"]
    session.api("PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": [other]})
    read = session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    first = next(i for i in read["items"] if i["id"] == item["id"])
    assert first["response"] == [other]
    assert first["flagged"] is True  # not sent: unchanged
    from examsite.delivery.models import Response

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"choices": ["zz"]}, 422, "unknown_option"),
        ({"choices": "a"}, 422, "invalid"),
        ({"choices": [], "flagged": "yes"}, 422, "invalid"),
    ],
)
def test_save_rejects_bad_values(session, body, status, code):
    attempt = start(session).get_json()
    item = attempt["items"][0]
    response = session.api("PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == code


def test_malformed_json_is_400(session):
    attempt = start(session).get_json()
    item = attempt["items"][0]
    response = session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        data="{not json",
        headers={"Content-Type": "application/json", "X-CSRFToken": session.csrf},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed"


def test_too_large_is_413(session):
    attempt = start(session).get_json()
    item = attempt["items"][0]
    response = session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        data=json.dumps({"choices": ["a"] * 40000}),
        headers={"Content-Type": "application/json", "X-CSRFToken": session.csrf},
    )
    assert response.status_code == 413


def test_unknown_role_404_and_missing_role_422(session):
    assert start(session, "astronaut").status_code == 404
    response = session.api("POST", "/api/v1/attempts", json={})
    assert response.status_code == 422


def test_anonymous_401_and_non_trainee_403(client, make_user, login, banks):
    assert client.post("/api/v1/attempts", json={"role": ROLE}).status_code in (400, 401)
    assert client.get("/api/v1/attempts/1").status_code == 401
    instructor = login(make_user("instructor"))
    assert instructor.api("POST", "/api/v1/attempts", json={"role": ROLE}).status_code == 403


def test_csrf_required_for_cookie_writes(session):
    response = session.api("POST", "/api/v1/attempts", json={"role": ROLE}, headers={"X-CSRFToken": "bogus"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf_failed"


def test_bearer_token_needs_no_csrf(app, trainee, runner, banks):
    result = runner.invoke(args=["users", "token", trainee.email])
    token = result.output.strip()
    client = app.test_client()
    response = client.post(
        "/api/v1/attempts", json={"role": ROLE}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    bad = client.post("/api/v1/attempts", json={"role": ROLE}, headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.get_json()["error"]) == (401, "unauthorized")


def test_a_revoked_token_or_deactivated_user_cannot_save(app, trainee, runner, banks):
    """The bearer token is looked up on every request, the save route's too."""
    from examsite.accounts.models import ApiToken, User
    from examsite.timeutil import utcnow

    token = runner.invoke(args=["users", "token", trainee.email]).output.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    attempt = client.post("/api/v1/attempts", json={"role": ROLE}, headers=headers).get_json()
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    body = {"choices": [item["options"][0]["id"]]}
    assert client.put(url, json=body, headers=headers).status_code == 200

    def refused_after(change):
        with app.app_context():
            change()
            db.session.commit()
        reply = client.put(url, json=body, headers=headers)
        assert (reply.status_code, reply.get_json()["error"]) == (401, "unauthorized")

    def deactivate():
        db.session.get(User, trainee.id).active = False

    def revoke():
        db.session.get(User, trainee.id).active = True
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == trainee.id)).one().revoked_at = utcnow()

    refused_after(deactivate)
    refused_after(revoke)
    with app.app_context():
        from examsite.delivery.models import Response

        saves = db.session.scalar(select(Response.saves).where(Response.attempt_id == attempt["id"]))
    assert saves == 1


def test_other_users_attempt_is_404(session, login, make_user):
    attempt = start(session).get_json()
    intruder = login(make_user("trainee"))
    assert intruder.api("GET", f"/api/v1/attempts/{attempt['id']}").status_code == 404
    item = attempt["items"][0]
    put = intruder.api(
        "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": []}
    )
    assert put.status_code == 404
    assert intruder.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").status_code == 404
    assert intruder.client.get(f"/attempts/{attempt['id']}/items/1").status_code == 404


def test_submit_scores_once_against_hand_computed_result(app, session, clock):
    attempt = start(session).get_json()
    keys = keys_for(app, attempt["id"])
    scored = [i for i in attempt["items"] if not keys[i["id"]][1]]
    # answer exactly the first four scored items correctly, the rest wrong or blank
    for n, item in enumerate(scored):
        right = keys[item["id"]][0]
        wrong = [o["id"] for o in item["options"] if o["id"] not in right][:1]
        choices = right if n < 4 else (wrong if n == 4 else [])
        session.api(
            "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": choices}
        )
    clock.advance(minutes=10)
    result = session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    assert result.status_code == 200
    data = result.get_json()
    assert data["status"] == "submitted"
    assert data["score_percent"] == pytest.approx(66.67)  # 4 of 6 scored items
    assert data["passed"] is True  # passing percent 50 in the fixture blueprint
    assert sum(d["total"] for d in data["domains"]) == 6
    assert sum(d["correct"] for d in data["domains"]) == 4
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", data["certificate"]["code"])
    again = session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()
    assert again == data
    closed = session.api(
        "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{scored[0]['id']}", json={"choices": []}
    )
    assert closed.status_code == 409


def test_saves_rejected_after_deadline_plus_grace_and_scored_lazily(app, session, clock):
    attempt = start(session).get_json()
    item = attempt["items"][0]
    clock.advance(minutes=30, seconds=30)  # past the deadline, inside the 60 s grace
    ok = session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        json={"choices": [item["options"][0]["id"]]},
    )
    assert ok.status_code == 200
    clock.advance(seconds=31)
    late = session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        json={"choices": [item["options"][1]["id"]]},
    )
    assert late.status_code == 409
    assert late.get_json()["error"] == "attempt_closed"
    read = session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert read["status"] == "expired"
    assert read["items"][0]["response"] == [item["options"][0]["id"]]  # the saved answer was kept


def test_close_expired_command(app, session, runner, clock):
    attempt = start(session).get_json()
    clock.advance(minutes=29)
    assert "closed 0" in runner.invoke(args=["attempts", "close-expired"]).output
    clock.advance(minutes=3)
    assert "closed 1" in runner.invoke(args=["attempts", "close-expired"]).output
    assert "closed 0" in runner.invoke(args=["attempts", "close-expired"]).output
    from examsite.delivery.models import Attempt

    with app.app_context():
        stored = db.session.get(Attempt, attempt["id"])
        assert stored.status == "expired"
        assert stored.score_percent is not None


def test_retake_policy(app, session, clock, runner):
    attempt = start(session).get_json()
    session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")  # blank: fails
    refused = start(session)
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "retake_not_allowed"
    assert body["available_at"].startswith("2027-02-21")  # 90 days later
    clock.advance(days=91)
    assert start(session).status_code == 201


def test_attempts_per_year_limit(app, session, clock, runner):
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    with app.app_context():
        from examsite.catalog.services import get_role

        get_role(ROLE).exam.attempts_per_year = 2
        db.session.commit()
    for _ in range(2):
        attempt = start(session).get_json()
        session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
        clock.advance(days=1)
    refused = start(session)
    assert refused.status_code == 409
    assert "2 attempts" in refused.get_json()["message"]


def test_no_new_attempt_while_certificate_valid(app, session, clock, runner):
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    attempt = start(session).get_json()
    keys = keys_for(app, attempt["id"])
    for item in attempt["items"]:
        session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": keys[item["id"]][0]},
        )
    assert session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()["passed"]
    refused = start(session)
    assert refused.status_code == 409
    assert "valid certificate" in refused.get_json()["message"]


def test_accommodation_extends_deadline(make_user, login, banks, clock):
    session = login(make_user("trainee", multiplier=1.5))
    attempt = start(session).get_json()
    assert attempt["deadline"].startswith("2026-11-23T09:45:00")


def test_previous_items_avoided_when_pool_allows(app, session, clock, runner):
    """The fixture pool is just the blueprint's size, so a second form repeats; with a spare
    item the spare is preferred over an item seen before."""
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0", "--items", "3"])
    first = start(session).get_json()
    session.api("POST", f"/api/v1/attempts/{first['id']}/submit")
    second = start(session).get_json()
    from examsite.delivery.models import AttemptItem

    with app.app_context():

        def item_ids(attempt_id):
            rows = db.session.scalars(
                select(AttemptItem).where(
                    AttemptItem.attempt_id == attempt_id, AttemptItem.is_pretest.is_(False)
                )
            )
            return {r.item_version.item_id for r in rows}

        assert not item_ids(first["id"]) & item_ids(second["id"])


def event_kinds(app, attempt_id):
    from examsite.delivery.models import IntegrityEvent

    with app.app_context():
        return db.session.scalars(
            select(IntegrityEvent.kind)
            .where(IntegrityEvent.attempt_id == attempt_id)
            .order_by(IntegrityEvent.id)
        ).all()


@pytest.mark.parametrize(
    ("close", "status"),
    [("submit", "submitted"), ("time", "expired")],
)
def test_integrity_events_refused_once_closed(app, session, clock, close, status):
    attempt = start(session).get_json()
    url = f"/api/v1/attempts/{attempt['id']}/events"
    if close == "submit":
        session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    else:
        clock.advance(minutes=31, seconds=1)  # past the deadline and its 60 s grace
    refused = session.api("POST", url, json={"kind": "tab_hidden"})
    assert refused.status_code == 409
    assert set(refused.get_json()) >= {"error", "message"}
    assert refused.get_json()["attempt_status"] == status
    assert event_kinds(app, attempt["id"]) == []


def test_a_second_device_is_recorded_whatever_the_throttle(app, session, login, trainee, clock):
    attempt = start(session).get_json()
    assert (
        session.api("POST", f"/api/v1/attempts/{attempt['id']}/events", json={"kind": "copy"}).status_code
        == 201
    )
    session.client.get(f"/attempts/{attempt['id']}/items/1")
    login(trainee).client.get(f"/attempts/{attempt['id']}/items/1")  # another browser, same second
    assert event_kinds(app, attempt["id"]) == ["copy", "second_device"]


def test_a_refused_start_still_closes_the_attempt_it_found_past_its_time(app, session, clock):
    """The start request finds the open attempt past its deadline plus grace, scores it, then
    refuses a new one (the retake wait): the refusal keeps the closing (delivery_unit)."""
    from examsite.delivery.models import Attempt

    attempt = start(session).get_json()
    clock.advance(minutes=32)  # past the 30 minutes and the 60 s grace; nothing closed it yet
    refused = start(session)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "retake_not_allowed"
    with app.app_context():
        stored = db.session.get(Attempt, attempt["id"])
        assert stored.status == "expired"
        assert stored.closed_at == clock.now()
        assert stored.score_percent is not None
