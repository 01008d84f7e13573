"""The workspace's part of the OpenAPI document (merged into /api/v1/openapi.json)."""

from __future__ import annotations


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(ref: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _body(ref: str) -> dict:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


STAFF = {
    "401": _error("Not logged in"),
    "403": _error("Not an instructor of the category or an administrator"),
}
ITEM_ERRORS = {**STAFF, "404": _error("No such item (also another category's)")}
SCENARIO_ERRORS = {**STAFF, "404": _error("No such scenario set (also another category's)")}
ITEM_ID = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
SCENARIO_ID = {"name": "scenario_id", "in": "path", "required": True, "schema": {"type": "string"}}
INVALID = {"400": _error("Malformed JSON"), "422": _error("Invalid values (with `field`)")}


def paths() -> dict:
    query = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in ("category", "domain", "level", "status", "tag", "author", "flag", "q", "sort")
    ] + [
        {"name": n, "in": "query", "required": False, "schema": {"type": "integer"}}
        for n in ("page", "per_page")
    ]
    return {
        "/items": {
            "get": {
                "summary": "Find items in the categories you author in (latest versions)",
                "parameters": query,
                "responses": {"200": _json("ItemList", "A page of items"), **STAFF},
            },
            "post": {
                "summary": "Create an item as a draft",
                "requestBody": _body("ItemIn"),
                "responses": {"201": _json("Item", "Created"), **STAFF, **INVALID},
            },
        },
        "/items/{item_id}": {
            "get": {
                "summary": "An item's latest version",
                "parameters": [ITEM_ID],
                "responses": {"200": _json("Item", "The item"), **ITEM_ERRORS},
            },
            "put": {
                "summary": "Save an edit as a new draft version (carry the version you edited)",
                "parameters": [ITEM_ID],
                "requestBody": _body("ItemIn"),
                "responses": {
                    "200": _json("Item", "Saved"),
                    **ITEM_ERRORS,
                    **INVALID,
                    "409": _error("stale_version: another save came first (with current_version and diff)"),
                },
            },
        },
        "/items/{item_id}/versions": {
            "get": {
                "summary": "The item's versions, newest first",
                "parameters": [ITEM_ID],
                "responses": {"200": _json("VersionList", "Versions"), **ITEM_ERRORS},
            }
        },
        "/items/{item_id}/review": {
            "post": {
                "summary": "A review step: submit, approve, request_changes, retire (or a comment)",
                "parameters": [ITEM_ID],
                "requestBody": _body("ReviewIn"),
                "responses": {
                    "200": _json("Item", "Done"),
                    **ITEM_ERRORS,
                    **INVALID,
                    "403": _error("own_item: an author cannot approve their own item; or not assigned"),
                    "409": _error("The item is not in a state that allows this step"),
                },
            }
        },
        "/roles/{slug}/blueprint": {
            "get": {
                "summary": "A role's blueprint with a check that the active pool can fill it",
                "parameters": [SLUG],
                "responses": {"200": _json("Blueprint", "Blueprint"), **STAFF, "404": _error("No such role")},
            },
            "put": {
                "summary": "Replace a role's blueprint (refused when the pool cannot fill it)",
                "parameters": [SLUG],
                "requestBody": _body("BlueprintIn"),
                "responses": {
                    "200": _json("Blueprint", "Saved"),
                    **STAFF,
                    **INVALID,
                    "404": _error("No such role"),
                },
            },
        },
        "/scenarios": {
            "get": {
                "summary": "Scenario sets (items sharing one case) in the categories you author in",
                "parameters": [
                    {"name": "category", "in": "query", "required": False, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json("ScenarioSetList", "The sets"), **STAFF},
            },
            "post": {
                "summary": "Create a set: its case, and the items that share it (each gets a draft version)",
                "requestBody": _body("ScenarioSetIn"),
                "responses": {"201": _json("ScenarioSet", "Created"), **STAFF, **INVALID},
            },
        },
        "/scenarios/{scenario_id}": {
            "get": {
                "summary": "A set: its case, its items' latest versions and the lint of the set",
                "parameters": [SCENARIO_ID],
                "responses": {"200": _json("ScenarioSet", "The set"), **SCENARIO_ERRORS},
            },
            "put": {
                "summary": "Edit the case or the items (send `revision`; 409 when the set changed)",
                "parameters": [SCENARIO_ID],
                "requestBody": _body("ScenarioSetIn"),
                "responses": {
                    "200": _json("ScenarioSet", "Saved"),
                    **SCENARIO_ERRORS,
                    **INVALID,
                    "409": _error("The set changed since `revision`"),
                },
            },
        },
        "/scenarios/{scenario_id}/review": {
            "post": {
                "summary": "Submit, approve or send back the whole set",
                "parameters": [SCENARIO_ID],
                "requestBody": _body("ScenarioSetReviewIn"),
                "responses": {
                    "200": _json("ScenarioSet", "Done"),
                    **SCENARIO_ERRORS,
                    **INVALID,
                    "409": _error("Not in a state for that step"),
                },
            },
        },
        "/roles/{slug}/exam": {
            "get": {
                "summary": "A role's exam settings",
                "parameters": [SLUG],
                "responses": {
                    "200": _json("ExamSettings", "Settings"),
                    **STAFF,
                    "404": _error("No such role"),
                },
            },
            "put": {
                "summary": "Change minutes, passing standard, grace and retake policy (new attempts)",
                "parameters": [SLUG],
                "requestBody": _body("ExamSettingsIn"),
                "responses": {
                    "200": _json("ExamSettings", "Saved"),
                    **STAFF,
                    **INVALID,
                    "404": _error("No such role"),
                },
            },
        },
    }


_OPTION = {
    "type": "object",
    "required": ["id", "text"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-f]$"},
        "text": {"type": "string", "maxLength": 600},
    },
}
_ITEM_FIELDS = {
    "category": {"type": "string"},
    "domain": {"type": "string"},
    "type": {"type": "string", "enum": ["single", "multiple"]},
    "level": {"type": "string", "enum": ["recall", "application", "analysis"]},
    "stem": {"type": "string", "maxLength": 3000, "description": "Markdown"},
    "options": {"type": "array", "minItems": 2, "maxItems": 6, "items": _OPTION},
    "key": {"type": "array", "items": {"type": "string"}},
    "rationale": {"type": "string", "maxLength": 3000},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 40}},
    "components": {"type": "array", "items": {"type": "integer"}},
}
STATUS = {"type": "string", "enum": ["draft", "in_review", "active", "pretest", "retired"]}
_ITEM_OUT = {
    "type": "object",
    "properties": {
        **_ITEM_FIELDS,
        "id": {"type": "integer"},
        "external_id": {"type": "string"},
        "version": {"type": "integer"},
        "status": STATUS,
        "serving_version": {"type": ["integer", "null"]},
        "author": {"type": "string"},
        "reviewer": {"type": ["string", "null"]},
        "updated_at": {"type": "string", "format": "date-time"},
        "scenario": {
            "type": ["object", "null"],
            "description": "the scenario set (shared case) the item belongs to: {id, title, case}",
        },
    },
}
_SETTINGS = {
    "minutes": {"type": "integer", "minimum": 1},
    "passing_percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
    "grace_seconds": {"type": "integer", "minimum": 0},
    "retake_days": {"type": "integer", "minimum": 0},
    "attempts_per_year": {"type": "integer", "minimum": 1},
    "validity_months": {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "Calendar months a certificate stays valid; null: it never expires",
    },
    "renewal_ce_hours": {
        "type": "integer",
        "minimum": 0,
        "description": "Continuing-education hours that renew a certificate without the exam; 0: exam only",
    },
}


