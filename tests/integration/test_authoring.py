"""The instructors' workspace API: assignments, authorization, versions, concurrency, review."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from examsite.audit.models import AuditEvent
from examsite.banks.models import Item, ItemVersion
from examsite.extensions import db

MAS = "mobile-adoption-support"


def new_item(**changes) -> dict:
    item = {
        "category": MAS,
        "domain": "mas-workflow-redesign",
        "type": "single",
        "level": "application",
        "stem": "A clinic's *referral* letters are faxed twice. What should the team map first?",
        "options": [
            {"id": "a", "text": "The referral workflow as it runs today"},
            {"id": "b", "text": "A new fax machine budget"},
            {"id": "c", "text": "The staff holiday calendar"},
            {"id": "d", "text": "The vendor's price list"},
        ],
        "key": ["a"],
        "rationale": "Analyse the current workflow before changing tools.",
        "tags": ["referrals", "Workflow"],
    }
    item.update(changes)
    return item


@pytest.fixture
def instructors(app, banks, make_user, runner, login):
    """Two instructors assigned to mobile-adoption-support, one to another category."""
    people = []
    for category in (MAS, MAS, "permanent-staff"):
        user = make_user("instructor")
        result = runner.invoke(args=["users", "assign", user.email, "--category", category])
        assert result.exit_code == 0, result.output
        people.append(login(user))
    return people


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_assign_command(app, make_user, runner):
    teacher = make_user("instructor")
    trainee = make_user("trainee")
    first = runner.invoke(args=["users", "assign", teacher.email, "--category", MAS])
    assert first.exit_code == 0 and "may now author in mobile-adoption-support" in first.output
    again = runner.invoke(args=["users", "assign", teacher.email, "--category", MAS])
    assert "already authors" in again.output
    unknown = runner.invoke(args=["users", "assign", teacher.email, "--category", "nope"])
    assert unknown.exit_code != 0 and "no category 'nope'" in unknown.output
    refused = runner.invoke(args=["users", "assign", trainee.email, "--category", MAS])
    assert refused.exit_code != 0 and "not an instructor" in refused.output


def test_trainees_and_strangers_are_kept_out(app, banks, make_user, login, client, instructors):
    trainee = login(make_user("trainee"))
    item_id = instructors[0].api("POST", "/api/v1/items", new_item()).get_json()["id"]
    assert client.get("/api/v1/items").status_code == 401
    for method, path in [
        ("GET", "/api/v1/items"),
        ("GET", f"/api/v1/items/{item_id}"),
        ("GET", f"/api/v1/items/{item_id}/versions"),
        ("POST", f"/api/v1/items/{item_id}/review"),
        ("GET", "/api/v1/roles/implementation-manager/blueprint"),
        ("PUT", "/api/v1/roles/implementation-manager/exam"),
    ]:
        response = trainee.api(method, path, {"action": "approve"})
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"] == "forbidden"
    other = instructors[2]  # permanent-staff only
    assert other.api("GET", f"/api/v1/items/{item_id}").status_code == 404
    assert other.api("PUT", f"/api/v1/items/{item_id}", new_item(version=1)).status_code == 404
    assert other.api("POST", f"/api/v1/items/{item_id}/review", {"action": "approve"}).status_code == 404
    assert other.api("POST", "/api/v1/items", new_item()).status_code == 403
    assert other.api("GET", "/api/v1/roles/implementation-manager/blueprint").status_code == 403
    listing = other.api("GET", "/api/v1/items").get_json()
    assert listing["total"] == 0


def test_create_and_read_an_item(app, banks, instructors):
    author = instructors[0]
    response = author.api("POST", "/api/v1/items", new_item())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["external_id"] == "MAS-0007"  # the fixture bank holds MAS-0001..6
    assert (body["version"], body["status"], body["serving_version"]) == (1, "draft", None)
    assert body["tags"] == ["referrals", "workflow"]
    assert body["key"] == ["a"] and body["category"] == MAS
    read = author.api("GET", f"/api/v1/items/{body['id']}").get_json()
    assert read["stem"] == new_item()["stem"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "item.create")) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"domain": "core-privacy-security"}, "domain"),  # core's, not this category's
        ({"domain": "no-such-domain"}, "domain"),
        ({"key": ["e"]}, "key"),
        ({"key": []}, "key"),
        (
            {
                "options": [
                    {"id": "a", "text": "Same"},
                    {"id": "b", "text": "same "},
                    {"id": "c", "text": "Other"},
                    {"id": "d", "text": "Fourth"},
                ]
            },
            "options",
        ),
        ({"type": "essay"}, "type"),
        ({"stem": ""}, "stem"),
        ({"stem": "x" * 3001}, "stem"),
        ({"tags": "not-a-list"}, "tags"),
    ],
)
def test_invalid_items_are_refused_whole(app, banks, instructors, changes, field):
    with app.app_context():
        before = (count(Item), count(ItemVersion))
    response = instructors[0].api("POST", "/api/v1/items", new_item(**changes))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    with app.app_context():
        assert (count(Item), count(ItemVersion)) == before


def test_malformed_json_is_400(app, banks, instructors):
    response = instructors[0].api("POST", "/api/v1/items", data="{", content_type="application/json")
    assert response.status_code == 400


def _fixture_item_id(app, external_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Item.id).where(Item.external_id == external_id))


def test_editing_an_active_item_makes_a_draft_while_the_active_keeps_serving(app, banks, instructors):
    author = instructors[0]
    item_id = _fixture_item_id(app, "MAS-0001")
    original = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    assert (original["status"], original["version"], original["serving_version"]) == ("active", 1, 1)
    edit = {**original, "rationale": "Map the current state first; then decide.", "version": 1}
    response = author.api("PUT", f"/api/v1/items/{item_id}", edit)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["version"], body["status"], body["serving_version"]) == (2, "draft", 1)
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert item.current_version.version == 1 and item.current_version.status == "active"
        assert item.latest_version.version == 2
    versions = author.api("GET", f"/api/v1/items/{item_id}/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["serving"] is True


def test_a_stale_version_gets_a_conflict_with_the_differences(app, banks, instructors):
    first, second = instructors[0], instructors[1]
    created = first.api("POST", "/api/v1/items", new_item()).get_json()
    path = f"/api/v1/items/{created['id']}"
    ok = first.api("PUT", path, {**created, "rationale": "First editor's rationale.", "version": 1})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2
    late = second.api("PUT", path, {**created, "stem": created["stem"] + " (edited)", "version": 1})
    assert late.status_code == 409
    body = late.get_json()
    assert body["error"] == "stale_version" and body["current_version"] == 2
    fields = {d["field"] for d in body["diff"]}
    assert fields == {"stem", "rationale"}
    assert first.api("GET", path).get_json()["rationale"] == "First editor's rationale."
    missing = second.api("PUT", path, {k: v for k, v in created.items() if k != "version"})
    assert missing.status_code == 422 and missing.get_json()["field"] == "version"


def test_review_workflow_and_self_approval(app, banks, instructors):
    author, reviewer = instructors[0], instructors[1]
    created = author.api(
        "POST", "/api/v1/items", new_item(stem="Which of these is not a workflow?")
    ).get_json()
    review = f"/api/v1/items/{created['id']}/review"
    linted = author.api("POST", review, {"action": "submit"})
    assert linted.status_code == 422
    problems = linted.get_json()["problems"]
    assert {
        "field": "stem",
        "message": "MAS-0007: negative stem: write NOT in capitals",
        "severity": "error",
    } in (problems)
    fixed = author.api(
        "PUT",
        f"/api/v1/items/{created['id']}",
        {**created, "stem": "Which workflow do you map first?", "rationale": "", "version": 1},
    ).get_json()
    blocked = author.api("POST", review, {"action": "submit"}).get_json()
    assert blocked["error"] == "lint_failed"
    assert {
        "field": "rationale",
        "message": "MAS-0007: a rationale is required",
        "severity": "error",
    } in blocked["problems"]
    author.api(
        "PUT", f"/api/v1/items/{created['id']}", {**fixed, "rationale": "Current state first.", "version": 2}
    )
    submitted = author.api("POST", review, {"action": "submit", "comment": "Ready"})
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "in_review"
    own = author.api("POST", review, {"action": "approve"})
    assert own.status_code == 403 and own.get_json()["error"] == "own_item"
    again = author.api("POST", review, {"action": "submit"})
    assert again.status_code == 409
    no_reason = reviewer.api("POST", review, {"action": "request_changes"})
    assert no_reason.status_code == 422
    back = reviewer.api("POST", review, {"action": "request_changes", "comment": "Name the clinic."})
    assert back.get_json()["status"] == "draft"
    author.api("POST", review, {"action": "submit"})
    approved = reviewer.api("POST", review, {"action": "approve", "comment": "Good"})
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["status"] == "active" and body["serving_version"] == body["version"] == 4
    assert body["reviewer"] == reviewer.user.name
    bad = reviewer.api("POST", review, {"action": "publish"})
    assert bad.status_code == 422
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == str(created["id"]))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == [
            "item.create",
            "item.edit",
            "item.edit",
            "item.submit",
            "item.request_changes",
            "item.submit",
            "item.approve",
        ]
    retired = reviewer.api("POST", review, {"action": "retire", "comment": "Outdated"})
    assert retired.get_json()["status"] == "retired"
    assert reviewer.api("POST", review, {"action": "retire"}).status_code == 409


def test_approval_serves_new_attempts_and_open_attempts_keep_their_version(
    app, banks, instructors, make_user, login
):
    from examsite.banks.queries import eligible_pool
    from examsite.catalog.services import get_role
    from examsite.delivery.models import AttemptItem

    author, reviewer = instructors[0], instructors[1]
    trainee = login(make_user("trainee"))
    attempt = trainee.api("POST", "/api/v1/attempts", {"role": "implementation-manager"}).get_json()
    with app.app_context():
        shown = dict(
            db.session.execute(
                select(Item.external_id, AttemptItem.item_version_id)
                .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                .join(Item, Item.id == ItemVersion.item_id)
                .where(AttemptItem.attempt_id == attempt["id"], Item.bank == MAS)
            ).all()
        )
        eligible_pool(get_role("implementation-manager"))  # warm the worker's pool cache
    external_id, old_version_id = sorted(shown.items())[0]
    item_id = _fixture_item_id(app, external_id)
    current = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    edited = {**current, "rationale": current["rationale"] + " Revised.", "version": current["version"]}
    assert author.api("PUT", f"/api/v1/items/{item_id}", edited).status_code == 200
    review = f"/api/v1/items/{item_id}/review"
    assert author.api("POST", review, {"action": "submit"}).status_code == 200
    with app.app_context():
        pool = eligible_pool(get_role("implementation-manager"))
        served = {v for units in pool.units_by_domain.values() for u in units for v in u.version_ids}
        assert old_version_id in served  # still in review: the active version keeps serving
    assert reviewer.api("POST", review, {"action": "approve"}).status_code == 200
    with app.app_context():
        item = db.session.get(Item, item_id)
        pool = eligible_pool(get_role("implementation-manager"))
        served = {v for units in pool.units_by_domain.values() for u in units for v in u.version_ids}
        assert item.current_version_id in served and old_version_id not in served
        kept = db.session.scalars(
            select(AttemptItem.item_version_id).where(AttemptItem.attempt_id == attempt["id"])
        ).all()
        assert old_version_id in kept and item.current_version_id not in kept
    reread = trainee.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert all(not {"key", "keys", "rationale"} & set(row) for row in reread["items"])
    result = trainee.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    assert result.status_code == 200


def test_retired_items_leave_the_pool(app, banks, instructors):
    from examsite.banks.queries import eligible_pool
    from examsite.catalog.services import get_role

    item_id = _fixture_item_id(app, "MAS-0001")
    response = instructors[0].api("POST", f"/api/v1/items/{item_id}/review", {"action": "retire"})
    assert response.status_code == 200 and response.get_json()["status"] == "retired"
    with app.app_context():
        pool = eligible_pool(get_role("implementation-manager"))
        assert item_id not in {
            i for units in pool.units_by_domain.values() for u in units for i in u.item_ids
        }


def test_blueprint_and_exam_settings(app, banks, instructors):
    editor = instructors[0]
    path = "/api/v1/roles/implementation-manager/blueprint"
    blueprint = editor.api("GET", path).get_json()
    assert blueprint["form_items"] == 6
    assert all(row["fillable"] for row in blueprint["feasibility"])
    too_many = [{"code": d["code"], "items": d["items"] + 50} for d in blueprint["domains"]]
    refused = editor.api("PUT", path, {"domains": too_many, "pretest_items": 1})
    assert refused.status_code == 422 and refused.get_json()["error"] == "not_fillable"
    unknown = editor.api("PUT", path, {"domains": [{"code": "inf-research", "items": 1}]})
    assert unknown.status_code == 422
    smaller = [{"code": d["code"], "items": 1} for d in blueprint["domains"]]
    saved = editor.api("PUT", path, {"domains": smaller, "pretest_items": 0})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["form_items"] == 4
    exam_path = "/api/v1/roles/implementation-manager/exam"
    assert editor.api("GET", exam_path).get_json()["items"] == 4
    changed = editor.api("PUT", exam_path, {"minutes": 45, "passing_percent": 72.5, "grace_seconds": 30})
    assert changed.status_code == 200
    assert (changed.get_json()["minutes"], changed.get_json()["passing_percent"]) == (45, 72.5)
    for bad in ({"minutes": 0}, {"passing_percent": 101}, {"minutes": "many"}, {"colour": "red"}):
        response = editor.api("PUT", exam_path, bad)
        assert response.status_code == 422, bad
    assert editor.api("GET", exam_path).get_json()["minutes"] == 45
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"blueprint.edit", "exam.configure"} <= actions


def test_two_simultaneous_saves_of_one_version_make_one_version_and_one_conflict(app, banks, instructors):
    import threading

    created = instructors[0].api("POST", "/api/v1/items", new_item()).get_json()
    path = f"/api/v1/items/{created['id']}"
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def save(session, rationale: str) -> None:
        barrier.wait()
        response = session.api("PUT", path, {**created, "rationale": rationale, "version": 1})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=save, args=(instructors[0], "First rationale.")),
        threading.Thread(target=save, args=(instructors[1], "Second rationale.")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 409]
    versions = instructors[0].api("GET", f"{path}/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]


def test_an_approved_web_edit_exports_and_reimports_unchanged(app, banks, instructors, tmp_path):
    from examsite.banks.export import EXPORTERS
    from examsite.banks.importer import import_banks

    author, reviewer = instructors[0], instructors[1]
    item_id = _fixture_item_id(app, "MAS-0001")
    current = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    edit = {**current, "stem": current["stem"] + " (revised in the workspace)", "tags": ["check-in"]}
    author.api("PUT", f"/api/v1/items/{item_id}", edit)
    created = author.api("POST", "/api/v1/items", new_item()).get_json()
    for target in (item_id, created["id"]):
        author.api("POST", f"/api/v1/items/{target}/review", {"action": "submit"})
        assert (
            reviewer.api("POST", f"/api/v1/items/{target}/review", {"action": "approve"}).status_code == 200
        )
    with app.app_context():
        EXPORTERS["native"](tmp_path / "out", None)
        exported = "".join(p.read_text() for p in (tmp_path / "out").rglob("*.yaml"))
        assert "(revised in the workspace)" in exported and created["external_id"] in exported
        summary = import_banks([tmp_path / "out"])
    assert summary.new_versions == [] and summary.added == []
    after = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    assert after["version"] == current["version"] + 2  # the edit, then its approval; nothing from the import


def test_an_import_never_silently_overwrites_a_web_edit(app, banks, instructors, runner):
    from tests.conftest import FIXTURE_BANKS

    author, reviewer = instructors[0], instructors[1]
    item_id = _fixture_item_id(app, "MAS-0001")
    current = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    edit = {**current, "stem": current["stem"] + " (revised in the workspace)"}
    author.api("PUT", f"/api/v1/items/{item_id}", edit)
    author.api("POST", f"/api/v1/items/{item_id}/review", {"action": "submit"})
    assert reviewer.api("POST", f"/api/v1/items/{item_id}/review", {"action": "approve"}).status_code == 200
    served = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    # the files still hold the old MAS-0001: a plain import refuses, naming the item and its line
    refused = runner.invoke(args=["banks", "import", str(FIXTURE_BANKS)])
    assert refused.exit_code != 0
    assert "MAS-0001: edited in the workspace since it was imported" in refused.output
    assert ".yaml:" in refused.output
    assert author.api("GET", f"/api/v1/items/{item_id}").get_json()["version"] == served["version"]
    # --ours keeps the web's edit; --theirs lets the file win
    ours = runner.invoke(args=["banks", "import", "--ours", str(FIXTURE_BANKS)])
    assert ours.exit_code == 0 and "kept the workspace's edits of MAS-0001" in ours.output
    kept = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    assert kept["version"] == served["version"] and "(revised in the workspace)" in kept["stem"]
    theirs = runner.invoke(args=["banks", "import", "--theirs", str(FIXTURE_BANKS)])
    assert theirs.exit_code == 0 and "1 new versions" in theirs.output
    restored = author.api("GET", f"/api/v1/items/{item_id}").get_json()
    assert restored["stem"] == current["stem"] and restored["version"] == served["version"] + 1
    # and once the file wins, the next import is quiet again
    again = runner.invoke(args=["banks", "import", str(FIXTURE_BANKS)])
    assert again.exit_code == 0 and "0 new versions" in again.output
    assert runner.invoke(args=["banks", "import", "--ours", "--theirs", str(FIXTURE_BANKS)]).exit_code == 2
    # a draft still waiting in the workspace does not stop an import that leaves its item alone
    author.api("PUT", f"/api/v1/items/{item_id}", {**restored, "stem": restored["stem"] + " (draft)"})
    quiet = runner.invoke(args=["banks", "import", str(FIXTURE_BANKS)])
    assert quiet.exit_code == 0, quiet.output


def test_drafts_and_items_in_review_never_reach_a_trainee(app, banks, instructors, make_user, login):
    from examsite.delivery.models import AttemptItem

    author = instructors[0]
    draft = author.api("POST", "/api/v1/items", new_item()).get_json()
    in_review = author.api("POST", "/api/v1/items", new_item(stem="Which map comes first?")).get_json()
    assert (
        author.api("POST", f"/api/v1/items/{in_review['id']}/review", {"action": "submit"}).status_code == 200
    )
    trainee = login(make_user("trainee"))
    attempt = trainee.api("POST", "/api/v1/attempts", {"role": "implementation-manager"}).get_json()
    with app.app_context():
        shown = set(
            db.session.scalars(
                select(ItemVersion.item_id)
                .join(AttemptItem, AttemptItem.item_version_id == ItemVersion.id)
                .where(AttemptItem.attempt_id == attempt["id"])
            )
        )
    assert shown and not shown & {draft["id"], in_review["id"]}
    assert trainee.api("GET", f"/api/v1/items/{draft['id']}").status_code == 403
    assert trainee.client.get(f"/instructor/items/{draft['id']}").status_code == 403
