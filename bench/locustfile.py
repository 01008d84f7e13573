"""Locust load for the exam-day benchmark, driven headless by bench.loadrun (one mode per run).

Modes (BENCH_MODE), each a user class:
- ExamTrainee, the user's path: trainees arrive over the start window, each logs in through the
  login form (GET /login for the CSRF token, POST the form, the session cookie; then the page it
  lands on, which carries the token for scripts), starts with the session cookie and
  `X-CSRFToken`, answers (navigate, save, change, flag, reload) through the session path the
  exam page uses, and all submit within the submit window.
- FloorTrainee: the same timing and the same saves, against the floor's single-row upsert.
- SaturatingTrainee / SaturatingFloor: closed-loop saves with no think time, for the throughput
  ceiling of each. SaturatingTrainee saves through the session path (BENCH_AUTH=session, logged
  in through the form) or through a bearer token (BENCH_AUTH=token: the API shortcut, which no
  browser uses).

Every request is timed here (wall clock, milliseconds) and every acknowledged save is recorded
(attempt, item, choices, flagged, reply time); both go to BENCH_RESULTS as JSON when the run stops.
All targets are the --host given by the orchestrator, which is always 127.0.0.1: one client
address for every trainee, as a lab behind NAT.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from bench.pages import form_csrf, meta_csrf


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


MODE = os.environ.get("BENCH_MODE", "exam")
ROLE = os.environ.get("BENCH_ROLE", "implementation-manager")
USERS = int(os.environ.get("BENCH_USERS", "30"))
SPAWN_RATE = _env_float("BENCH_SPAWN_RATE", 100)
START_WINDOW = _env_float("BENCH_START_WINDOW", 8)
STEADY = _env_float("BENCH_STEADY", 20)
SUBMIT_WINDOW = _env_float("BENCH_SUBMIT_WINDOW", 8)
THINK_MIN = _env_float("BENCH_THINK_MIN", 3)
THINK_MAX = _env_float("BENCH_THINK_MAX", 7)
SATURATE = _env_float("BENCH_SATURATE", 20)
SEED = int(os.environ.get("BENCH_SEED", "10"))
RESULTS = os.environ.get("BENCH_RESULTS", "bench-results/locust.json")
AUTH = os.environ.get("BENCH_AUTH", "session")  # session: the browser's path; token: the shortcut
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
#: [{"email": …, "token": …}] in trainee order
ACCOUNTS: list[dict] = (
    json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text()) if os.environ.get("BENCH_ACCOUNTS") else []
)

RECORDS: list[tuple] = []  # (route, started epoch, elapsed ms, ok, status)
ACKS: list[tuple] = []  # (attempt id, item id, sorted choices, flagged, reply epoch)
ERRORS: list[dict] = []  # the first few failures, with what the server said
MISMATCHES: list[dict] = []  # a reload that did not show the last acknowledged answer
RECONNECTS: list[dict] = []  # requests retried once after the connection dropped (see BenchUser.call)
PLAN: dict[str, float] = {}
_next_user = itertools.count()
_finished = {"users": 0}
_ready = {"users": 0}


@events.test_start.add_listener
def _plan(environment, **_kwargs) -> None:
    """Fix the phase times once, after spawning has had time to finish."""
    t0 = time.time() + USERS / SPAWN_RATE + 2.0
    PLAN.update(t0=t0, steady_from=t0 + START_WINDOW + 2.0)  # every trainee has arrived
    PLAN["submit_at"] = PLAN["steady_from"] + STEADY


@events.test_stop.add_listener
def _write_results(environment, **_kwargs) -> None:
    os.makedirs(os.path.dirname(RESULTS) or ".", exist_ok=True)
    with open(RESULTS, "w") as out:
        json.dump(
            {
                "mode": MODE,
                "plan": PLAN,
                "users": USERS,
                "records": RECORDS,
                "acks": ACKS,
                "errors": ERRORS,
                "reconnects": RECONNECTS,
                "mismatches": MISMATCHES,
                "finished_users": _finished["users"],
            },
            out,
        )


def _error_text(reply) -> str:
    return ((reply.text or "") if reply.status_code else str(getattr(reply, "error", "") or ""))[:300]


def _all_ready() -> None:
    """Closed-loop saving starts once every saturating user has logged in and started (or
    failed to), so that no password check runs inside the measured window; the window is
    SATURATE seconds from then."""
    _ready["users"] += 1
    if _ready["users"] >= USERS:
        _start_saturation()


def _start_saturation() -> None:
    if "go" not in PLAN:
        PLAN["go"] = max(time.time() + 0.5, PLAN["steady_from"])
        PLAN["saturate_until"] = PLAN["go"] + SATURATE


def _wait_for_the_others() -> None:
    give_up = PLAN["steady_from"] + 120
    while "go" not in PLAN and time.time() < give_up:
        gevent.sleep(0.05)
    _start_saturation()
    _sleep_until(PLAN["go"])


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        gevent.sleep(delay)


class BenchUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)  # pacing is in the scenario itself
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        self.index = next(_next_user)
        self.rng = random.Random(SEED * 100_003 + self.index)
        self.account = ACCOUNTS[self.index % len(ACCOUNTS)] if ACCOUNTS else {}
        self.headers = {"Accept": "application/json"}
        self.attempt: dict | None = None
        self.answers: dict[int, tuple[list[str], bool]] = {}  # item id -> (choices, flagged)

    # ---- one timed request ---------------------------------------------------------------

    def call(
        self,
        route: str,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        form: dict | None = None,
        page: bool = False,
        redirect: bool = False,
    ):
        """One request, timed; retried once when the connection dropped before any reply.

        Returns the reply's JSON, the page's text (`page`), or the redirect's target
        (`redirect`: a 302/303 is the expected answer, not followed), or None on failure.

        The retry: the client may reuse a keep-alive connection just as the server closes it
        (gunicorn keep-alive: 5 s); browsers retry then, and every route here is safe to repeat
        (a repeated login logs in again, a repeated start resumes, a repeated submit returns the
        stored result). Retries are counted and reported; a second failure is an error.
        """
        headers = {**self.headers, "Accept": "text/html"} if page or redirect else self.headers
        started, clock = time.time(), time.perf_counter()
        data, ok, status = None, False, 0
        for attempt in (1, 2):
            with self.client.request(
                method,
                path,
                name=route,
                json=body,
                data=form,
                headers=headers,
                catch_response=True,
                allow_redirects=False,
            ) as reply:
                status = reply.status_code or 0
                if status == 0 and attempt == 1:
                    reply.success()
                    RECONNECTS.append({"route": route, "at": time.time(), "error": _error_text(reply)})
                    continue
                if redirect:
                    ok = status in (302, 303)
                    data = reply.headers.get("Location") if ok else None
                else:
                    ok = 200 <= status < 300
                    if ok and page:
                        data = reply.text or ""
                    elif ok:
                        try:
                            data = reply.json()
                        except ValueError:
                            ok = False
                if ok:
                    reply.success()
                else:
                    text = _error_text(reply)
                    reply.failure(f"{status}: {text[:120]}")
                    if len(ERRORS) < 40:
                        ERRORS.append({"route": route, "status": status, "at": started, "body": text})
            break
        elapsed = (time.perf_counter() - clock) * 1000
        RECORDS.append((route, started, round(elapsed, 3), ok, status))
        return data if ok else None

    def log_in(self, suffix: str = "") -> bool:
        """As a browser does: the login page (its form's CSRF token), the form posted (the
        session cookie), then the page it redirects to, whose meta tag carries the CSRF token
        the exam page's script sends in `X-CSRFToken`. With BENCH_AUTH=token, the bearer token
        instead (the shortcut)."""
        if AUTH == "token":
            self.headers = {"Accept": "application/json", "Authorization": f"Bearer {self.account['token']}"}
            return True
        page = self.call(f"login page{suffix}", "GET", "/login", page=True)
        token = form_csrf(page) if page is not None else None
        if token is None:
            return False
        form = {"email": self.account["email"], "password": PASSWORD, "csrf_token": token}
        target = self.call(f"login{suffix}", "POST", "/login", form=form, redirect=True)
        if target is None:
            return False
        landing = self.call(f"landing page{suffix}", "GET", target, page=True)
        csrf = meta_csrf(landing) if landing is not None else None
        if csrf is None:
            return False
        self.headers = {"Accept": "application/json", "X-CSRFToken": csrf}
        return True

    def finish(self) -> None:
        _finished["users"] += 1
        if _finished["users"] >= USERS:
            gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser()

    # ---- what a trainee does ---------------------------------------------------------------

    def pick(self, item: dict, avoid: list[str] | None = None) -> list[str]:
        options = [o["id"] for o in item["options"]]
        count = max(1, min(int(item.get("choose") or 1), len(options)))
        for _ in range(5):
            choice = sorted(self.rng.sample(options, count))
            if choice != avoid:
                return choice
        return choice

    def save(self, item: dict, choices: list[str], flagged: bool) -> None:
        raise NotImplementedError

    def think(self, low: float, high: float) -> bool:
        """Sleep like a reader; False when that would run into the submit time."""
        pause = self.rng.uniform(low, high)
        if time.time() + pause >= PLAN["submit_at"]:
            return False
        gevent.sleep(pause)
        return True

    def answer_loop(self, items: list[dict], navigate, reload) -> None:
        """Navigate to an item, answer it, sometimes change it or flag it, reload now and then."""
        position = 0
        while True:
            item = items[position]
            navigate(item)
            if not self.think(THINK_MIN, THINK_MAX):
                return
            previous, flagged = self.answers.get(item["id"], (None, False))
            self.save(item, self.pick(item, avoid=previous), flagged)
            if self.rng.random() < 0.2:
                if not self.think(1, 3):
                    return
                self.save(item, self.pick(item, avoid=self.answers.get(item["id"], (None,))[0]), flagged)
            if self.rng.random() < 0.1:
                if not self.think(0.5, 1.5):
                    return
                choices, flagged = self.answers.get(item["id"], ([], False))
                self.save(item, choices, not flagged)
            if self.rng.random() < 0.08:
                if not self.think(1, 2):
                    return
                reload()
            position = position + 1 if position + 1 < len(items) else self.rng.randrange(len(items))


class ExamTrainee(BenchUser):
    """Arrive over the start window, log in, start, answer until the end, submit together."""

    @task
    def exam_day(self) -> None:
        _sleep_until(PLAN["t0"] + self.rng.uniform(0, START_WINDOW))
        if self.log_in():
            self.attempt = self.call("start", "POST", "/api/v1/attempts", {"role": ROLE})
        if self.attempt is not None:
            self.answer_loop(self.attempt["items"], self.navigate, self.reload)
            _sleep_until(PLAN["submit_at"] + self.rng.uniform(0, SUBMIT_WINDOW))
            self.call("submit", "POST", f"/api/v1/attempts/{self.attempt['id']}/submit")
        self.finish()

    def navigate(self, item: dict) -> None:
        self.call("navigate", "GET", f"/attempts/{self.attempt['id']}/items/{item['position']}", page=True)

    def reload(self) -> None:
        data = self.call("read attempt", "GET", f"/api/v1/attempts/{self.attempt['id']}")
        if data is None:
            return
        for item in data["items"]:
            expected = self.answers.get(item["id"])
            if expected is None:
                continue
            shown = (sorted(item["response"]), bool(item["flagged"]))
            if shown != (expected[0], expected[1]) and len(MISMATCHES) < 200:
                MISMATCHES.append(
                    {"attempt": data["id"], "item": item["id"], "expected": expected, "shown": shown}
                )

    def save(self, item: dict, choices: list[str], flagged: bool) -> None:
        attempt_id = self.attempt["id"]
        body = {"choices": choices, "flagged": flagged}
        reply = self.call("save", "PUT", f"/api/v1/attempts/{attempt_id}/responses/{item['id']}", body)
        if reply is not None:
            self.answers[item["id"]] = (choices, flagged)
            ACKS.append((attempt_id, item["id"], choices, flagged, time.time()))


class FloorTrainee(BenchUser):
    """The exam day's saves, same timing, against the floor (navigation and reloads just wait)."""

    @task
    def exam_day(self) -> None:
        items = [
            {
                "id": self.index * 1000 + n,
                "position": n + 1,
                "choose": 1,
                "options": [{"id": c} for c in "abcd"],
            }
            for n in range(40)
        ]
        _sleep_until(PLAN["t0"] + self.rng.uniform(0, START_WINDOW))
        self.answer_loop(items, lambda item: None, lambda: None)
        self.finish()

    def save(self, item: dict, choices: list[str], flagged: bool) -> None:
        body = {"choices": choices, "flagged": flagged}
        if self.call("floor save", "PUT", f"/floor/responses/{item['id']}", body) is not None:
            self.answers[item["id"]] = (choices, flagged)
            ACKS.append((0, item["id"], choices, flagged, time.time()))


