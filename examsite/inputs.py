"""Input the database cannot hold is refused before it gets there: ids in paths and page numbers
beyond a 64-bit integer, JSON nested beyond reason or larger than the API's limit (chunked
uploads included)."""

from __future__ import annotations

import json

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: the largest id a BIGINT (and SQLite's INTEGER) holds; ids in paths above it match no route
DB_INT_MAX = 2**63 - 1
#: pages beyond this are not pages of anything here
PAGE_MAX = 1_000_000
#: API request bodies: larger ones get 413, whether Content-Length says so or not (chunked)
API_BODY_LIMIT = 64 * 1024
#: API bodies are flat objects with a list or two; deeper nesting is malformed
JSON_DEPTH_MAX = 20


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches only what the database can store (else the route is a 404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - Werkzeug's parameter name
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: its rules are compiled with the converter."""
    app.url_map.converters["int"] = BoundedIntConverter


def page_number() -> int:
    """`?page=` as a page number: missing or malformed is page 1; beyond PAGE_MAX, 404."""
    page = request.args.get("page", 1, type=int)
    if page is None or page < 1:
        return 1
    if page > PAGE_MAX:
        abort(404)
    return page


class BodyError(ValueError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def read_json_body(limit: int = API_BODY_LIMIT):
    """The request's JSON, read at most `limit` bytes far (so chunked bodies are bounded too).

    None for an empty body; BodyError 413 when too large, 400 when malformed or too deep."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyError(413, "too_large", "The request body is too large.")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise BodyError(413, "too_large", "The request body is too large.")
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BodyError(400, "malformed", "The body must be valid JSON.") from exc
    if _depth(data) > JSON_DEPTH_MAX:
        raise BodyError(400, "malformed", f"The JSON is nested more than {JSON_DEPTH_MAX} levels deep.")
    return data


def _depth(value) -> int:
    """Nesting depth, without recursion (so no input can exhaust the stack here)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node)
    return deepest
