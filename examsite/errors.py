"""Friendly error pages for people, JSON errors for the API: {"error": CODE, "message": TEXT}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by API views and services to answer with a JSON error."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def json_error(status: int, code: str, message: str, **extra):
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return json_error(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if wants_json():
            return json_error(400, "csrf_failed", exc.description)
        return render_template(
            "errors/error.html",
            status=400,
            title=_("Your form expired"),
            message=_(
                "The page was open too long or came from elsewhere. Go back, reload the page and try again."
            ),
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            response = json_error(status, CODES.get(status, "error"), exc.description or exc.name)
            if status == 429:
                response.headers.update(
                    {k: v for k, v in (exc.get_headers() or []) if k.lower() == "retry-after"}
                )
            return response
        titles = {
            403: (_("Not allowed"), _("Your account cannot open this page.")),
            404: (
                _("Page not found"),
                _("There is nothing at this address. Check the link or start again from the home page."),
            ),
            413: (
                _("File too large"),
                _(
                    "What you sent is over the %(mb)d MB upload limit; nothing was saved. "
                    "Split it into smaller files and try again.",
                    mb=app.config["MAX_CONTENT_LENGTH"] // 2**20,
                ),
            ),
            429: (_("Too many attempts"), _("Please wait a minute before you try again.")),
        }
        title, message = titles.get(status, (exc.name, exc.description))
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from examsite.extensions import db

        db.session.rollback()
        if wants_json():
            return json_error(500, "server_error", "Something went wrong on our side; nothing was changed.")
        return render_template(
            "errors/error.html",
            status=500,
            title=_("Something went wrong"),
            message=_("The error is logged. Nothing you sent was half-saved; please try again."),
        ), 500
