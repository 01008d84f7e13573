"""Bad input never gives a 500 (issue 18): ids and page numbers beyond 64 bits, deeply nested,
huge and chunked JSON, "$…$", "{}" and control characters in names, NUL and bidirectional
controls refused with a clear message."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from examsite.extensions import db
from tests.integration.test_reports import add_attempt, make_place, when

HUGE = str(2**63)  # one more than a BIGINT holds
HUGER = "9" * 40


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin"))


@pytest.fixture
def trainee(make_user, login, banks):
    return login(make_user("trainee"))


@pytest.mark.parametrize("number", [HUGE, HUGER])
def test_ids_beyond_64_bits_in_paths_are_404(admin, trainee, number):
    for path in (
        f"/admin/users/{number}",
        f"/admin/institutions/{number}",
        f"/admin/cohorts/{number}",
        f"/attempts/{number}/items/1",
        f"/attempts/1/items/{number}",
    ):
        assert admin.client.get(path).status_code == 404, path
    for method, path in (
        ("GET", f"/api/v1/attempts/{number}"),
        ("PUT", f"/api/v1/attempts/{number}/responses/{number}"),
        ("POST", f"/api/v1/attempts/{number}/submit"),
    ):
        reply = trainee.api(method, path, json={"choices": []})
        assert reply.status_code == 404 and reply.get_json()["error"] == "not_found", path
    assert admin.form(f"/admin/users/{number}/deactivate").status_code == 404
    assert admin.form(f"/account/tokens/{number}/revoke").status_code == 404


@pytest.mark.parametrize("page", [HUGE, HUGER, "1000001"])
def test_page_numbers_beyond_range_are_404(admin, page):
    for path in ("/admin/users", "/admin/audit"):
        assert admin.client.get(path, query_string={"page": page}).status_code == 404
    # nonsense is page 1, not an error
    assert admin.client.get("/admin/users", query_string={"page": "abc"}).status_code == 200
    assert admin.client.get("/admin/users", query_string={"institution": HUGE}).status_code in (200, 422)


def test_deeply_nested_json_is_400(trainee):
    attempt = trainee.api("POST", "/api/v1/attempts", json={"role": "implementation-manager"}).get_json()
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    for depth in (50, 5000):
        body = '{"choices": ' + "[" * depth + "]" * depth + "}"
        reply = trainee.api("PUT", url, data=body, content_type="application/json")
        assert reply.status_code == 400 and reply.get_json()["error"] == "malformed", depth
    nested = trainee.api("POST", "/api/v1/attempts", data="[" * 60000, content_type="application/json")
    assert nested.status_code == 400


def test_huge_json_is_413_with_or_without_content_length(trainee):
    attempt = trainee.api("POST", "/api/v1/attempts", json={"role": "implementation-manager"}).get_json()
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    body = json.dumps({"choices": ["x" * 100 for _ in range(1000)]}).encode()
    assert len(body) > 64 * 1024
    plain = trainee.api("PUT", url, data=body, content_type="application/json")
    assert plain.status_code == 413 and plain.get_json()["error"] == "too_large"

    def chunks():
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    chunked = trainee.api(
        "PUT", url, content_type="application/json", environ_overrides=chunked_body(chunks())
    )
    assert chunked.status_code == 413 and chunked.get_json()["error"] == "too_large"
    # a small chunked body still works
    small = json.dumps({"choices": [], "flagged": True}).encode()
    ok = trainee.api(
        "PUT", url, content_type="application/json", environ_overrides=chunked_body(iter([small]))
    )
    assert ok.status_code == 200, ok.get_data(as_text=True)
    saved = trainee.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()["items"][0]
    assert saved["flagged"] is True  # the chunked body was read, not taken for empty


def chunked_body(parts) -> dict:
    """What a server hands the app for `Transfer-Encoding: chunked`: no length, a terminated stream."""
    return {
        "wsgi.input": _Stream(parts),
        "wsgi.input_terminated": True,
        "HTTP_TRANSFER_ENCODING": "chunked",
    }


class _Stream:
    """A request body of unknown length, as a chunked upload arrives."""

    def __init__(self, parts):
        self.parts, self.buffer = parts, b""

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.parts)
            except StopIteration:
                break
        if size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def readline(self, size=-1):
        return self.read(size)


def test_dollars_braces_in_names_render_as_text_on_report_pages(app, admin, make_user):
    name = r"Dollar $\frac{1}{0}$ {name} {{ 7*7 }} College"
    user = make_user("trainee", name=r"Trainee $x^{2$ {0}")
    with app.app_context():
        _, (cohort,) = make_place(name, r"Cohort $\sqrt{$ {}")
        add_attempt(user.id, "trainer", 80, True, when(2026, 4, 20, 12), cohort=cohort)
        db.session.commit()
    for by in ("institution", "cohort", "role", "month"):
        page = admin.client.get("/reports/pass-rates", query_string={"by": by})
        assert page.status_code == 200, by
    html = admin.client.get("/reports/pass-rates", query_string={"by": "institution"}).get_data(as_text=True)
    assert r"Dollar $\frac{1}{0}$ {name} {{ 7*7 }} College" in html.replace("&#34;", '"')
    assert "49" not in html.split("Dollar", 1)[1][:60]  # not evaluated as a template
    users = admin.client.get("/admin/users").get_data(as_text=True)
    assert r"Trainee $x^{2$ {0}" in users


@pytest.mark.parametrize("bad", ["Nul\x00Name", "Evil\u202eexe.pdf", "Iso\u2066late", "Bell\x07"])
def test_names_with_nul_or_bidi_controls_are_refused(app, admin, runner, bad):
    from examsite.accounts.models import User
    from examsite.programs.models import Institution

    reply = admin.form("/admin/institutions", {"institution_name": bad}, follow_redirects=True)
    assert reply.status_code in (200, 422)
    text = reply.get_data(as_text=True)
    assert "must not contain" in text
    result = runner.invoke(
        args=["users", "create", "odd@example.org", "--name", bad, "--password-stdin"],
        input="a fine passphrase\n",
    )
    assert result.exit_code == 1 and "must not contain" in result.output
    client = app.test_client()
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/register").get_data(as_text=True))
    page = client.post(
        "/register",
        data={
            "name": bad,
            "email": "odd2@example.org",
            "password": "a fine passphrase",
            "confirm": "a fine passphrase",
            "csrf_token": token,
        },
    )
    assert page.status_code == 422 and "must not contain" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Institution).where(Institution.name.contains("Name"))) is None
        assert (
            db.session.scalar(select(User).where(User.email.in_(["odd@example.org", "odd2@example.org"])))
            is None
        )
