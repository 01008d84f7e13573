"""The exam-day fast paths keep their promises: the writer queue, the guarded save, the cached form,
the navigator built without the template loop."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, text

from examsite.extensions import db

ROLE = "implementation-manager"


@pytest.fixture
def sqlite_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the writer queue is SQLite's (PostgreSQL locks rows)")


# ---- the SQLite writer queue --------------------------------------------------------------------


def test_second_writer_waits_until_the_first_commits(app, sqlite_only):
    from examsite.database import begin_write

    events: list[str] = []
    first_holds = threading.Event()
    release_first = threading.Event()

    def first():
        with app.app_context():
            begin_write()
            events.append("first has the lock")
            first_holds.set()
            release_first.wait(10)
            events.append("first commits")
            db.session.commit()

    def second():
        first_holds.wait(10)
        with app.app_context():
            begin_write()
            events.append("second has the lock")
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_holds.wait(10)
    # The second writer is blocked in the queue while the first holds it.
    threads[1].join(0.3)
    assert threads[1].is_alive()
    assert events == ["first has the lock"]
    release_first.set()
    for t in threads:
        t.join(10)
    assert events == ["first has the lock", "first commits", "second has the lock"]


def test_queue_is_released_by_rollback_and_by_a_failed_request(app, sqlite_only):
    from examsite.database import begin_write, writer_queue

    with app.app_context():
        begin_write()
        db.session.rollback()
        begin_write()  # the same thread again: it would wait forever if rollback had not released
        db.session.commit()

    @app.get("/_test_fails_mid_write")
    def fails_mid_write():
        begin_write()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.test_client().get("/_test_fails_mid_write").status_code == 500
    with app.app_context():
        queue = writer_queue()
        assert queue._thread_lock.acquire(timeout=5), "the failed request kept the writer queue"
        queue._thread_lock.release()


def test_queue_is_shared_with_other_processes(app, sqlite_only, tmp_path):
    """Another process (another gunicorn worker) holding the file lock makes a writer wait."""
    from examsite.database import begin_write, writer_queue

    with app.app_context():
        lock_path = writer_queue().lock_path
    assert lock_path and lock_path.endswith(".writer-lock")
    released = tmp_path / "released"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "time.sleep(0.5)\n"
            "open(sys.argv[2], 'w').close()\n"
            "fcntl.flock(fd, fcntl.LOCK_UN)\n",
            lock_path,
            str(released),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with app.app_context():
            begin_write()
            assert released.exists(), "the writer went ahead while another process held the queue"
            db.session.commit()
    finally:
        holder.wait(10)


# ---- the guarded save --------------------------------------------------------------------------


@pytest.fixture
def trainee_session(make_user, login, banks):
    return login(make_user("trainee"))


def _start(session):
    return session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()


@pytest.mark.parametrize("group_commit", [True, False], ids=["group-commit", "alone"])
def test_save_closed_between_check_and_write_is_refused_and_not_stored(
    app, trainee_session, monkeypatch, group_commit
):
    """A submit that lands after the save's read but before its write: the save writes nothing."""
    from examsite.delivery import services
    from examsite.delivery.models import Response

    app.config["SAVE_GROUP_COMMIT"] = group_commit
    attempt = _start(trainee_session)
    item = attempt["items"][0]
    real_statement = services._guarded_upsert

    def submit_first(*args):
        # The save has read what it checks (the attempt's facts) and is about to write.
        def other_request():
            with app.app_context():
                services.close_attempt(attempt["id"], "submitted", services.utcnow())

        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join(20)
        return real_statement(*args)

    monkeypatch.setattr(services, "_guarded_upsert", submit_first)
    reply = trainee_session.api(
        "PUT",
        f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
        json={"choices": [item["options"][0]["id"]]},
    )
    assert reply.status_code == 409
    assert reply.get_json()["error"] == "attempt_closed"
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.attempt_id == attempt["id"])
        )
    assert stored == 0


def test_save_refusals_say_why(trainee_session, make_user, login):
    attempt = _start(trainee_session)
    item = attempt["items"][0]
    body = {"choices": [item["options"][0]["id"]]}
    url = f"/api/v1/attempts/{attempt['id']}/responses"
    missing_item = trainee_session.api("PUT", f"{url}/999999", json=body)
    assert (missing_item.status_code, missing_item.get_json()["message"]) == (
        404,
        "No such item in this attempt.",
    )
    stranger = login(make_user("trainee"))
    theirs = stranger.api("PUT", f"{url}/{item['id']}", json=body)
    assert (theirs.status_code, theirs.get_json()["message"]) == (404, "No such attempt.")
    bad = trainee_session.api("PUT", f"{url}/{item['id']}", json={"choices": ["zz"]})
    assert (bad.status_code, bad.get_json()["error"]) == (422, "unknown_option")
    trainee_session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    closed = trainee_session.api("PUT", f"{url}/{item['id']}", json=body)
    assert (closed.status_code, closed.get_json()["error"]) == (409, "attempt_closed")


