"""Schemathesis against the app served by gunicorn: the OpenAPI document matches real replies.

Each identity (anonymous, a trainee with a bearer token, an administrator with a bearer token)
gets a bounded, repeatable run (deterministic generation, no example database, a cap of 5 per
operation) with the checks that compare replies to the document: no server error, every status
documented, content types, headers and bodies as described. Then a trainee's own attempt and
certificate, which random ids rarely reach, are checked against the same document.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import requests
import schemathesis

from tests.support.live import LiveServer, empty_database

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    )
)
ST = Path(sys.executable).parent / "st"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    with empty_database(request.param, tmp_path) as url:
        live = LiveServer(url, tmp_path)
        live.start()
        try:
            yield live
        finally:
            live.stop()


#: what each identity runs against: anonymous everything; the others the operations their identity
#: changes the answer of (the public certificate and issuer routes answer everyone alike)
OPERATIONS = {
    "anonymous": ".*",
    "trainee": "^/(roles|attempts|me)",
    "admin": "^/(reports|attempts|me|roles/[^/]+/item-statistics)",
}


def schemathesis_run(server: LiveServer, operations: str, *headers: str) -> subprocess.CompletedProcess:
    command = [
        str(ST),
        "run",
        f"{server.url}/api/v1/openapi.json",
        f"--url={server.url}/api/v1",
        f"--checks={CHECKS}",
        "--phases=examples,coverage,fuzzing",
        "--max-examples=5",
        "--generation-deterministic",
        "--workers=1",
        "--request-timeout=20",
        "--no-color",
        f"--include-path-regex={operations}",
        *(f"--header={h}" for h in headers),
    ]
    # cwd: schemathesis keeps a cache of crashes in .schemathesis/ under its working directory
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=server.workdir)


@pytest.mark.parametrize("identity", ["anonymous", "trainee", "admin"])
def test_replies_match_the_document(server, identity):
    headers = [] if identity == "anonymous" else [f"Authorization: Bearer {identity_token(server, identity)}"]
    result = schemathesis_run(server, OPERATIONS[identity], *headers)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def identity_token(server: LiveServer, role: str) -> str:
    return server.token(server.create_user(role))


def test_a_trainees_own_attempt_and_certificate_match_the_document(server):
    """The replies random ids rarely reach: start, read, save, time, event, submit, verify."""
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json") as reply:
        document = reply.read()
    schema = schemathesis.openapi.from_dict(json.loads(document))
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {identity_token(server, 'trainee')}"
    base = f"{server.url}/api/v1"

    def checked(method: str, path: str, template: str, **kwargs) -> requests.Response:
        response = http.request(method, base + path, **kwargs)
        assert response.status_code < 500, response.text
        schema[template][method].validate_response(response)
        return response

    roles = checked("GET", "/roles", "/roles").json()["roles"]
    started = [checked("POST", "/attempts", "/attempts", json={"role": r["slug"]}) for r in roles]
    role, attempt = next(
        (r["slug"], s.json()) for r, s in zip(roles, started, strict=True) if s.status_code == 201
    )
    assert checked("POST", "/attempts", "/attempts", json={"role": role}).status_code == 200
    checked("POST", "/attempts", "/attempts", json={"role": 7})
    at = f"/attempts/{attempt['id']}"
    checked("GET", at, "/attempts/{attempt_id}")
    checked("GET", f"{at}/time", "/attempts/{attempt_id}/time")
    checked(
        "POST", f"{at}/events", "/attempts/{attempt_id}/events", json={"kind": "copy", "details": {"a": 1}}
    )
    keys = dict(
        server.sql(
            "SELECT ai.id, iv.keys FROM attempt_items ai JOIN item_versions iv ON iv.id = ai.item_version_id"
            " WHERE ai.attempt_id = :attempt",
            attempt=attempt["id"],
        )
    )
    for item in attempt["items"]:
        choices = keys[item["id"]]
        choices = json.loads(choices) if isinstance(choices, str) else choices
        path = f"{at}/responses/{item['id']}"
        checked("PUT", path, "/attempts/{attempt_id}/responses/{item_id}", json={"choices": choices})
    result = checked("POST", f"{at}/submit", "/attempts/{attempt_id}/submit").json()
    checked("GET", at, "/attempts/{attempt_id}")
    late = f"{at}/responses/{attempt['items'][0]['id']}"
    assert checked("PUT", late, "/attempts/{attempt_id}/responses/{item_id}", json={}).status_code == 409
    assert result["passed"] and result["certificate"], result
    code = result["certificate"]["code"]
    for suffix in ("", "/status", "/credential", "/badge.svg"):
        checked("GET", f"/certificates/{code}{suffix}", "/certificates/{code}" + suffix)
