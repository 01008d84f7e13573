"""Instructors' pages: access, item statistics after attempts, integrity events for review."""

from __future__ import annotations

import pytest

ROLE = "implementation-manager"


@pytest.mark.parametrize("path", ["/instructor/", f"/instructor/roles/{ROLE}/items", "/instructor/integrity"])
def test_instructor_pages_access(client, login, make_user, banks, path):
    assert client.get(path).status_code == 302
    assert login(make_user("trainee")).client.get(path).status_code == 403
    assert login(make_user("instructor")).client.get(path).status_code == 200
    assert login(make_user("admin")).client.get(path).status_code == 200


def test_integrity_events_recorded_and_listed(login, make_user, banks, clock):
    trainee = login(make_user("trainee", name="Tab Switcher"))
    attempt = trainee.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    for kind in ("tab_hidden", "tab_hidden", "copy"):
        clock.advance(seconds=5)  # events of one kind closer together are throttled
        assert (
            trainee.api("POST", f"/api/v1/attempts/{attempt['id']}/events", json={"kind": kind}).status_code
            == 201
        )
    assert (
        trainee.api("POST", f"/api/v1/attempts/{attempt['id']}/events", json={"kind": "x"}).status_code == 422
    )
    # a second device (another browser) opening the attempt is recorded too
    other = login(trainee.user)
    trainee.client.get(f"/attempts/{attempt['id']}/items/1")
    other.client.get(f"/attempts/{attempt['id']}/items/1")
    instructor = login(make_user("instructor"))
    listing = instructor.client.get("/instructor/integrity").get_data(as_text=True)
    assert "Tab Switcher" in listing
    assert "tab hidden: 2" in listing and "copy: 1" in listing and "second device: 1" in listing
    detail = instructor.client.get(f"/instructor/attempts/{attempt['id']}/events").get_data(as_text=True)
    assert detail.count("tab hidden") == 2


def test_item_statistics_after_attempts(app, login, make_user, banks):
    from sqlalchemy import select

    from examsite.delivery.models import AttemptItem
    from examsite.extensions import db

    for correct in (True, False, True):
        trainee = login(make_user("trainee"))
        attempt = trainee.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
        with app.app_context():
            keys = {
                r.id: r.item_version.keys
                for r in db.session.scalars(
                    select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"])
                )
            }
        for item in attempt["items"]:
            choices = keys[item["id"]] if correct else []
            trainee.api(
                "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": choices}
            )
        trainee.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    from examsite.instructors.models import ItemAnalysisCache

    instructor = login(make_user("instructor"))
    path = f"/instructor/roles/{ROLE}/items"
    # a GET only reads the stored analysis: none yet, nothing calculated or stored
    before = instructor.client.get(path).get_data(as_text=True)
    assert "has not been calculated yet" in before and "Calculate from the stored responses" in before
    assert instructor.client.get(path + "/flags.csv").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ItemAnalysisCache.id)) is None
    assert instructor.client.post(path + "/recalculate").status_code == 400  # no CSRF token
    assert instructor.form(path + "/recalculate").status_code == 302
    page = instructor.client.get(path).get_data(as_text=True)
    assert "from 3 closed attempts" in page and "Recalculate from the stored responses" in page
    assert '<th scope="row">All attempts</th><td>3</td><td>67%</td>' in page
    with app.app_context():
        calculated = db.session.scalar(select(ItemAnalysisCache.calculated_at))
    assert f'<time datetime="{calculated.isoformat()}">' in page
    assert instructor.client.get(path + "/flags.csv").status_code == 200
