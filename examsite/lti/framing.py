"""Letting a session that began with an LTI launch work inside the LMS's iframe.

Inside the LMS's page, examsite is a third-party frame: browsers send and keep only cookies marked
`SameSite=None; Secure` there, and every page says `frame-ancestors 'none'`. For a session started
by a launch over HTTPS, the session cookie is marked `SameSite=None; Secure` and pages may be
framed by that platform's origins (the issuer's and its login URL's), nobody else's. Other
sessions keep `SameSite=Lax` and `frame-ancestors 'none'`. Over plain HTTP (development) the
cookie stays Lax, which works when the LMS is on the same site. When the browser blocks
third-party cookies altogether, the launch page offers to continue in a new window (views).
"""

from __future__ import annotations

import urllib.parse

from flask import Flask, current_app, request, session
from flask.sessions import SecureCookieSessionInterface

from examsite.security import CSP

FRAME_KEY = "lti_frame_ancestors"
OPEN_TO_ANY_FRAME = ("lti.login", "lti.launch")


def origin(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _framed() -> bool:
    return bool(session.get(FRAME_KEY)) and request.is_secure


class FrameableSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; an LTI session's cookie is SameSite=None; Secure."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if _framed() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if _framed() else super().get_cookie_secure(app)


def frame_headers(response):
    """For an LTI session's pages: framing by the platform's origins only (CSP frame-ancestors;
    security.py then leaves X-Frame-Options out, since it cannot name an origin)."""
    if "Content-Security-Policy" in response.headers:
        return response
    if request.endpoint in OPEN_TO_ANY_FRAME:
        # The launch's own pages (refusals, "open in a new window") must show inside whichever
        # LMS framed them; they hold no form or action a framing page could abuse.
        response.headers["Content-Security-Policy"] = CSP.replace(
            "frame-ancestors 'none'", "frame-ancestors *"
        )
        return response
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return response  # no session to read (API tokens, first visits): leave it untouched
    ancestors = session.get(FRAME_KEY)
    if not ancestors:
        return response
    allowed = " ".join(a for a in ancestors if isinstance(a, str) and origin(a) == a)
    if allowed:
        response.headers["Content-Security-Policy"] = CSP.replace(
            "frame-ancestors 'none'", f"frame-ancestors 'self' {allowed}"
        )
    return response


def init_app(app: Flask) -> None:
    app.session_interface = FrameableSessionInterface()
