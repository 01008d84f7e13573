"""The skills profile's part of the OpenAPI document (merged into /api/v1/openapi.json)."""

from __future__ import annotations

from examsite.skills.rules import LEVELS


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def paths() -> dict:
    return {
        "/me/skills-profile": {
            "get": {
                "summary": "The trainee's skills profile: level per domain, readiness per role, next roles",
                "responses": {
                    "200": {
                        "description": "The profile",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/SkillsProfile"}}
                        },
                    },
                    "401": _error("Not logged in"),
                    "403": _error("Not a trainee account"),
                },
            }
        }
    }


def schemas() -> dict:
    return {
        "SkillsProfile": {
            "type": "object",
            "required": ["domains", "roles", "next_roles"],
            "properties": {
                "domains": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name", "level", "items", "last_tested_at"],
                        "properties": {
                            "code": {"type": "string"},
                            "name": {"type": "string"},
                            "level": {"type": "string", "enum": list(LEVELS)},
                            "items": {"type": "integer", "minimum": 0},
                            "last_tested_at": {"type": ["string", "null"], "format": "date-time"},
                        },
                    },
                },
                "roles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["slug", "readiness", "to_study"],
                        "properties": {
                            "slug": {"type": "string"},
                            "readiness": {"type": "number", "minimum": 0, "maximum": 1},
                            "to_study": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "next_roles": {"type": "array", "items": {"type": "string"}},
            },
        }
    }
