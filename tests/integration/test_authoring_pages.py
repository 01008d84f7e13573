"""The workspace pages: who reaches them, writing an item with lint and preview, history, review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examsite.banks.models import Item, ItemVersion
from examsite.extensions import db

MAS = "mobile-adoption-support"
FORM = {
    "category": MAS,
    "domain": "mas-workflow-redesign",
    "type": "single",
    "level": "recall",
    "stem": "Which chart shows **who** does each step of a check-in?",
    "option_a": "A swim-lane diagram",
    "option_b": "A pie chart",
    "option_c": "A Gantt chart",
    "option_d": "A balance sheet",
    "key": "a",
    "rationale": "Swim lanes show the actor of each step.",
    "tags": "diagrams, check-in",
}


@pytest.fixture
def author(app, banks, make_user, runner, login):
    user = make_user("instructor", name="Ada Author")
    runner.invoke(args=["users", "assign", user.email, "--category", MAS])
    return login(user)


@pytest.fixture
def reviewer(app, banks, make_user, runner, login):
    user = make_user("instructor", name="Rita Reviewer")
    runner.invoke(args=["users", "assign", user.email, "--category", MAS])
    return login(user)


def test_pages_need_an_instructor_of_the_category(app, banks, make_user, login, author):
    created = author.form("/instructor/items/new", FORM)
    assert created.status_code == 302
    item_path = created.headers["Location"]
    trainee = login(make_user("trainee"))
    outsider = login(make_user("instructor"))  # assigned nowhere
    for path in ("/instructor/items", "/instructor/review", "/instructor/roles", item_path):
        assert trainee.client.get(path).status_code == 403, path
    assert outsider.client.get(item_path).status_code == 404
    assert outsider.client.get(item_path + "/history").status_code == 404
    assert outsider.client.get("/instructor/roles/implementation-manager/blueprint").status_code == 403
    assert outsider.client.get("/instructor/items/new").status_code == 403
    assert outsider.form(item_path + "/review", {"action": "approve"}).status_code == 404
    anonymous = app.test_client().get("/instructor/items")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_forms_need_the_csrf_token(app, author):
    response = author.client.post("/instructor/items/new", data=FORM)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Item).where(Item.external_id == "MAS-0007")) is None


def test_write_an_item_see_lint_on_save_and_fix_it(app, author):
    bad = author.form("/instructor/items/new", {**FORM, "option_b": "a swim-lane diagram"})
    assert bad.status_code == 422
    assert "say the same thing" in bad.get_data(as_text=True)
    flawed = author.form("/instructor/items/new", {**FORM, "stem": "Which chart is not a diagram?"})
    assert flawed.status_code == 302  # a lint error does not block saving a draft
    page = author.client.get(flawed.headers["Location"]).get_data(as_text=True)
    assert "MAS-0007: negative stem: write NOT in capitals" in page
    assert '<span class="stem"><p>Which chart is not a diagram?</p>' in page  # the trainee's markup
    submit = author.form(flawed.headers["Location"] + "/review", {"action": "submit"}, follow_redirects=True)
    assert "negative stem" in submit.get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.external_id == "MAS-0007"))
        assert item.latest_version.status == "draft"


def test_live_check_returns_lint_and_the_trainee_preview(app, author):
    item = {
        "category": MAS,
        "domain": "mas-workflow-redesign",
        "type": "multiple",
        "level": "recall",
        "stem": "Pick the *diagrams* <script>alert(1)</script>",
        "options": [{"id": "a", "text": "Swim lane"}, {"id": "b", "text": "Flow chart"}],
        "key": ["a", "b"],
        "rationale": "",
    }
    body = author.api("POST", "/instructor/items/check", item).get_json()
    messages = {p["message"] for p in body["problems"]}
    assert "MAS-NEW: a multiple item needs 4 to 6 options, not 2" in messages
    assert "MAS-NEW: a multiple item's stem must say how many to choose (e.g. 'Choose two.')" in messages
    assert "MAS-NEW: a rationale is required" in messages
    assert all(p["field"] != "id" for p in body["problems"])
    assert "<em>diagrams</em>" in body["preview_html"] and "<script>" not in body["preview_html"]
    assert 'type="checkbox"' in body["preview_html"] and "Choose 2." in body["preview_html"]
    other = author.api("POST", "/instructor/items/check", {**item, "category": "informaticians"})
    assert other.status_code == 403
    assert (
        author.api("POST", "/instructor/items/check", data="[", content_type="application/json").status_code
        == 400
    )


def test_history_diff_review_queue_and_approval(app, author, reviewer):
    created = author.form("/instructor/items/new", FORM)
    path = created.headers["Location"]
    edited = author.form(path, {**FORM, "stem": "Which chart shows who does each step?", "version": "1"})
    assert edited.status_code == 302
    stale = author.form(path, {**FORM, "stem": "An older edit", "version": "1"})
    assert stale.status_code == 409 and "Your changes were not saved" in stale.get_data(as_text=True)
    history = author.client.get(path + "/history?a=1&b=2").get_data(as_text=True)
    expected = "<del>**who**</del> <ins>who</ins> does each <del>step of a check-in?</del> <ins>step?</ins>"
    assert expected in history
    author.form(path + "/review", {"action": "submit", "comment": "Please check"})
    queue = reviewer.client.get("/instructor/review").get_data(as_text=True)
    waiting = queue.split("Waiting for your review")[1].split("<h2>")[0]
    assert "MAS-0007" in waiting
    own_queue = author.client.get("/instructor/review").get_data(as_text=True)
    assert "MAS-0007" in own_queue.split("waiting for another reviewer")[1].split("<h2>")[0]
    refused = author.form(path + "/review", {"action": "approve"}, follow_redirects=True)
    assert "another instructor must approve it" in refused.get_data(as_text=True)
    reviewer.form(path + "/review", {"action": "approve", "comment": "Clear item"})
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.external_id == "MAS-0007"))
        assert item.current_version.status == "active" and item.current_version.reviewer == "Rita Reviewer"
    page = author.client.get(path).get_data(as_text=True)
    assert "Clear item" in page and "(approve)" in page


def test_find_items_filters_and_shows_text(app, author):
    author.form("/instructor/items/new", FORM)
    page = author.client.get("/instructor/items?q=swim&tag=diagrams").get_data(as_text=True)
    assert "1 item found." in page
    assert "MAS-0007" in page
    everything = author.client.get("/instructor/items").get_data(as_text=True)
    assert "7 items found." in everything  # MAS-0001..6 from the files and the new one
    assert "Front-desk staff re-enter portal data" in everything  # the question text is shown
    drafts = author.client.get("/instructor/items?status=draft").get_data(as_text=True)
    assert "1 item found." in drafts


def test_blueprint_and_exam_pages(app, author):
    page = author.client.get("/instructor/roles/implementation-manager/blueprint")
    assert page.status_code == 200
    too_many = author.form(
        "/instructor/roles/implementation-manager/blueprint",
        {
            "domain-core-health-care-system": "40",
            "domain-core-privacy-security": "1",
            "domain-mas-workflow-redesign": "2",
            "domain-mas-deployment-support": "1",
            "pretest_items": "0",
        },
    )
    assert too_many.status_code == 422 and "needs 40 active items" in too_many.get_data(as_text=True)
    exam = author.form(
        "/instructor/roles/implementation-manager/exam", {"minutes": "50", "passing_percent": "65"}
    )
    assert exam.status_code == 302
    bad = author.form("/instructor/roles/implementation-manager/exam", {"minutes": "0"})
    assert bad.status_code == 422
    with app.app_context():
        from examsite.catalog.services import get_role

        assert get_role("implementation-manager").exam.minutes == 50
    with app.app_context():
        assert db.session.scalar(select(ItemVersion).limit(1)) is not None


def test_administrators_assign_categories_on_the_user_page(app, make_user, login):
    admin = login(make_user("admin"))
    teacher = make_user("instructor")
    page = admin.client.get(f"/admin/users/{teacher.id}").get_data(as_text=True)
    assert "Categories" in page and 'name="category"' in page
    saved = admin.form(
        f"/instructor/assignments/{teacher.id}", {"category": ["informaticians", "permanent-staff"]}
    )
    assert saved.status_code == 302
    teacher_session = login(teacher)
    assert (
        teacher_session.client.get("/instructor/roles/programmer-software-engineer/exam").status_code == 200
    )
    assert teacher_session.client.get("/instructor/roles/implementation-manager/exam").status_code == 403
    admin.form(f"/instructor/assignments/{teacher.id}", {"category": ["permanent-staff"]})
    assert (
        teacher_session.client.get("/instructor/roles/programmer-software-engineer/exam").status_code == 403
    )
    assert teacher_session.form(f"/instructor/assignments/{teacher.id}", {"category": MAS}).status_code == 403
    from examsite.audit.models import AuditEvent

    with app.app_context():
        details = db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "user.assign")
        ).all()
        assert details[-1] == {"added": [], "removed": ["informaticians"]}


def test_find_items_by_statistics_flag(app, author, make_user, runner):
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from examsite.catalog.services import get_role
    from examsite.delivery.models import Attempt, AttemptItem

    trainee = make_user("trainee")
    with app.app_context():
        role = get_role("implementation-manager")
        easy, mixed = (
            db.session.scalar(select(Item.current_version_id).where(Item.external_id == external_id))
            for external_id in ("MAS-0001", "MAS-0002")
        )
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(25):
            at = start + timedelta(days=n)
            attempt = Attempt(
                user_id=trainee.id,
                role_id=role.id,
                status="submitted",
                started_at=at,
                deadline=at + timedelta(hours=1),
                closed_at=at + timedelta(minutes=30),
                grace_seconds=60,
                minutes=60,
                passing_percent=Decimal(50),
                raw_score=1 + n % 2,
                scored_items=2,
                score_percent=Decimal(50 + 50 * (n % 2)),
            )
            db.session.add(attempt)
            db.session.flush()
            db.session.add_all(
                [
                    AttemptItem(
                        attempt_id=attempt.id, item_version_id=easy, position=1, option_order=[], correct=True
                    ),
                    AttemptItem(
                        attempt_id=attempt.id,
                        item_version_id=mixed,
                        position=2,
                        option_order=[],
                        correct=n % 2 == 1,
                    ),
                ]
            )
        db.session.commit()
    # the filter reads the stored item analysis: before it is calculated, nothing is flagged
    assert "0 items found." in author.client.get("/instructor/items?flag=any").get_data(as_text=True)
    assert runner.invoke(args=["stats", "items", "implementation-manager"]).exit_code == 0
    page = author.client.get("/instructor/items?flag=very_easy").get_data(as_text=True)
    assert "1 item found." in page and "MAS-0001" in page and "MAS-0002" not in page
    assert '<option value="very_easy" selected>Very easy</option>' in page
    unflagged = author.client.get("/instructor/items?flag=low_discrimination").get_data(as_text=True)
    assert "0 items found." in unflagged
    assert "MAS-0001" in author.client.get("/instructor/items?flag=any").get_data(as_text=True)
    # the old labels are not codes: ignored, every item listed
    assert "MAS-0002" in author.client.get("/instructor/items?flag=very+easy").get_data(as_text=True)