def test_save_counts_repeats_and_keeps_the_flag_when_not_sent(app, trainee_session):
    from examsite.delivery.models import Response

    attempt = _start(trainee_session)
    item = attempt["items"][0]
    first, second = item["options"][0]["id"], item["options"][1]["id"]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    trainee_session.api("PUT", url, json={"choices": [first], "flagged": True})
    trainee_session.api("PUT", url, json={"choices": [second]})
    with app.app_context():
        row = db.session.scalar(select(Response).where(Response.attempt_item_id == item["id"]))
        assert (row.choices, row.flagged, row.saves) == ([second], True, 2)


def test_remembered_attempt_facts_are_rechecked_by_the_write(app, trainee_session):
    """Facts a worker keeps about an attempt that no longer match the database write nothing."""
    from examsite.delivery.models import Attempt, Response

    attempt = _start(trainee_session)
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    option = item["options"][0]["id"]
    assert trainee_session.api("PUT", url, json={"choices": [option]}).status_code == 200
    with app.app_context():  # the row now stands for another instance (as a reused id would)
        row = db.session.get(Attempt, attempt["id"])
        row.started_at = row.started_at.replace(microsecond=(row.started_at.microsecond + 1) % 1_000_000)
        db.session.commit()
    other = item["options"][1]["id"]
    refused = trainee_session.api("PUT", url, json={"choices": [other]})
    assert refused.status_code == 409
    with app.app_context():
        stored = db.session.scalar(select(Response.choices).where(Response.attempt_item_id == item["id"]))
    assert stored == [option]
    # The stale facts were dropped: the next save reads them afresh and goes through.
    assert trainee_session.api("PUT", url, json={"choices": [other]}).status_code == 200


def _statements_seen(app):
    """Record (first word of each SQL statement, whether its connection was in autocommit)."""
    from sqlalchemy import event

    seen: list[tuple[str, bool]] = []

    def record(conn, _cursor, statement, *_args):
        dbapi = conn.connection.dbapi_connection
        seen.append((statement.split()[0].upper(), bool(getattr(dbapi, "autocommit", False))))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_a_postgresql_save_commits_its_one_write_without_begin_or_commit(app, trainee_session):
    """On PostgreSQL a save's statements run in autocommit (psycopg sends no BEGIN, and there is
    no COMMIT to wait for); the connection goes back to the pool transactional, so the next
    request's writes are one transaction again."""
    from examsite.delivery.models import Response

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite saves take their turn in the writer queue inside a transaction")
    app.config["SAVE_GROUP_COMMIT"] = False
    attempt = _start(trainee_session)
    item = attempt["items"][0]
    seen, stop = _statements_seen(app)
    try:
        reply = trainee_session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": [item["options"][0]["id"]]},
        )
        saved = list(seen)
        seen.clear()
        submitted = trainee_session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    finally:
        stop()
    assert reply.status_code == 200 and submitted.status_code == 200
    assert ("INSERT", True) in saved
    assert all(autocommit for _, autocommit in saved), saved
    assert any(word == "UPDATE" for word, _ in seen)
    assert not any(autocommit for _, autocommit in seen), seen  # the submit is one transaction
    with app.app_context():
        stored = db.session.scalar(select(Response.choices).where(Response.attempt_id == attempt["id"]))
    assert stored == [item["options"][0]["id"]]


@pytest.mark.parametrize("late_item", ["its-item", "no-such-item"])
@pytest.mark.parametrize("group_commit", [True, False], ids=["group-commit", "alone"])
def test_a_save_that_finds_its_attempt_expired_scores_it_in_one_transaction(
    app, trainee_session, clock, monkeypatch, group_commit, late_item
):
    """A late save closes and scores the attempt: all of it or none of it, even on the save
    route's single-statement path (a save for an item not in the attempt is refused before any
    write, and its refusal is what closes the attempt)."""
    from examsite.delivery import services
    from examsite.delivery.models import Attempt

    app.config["SAVE_GROUP_COMMIT"] = group_commit
    attempt = _start(trainee_session)
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    body = {"choices": [item["options"][0]["id"]]}
    assert trainee_session.api("PUT", url, json=body).status_code == 200
    clock.advance(hours=2)

    real_score_into = services._score_into

    def scoring_fails(*_args):
        raise RuntimeError("scoring failed half-way")

    monkeypatch.setattr(services, "_score_into", scoring_fails)
    late_url = url if late_item == "its-item" else url.rsplit("/", 1)[0] + "/999999"
    assert trainee_session.api("PUT", late_url, json=body).status_code == 500
    with app.app_context():
        stored = db.session.get(Attempt, attempt["id"])
        assert (stored.status, stored.closed_at, stored.score_percent) == ("in_progress", None, None)
    monkeypatch.setattr(services, "_score_into", real_score_into)
    late = trainee_session.api("PUT", url, json=body)
    assert (late.status_code, late.get_json()["error"]) == (409, "attempt_closed")
    with app.app_context():
        stored = db.session.get(Attempt, attempt["id"])
        assert stored.status == "expired" and stored.score_percent is not None


