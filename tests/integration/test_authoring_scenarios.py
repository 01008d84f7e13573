"""Scenario sets in the workspace: a shared case written once, items attached, reviewed as one,
kept whole by assembly; versions, conflicts, refusals and authorization as for items."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examsite.audit.models import AuditEvent
from examsite.banks.models import Item, ItemVersion
from examsite.extensions import db
from tests.integration.test_authoring import MAS, _fixture_item_id, new_item

CASE = (
    "Riverside clinic's **front desk** faxes referrals twice.\n\n<script>alert(1)</script>\n\n"
    "| Day | Faxes |\n|--|--|\n| Mon | 12 |"
)


@pytest.fixture
def instructors(app, banks, make_user, runner, login):
    """Two instructors of mobile-adoption-support, one of permanent-staff only."""
    people = []
    for category in (MAS, MAS, "permanent-staff"):
        user = make_user("instructor")
        result = runner.invoke(args=["users", "assign", user.email, "--category", category])
        assert result.exit_code == 0, result.output
        people.append(login(user))
    return people


def _draft(author, **changes) -> dict:
    return author.api("POST", "/api/v1/items", new_item(**changes)).get_json()


def _two_drafts(author) -> list[dict]:
    return [
        _draft(author),
        _draft(
            author,
            stem="The clinic maps the referral workflow. Which step should the team measure first?",
            options=[
                {"id": "a", "text": "Time from referral order to fax sent"},
                {"id": "b", "text": "The number of printers"},
                {"id": "c", "text": "Staff parking spaces"},
                {"id": "d", "text": "The colour of the forms"},
            ],
        ),
    ]


def _pool_units(app):
    from examsite.banks.queries import eligible_pool
    from examsite.catalog.services import get_role

    with app.app_context():
        pool = eligible_pool(get_role("implementation-manager"))
        return [u for units in pool.units_by_domain.values() for u in units]


def test_a_set_is_written_reviewed_as_one_and_served_whole(app, banks, instructors, runner, tmp_path):
    author, reviewer = instructors[0], instructors[1]
    drafts = _two_drafts(author)
    body = {
        "category": MAS,
        "title": "Faxed twice",
        "case": CASE,
        "items": [d["external_id"] for d in drafts],
    }
    created = author.api("POST", "/api/v1/scenarios", body)
    assert created.status_code == 201, created.get_json()
    scenario = created.get_json()
    assert scenario["id"] == "MAS-S002"  # the fixture bank holds MAS-S001
    assert [i["external_id"] for i in scenario["items"]] == [d["external_id"] for d in drafts]
    assert all(i["version"] == 2 and i["status"] == "draft" for i in scenario["items"])
    item = author.api("GET", f"/api/v1/items/{drafts[0]['id']}").get_json()
    assert item["scenario"] == {"id": "MAS-S002", "title": "Faxed twice", "case": CASE.strip()}
    versions = author.api("GET", f"/api/v1/items/{drafts[0]['id']}/versions").get_json()["versions"]
    assert [v["scenario"] is not None for v in versions] == [True, False]  # history keeps both

    path = f"/api/v1/scenarios/{scenario['id']}"
    submitted = author.api("POST", f"{path}/review", {"action": "submit"})
    assert submitted.status_code == 200, submitted.get_json()
    assert sorted(submitted.get_json()["moved"]) == sorted(d["external_id"] for d in drafts)
    own = author.api("POST", f"{path}/review", {"action": "approve"})
    assert own.status_code == 403 and own.get_json()["error"] == "own_item"
    approved = reviewer.api("POST", f"{path}/review", {"action": "approve"})
    assert approved.status_code == 200, approved.get_json()
    assert {i["status"] for i in approved.get_json()["items"]} == {"active"}

    units = [u for u in _pool_units(app) if u.scenario == "MAS-S002"]
    assert len(units) == 1 and set(units[0].item_ids) == {d["id"] for d in drafts}
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "ScenarioSet").order_by(AuditEvent.id)
        ).all()
        assert actions == ["scenario.create", "scenario.submit", "scenario.approve"]
        serving = db.session.scalars(
            select(ItemVersion.scenario_text)
            .join(Item, Item.current_version_id == ItemVersion.id)
            .where(Item.id.in_([d["id"] for d in drafts]))
        ).all()
        assert serving == [CASE.strip()] * 2
    # the files stay the distribution format: the set exports as a scenario of the domain file
    result = runner.invoke(args=["banks", "export", "--format", "native", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    exported = "".join(p.read_text() for p in tmp_path.rglob("*.yaml"))
    assert "id: MAS-S002" in exported and "title: Faxed twice" in exported
    with app.app_context():
        from examsite.banks.importer import import_banks

        summary = import_banks([tmp_path])  # the export re-imports identically: no new versions
    assert summary.new_versions == [] and summary.added == []
    again = author.api("GET", f"/api/v1/items/{drafts[0]['id']}").get_json()
    assert again["scenario"]["id"] == "MAS-S002" and again["version"] == 3  # set, approval; no import


def test_editing_the_case_versions_every_item_and_the_serving_case_waits_for_approval(
    app, banks, instructors
):
    author, reviewer = instructors[0], instructors[1]
    path = "/api/v1/scenarios/MAS-S001"  # the fixture bank's set: MAS-0005 and MAS-0006, active
    before = author.api("GET", path).get_json()
    assert [i["external_id"] for i in before["items"]] == ["MAS-0005", "MAS-0006"]
    edit = {"title": before["title"], "case": before["case"] + " The go-live moved a week earlier."}
    edit.update(items=["MAS-0005", "MAS-0006"], revision=before["revision"])
    saved = author.api("PUT", path, edit)
    assert saved.status_code == 200, saved.get_json()
    assert {i["status"] for i in saved.get_json()["items"]} == {"draft"}
    stale = reviewer.api("PUT", path, {**edit, "case": "Someone else's case"})
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale_version"
    with app.app_context():
        serving = db.session.scalars(
            select(ItemVersion.scenario_text).join(Item, Item.current_version_id == ItemVersion.id)
            .where(Item.external_id.in_(["MAS-0005", "MAS-0006"]))
        ).all()  # fmt: skip
        assert serving and all("moved a week" not in text for text in serving)
    assert author.api("POST", f"{path}/review", {"action": "submit"}).status_code == 200
    alone = reviewer.api(
        "POST", f"/api/v1/items/{_fixture_item_id(app, 'MAS-0005')}/review", {"action": "approve"}
    )
    assert alone.status_code == 409 and "approve it with its set" in alone.get_json()["message"]
    back = reviewer.api("POST", f"{path}/review", {"action": "request_changes"})
    assert back.status_code == 422 and back.get_json()["field"] == "comment"
    back = reviewer.api("POST", f"{path}/review", {"action": "request_changes", "comment": "Say which week."})
    assert back.status_code == 200 and {i["status"] for i in back.get_json()["items"]} == {"draft"}
    assert author.api("POST", f"{path}/review", {"action": "submit"}).status_code == 200
    assert reviewer.api("POST", f"{path}/review", {"action": "approve"}).status_code == 200
    units = [u for u in _pool_units(app) if u.scenario == "MAS-S001"]
    assert len(units) == 1 and len(units[0].item_ids) == 2
    with app.app_context():
        serving = db.session.scalars(
            select(ItemVersion.scenario_text).join(Item, Item.current_version_id == ItemVersion.id)
            .where(Item.external_id.in_(["MAS-0005", "MAS-0006"]))
        ).all()  # fmt: skip
        assert all("moved a week" in text for text in serving)


def test_an_item_edit_keeps_its_set(app, banks, instructors):
    """Saving an item of a set from the item editor keeps its case (it used to drop it)."""
    author, reviewer = instructors[0], instructors[1]
    item_id = _fixture_item_id(app, "MAS-0005")
    current = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    assert current["scenario"]["id"] == "MAS-S001"
    edited = {**current, "rationale": current["rationale"] + " Revised."}
    saved = author.api("PUT", f"/api/v1/items/{item_id}", edited).get_json()
    assert saved["scenario"] == current["scenario"]
    review = f"/api/v1/items/{item_id}/review"
    assert author.api("POST", review, {"action": "submit"}).status_code == 200
    assert reviewer.api("POST", review, {"action": "approve"}).status_code == 200
    units = [u for u in _pool_units(app) if u.scenario == "MAS-S001"]
    assert len(units) == 1 and item_id in units[0].item_ids and len(units[0].item_ids) == 2


def test_refusals_write_nothing(app, banks, instructors):
    author = instructors[0]
    drafts = _two_drafts(author)
    ids = [d["external_id"] for d in drafts]
    other_domain = _draft(author, domain="mas-deployment-support", stem="Which go-live support model fits?")
    base = {"category": MAS, "title": "A case", "case": "The clinic.", "items": ids}
    with app.app_context():
        before = db.session.query(ItemVersion).count()
    for changes, field in [
        ({"items": [*ids, other_domain["external_id"]]}, "items"),  # two domains
        ({"items": ["MAS-0005"]}, "items"),  # already in MAS-S001
        ({"items": ["PSS-0001"]}, "items"),  # not in this bank
        ({"items": []}, "items"),
        ({"title": ""}, "title"),
        ({"case": "x" * 6001}, "case"),
    ]:
        response = author.api("POST", "/api/v1/scenarios", {**base, **changes})
        assert response.status_code == 422, (changes, response.get_json())
        assert response.get_json()["field"] == field
    assert author.api("POST", "/api/v1/scenarios", {**base, "category": "permanent-staff"}).status_code == 403
    with app.app_context():
        assert db.session.query(ItemVersion).count() == before
    # a set whose item fails the item-writing lint cannot go to review
    lacking = _draft(
        author, rationale="", stem="A clinic's scanner jams daily. Which step comes first in fixing it?"
    )
    created = author.api("POST", "/api/v1/scenarios", {**base, "items": [lacking["external_id"]]})
    assert created.status_code == 201
    path = f"/api/v1/scenarios/{created.get_json()['id']}"
    blocked = author.api("POST", f"{path}/review", {"action": "submit"})
    assert blocked.status_code == 422 and blocked.get_json()["error"] == "lint_failed"
    assert any("rationale is required" in p["message"] for p in blocked.get_json()["problems"])
    # removing an item from a set saves a version of it without the case
    scenario = author.api("GET", path).get_json()
    emptied = author.api(
        "PUT", path, {**base, "items": ids, "revision": scenario["revision"], "title": "A case"}
    )
    assert emptied.status_code == 200
    assert author.api("GET", f"/api/v1/items/{lacking['id']}").get_json()["scenario"] is None


def test_other_categories_and_trainees_are_kept_out(app, banks, instructors, make_user, login):
    trainee = login(make_user("trainee"))
    stranger = instructors[2]  # permanent-staff only
    for method, path in [
        ("GET", "/api/v1/scenarios"),
        ("GET", "/api/v1/scenarios/MAS-S001"),
        ("POST", "/api/v1/scenarios/MAS-S001/review"),
    ]:
        assert trainee.api(method, path, {"action": "submit"}).status_code == 403, path
    assert stranger.api("GET", "/api/v1/scenarios/MAS-S001").status_code == 404
    assert stranger.api("PUT", "/api/v1/scenarios/MAS-S001", {"title": "x", "case": "y"}).status_code == 404
    assert stranger.api("POST", "/api/v1/scenarios/MAS-S001/review", {"action": "submit"}).status_code == 404
    assert stranger.api("GET", "/api/v1/scenarios").get_json()["scenarios"] == []
    assert instructors[0].api("GET", "/api/v1/scenarios/MAS-S999").status_code == 404
    listed = instructors[0].api("GET", "/api/v1/scenarios").get_json()["scenarios"]
    assert [s["id"] for s in listed] == ["MAS-S001"]


def test_adding_an_item_touches_only_that_item(app, banks, instructors):
    author, reviewer = instructors[0], instructors[1]
    drafts = _two_drafts(author)
    body = {
        "category": MAS,
        "title": "Faxed twice",
        "case": "The clinic.",
        "items": [drafts[0]["external_id"]],
    }
    scenario = author.api("POST", "/api/v1/scenarios", body).get_json()
    path = f"/api/v1/scenarios/{scenario['id']}"
    assert author.api("POST", f"{path}/review", {"action": "submit"}).status_code == 200
    current = author.api("GET", path).get_json()
    grown = {**body, "items": [d["external_id"] for d in drafts], "revision": current["revision"]}
    saved = author.api("PUT", path, grown).get_json()
    states = {i["external_id"]: (i["status"], i["version"]) for i in saved["items"]}
    assert states == {drafts[0]["external_id"]: ("in_review", 2), drafts[1]["external_id"]: ("draft", 2)}
    early = reviewer.api("POST", f"{path}/review", {"action": "approve"})
    assert early.status_code == 409 and "Submit the whole set first" in early.get_json()["message"]
    assert author.api("POST", f"{path}/review", {"action": "submit"}).status_code == 200
    done = reviewer.api("POST", f"{path}/review", {"action": "approve", "status": "pretest"}).get_json()
    assert {i["status"] for i in done["items"]} == {"pretest"}
