"""Calls to a platform (key sets, service tokens, scores, rosters) with the standard library.

Only http(s) URLs are followed; every failure (network, status >= 400, a body that is not JSON)
becomes one PlatformError with a short reason, which the outbox stores and administrators see.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import current_app

MAX_BODY = 2 * 1024 * 1024


class PlatformError(Exception):
    """A platform could not be reached or refused the call (`status`: its HTTP status, if any)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


def call(
    method: str,
    url: str,
    *,
    form: dict | None = None,
    json_body: Any = None,
    content_type: str | None = None,
    accept: str = "application/json",
    token: str | None = None,
) -> Reply:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise PlatformError(f"not an http(s) URL: {url[:200]}")
    data = None
    headers = {"Accept": accept, "User-Agent": "examsite-lti"}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = content_type or "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    timeout = float(current_app.config.get("LTI_HTTP_TIMEOUT") or 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            raw = response.read(MAX_BODY)
            status, reply_headers = response.status, dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        raise PlatformError(f"{method} {url} answered {exc.code}: {detail[:300]}", exc.code) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PlatformError(f"{method} {url} failed: {getattr(exc, 'reason', exc)}") from exc
    body: Any = None
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
    return Reply(status, body, reply_headers)


def get_json(url: str, accept: str = "application/json", token: str | None = None) -> Reply:
    reply = call("GET", url, accept=accept, token=token)
    if not isinstance(reply.body, dict):
        raise PlatformError(f"GET {url} did not return a JSON object")
    return reply
