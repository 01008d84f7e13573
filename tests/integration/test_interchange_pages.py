"""/instructor/import: upload -> preview as a trainee sees it -> confirm -> drafts; who may use it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from examsite.banks.models import ItemVersion
from examsite.extensions import db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"


@pytest.fixture
def instructor(make_user, runner):
    """An instructor assigned to the mobile-adoption-support category."""

    def make():
        user = make_user("instructor")
        runner.invoke(args=["users", "assign", user.email, "--category", "mobile-adoption-support"])
        return user

    return make


def drafts(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ItemVersion).where(ItemVersion.source_file.startswith("import:"))
        )


def upload(session, name: str, fmt: str, domain: str = "mas-deployment-support", data: bytes | None = None):
    content = data if data is not None else (FIXTURES / name).read_bytes()
    return session.form(
        "/instructor/import/preview",
        {
            "files": (io.BytesIO(content), Path(name).name),
            "format": fmt,
            "category": "mobile-adoption-support",
            "domain": domain,
            "level": "",
        },
        content_type="multipart/form-data",
    )


def test_upload_preview_confirm(app, banks, instructor, login):
    session = login(instructor())
    assert session.client.get("/instructor/import/").status_code == 200
    preview = upload(session, "moodle-export.gift.txt", "gift")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert (
        "A clinic goes live on its new <strong>EHR</strong> in two weeks" in page
    )  # rendered as the exam does
    assert "moodle-export.gift.txt:38" in page and "essay" in page
    assert "become all-or-nothing" in page
    assert drafts(app) == 0  # the preview writes nothing
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    done = session.form("/instructor/import/confirm", {"token": token})
    assert done.status_code == 200 and "6 drafts imported" in done.get_data(as_text=True)
    assert drafts(app) == 6
    assert session.form("/instructor/import/confirm", {"token": token}).status_code == 404  # used once


def test_errors_are_listed_and_nothing_can_be_confirmed(app, banks, instructor, login):
    session = login(instructor())
    preview = upload(session, "broken.csv", "csv")
    page = preview.get_data(as_text=True)
    assert "broken.csv:2" in page and "broken.csv:4" in page and "nothing will be imported" in page
    assert 'name="token"' not in page


def test_hostile_upload_is_refused_with_a_message(app, banks, instructor, login):
    session = login(instructor())
    page = upload(session, "xxe.xml", "qti", data=(FIXTURES / "qti30" / "xxe.xml").read_bytes()).get_data(
        as_text=True
    )
    assert "xxe.xml:2" in page and "refused" in page
    assert drafts(app) == 0


def test_upload_over_the_limit_is_refused(app, banks, instructor, login):
    session = login(instructor())
    big = b"::T::Which? {=a ~b ~c ~d}\n\n" * (app.config["MAX_CONTENT_LENGTH"] // 20)
    response = upload(session, "big.gift.txt", "gift", data=big)
    assert response.status_code == 413 and drafts(app) == 0
    assert "over the 2 MB upload limit" in response.get_data(as_text=True)


def test_wrong_extension_is_refused(app, banks, instructor, login):
    session = login(instructor())
    response = upload(session, "questions.csv", "xlsx")
    assert response.status_code == 422 and "takes .xlsx files" in response.get_data(as_text=True)


def test_another_users_token_is_not_found(app, banks, instructor, login):
    first = login(instructor())
    page = upload(first, "blackboard.aiken.txt", "aiken").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    other = login(instructor())
    assert other.form("/instructor/import/confirm", {"token": token}).status_code == 404
    assert drafts(app) == 0


def test_confirm_needs_csrf(app, banks, instructor, login):
    session = login(instructor())
    response = session.client.post("/instructor/import/confirm", data={"token": "0" * 32})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/instructor/import/", "/instructor/import/template.csv"])
def test_trainees_cannot_import(app, make_user, login, path):
    session = login(make_user("trainee"))
    assert session.client.get(path).status_code in (403, 404)


def test_templates_download(app, make_user, login):
    session = login(make_user("admin"))
    csv = session.client.get("/instructor/import/template.csv")
    assert csv.status_code == 200 and csv.get_data(as_text=True).startswith("type,domain,level,stem,a,b")
    xlsx = session.client.get("/instructor/import/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_missing_domain_is_asked_for_on_the_page(app, banks, instructor, login):
    session = login(instructor())
    page = upload(session, "blackboard.aiken.txt", "aiken", domain="").get_data(as_text=True)
    assert "blackboard.aiken.txt:1</code>: needs a choice: no domain in the file" in page
    assert 'name="token"' not in page


def test_instructor_of_another_category_cannot_import_into_it(app, banks, make_user, login):
    session = login(make_user("instructor"))  # assigned nowhere
    assert "not assigned to author in any category" in session.client.get("/instructor/import/").get_data(
        as_text=True
    )
    response = upload(session, "blackboard.aiken.txt", "aiken")
    assert response.status_code == 422 and drafts(app) == 0


def test_imported_drafts_are_in_the_workspace(app, banks, instructor, login):
    session = login(instructor())
    page = upload(session, "questions.csv", "csv").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    done = session.form("/instructor/import/confirm", {"token": token}).get_data(as_text=True)
    ids = re.findall(r"<li>(MAS-X[0-9A-F]{8})</li>", done)
    assert len(ids) == 2
    found = session.client.get("/instructor/items?status=draft&category=mobile-adoption-support").get_data(
        as_text=True
    )
    assert all(external_id in found for external_id in ids)
    items = session.api("GET", "/api/v1/items?status=draft&category=mobile-adoption-support").get_json()
    listed = {i["external_id"]: i for i in items["items"]}
    assert listed[ids[0]]["tags"] == ["workflow", "scheduling"] and listed[ids[0]]["version"] == 1
