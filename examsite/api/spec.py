"""The OpenAPI 3.1 description of /api/v1, built from the pydantic models the views use.

Paths, parameters and statuses are written here; every body schema comes from
`examsite.api.schemas`, so a field a view adds or drops changes the document with it. Checked
by openapi-spec-validator and against the running app by schemathesis (tests/integration/
test_openapi.py, tests/integration/test_schemathesis.py).
"""

from __future__ import annotations

import json
from functools import cache

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from examsite.api import MAX_ID
from examsite.api import schemas as s
from examsite.reports.queries import ATTEMPT_SCOPES, GROUPINGS


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _error(description: str) -> dict:
    return _json(s.Error, description)


def _body(model: type[BaseModel]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(model)}}}


def _svg(description: str) -> dict:
    return {"description": description, "content": {"image/svg+xml": {"schema": {"type": "string"}}}}


def _id(name: str) -> dict:
    schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _text(name: str, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    return parameter | ({"description": description} if description else {})


ATTEMPT_ID = _id("attempt_id")
CODE = _text("code", "Certificate code; case, spaces and dashes are ignored.")
#: what every trainee call can answer besides its own replies
TRAINEE = {
    "401": _error("Not logged in, or the bearer token is not valid"),
    "403": _error("Not a trainee account"),
    "404": _error("No such attempt (also another user's)"),
}
#: what every write can answer before its view runs
WRITE = {
    "400": _error("Malformed JSON, or a cookie session without its X-CSRFToken"),
    "413": _error("Body too large"),
}
LIMITED = {"429": _error("Rate limited (Retry-After says when to try again)")}
PUBLIC: dict = {"security": []}


def _operations() -> dict:
    return {
        "/roles": {
            "get": {
                "summary": "The twelve roles and their exam settings",
                **PUBLIC,
                "responses": {"200": _json(s.RoleList, "Roles")},
            }
        },
        "/attempts": {
            "post": {
                "summary": "Start an exam, or resume the open attempt",
                "requestBody": _body(s.StartAttemptIn),
                "responses": {
                    "201": _json(s.Attempt, "Started"),
                    "200": _json(s.Attempt, "Resumed"),
                    **WRITE,
                    **TRAINEE,
                    "404": _error("Unknown role"),
                    "409": _error("retake_not_allowed (with available_at) or exam_unavailable"),
                    "422": _error("Missing or invalid role"),
                },
            }
        },
        "/attempts/{attempt_id}": {
            "get": {
                "summary": "An attempt with its items (never keys while open)",
                "parameters": [ATTEMPT_ID],
                "responses": {"200": _json(s.Attempt, "The attempt"), **TRAINEE},
            }
        },
        "/attempts/{attempt_id}/time": {
            "get": {
                "summary": "The server's clock and the attempt's deadline",
                "parameters": [ATTEMPT_ID],
                "responses": {"200": _json(s.Clock, "Clock"), **TRAINEE},
            }
        },
        "/attempts/{attempt_id}/responses/{item_id}": {
            "put": {
                "summary": "Save one answer durably (committed before the reply)",
                "parameters": [ATTEMPT_ID, _id("item_id")],
                "requestBody": _body(s.ResponseIn),
                "responses": {
                    "200": _json(s.Saved, "Saved"),
                    **WRITE,
                    **TRAINEE,
                    "404": _error("No such attempt or item (also another user's)"),
                    "409": _error("The attempt is closed (deadline plus grace passed, or submitted)"),
                    "422": _error("Unknown option or bad values"),
                },
            }
        },
        "/attempts/{attempt_id}/items/{item_id}/struck": {
            "put": {
                "summary": "Keep the options struck out on one item (a reading aid, never an answer)",
                "parameters": [ATTEMPT_ID, _id("item_id")],
                "requestBody": _body(s.StruckIn),
                "responses": {
                    "200": _json(s.Struck, "Stored"),
                    **WRITE,
                    **TRAINEE,
                    "404": _error("No such attempt or item (also another user's)"),
                    "409": _error("The attempt is closed (deadline plus grace passed, or submitted)"),
                    "422": _error("Unknown option or bad values"),
                },
            }
        },
        "/attempts/{attempt_id}/submit": {
            "post": {
                "summary": "Submit and score; repeating returns the same result",
                "parameters": [ATTEMPT_ID],
                "responses": {"200": _json(s.Result, "The result"), **WRITE, **TRAINEE},
            }
        },
        "/attempts/{attempt_id}/events": {
            "post": {
                "summary": "Record an integrity event (tab hidden, blur, copy)",
                "parameters": [ATTEMPT_ID],
                "requestBody": _body(s.EventIn),
                "responses": {
                    "201": _json(s.Event, "Recorded"),
                    **WRITE,
                    **TRAINEE,
                    "409": _error("The attempt is closed (attempt_status says how)"),
                    "422": _error("Unknown kind"),
                    "429": _error("An event of this kind was just recorded"),
                },
            }
        },
        "/certificates/{code}": {
            "get": {
                "summary": "Verify a certificate",
                **PUBLIC,
                "parameters": [CODE],
                "responses": {
                    "200": _json(s.Certificate, "The certificate"),
                    "404": _error("Unknown code"),
                    **LIMITED,
                },
            }
        },
        "/certificates/{code}/status": {
            "get": {
                "summary": "Revocation status (referenced by the credential)",
                **PUBLIC,
                "parameters": [CODE],
                "responses": {
                    "200": _json(s.CertificateStatus, "Status, with the 1EdTech Revocation List"),
                    "404": _error("Unknown code"),
                    **LIMITED,
                },
            }
        },
        "/certificates/{code}/credential": {
            "get": {
                "summary": "The signed Open Badges 3.0 credential (VC-JWT)",
                **PUBLIC,
                "parameters": [CODE],
                "responses": {
                    "200": {
                        "description": "Compact JWS",
                        "content": {"application/vc+jwt": {"schema": {"type": "string"}}},
                    },
                    "404": _error("Unknown code"),
                    **LIMITED,
                },
            }
        },
        "/certificates/{code}/badge.svg": {
            "get": {
                "summary": "The role's badge image baked with the signed credential (OB 3.0 SVG baking)",
                **PUBLIC,
                "parameters": [CODE],
                "responses": {"200": _svg("SVG"), "404": _error("Unknown code"), **LIMITED},
            }
        },
        "/issuer": {
            "get": {
                "summary": "The issuer profile",
                **PUBLIC,
                "responses": {"200": _json(s.IssuerProfile, "Profile")},
            }
        },
        "/issuer/jwks.json": {
            "get": {
                "summary": "The issuer's public keys (JWKS)",
                **PUBLIC,
                "responses": {"200": _json(s.Jwks, "JWKS")},
            }
        },
        "/issuer/keys/{thumbprint}": {
            "get": {
                "summary": "One signing key's public JWK (what a credential's kid points to)",
                **PUBLIC,
                "parameters": [_text("thumbprint")],
                "responses": {"200": _json(s.Jwk, "JWK"), "404": _error("Unknown key")},
            }
        },
        "/issuer/image.svg": {
            "get": {"summary": "The issuer's image", **PUBLIC, "responses": {"200": _svg("SVG")}}
        },
        "/roles/{slug}/badge.svg": {
            "get": {
                "summary": "A role's badge image (the achievement's image)",
                **PUBLIC,
                "parameters": [_text("slug")],
                "responses": {"200": _svg("SVG"), "404": _error("Unknown role")},
            }
        },
        **{
            f"/{kind}/{{slug}}/item-statistics": {
                "get": {
                    "summary": f"Item analysis of {what} (instructors, administrators)",
                    "description": "What `flask stats items "
                    + ("SLUG" if kind == "roles" else "--category SLUG")
                    + " --json` prints: the stored analysis of the range, calculated when there is "
                    "none yet.",
                    "parameters": [_text("slug"), *RANGE],
                    "responses": {
                        "200": _json(s.ItemStatistics, "Per item and per form"),
                        **STATS_ERRORS,
                        "404": _error(f"Unknown {kind[:-1] if kind == 'roles' else 'category'}"),
                    },
                }
            }
            for kind, what in (("roles", "a role's exam"), ("categories", "every role of a category"))
        },
        **{
            f"/{kind}/{{slug}}/pretest-recommendations": {
                "get": {
                    "summary": f"Which pretest items of {what} to activate, with the reason for each",
                    "description": "From the stored item analysis of the range (calculated when there "
                    "is none yet): activate when there are enough responses, facility and "
                    "discrimination are in range and no distractor is dead or out-draws the key.",
                    "parameters": [_text("slug"), *RANGE],
                    "responses": {
                        "200": _json(s.PretestRecommendations, "Per pretest item, those to activate first"),
                        **STATS_ERRORS,
                        "404": _error(f"Unknown {kind[:-1] if kind == 'roles' else 'category'}"),
                    },
                }
            }
            for kind, what in (("roles", "a role's exam"), ("categories", "a category's roles"))
        },
        "/me/skills-profile": {
            "get": {
                "summary": "The trainee's skills profile: level per domain, readiness per role, next roles",
                "responses": {
                    "200": _json(s.SkillsProfile, "The profile"),
                    "401": TRAINEE["401"],
                    "403": TRAINEE["403"],
                },
            }
        },
        "/me/preferences": {
            "put": {
                "summary": "Set the signed-in user's text size and theme (kept for every page)",
                "requestBody": _body(s.PreferencesIn),
                "responses": {
                    "200": _json(s.Preferences, "The preferences now"),
                    **WRITE,
                    "401": _error("Not logged in, or the bearer token is not valid"),
                    "403": _error("A password change or two-factor set-up comes first, or a token scope"),
                    "422": _error("A text size or theme that is not one of the choices"),
                },
            }
        },
        "/reports/skills-gap": {
            "get": {
                "summary": "Skills gap: per group and domain, the share of trainees at each level "
                "(instructors and administrators)",
                "parameters": [
                    _query("by", {"type": "string", "enum": ["cohort", "institution"]}),
                    _query(
                        "group",
                        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "One cohort's or institution's id: its rows and the `All trainees` rows",
                    ),
                    _query("from", {"type": "string"}, "ISO date or datetime (UTC by default); inclusive"),
                    _query("to", {"type": "string"}, "ISO date or datetime; exclusive"),
                ],
                "responses": {
                    "200": {
                        "description": "Rows as JSON, or CSV with Accept: text/csv",
                        "content": {
                            "application/json": {"schema": _ref(s.SkillsGapReport)},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "401": _error("Not logged in"),
                    "403": _error("Not an instructor or administrator"),
                    "422": _error("Bad parameters (`fields` says which)"),
                },
            }
        },
        "/trainees/{user_id}/skills-profile": {
            "get": {
                "summary": "One trainee's skills profile, for the staff of the trainee's institution",
                "parameters": [_id("user_id")],
                "responses": {
                    "200": _json(s.SkillsProfile, "The profile"),
                    "401": _error("Not logged in"),
                    "403": _error("Not an instructor or administrator"),
                    "404": _error("No such trainee in an institution the caller works for"),
                },
            }
        },
        "/reports/pass-rates": {
            "get": {
                "summary": "Pass-rate report (administrators)",
                "parameters": [
                    _query("by", {"type": "string", "enum": list(GROUPINGS)}),
                    _query("from", {"type": "string"}, "ISO date or datetime (UTC by default); inclusive"),
                    _query("to", {"type": "string"}, "ISO date or datetime; exclusive"),
                    _query("attempts", {"type": "string", "enum": list(ATTEMPT_SCOPES)}),
                ],
                "responses": {
                    "200": {
                        "description": "Rows as JSON, or CSV with Accept: text/csv",
                        "content": {
                            "application/json": {"schema": _ref(s.PassRateReport)},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "401": _error("Not logged in"),
                    "403": _error("Not an administrator"),
                    "422": _error("Bad parameters (`fields` says which)"),
                },
            }
        },
    }


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "query", "schema": schema}
    return parameter | ({"description": description} if description else {})


#: the closing-date range of the item-analysis routes
RANGE = [
    _query("from", {"type": "string"}, "ISO date or datetime of closing (UTC by default); inclusive"),
    _query("to", {"type": "string"}, "ISO date or datetime; exclusive"),
]
STATS_ERRORS = {
    "401": _error("Not logged in"),
    "403": _error("Not an instructor or administrator"),
    "422": _error("Bad range (`fields` says which)"),
}


def components() -> dict:
    """Every model's JSON schema, requests as validated and replies as serialized."""
    models = [(m, "validation" if issubclass(m, s.Request) else "serialization") for m in s.COMPONENTS]
    _, document = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return document["$defs"]


@cache
def _document() -> str:
    return json.dumps(_build())


def build_spec() -> dict:
    """A fresh copy of the document (the caller may extend it); built once per process."""
    return json.loads(_document())


def _build() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "examsite API",
            "version": "1.0.0",
            "description": "Health IT role competency exams: roles, attempts, certificates, reports. "
            "Authenticate with the session cookie (writes carry X-CSRFToken) or "
            "`Authorization: Bearer TOKEN` (a personal token from `flask users token`).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": _operations(),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": components(),
        },
    }
