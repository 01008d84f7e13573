"""Images for item text: typed by their bytes, size-limited, served inert, shown to trainees."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from examsite.authoring.models import ItemImage
from examsite.extensions import db

MAS = "mobile-adoption-support"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def author(app, banks, make_user, runner, login):
    user = make_user("instructor")
    runner.invoke(args=["users", "assign", user.email, "--category", MAS])
    return login(user)


def upload(session, data: bytes, filename: str):
    return session.client.post(
        "/instructor/images",
        data={"image": (io.BytesIO(data), filename)},
        headers={"X-CSRFToken": session.csrf},
        content_type="multipart/form-data",
    )


def test_upload_is_typed_by_content_and_served_without_scripts(app, author, make_user, login):
    response = upload(author, PNG, "chart.txt")  # the name does not matter, the bytes do
    assert response.status_code == 201, response.get_json()
    url = response.get_json()["url"]
    assert url.endswith(".png") and response.get_json()["markdown"] == f"![Describe the image]({url})"
    again = upload(author, PNG, "copy.png")
    assert again.get_json()["url"] == url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemImage)) == 1
    served = author.client.get(url)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    trainee = login(make_user("trainee"))
    assert trainee.client.get(url).status_code == 200  # trainees see images in their exams
    assert app.test_client().get(url).status_code == 302  # not without logging in
    assert author.client.get(url.replace(".png", ".gif")).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "status"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png", 422),
        (b"<html><script>alert(1)</script></html>", "x.gif", 422),
        (b"", "empty.png", 422),
        (b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024), "big.png", 413),
    ],
)
def test_refused_uploads_store_nothing(app, author, data, name, status):
    response = upload(author, data, name)
    assert response.status_code == status
    assert response.get_json()["error"] in ("invalid", "too_large")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ItemImage)) == 0


def test_uploads_need_an_assigned_instructor_and_the_csrf_token(app, banks, make_user, login, author):
    trainee = login(make_user("trainee"))
    assert upload(trainee, PNG, "a.png").status_code == 403
    stranger = login(make_user("instructor"))
    assert upload(stranger, PNG, "a.png").status_code == 403
    no_token = author.client.post(
        "/instructor/images", data={"image": (io.BytesIO(PNG), "a.png")}, content_type="multipart/form-data"
    )
    assert no_token.status_code == 400


def test_only_uploaded_images_render_in_item_text(app, author):
    url = upload(author, PNG, "a.png").get_json()["url"]
    item = {
        "category": MAS,
        "domain": "mas-workflow-redesign",
        "type": "single",
        "stem": f"Look at the chart.\n\n![A flow chart]({url})\n\n![tracker](https://evil.example/t.png)",
        "options": [{"id": o, "text": o} for o in "abcd"],
        "key": ["a"],
    }
    html = author.api("POST", "/instructor/items/check", item).get_json()["preview_html"]
    assert f'<img src="{url}" alt="A flow chart">' in html
    assert "evil.example" not in html
