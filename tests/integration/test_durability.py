"""Crash and failover: kill -9 mid-saves loses no acknowledged answer; two app servers share one
PostgreSQL and a trainee alternating between them keeps one consistent attempt."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.support.live import LiveServer, empty_database, postgres_url_or_skip, scratch_postgres

ROLE = "implementation-manager"


def call(base: str, method: str, path: str, token: str, body: dict | None = None, timeout: float = 5):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    with empty_database(request.param, tmp_path) as url:
        yield url


def start_trainees(server: LiveServer, count: int) -> list[dict]:
    trainees = []
    for _ in range(count):
        email = server.create_user("trainee")
        token = server.token(email)
        status, attempt = call(server.url, "POST", "/api/v1/attempts", token, {"role": ROLE})
        assert status == 201
        trainees.append({"token": token, "attempt": attempt})
    return trainees


@pytest.mark.slow
def test_kill_9_mid_saves_loses_no_acknowledged_answer(database, tmp_path):
    server = LiveServer(database, tmp_path)
    server.start()
    try:
        trainees = start_trainees(server, 3)
        acked: dict[tuple[int, int], list[str]] = {}
        unacked_after: dict[tuple[int, int], list[list[str]]] = {}
        stop = threading.Event()

        def saver(trainee):
            attempt = trainee["attempt"]
            n = 0
            while not stop.is_set() and n < 2000:
                item = attempt["items"][n % len(attempt["items"])]
                choice = [item["options"][n % len(item["options"])]["id"]]
                key = (attempt["id"], item["id"])
                unacked_after.setdefault(key, []).append(choice)
                try:
                    status, _ = call(
                        server.url,
                        "PUT",
                        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
                        trainee["token"],
                        {"choices": choice},
                        timeout=2,
                    )
                except (
                    urllib.error.URLError,
                    http.client.HTTPException,
                    ConnectionError,
                    TimeoutError,
                    OSError,
                ):
                    # No reply, or one cut off by the kill (headers sent, body not): not acknowledged.
                    n += 1
                    time.sleep(0.05)
                    continue
                if status == 200:
                    acked[key] = choice
                    unacked_after[key] = []
                n += 1

        threads = [threading.Thread(target=saver, args=(t,)) for t in trainees]
        for t in threads:
            t.start()
        time.sleep(1.5)
        server.kill9()  # in the middle of saves
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert acked, "no save was acknowledged before the crash"

        server.restart()
        stored = {
            (a, i): json.loads(c) if isinstance(c, str) else c
            for a, i, c in server.sql("SELECT r.attempt_id, r.attempt_item_id, r.choices FROM responses r")
        }
        lost = [k for k, v in acked.items() if stored.get(k) != v and stored.get(k) not in unacked_after[k]]
        assert lost == []
        # no attempt half-scored: open attempts carry no score, closed ones a full result
        for status, raw, percent in server.sql("SELECT status, raw_score, score_percent FROM attempts"):
            assert (status == "in_progress") == (raw is None) == (percent is None)
        # trainees resume with their time running from the server's deadline
        for trainee in trainees:
            status, again = call(
                server.url, "GET", f"/api/v1/attempts/{trainee['attempt']['id']}", trainee["token"]
            )
            assert status == 200
            assert again["deadline"] == trainee["attempt"]["deadline"]
            assert again["status"] == "in_progress"
            for item in again["items"]:
                key = (again["id"], item["id"])
                if key in acked and not unacked_after[key]:
                    assert item["response"] == acked[key]
    finally:
        server.stop()


@pytest.mark.slow
def test_two_app_servers_share_one_postgresql(tmp_path):
    url, drop = scratch_postgres(postgres_url_or_skip())
    one = LiveServer(url, tmp_path)
    two = LiveServer(url, tmp_path)
    two.env["SECRET_KEY"] = one.env["SECRET_KEY"]
    two.env["SIGNING_KEY_PATH"] = one.env["SIGNING_KEY_PATH"] = str(tmp_path / "key.pem")
    one.start()
    two.start(setup=False)
    try:
        trainee = start_trainees(one, 1)[0]
        attempt, token = trainee["attempt"], trainee["token"]
        servers = [one.url, two.url]
        expected = {}
        for n, item in enumerate(attempt["items"]):
            base_url = servers[n % 2]
            if n == 3:
                # the attempt as seen through the other server is the same attempt
                _, seen = call(servers[1 - n % 2], "GET", f"/api/v1/attempts/{attempt['id']}", token)
                assert {i["id"]: i["response"] for i in seen["items"] if i["response"]} == expected
            choice = [item["options"][0]["id"]]
            status, _ = call(
                base_url,
                "PUT",
                f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
                token,
                {"choices": choice},
            )
            assert status == 200
            expected[item["id"]] = choice
            if n == 4:
                one.kill9()  # one server dies mid-exam; the trainee carries on with the other
                servers = [two.url, two.url]
        status, again = call(two.url, "GET", f"/api/v1/attempts/{attempt['id']}", token)
        assert {i["id"]: i["response"] for i in again["items"]} == expected
        status, result = call(two.url, "POST", f"/api/v1/attempts/{attempt['id']}/submit", token)
        assert status == 200
        assert result["status"] == "submitted"
    finally:
        one.stop()
        two.stop()
        drop()
