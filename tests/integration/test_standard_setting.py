"""Standard setting in the app: open, invite, two rounds, close, apply; who may do what; the role's
public page saying how its passing standard was set."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from examsite.extensions import db

ROLE = "implementation-manager"
MAS = "mobile-adoption-support"


@pytest.fixture
def panel(app, banks, make_user, runner, login):
    people = {}
    for name in ("facilitator", "second", "third", "outsider", "other_category"):
        user = make_user("instructor", name=name.title())
        category = "informaticians" if name == "other_category" else MAS
        if name != "outsider":
            runner.invoke(args=["users", "assign", user.email, "--category", category])
        people[name] = login(user)
    people["outsider_assigned"] = people.pop("outsider")
    runner.invoke(args=["users", "assign", people["outsider_assigned"].user.email, "--category", MAS])
    people["admin"] = login(make_user("admin", name="Ada Admin"))
    people["trainee"] = login(make_user("trainee"))
    return people


def _study_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return int(re.search(r"/instructor/standards/(\d+)", response.headers["Location"]).group(1))


def _item_fields(html: str) -> list[str]:
    return re.findall(r'name="(item_\d+)"', html)


def _rate(session, study_id: int, values: list[str], submit: bool = True):
    page = session.client.get(f"/instructor/standards/{study_id}/rate")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    fields = _item_fields(page.get_data(as_text=True))
    data = dict(zip(fields, values, strict=True))
    data["submit_round" if submit else "save"] = "1"
    return session.form(f"/instructor/standards/{study_id}/rate", data), fields


def test_two_rounds_close_apply_and_the_role_page(app, panel, make_user, login):
    from examsite.audit.models import AuditEvent
    from examsite.catalog.services import get_role
    from examsite.standards.models import StandardRating, StandardStudy

    public = app.test_client().get(f"/roles/{ROLE}").get_data(as_text=True)
    assert "Set by the program (no study recorded)." in public

    facilitator, second, third = panel["facilitator"], panel["second"], panel["third"]
    study_id = _study_id(facilitator.form("/instructor/standards/", {"role": ROLE, "title": "Winter study"}))
    with app.app_context():
        study = db.session.get(StandardStudy, study_id)
        n = len(study.item_version_ids)
        users = {k: panel[k].user.id for k in ("facilitator", "second", "third")}
    assert n >= 2
    page = facilitator.client.get(f"/instructor/standards/{study_id}").get_data(as_text=True)
    assert "Second" in page and "Other_Category" not in page  # only the category's instructors
    invited = facilitator.form(
        f"/instructor/standards/{study_id}/panelists",
        {"panelists": [users["facilitator"], users["second"], users["third"]]},
    )
    assert invited.status_code == 302

    # round 1: blank or out-of-range ratings are refused with a reason, nothing stored
    bad, _ = _rate(second, study_id, ["0.99"] + ["0.5"] * (n - 1))
    assert bad.status_code == 422 and "between 0.05 and 0.95" in bad.get_data(as_text=True)
    partial, _ = _rate(second, study_id, [""] + ["0.5"] * (n - 1))
    assert partial.status_code == 422 and "still blank" in partial.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StandardRating.id)) is None
    saved, _ = _rate(second, study_id, [""] + ["0.5"] * (n - 1), submit=False)
    assert saved.status_code == 302
    # panelist ratings: facilitator 0.6 each, second 0.5, third 0.7 (third does round 1 only)
    for session, value in ((facilitator, "0.6"), (second, "50%"), (third, "0.7")):
        done, _ = _rate(session, study_id, [value] * n)
        assert done.status_code == 302
    again = second.client.get(f"/instructor/standards/{study_id}/rate")
    assert again.status_code == 302  # submitted: nothing more to rate this round

    # only the facilitator (or an administrator) moves the study on; others get 404
    assert second.form(f"/instructor/standards/{study_id}/round2").status_code == 404
    assert facilitator.form(f"/instructor/standards/{study_id}/round2").status_code == 302

    # round 2 shows the item data and the panel's anonymized spread
    round2 = second.client.get(f"/instructor/standards/{study_id}/rate").get_data(as_text=True)
    assert "Facility" in round2 and "lowest 0.50, median 0.60, highest 0.70" in round2
    assert "Third" not in round2 and "Facilitator" not in round2
    assert 'value="0.50"' in round2  # starts from the panelist's own round-1 ratings
    for session, value in ((facilitator, "0.6"), (second, "0.55")):
        done, _ = _rate(session, study_id, [value] * n)
        assert done.status_code == 302
    # no apply before closing; closing is the facilitator's
    assert panel["admin"].form(f"/instructor/standards/{study_id}/apply").status_code == 302
    with app.app_context():
        assert get_role(ROLE).exam.passing_standard_study_id is None
    assert facilitator.form(f"/instructor/standards/{study_id}/close").status_code == 302

    # two panelists completed round 2: cuts 0.6 n and 0.55 n, mean 0.575 n = 57.5%,
    # SD = |0.6 - 0.55| n / sqrt(2), SE = SD / sqrt(2) = 0.025 n
    with app.app_context():
        result = db.session.get(StandardStudy, study_id).result
    assert result["panelists"] == 2 and result["recommended_percent"] == "57.50"
    assert result["raw"] == pytest.approx(0.575 * n, abs=1e-4)
    assert result["sd"] == pytest.approx(0.05 * n / 2**0.5, abs=1e-4)
    assert result["se"] == pytest.approx(0.025 * n, abs=1e-4)
    closed = facilitator.client.get(f"/instructor/standards/{study_id}").get_data(as_text=True)
    assert "57.50% (applied as 57.50%)" in closed and "Apply" not in closed  # not an administrator

    # applying: administrators only (404 to the facilitator), then attempts started later use it
    assert facilitator.form(f"/instructor/standards/{study_id}/apply").status_code == 404
    assert panel["admin"].form(f"/instructor/standards/{study_id}/apply").status_code == 302
    with app.app_context():
        role = get_role(ROLE)
        assert role.exam.passing_percent == Decimal("57.50")
        assert role.exam.passing_standard_study_id == study_id
        study = db.session.get(StandardStudy, study_id)
        assert study.status == "applied" and study.applied_by_id == panel["admin"].user.id
        assert study.previous_percent is not None and study.applied_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "standard.apply"))
        assert event.actor_id == panel["admin"].user.id and event.object_id == str(study_id)
        assert event.details["passing_percent"] == "57.50" and event.details["panelists"] == 2
        assert set(event.details["ratings"]) == {str(users["facilitator"]), str(users["second"])}
        assert all(len(r) == n for r in event.details["ratings"].values())
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"standard.open", "standard.invite", "standard.round2", "standard.close"} <= actions
    trainee = panel["trainee"]
    attempt = trainee.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    with app.app_context():
        from examsite.delivery.models import Attempt

        assert db.session.get(Attempt, attempt["id"]).passing_percent == Decimal("57.50")
    public = app.test_client().get(f"/roles/{ROLE}").get_data(as_text=True)
    assert "57.5% of scored questions" in public
    assert re.search(r"Set by a modified-Angoff study of 2 panelists on \d+ \w+ \d{4}\.", public)
    spanish = app.test_client().get(f"/roles/{ROLE}", headers={"Accept-Language": "es"})
    assert "Fijado por un estudio Angoff modificado con 2 panelistas el " in spanish.get_data(as_text=True)
    # a later change by hand: the page no longer credits the study
    panel["admin"].api("PUT", f"/api/v1/roles/{ROLE}/exam", json={"passing_percent": 60})
    assert "Set by the program (no study recorded)." in app.test_client().get(f"/roles/{ROLE}").get_data(
        as_text=True
    )


def test_who_sees_a_study(app, panel):
    facilitator = panel["facilitator"]
    study_id = _study_id(facilitator.form("/instructor/standards/", {"role": ROLE}))
    path = f"/instructor/standards/{study_id}"
    assert facilitator.client.get(path).status_code == 200
    assert panel["admin"].client.get(path).status_code == 200
    # assigned to the category but not invited; another category's instructor; a trainee
    assert panel["outsider_assigned"].client.get(path).status_code == 404
    assert panel["other_category"].client.get(path).status_code == 404
    assert panel["other_category"].client.get(path + "/rate").status_code == 404
    assert panel["trainee"].client.get(path).status_code == 403
    assert app.test_client().get(path).status_code == 302  # to the login page
    listing = panel["outsider_assigned"].client.get("/instructor/standards/").get_data(as_text=True)
    assert f"/instructor/standards/{study_id}" not in listing
    # an instructor cannot open a study for another category's role, nor invite outside it
    other = panel["other_category"].form("/instructor/standards/", {"role": ROLE})
    assert other.status_code == 422
    with app.app_context():
        other_user = panel["other_category"].user.id
    refused = facilitator.form(f"/instructor/standards/{study_id}/panelists", {"panelists": [other_user]})
    assert refused.status_code == 422
    # the invited see it; an administrator is never a panelist but may move it on
    facilitator.form(f"/instructor/standards/{study_id}/panelists", {"panelists": [panel["second"].user.id]})
    assert panel["second"].client.get(path).status_code == 200
    assert (
        panel["second"].form(path + "/panelists", {"panelists": [panel["third"].user.id]}).status_code == 404
    )
    assert panel["admin"].client.get(path + "/rate").status_code == 404


def test_forms_need_csrf_and_bad_input_is_clear(app, panel):
    facilitator = panel["facilitator"]
    no_token = facilitator.client.post("/instructor/standards/", data={"role": ROLE})
    assert no_token.status_code == 400
    unknown = facilitator.form("/instructor/standards/", {"role": "no-such-role"})
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.get_data(as_text=True)
    study_id = _study_id(facilitator.form("/instructor/standards/", {"role": ROLE}))
    assert facilitator.client.post(f"/instructor/standards/{study_id}/round2").status_code == 400
    empty = facilitator.form(f"/instructor/standards/{study_id}/round2")
    assert empty.status_code == 302  # refused with a message: nobody has submitted round 1
    page = facilitator.client.get(f"/instructor/standards/{study_id}").get_data(as_text=True)
    assert "No panelist has submitted round 1 yet." in page
    assert facilitator.form(f"/instructor/standards/{study_id}/close").status_code == 302
    assert "Only a study in round 2 can be closed." in facilitator.client.get(
        f"/instructor/standards/{study_id}"
    ).get_data(as_text=True)
    assert facilitator.client.get("/instructor/standards/999999").status_code == 404
    nothing = facilitator.form(f"/instructor/standards/{study_id}/panelists", {"panelists": "abc"})
    assert nothing.status_code == 422
