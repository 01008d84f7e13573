"""Authentication (session or bearer token), authorization decorators, CSRF, headers, limits."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError, same_origin
from werkzeug.middleware.proxy_fix import ProxyFix

from examsite.extensions import csrf, limiter, login_manager

#: browser features no page here uses, switched off for every page
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), browsing-topics=()"
)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 or a positive number of proxy hops")
    if hops:
        # The client address seen by rate limits, the audit log and integrity events is the one
        # the trusted proxies report; with 0 hops a client-sent X-Forwarded-For is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        from examsite.accounts.sessions import load_session_user

        return load_session_user(user_id)

    @login_manager.request_loader
    def load_user_from_token(req):
        # Personal tokens are for scripts on the JSON API only: on the HTML pages (the
        # administration forms above all) a bearer token authenticates nobody.
        if not req.path.startswith(API_PREFIX):
            return None
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        from examsite.accounts.services import token_use

        use = token_use(header[7:].strip())
        if use is None:
            return None
        g.token_auth = True
        g.token_scope = use.scope
        return use.user

    @login_manager.unauthorized_handler
    def unauthorized():
        from examsite.errors import wants_json

        if wants_json():
            abort(401)
        from flask import redirect, url_for

        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    hsts_seconds = int(app.config.get("HSTS_SECONDS") or 0)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
            # (a page an LTI platform may frame names its origins in frame-ancestors instead)
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if hsts_seconds:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={hsts_seconds}; includeSubDomains"
            )
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


API_PREFIX = "/api/v1/"

#: what a scoped token may reach: scope -> (allowed methods, path prefix under the API)
TOKEN_SCOPE_RULES = {"reports:read": (("GET", "HEAD"), API_PREFIX + "reports/")}

#: at most this many (token, session) pairs remembered per worker as checked
CHECKED_CSRF_MAX = 10_000


def protect_api_write() -> None:
    """CSRF for a write with the session cookie: the token the page gave its script, sent in
    `X-CSRFToken`, must be the session's (Flask-WTF's check, refused with 400 otherwise).

    On the exam page every answer is such a write, and Flask-WTF's check costs a signature
    verification (and parsing the JSON body as a form) each time. Without a time limit on
    tokens (WTF_CSRF_TIME_LIMIT = None, the default here) whether a token matches a session's
    raw token never changes, so a pair that passed the full check once is remembered per
    worker; any other token or session takes the full check, and the HTTPS referrer check runs
    every time.
    """
    config = current_app.config
    checked = current_app.extensions.setdefault("examsite_checked_csrf", {})
    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
    raw = session.get(config["WTF_CSRF_FIELD_NAME"])
    key = (token, raw) if token and isinstance(raw, str) else None
    if key is None or config["WTF_CSRF_TIME_LIMIT"] is not None or key not in checked:
        csrf.protect()  # raises CSRFError (400) unless the token is the session's
        if key is not None and config["WTF_CSRF_TIME_LIMIT"] is None:
            if len(checked) >= CHECKED_CSRF_MAX:
                checked.clear()
            checked[key] = True
        return
    if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
        # as Flask-WTF checks it: over HTTPS, the referrer must be this site
        if not request.referrer:
            raise CSRFError("The referrer header is missing.")
        if not same_origin(request.referrer, f"https://{request.host}/"):
            raise CSRFError("The referrer does not match the host.")
    g.csrf_valid = True


def used_token_auth() -> bool:
    return bool(g.get("token_auth"))


def token_scope_allows(method: str, path: str) -> bool:
    """Whether this request is inside the bearer token's scope (always, for session or unscoped)."""
    if not current_user.is_authenticated:  # loads the user (and the token's scope) if not yet
        return True
    scope = g.get("token_scope")
    if not used_token_auth() or scope is None:
        return True
    methods, prefix = TOKEN_SCOPE_RULES.get(scope, ((), None))
    return method in methods and prefix is not None and path.startswith(prefix)


def roles_required(*roles: str):
    """Restrict a view to users with one of these roles (401 anonymous, 403 others)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required("admin")
instructor_required = roles_required("instructor", "admin")
trainee_required = roles_required("trainee")