# ---- the cached form ---------------------------------------------------------------------------


def test_cached_form_never_serves_another_attempt_with_the_same_id(app, trainee_session):
    """SQLite can hand a deleted row's id to the next row; the cache is keyed by id and start."""
    from examsite.delivery.content import attempt_rows
    from examsite.delivery.models import Attempt

    attempt = _start(trainee_session)
    with app.app_context():
        first = db.session.get(Attempt, attempt["id"])
        before = [(r.id, r.version.id) for r in attempt_rows(first)]
        moved = db.session.get(Attempt, attempt["id"])
        moved.started_at = moved.started_at.replace(
            microsecond=(moved.started_at.microsecond + 1) % 1_000_000
        )
        db.session.commit()
        db.session.execute(
            text("UPDATE attempt_items SET option_order = '[\"z\"]' WHERE attempt_id = :a"),
            {"a": attempt["id"]},
        )
        db.session.commit()
        after = attempt_rows(db.session.get(Attempt, attempt["id"]))
    assert [(r.id, r.version.id) for r in after] == before
    assert {r.option_order for r in after} == {("z",)}


def test_item_pages_read_the_form_once_per_worker(app, trainee_session):
    """After the first page, an item page reads only the responses, not the form again."""
    from sqlalchemy import event

    attempt = _start(trainee_session)
    assert trainee_session.client.get(f"/attempts/{attempt['id']}/items/1").status_code == 200
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for position in (2, 3, 4):
        assert trainee_session.client.get(f"/attempts/{attempt['id']}/items/{position}").status_code == 200
    assert any("FROM responses" in sql for sql in statements)
    assert not [sql for sql in statements if "attempt_items.option_order" in sql]


# ---- the navigator -----------------------------------------------------------------------------


def test_navigator_marks_answered_flagged_and_current(trainee_session):
    started = trainee_session.form(f"/exams/{ROLE}/start", {})
    base = started.headers["Location"].rsplit("/items/", 1)[0]
    attempt_id = int(re.search(r"/attempts/(\d+)", base).group(1))
    attempt = trainee_session.api("GET", f"/api/v1/attempts/{attempt_id}").get_json()
    one, two = attempt["items"][0], attempt["items"][1]
    url = f"/api/v1/attempts/{attempt_id}/responses"
    trainee_session.api("PUT", f"{url}/{one['id']}", json={"choices": [one["options"][0]["id"]]})
    trainee_session.api("PUT", f"{url}/{two['id']}", json={"choices": [], "flagged": True})
    page = trainee_session.client.get(f"{base}/items/3").get_data(as_text=True)
    links = re.findall(r'<li><a href="([^"]+)" data-position="(\d+)" class="([^"]*)"([^>]*)>(\d+)<span', page)
    assert [int(p) for _, p, *_ in links] == list(range(1, len(attempt["items"]) + 1))
    by_position = {int(p): (href, css, extra) for href, p, css, extra, _ in links}
    assert by_position[1][0] == f"{base}/items/1"
    assert by_position[1][1] == "answered"
    assert by_position[2][1] == "flagged"
    assert by_position[3][1] == ""
    assert 'aria-current="page"' in by_position[3][2]
    assert not any("aria-current" in extra for p, (_, _, extra) in by_position.items() if p != 3)
    assert '1<span class="visually-hidden">, answered</span>' in page
    assert '2<span class="visually-hidden">, unanswered, flagged</span>' in page


# ---- the connection pool -----------------------------------------------------------------------


def test_pool_keeps_a_connection_per_gunicorn_thread(app):
    """Fewer pooled connections than threads made busy workers open and close overflow
    connections all the time (a PostgreSQL backend process each)."""
    with app.app_context():
        pool = db.engine.pool
        assert pool.size() == app.config["DB_POOL_SIZE"] >= 8
        assert pool._max_overflow == 2
