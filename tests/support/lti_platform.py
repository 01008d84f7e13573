"""A simulated LTI 1.3 platform (an LMS) for the tests: its own RSA key, and a real local HTTP
server (werkzeug, in a thread) serving what the tool calls: the key set, the OAuth2 token
endpoint (which checks the tool's signed client assertion against the tool's published keys),
line items' score endpoints that record what is posted (and can be told to fail), and a Names and
Role Provisioning endpoint with two pages. For the browser test it also serves a course page that
opens the tool in an iframe, and the OIDC authorization endpoint that answers with the auto-posted
id_token form, as an LMS does.

It signs id_tokens the way LTI Core 1.3 and the Security Framework describe, so a launch through
it exercises the tool's real checks; tests change single claims to see each check refuse.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

_KEY: RSAKey | None = None


def platform_key() -> RSAKey:
    global _KEY
    if _KEY is None:  # one key per test run: RSA generation is slow
        _KEY = RSAKey.generate_key(2048, parameters={"kid": "platform-key-1", "alg": "RS256", "use": "sig"})
    return _KEY


@dataclass
class User:
    sub: str
    name: str
    email: str | None
    roles: list[str]


@dataclass
class Platform:
    client_id: str = "examsite-client"
    deployment_id: str = "deployment-1"
    context_id: str = "course-101"
    context_title: str = "HIT 101: Implementation"
    tool_base: str = "https://exams.example.test"
    #: a callable returning the tool's JWKS (the tests read /lti/jwks.json through the app)
    tool_jwks: Any = None
    base_url: str = ""
    scores: list[dict] = field(default_factory=list)
    #: the next this-many score posts answer 503
    fail_scores: int = 0
    token_requests: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    current_user: User | None = None
    #: claims every id_token of the browser flow gets on top of the launch's
    extra_claims: dict = field(default_factory=dict)
    #: the JWTs the tool's deep-linking replies posted back
    deep_link_replies: list = field(default_factory=list)
    jwks_fetches: int = 0
    #: the roster endpoint answers 500 while this is set
    fail_roster: bool = False

    def __post_init__(self):
        self.key = platform_key()
        self._tokens: set[str] = set()
        self._server = None

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> Platform:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def urls(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.base_url + "/auth",
            "auth_token_url": self.base_url + "/token",
            "key_set_url": self.base_url + "/jwks",
            "deployment_id": self.deployment_id,
        }

    def register_args(self) -> list[str]:
        """`flask lti register` for this platform, as an administrator would type it (http allowed:
        the simulated platform serves plain http on localhost)."""
        urls = self.urls
        return [
            "lti",
            "register",
            "--issuer",
            urls["issuer"],
            "--client-id",
            urls["client_id"],
            "--auth-login-url",
            urls["auth_login_url"],
            "--auth-token-url",
            urls["auth_token_url"],
            "--key-set-url",
            urls["key_set_url"],
            "--deployment-id",
            urls["deployment_id"],
            "--allow-http",
        ]

    def lineitem(self, name: str = "1") -> str:
        return f"{self.base_url}/lineitems/{name}?course={self.context_id}"

    @property
    def memberships_url(self) -> str:
        return f"{self.base_url}/memberships/{self.context_id}"

    def wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.route(request)
        except Exception as exc:  # a bug in the simulator shows in the tool's error, not silently
            response = Response(f"simulator error: {exc!r}", status=500)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/jwks":
            self.jwks_fetches += 1
            return _json({"keys": [self.key.as_dict(private=False)]})
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path.startswith("/lineitems/") and path.endswith("/scores") and request.method == "POST":
            return self._score(request)
        if path.startswith("/memberships/") and request.method == "GET":
            return self._memberships(request)
        if path == "/auth":
            return self._auth_page(request)
        if path == "/course":
            return self._course_page(request)
        if path == "/start":
            return self._login_form(request)
        if path == "/deep-link-return" and request.method == "POST":
            self.deep_link_replies.append(request.form.get("JWT"))
            return Response(
                "<!doctype html><title>Back in the course</title><h1>Content added</h1>",
                content_type="text/html",
            )
        return Response("not found", status=404)

    def _bearer_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self._tokens

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return _json({"error": "unsupported_grant_type"}, 400)
        try:
            keys = KeySet.import_key_set(self.tool_jwks())
            claims = jwt.decode(form["client_assertion"], keys, algorithms=["RS256"]).claims
        except Exception:
            return _json({"error": "invalid_client"}, 401)
        if (
            claims.get("iss") != self.client_id
            or claims.get("sub") != self.client_id
            or claims.get("aud") != self.base_url + "/token"
            or claims.get("exp", 0) < time.time()
        ):
            return _json({"error": "invalid_client"}, 401)
        token = secrets.token_urlsafe(16)
        self._tokens.add(token)
        return _json(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": form.get("scope")}
        )

    def _score(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return _json({"error": "unauthorized"}, 401)
        if request.content_type != "application/vnd.ims.lis.v1.score+json":
            return _json({"error": "wrong media type"}, 415)
        if self.fail_scores > 0:
            self.fail_scores -= 1
            return _json({"error": "grade book unavailable"}, 503)
        body = json.loads(request.get_data())
        self.scores.append(
            {"lineitem": request.path.removesuffix("/scores"), "query": request.query_string.decode(), **body}
        )
        return Response(status=204)

    def _memberships(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return _json({"error": "unauthorized"}, 401)
        if self.fail_roster:
            return _json({"error": "roster service down"}, 500)
        page = int(request.args.get("page", "1"))
        half = (len(self.members) + 1) // 2
        members = self.members[:half] if page == 1 else self.members[half:]
        response = _json(
            {
                "id": request.base_url,
                "context": {"id": self.context_id, "title": self.context_title},
                "members": members,
            },
            content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        )
        if page == 1:
            response.headers["Link"] = f'<{self.memberships_url}?page=2>; rel="next"'
        return response

    # --- messages -----------------------------------------------------------------------------

    def login_params(self, **overrides) -> dict[str, str]:
        params = {
            "iss": self.issuer,
            "login_hint": "hint-for-" + (self.current_user.sub if self.current_user else "someone"),
            "target_link_uri": self.tool_base + "/lti/launch",
            "lti_message_hint": "resource-link-1",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def id_token(
        self, request_nonce: str, user: User, message_type: str = "LtiResourceLinkRequest", **claims
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": user.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": request_nonce,
            "name": user.name,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": self.tool_base + "/lti/launch",
            LTI + "roles": user.roles,
            LTI + "context": {"id": self.context_id, "title": self.context_title, "label": "HIT101"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.memberships_url,
                "service_versions": ["2.0"],
            },
        }
        if user.email:
            body["email"] = user.email
        if message_type == "LtiResourceLinkRequest":
            body[LTI + "resource_link"] = {"id": "link-1", "title": "Exam"}
            body["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": [SCORE_SCOPE, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"],
                "lineitems": self.base_url + "/lineitems",
                "lineitem": self.lineitem(),
            }
        else:
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": self.base_url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "opaque-platform-data",
            }
        for name, value in claims.items():
            if value is _DROP:
                body.pop(name, None)
            else:
                body[name] = value
        header = {"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(header, body, self.key)

    def authorize(self, query: dict[str, str], user: User, **claims) -> dict[str, str]:
        """What the platform's authorization endpoint posts back to the tool's redirect_uri."""
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "id_token" and query["scope"] == "openid"
        assert query["response_mode"] == "form_post" and query["prompt"] == "none"
        assert query["redirect_uri"] == self.tool_base + "/lti/launch"
        message_type = claims.pop("message_type", "LtiResourceLinkRequest")
        token = self.id_token(query["nonce"], user, message_type, **claims)
        return {"id_token": token, "state": query["state"]}

    # --- pages for the browser test -----------------------------------------------------------

    def _course_page(self, request: Request) -> Response:
        src = html.escape(self.base_url + "/start?" + request.query_string.decode())
        page = (
            "<!doctype html><html lang='en'><title>HIT 101 course</title><h1>HIT 101 course</h1>"
            f"<iframe id='tool' title='examsite' src='{src}' width='1000' height='800'></iframe></html>"
        )
        return Response(page, content_type="text/html")

    def _login_form(self, request: Request) -> Response:
        params = self.login_params()
        inputs = "".join(
            f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
            for k, v in params.items()
        )
        return Response(_autopost(self.tool_base + "/lti/login", inputs), content_type="text/html")

    def _auth_page(self, request: Request) -> Response:
        query = request.args.to_dict()
        user = self.current_user
        if user is None or query.get("login_hint") != "hint-for-" + user.sub:
            return Response("unknown login_hint", status=400)
        form = self.authorize(query, user, **dict(self.extra_claims))
        return Response(_autopost(query["redirect_uri"], _inputs(form)), content_type="text/html")


_DROP = object()
DROP = _DROP  # a claim value meaning "leave this claim out"


def _inputs(values: dict[str, str]) -> str:
    return "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>" for k, v in values.items()
    )


def _autopost(action: str, inputs: str) -> str:
    return (
        "<!doctype html><html lang='en'><title>Redirecting</title><body>"
        f"<form id='f' method='post' action='{html.escape(action)}'>{inputs}"
        "<button type='submit'>Continue</button></form>"
        "<script>document.getElementById('f').submit()</script></body></html>"
    )


def _json(body: Any, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body), status=status, content_type=content_type)


def parse_redirect(location: str) -> tuple[str, dict[str, str]]:
    parts = urllib.parse.urlsplit(location)
    return (
        urllib.parse.urlunsplit(parts._replace(query="")),
        dict(urllib.parse.parse_qsl(parts.query)),
    )
