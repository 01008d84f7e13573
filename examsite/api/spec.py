"""The OpenAPI 3.1 description of /api/v1 (validated by openapi-spec-validator in the tests)."""

from __future__ import annotations


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(schema_ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


ATTEMPT_ID = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "Certificate code; case, spaces and dashes are ignored.",
}
TRAINEE_ERRORS = {
    "401": _error("Not logged in"),
    "403": _error("Not a trainee account"),
    "404": _error("No such attempt (also another user's)"),
}


def build_spec() -> dict:
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
        "paths": {
            "/roles": {
                "get": {
                    "summary": "The twelve roles and their exam settings",
                    "security": [],
                    "responses": {"200": _json("RoleList", "Roles")},
                }
            },
            "/attempts": {
                "post": {
                    "summary": "Start an exam, or resume the open attempt",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["role"],
                                    "properties": {"role": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json("Attempt", "Started"),
                        "200": _json("Attempt", "Resumed"),
                        "400": _error("Malformed JSON"),
                        "401": _error("Not logged in"),
                        "403": _error("Not a trainee account"),
                        "404": _error("Unknown role"),
                        "409": _error("retake_not_allowed (with available_at) or exam_unavailable"),
                        "422": _error("Missing role"),
                    },
                }
            },
            "/attempts/{attempt_id}": {
                "get": {
                    "summary": "An attempt with its items (never keys while open)",
                    "parameters": [ATTEMPT_ID],
                    "responses": {"200": _json("Attempt", "The attempt"), **TRAINEE_ERRORS},
                }
            },
            "/attempts/{attempt_id}/time": {
                "get": {
                    "summary": "The server's clock and the attempt's deadline",
                    "parameters": [ATTEMPT_ID],
                    "responses": {"200": _json("Clock", "Clock"), **TRAINEE_ERRORS},
                }
            },
            "/attempts/{attempt_id}/responses/{item_id}": {
                "put": {
                    "summary": "Save one answer durably (committed before the reply)",
                    "parameters": [
                        ATTEMPT_ID,
                        {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ResponseIn"}}
                        },
                    },
                    "responses": {
                        "200": _json("Saved", "Saved"),
                        "400": _error("Malformed JSON"),
                        **TRAINEE_ERRORS,
                        "409": _error("The attempt is closed (deadline plus grace passed, or submitted)"),
                        "413": _error("Body too large"),
                        "422": _error("Unknown option or bad values"),
                    },
                }
            },
            "/attempts/{attempt_id}/submit": {
                "post": {
                    "summary": "Submit and score; repeating returns the same result",
                    "parameters": [ATTEMPT_ID],
                    "responses": {"200": _json("Result", "The result"), **TRAINEE_ERRORS},
                }
            },
            "/attempts/{attempt_id}/events": {
                "post": {
                    "summary": "Record an integrity event (tab hidden, blur, copy)",
                    "parameters": [ATTEMPT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["kind"],
                                    "properties": {
                                        "kind": {
                                            "type": "string",
                                            "enum": [
                                                "tab_hidden",
                                                "window_blur",
                                                "copy",
                                                "paste",
                                                "second_device",
                                                "resumed",
                                            ],
                                        },
                                        "details": {"type": "object"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "Recorded"},
                        **TRAINEE_ERRORS,
                        "409": _error("The attempt is closed (attempt_status says how)"),
                        "422": _error("Unknown kind"),
                        "429": _error("An event of this kind was just recorded"),
                    },
                }
            },
            "/certificates/{code}": {
                "get": {
                    "summary": "Verify a certificate",
                    "security": [],
                    "parameters": [CODE],
                    "responses": {
                        "200": _json("Certificate", "The certificate"),
                        "404": _error("Unknown code"),
                        "429": _error("Rate limited"),
                    },
                }
            },
            "/certificates/{code}/status": {
                "get": {
                    "summary": "Revocation status (referenced by the credential)",
                    "security": [],
                    "parameters": [CODE],
                    "responses": {
                        "200": {
                            "description": "Status, with the 1EdTech Revocation List's revokedCredential"
                        },
                        "404": _error("Unknown code"),
                        "429": _error("Rate limited"),
                    },
                }
            },
            "/certificates/{code}/credential": {
                "get": {
                    "summary": "The signed Open Badges 3.0 credential (VC-JWT)",
                    "security": [],
                    "parameters": [CODE],
                    "responses": {
                        "200": {
                            "description": "Compact JWS",
                            "content": {"application/vc+jwt": {"schema": {"type": "string"}}},
                        },
                        "404": _error("Unknown code"),
                    },
                }
            },
            "/issuer": {
                "get": {
                    "summary": "The issuer profile",
                    "security": [],
                    "responses": {"200": {"description": "Profile"}},
                }
            },
            "/issuer/jwks.json": {
                "get": {
                    "summary": "The issuer's public keys (JWKS)",
                    "security": [],
                    "responses": {"200": {"description": "JWKS"}},
                }
            },
            "/certificates/{code}/badge.svg": {
                "get": {
                    "summary": "The role's badge image baked with the signed credential (OB 3.0 SVG baking)",
                    "security": [],
                    "parameters": [CODE],
                    "responses": {
                        "200": {
                            "description": "SVG",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        },
                        "404": _error("Unknown code"),
                        "429": _error("Rate limited"),
                    },
                }
            },
            "/issuer/keys/{thumbprint}": {
                "get": {
                    "summary": "One signing key's public JWK (what a credential's kid points to)",
                    "security": [],
                    "parameters": [
                        {"name": "thumbprint", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "JWK"}, "404": _error("Unknown key")},
                }
            },
            "/issuer/image.svg": {
                "get": {
                    "summary": "The issuer's image",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "SVG",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/roles/{slug}/badge.svg": {
                "get": {
                    "summary": "A role's badge image (the achievement's image)",
                    "security": [],
                    "parameters": [
                        {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "SVG",
                            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                        },
                        "404": _error("Unknown role"),
                    },
                }
            },
            "/reports/pass-rates": {
                "get": {
                    "summary": "Pass-rate report (administrators)",
                    "parameters": [
                        {
                            "name": "by",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": ["role", "category", "institution", "cohort", "month"],
                            },
                        },
                        {
                            "name": "from",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "ISO date or datetime (UTC unless an offset is given); inclusive",
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "ISO date or datetime; exclusive",
                        },
                        {
                            "name": "attempts",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["first", "all"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Rows as JSON, or CSV with Accept: text/csv",
                            "content": {
                                "application/json": {"schema": {"type": "object"}},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "401": _error("Not logged in"),
                        "403": _error("Not an administrator"),
                        "422": _error("Bad parameters"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
                "RoleList": {
                    "type": "object",
                    "properties": {
                        "roles": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["slug", "name", "category", "track", "exam"],
                                "properties": {
                                    "slug": {"type": "string"},
                                    "name": {"type": "string"},
                                    "category": {"type": "string"},
                                    "track": {"type": "string", "enum": ["community college", "university"]},
                                    "exam": {
                                        "type": "object",
                                        "properties": {
                                            "items": {"type": "integer"},
                                            "minutes": {"type": "integer"},
                                            "passing_percent": {"type": "number"},
                                        },
                                    },
                                },
                            },
                        }
                    },
                },
                "Option": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
                },
                "AttemptItem": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "position": {"type": "integer"},
                        "stem": {"type": "string"},
                        "type": {"type": "string", "enum": ["single", "multiple"]},
                        "options": {"type": "array", "items": {"$ref": "#/components/schemas/Option"}},
                        "response": {"type": "array", "items": {"type": "string"}},
                        "flagged": {"type": "boolean"},
                        "scenario": {"type": ["object", "null"]},
                    },
                },
                "Attempt": {
                    "type": "object",
                    "required": ["id", "role", "status", "started_at", "deadline", "server_time"],
                    "properties": {
                        "id": {"type": "integer"},
                        "role": {"type": "string"},
                        "status": {"type": "string", "enum": ["in_progress", "submitted", "expired"]},
                        "started_at": {"type": "string", "format": "date-time"},
                        "deadline": {"type": "string", "format": "date-time"},
                        "server_time": {"type": "string", "format": "date-time"},
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/AttemptItem"}},
                        "result": {"$ref": "#/components/schemas/Result"},
                    },
                },
                "Clock": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string"},
                        "deadline": {"type": "string", "format": "date-time"},
                        "server_time": {"type": "string", "format": "date-time"},
                    },
                },
                "ResponseIn": {
                    "type": "object",
                    "properties": {
                        "choices": {"type": "array", "items": {"type": "string"}, "maxItems": 6},
                        "flagged": {"type": "boolean"},
                    },
                },
                "Saved": {
                    "type": "object",
                    "required": ["saved_at"],
                    "properties": {"saved_at": {"type": "string", "format": "date-time"}},
                },
                "Result": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string"},
                        "score_percent": {"type": "number"},
                        "passed": {"type": "boolean"},
                        "domains": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "correct": {"type": "integer"},
                                    "total": {"type": "integer"},
                                },
                            },
                        },
                        "certificate": {
                            "type": ["object", "null"],
                            "properties": {"code": {"type": "string"}},
                        },
                    },
                },
                "Certificate": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "holder": {"type": "string"},
                        "role": {"type": "object"},
                        "issued_at": {"type": "string", "format": "date-time"},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "status": {"type": "string", "enum": ["valid", "revoked", "expired"]},
                        "revoked_reason": {"type": ["string", "null"]},
                    },
                },
            },
        },
    }