def schemas() -> dict:
    return {
        "ItemIn": {
            "type": "object",
            "required": ["domain", "type", "level", "stem", "options", "key"],
            "properties": {**_ITEM_FIELDS, "version": {"type": "integer", "description": "required on PUT"}},
        },
        "Item": _ITEM_OUT,
        "ItemList": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"type": "object"}},
                "total": {"type": "integer"},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
            },
        },
        "VersionList": {"type": "object", "properties": {"versions": {"type": "array", "items": _ITEM_OUT}}},
        "ReviewIn": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {
                    "type": "string",
                    "enum": ["submit", "approve", "request_changes", "retire", "comment"],
                },
                "comment": {"type": "string"},
                "version": {"type": "integer"},
                "status": {"type": "string", "enum": ["active", "pretest"], "description": "approve only"},
                "parent_id": {"type": "integer"},
            },
        },
        "BlueprintIn": {
            "type": "object",
            "required": ["domains"],
            "properties": {
                "domains": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "items": {"type": "integer", "minimum": 0},
                        },
                    },
                },
                "pretest_items": {"type": "integer", "minimum": 0},
            },
        },
        "Blueprint": {
            "type": "object",
            "properties": {
                "role": {"type": "string"},
                "form_items": {"type": "integer"},
                "pretest_items": {"type": "integer"},
                "domains": {"type": "array", "items": {"type": "object"}},
                "feasibility": {"type": "array", "items": {"type": "object"}},
            },
        },
        "ScenarioSetIn": {
            "type": "object",
            "required": ["title", "case", "items"],
            "properties": {
                "category": {"type": "string", "description": "on POST"},
                "title": {"type": "string", "maxLength": 300},
                "case": {"type": "string", "maxLength": 6000, "description": "Markdown"},
                "items": {"type": "array", "items": {"type": "string"}, "description": "external ids"},
                "revision": {"type": "string", "description": "required on PUT"},
            },
        },
        "ScenarioSet": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "category": {"type": "string"},
                "title": {"type": "string"},
                "case": {"type": "string"},
                "domain": {"type": ["string", "null"]},
                "revision": {"type": "string"},
                "items": {"type": "array", "items": {"type": "object"}},
                "lint": {"type": "array", "items": {"type": "object"}},
                "moved": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ScenarioSetList": {
            "type": "object",
            "properties": {"scenarios": {"type": "array", "items": {"type": "object"}}},
        },
        "ScenarioSetReviewIn": {
            "type": "object",
            "required": ["action"],
            "properties": {
                "action": {"type": "string", "enum": ["submit", "approve", "request_changes"]},
                "comment": {"type": "string"},
                "status": {"type": "string", "enum": ["active", "pretest"], "description": "approve only"},
            },
        },
        "ExamSettingsIn": {"type": "object", "properties": _SETTINGS},
        "ExamSettings": {
            "type": "object",
            "properties": {**_SETTINGS, "role": {"type": "string"}, "items": {"type": "integer"}},
        },
    }