class SaturatingTrainee(BenchUser):
    """Log in (or take the token), start an attempt, then save as fast as the server answers
    until the time is up."""

    @task
    def saturate(self) -> None:
        _sleep_until(PLAN["t0"] + self.rng.uniform(0, START_WINDOW))
        label = "session" if AUTH == "session" else "token shortcut"
        if self.log_in(" (saturation)"):
            path = "/api/v1/attempts"
            self.attempt = self.call(f"start (saturation, {label})", "POST", path, {"role": ROLE})
        _all_ready()
        if self.attempt is not None:
            items = self.attempt["items"]
            _wait_for_the_others()
            while time.time() < PLAN["saturate_until"]:
                item = self.rng.choice(items)
                choices = self.pick(item)
                reply = self.call(
                    f"save (saturation, {label})",
                    "PUT",
                    f"/api/v1/attempts/{self.attempt['id']}/responses/{item['id']}",
                    {"choices": choices, "flagged": False},
                )
                if reply is not None:
                    ACKS.append((self.attempt["id"], item["id"], choices, False, time.time()))
        self.finish()


class SaturatingFloor(BenchUser):
    @task
    def saturate(self) -> None:
        _all_ready()
        _wait_for_the_others()
        while time.time() < PLAN["saturate_until"]:
            key = self.index * 1000 + self.rng.randrange(40)
            choices = [self.rng.choice("abcd")]
            if (
                self.call(
                    "floor save (saturation)",
                    "PUT",
                    f"/floor/responses/{key}",
                    {"choices": choices, "flagged": False},
                )
                is not None
            ):
                ACKS.append((0, key, choices, False, time.time()))
        self.finish()
