"""The scenario set pages: who reaches them, writing a set with its preview, conflicts, review."""

from __future__ import annotations

import pytest

from tests.integration.test_authoring_pages import FORM, MAS


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


def _new_items(author) -> list[str]:
    ids = []
    for stem, first in (
        ("Which chart shows **who** does each step of a check-in?", "A swim-lane diagram"),
        ("Which chart shows **when** each task of the go-live happens?", "A Gantt chart of tasks"),
    ):
        form = {**FORM, "stem": stem, "option_a": first, "option_c": "A radar chart"}
        created = author.form("/instructor/items/new", form)
        assert created.status_code == 302, created.get_data(as_text=True)[:300]
        page = author.client.get(created.headers["Location"]).get_data(as_text=True)
        ids.append(page.split("<h1>", 1)[1].split(" ", 1)[0])
    return ids


CASE = "The clinic's **front desk** checks in 80 patients a day.\n\n<script>alert('x')</script>"


def test_writing_previewing_and_reviewing_a_set(app, author, reviewer):
    ids = _new_items(author)
    page = author.client.get("/instructor/scenarios/new")
    assert page.status_code == 200 and 'id="case-preview"' in page.get_data(as_text=True)
    bad = author.form("/instructor/scenarios/new", {"category": MAS, "title": "", "case": CASE, "items": ""})
    assert bad.status_code == 422 and "title is required" in bad.get_data(as_text=True)
    created = author.form(
        "/instructor/scenarios/new",
        {"category": MAS, "title": "Morning check-in", "case": CASE, "items": ", ".join(ids)},
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    path = created.headers["Location"]
    assert path.endswith("/instructor/scenarios/MAS-S002")
    html = author.client.get(path).get_data(as_text=True)
    assert "<strong>front desk</strong>" in html and "<script>alert" not in html  # sanitized as stems are
    assert html.count('role="region" aria-label="Case for this question"') == 1
    for external_id in ids:
        assert external_id in html
    assert 'id="q' in html and 'name="preview-choice"' not in html  # one id set per question
    listing = author.client.get("/instructor/scenarios").get_data(as_text=True)
    assert "MAS-S002" in listing and "MAS-S001" in listing and "Morning check-in" in listing

    preview = author.api("POST", "/instructor/scenarios/preview", {"title": "T", "case": "*a* <b>x</b>"})
    assert preview.status_code == 200
    assert (
        "<em>a</em>" in preview.get_json()["preview_html"] and "<b>" not in preview.get_json()["preview_html"]
    )
    assert author.api("POST", "/instructor/scenarios/preview", ["x"]).status_code == 400

    revision = html.split('name="revision" value="', 1)[1].split('"', 1)[0]
    edit = {
        "title": "Morning check-in",
        "case": CASE + "\n\nTwo clerks work the desk.",
        "items": " ".join(ids),
    }
    saved = author.form(path, {**edit, "revision": revision})
    assert saved.status_code == 302
    stale = reviewer.form(path, {**edit, "case": "Other", "revision": revision})
    assert stale.status_code == 409 and "changed since you opened it" in stale.get_data(as_text=True)

    submitted = author.form(path + "/review", {"action": "submit"}, follow_redirects=True)
    assert "Submitted for review" in submitted.get_data(as_text=True)
    own = author.form(path + "/review", {"action": "approve"}, follow_redirects=True)
    assert "another instructor approves the set" in own.get_data(as_text=True)
    approved = reviewer.form(
        path + "/review", {"action": "approve", "status": "active"}, follow_redirects=True
    )
    text = approved.get_data(as_text=True)
    assert "Approved: the set serves exams" in text and text.count("active</span>") >= 2


def test_pages_need_an_instructor_of_the_category(app, banks, make_user, login, author):
    trainee = login(make_user("trainee"))
    outsider = login(make_user("instructor"))  # assigned nowhere
    for path in ("/instructor/scenarios", "/instructor/scenarios/new", "/instructor/scenarios/MAS-S001"):
        assert trainee.client.get(path).status_code == 403, path
    assert outsider.client.get("/instructor/scenarios/MAS-S001").status_code == 404
    assert outsider.form("/instructor/scenarios/MAS-S001", {"title": "x", "case": "y"}).status_code == 404
    assert outsider.form("/instructor/scenarios/MAS-S001/review", {"action": "submit"}).status_code == 404
    assert outsider.client.get("/instructor/scenarios/new").status_code == 403
    assert author.client.get("/instructor/scenarios/MAS-S404").status_code == 404
    no_token = author.client.post("/instructor/scenarios/MAS-S001/review", data={"action": "submit"})
    assert no_token.status_code == 400


def test_an_item_of_a_set_is_previewed_under_its_case(app, author):
    from sqlalchemy import select

    from examsite.banks.models import Item
    from examsite.extensions import db

    with app.app_context():
        item_id = db.session.scalar(select(Item.id).where(Item.external_id == "MAS-0005"))
    html = author.client.get(f"/instructor/items/{item_id}").get_data(as_text=True)
    assert "Part of scenario set" in html and "/instructor/scenarios/MAS-S001" in html
    assert 'aria-label="Case for this question"' in html
    body = {"category": MAS, "external_id": "MAS-0005", "stem": "Which step first?", "type": "single"}
    checked = author.api("POST", "/instructor/items/check", body).get_json()
    assert "A small clinic prepares for go-live" in checked["preview_html"]
    body["external_id"] = ""
    assert (
        "Case for this question"
        not in author.api("POST", "/instructor/items/check", body).get_json()["preview_html"]
    )
