"""Races a real exam sees: double submits, two tabs starting or saving at once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from examsite.extensions import db

ROLE = "implementation-manager"


def run_together(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def runner(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def passing_attempt(app, session):
    from examsite.delivery.models import AttemptItem

    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    with app.app_context():
        keys = {
            r.id: r.item_version.keys
            for r in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"]))
        }
    for item in attempt["items"]:
        session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": keys[item["id"]]},
        )
    return attempt


def test_concurrent_submits_score_once_and_issue_one_certificate(app, banks, make_user, login):
    from examsite.certificates.models import Certificate

    user = make_user("trainee")
    session = login(user)
    attempt = passing_attempt(app, session)
    clients = [login(user) for _ in range(4)]
    results = run_together(
        [(lambda c=c: c.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")) for c in clients]
    )
    assert [r.status_code for r in results] == [200] * 4
    bodies = [r.get_json() for r in results]
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["passed"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_concurrent_starts_make_one_open_attempt(app, banks, make_user, login):
    from examsite.delivery.models import Attempt

    user = make_user("trainee")
    clients = [login(user) for _ in range(4)]
    results = run_together(
        [(lambda c=c: c.api("POST", "/api/v1/attempts", json={"role": ROLE})) for c in clients]
    )
    assert sorted(r.status_code for r in results).count(201) == 1
    assert {r.get_json()["id"] for r in results} == {results[0].get_json()["id"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_two_tabs_saving_the_same_item_leave_one_response(app, banks, make_user, login):
    from examsite.delivery.models import Response

    user = make_user("trainee")
    tabs = [login(user) for _ in range(2)]
    attempt = tabs[0].api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    item = attempt["items"][0]
    options = [o["id"] for o in item["options"]]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    for _ in range(3):
        results = run_together(
            [
                (lambda t=t, o=o: t.api("PUT", url, json={"choices": [o]}))
                for t, o in zip(tabs, options[:2], strict=True)
            ]
        )
        assert [r.status_code for r in results] == [200, 200]
    with app.app_context():
        rows = db.session.scalars(select(Response)).all()
        assert len(rows) == 1
        assert rows[0].choices[0] in options[:2]


def test_database_refuses_a_second_open_attempt(app, banks, make_user):
    """The invariant holds in the database itself, whatever the application does."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from examsite.catalog.services import get_role
    from examsite.delivery.models import Attempt
    from examsite.timeutil import utcnow

    user = make_user("trainee")
    with app.app_context():
        role = get_role(ROLE)
        now = utcnow()
        for _ in range(2):
            db.session.add(
                Attempt(
                    user_id=user.id,
                    role_id=role.id,
                    status="in_progress",
                    started_at=now,
                    deadline=now,
                    grace_seconds=0,
                    minutes=1,
                    passing_percent=70,
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_acknowledged_save_racing_a_submit_is_always_scored(app, banks, make_user, login):
    """A save answered 200 while a submit runs is in the score; otherwise it gets 409."""
    from examsite.delivery.models import AttemptItem

    for _ in range(3):
        user = make_user("trainee")
        tabs = [login(user), login(user)]
        attempt = tabs[0].api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
        with app.app_context():
            rows = db.session.scalars(
                select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"])
            ).all()
            keys = {r.id: r.item_version.keys for r in rows}
            scored = [r.id for r in rows if not r.is_pretest]
        last = scored[-1]
        for item_id in scored[:-1]:
            tabs[0].api(
                "PUT",
                f"/api/v1/attempts/{attempt['id']}/responses/{item_id}",
                json={"choices": keys[item_id]},
            )
        save_url = f"/api/v1/attempts/{attempt['id']}/responses/{last}"
        submit_url = f"/api/v1/attempts/{attempt['id']}/submit"
        body = {"choices": keys[last]}
        save, submit = run_together(
            [
                lambda tab=tabs[0], url=save_url, body=body: tab.api("PUT", url, json=body),
                lambda tab=tabs[1], url=submit_url: tab.api("POST", url),
            ]
        )
        assert submit.status_code == 200
        result = tabs[1].api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()
        if save.status_code == 200:
            assert result["score_percent"] == 100.0
        else:
            assert save.status_code == 409
            assert result["score_percent"] < 100.0
