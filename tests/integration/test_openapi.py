"""The OpenAPI document: valid OpenAPI 3, every /api/v1 route, built from the models the views use."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate
from pydantic import ValidationError

from examsite.api import schemas

ROLE = "implementation-manager"


@pytest.fixture
def session(make_user, login, banks):
    return login(make_user("trainee"))


def test_openapi_document_is_valid_and_complete(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method.lower()))
    assert served <= documented, f"undocumented: {sorted(served - documented)}"


def test_every_body_schema_comes_from_the_models(client):
    """Components are the pydantic models' JSON schemas; every $ref resolves to one of them."""
    from examsite.api.spec import components

    document = client.get("/api/v1/openapi.json").get_json()
    ours = components()
    assert {name: document["components"]["schemas"][name] for name in ours} == ours
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', json.dumps(document)))
    assert refs and refs <= set(document["components"]["schemas"])
    assert {m.__name__ for m in schemas.COMPONENTS if m is not schemas.Jwk} <= refs | {"Jwk"}


def test_report_groupings_and_scopes_are_the_queries_own(client):
    from examsite.reports.queries import ATTEMPT_SCOPES, GROUPINGS

    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/reports/pass-rates"]["get"]
    enums = {p["name"]: p["schema"].get("enum") for p in operation["parameters"]}
    assert enums["by"] == list(GROUPINGS) and "role-year" in enums["by"]
    assert enums["attempts"] == list(ATTEMPT_SCOPES)


def test_a_reply_field_the_model_does_not_describe_is_refused():
    """Drift fails: a view that adds, drops or retypes a field fails in reply(), and so its tests."""
    clock = {
        "status": "in_progress",
        "deadline": "2026-01-01T10:00:00+00:00",
        "server_time": "2026-01-01T09:00:00+00:00",
    }
    assert schemas.reply(schemas.Clock, clock) == clock
    for drifted in (
        {**clock, "seconds_left": 3},
        {k: v for k, v in clock.items() if k != "deadline"},
        {**clock, "status": "paused"},
        {**clock, "deadline": 1767261600},
    ):
        with pytest.raises(ValidationError):
            schemas.reply(schemas.Clock, drifted)


SAVE_BODIES = [
    {},
    {"choices": []},
    {"choices": ["a"], "flagged": True},
    {"flagged": False},
    {"flagged": None},
    {"choices": ["a"], "other": 1},
    {"choices": "a"},
    {"choices": [1]},
    {"choices": ["a", None]},
    {"choices": ["a"] * 7},
    {"choices": None},
    {"flagged": "yes"},
    {"flagged": 1},
]


@pytest.mark.parametrize("body", SAVE_BODIES)
def test_the_save_view_and_its_documented_schema_agree(session, body):
    """The save view checks its body inline (its hot path); it accepts exactly what ResponseIn does."""
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    item = attempt["items"][0]
    body = {**body, "choices": [item["options"][0]["id"]]} if body.get("choices") == ["a"] else body
    if body.get("choices") == ["a"] * 7:
        body = {"choices": [item["options"][0]["id"]] * 7}
    try:
        schemas.ResponseIn.model_validate(body)
        valid = True
    except ValidationError:
        valid = False
    response = session.api("PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json=body)
    assert response.status_code == (200 if valid else 422), (body, response.get_json())
    if valid:
        assert schemas.reply(schemas.Saved, response.get_json()) == response.get_json()


def test_request_models_answer_422_with_the_error_shape(session):
    response = session.api("POST", "/api/v1/attempts", json={"role": 7})
    body = response.get_json()
    assert response.status_code == 422
    assert body["error"] == "invalid" and "role" in body["fields"] and body["message"]
    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    events = f"/api/v1/attempts/{attempt['id']}/events"
    assert session.api("POST", events, json={"details": {}}).get_json()["error"] == "invalid"
    assert session.api("POST", events, json={"kind": "sneeze"}).get_json()["error"] == "unknown_event"
    recorded = session.api("POST", events, json={"kind": "copy", "details": "ignored"})
    assert recorded.status_code == 201 and recorded.get_json()["kind"] == "copy"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/attempts/{big}", "/api/v1/attempts/{big}/time", "/api/v1/attempts/1/responses/{big}"],
)
def test_ids_beyond_the_id_columns_are_404_not_500(session, path):
    method = "PUT" if "responses" in path else "GET"
    for big in (2**31, 2**63 - 2, 2**64):
        response = session.api(method, path.format(big=big), json={"choices": []})
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
