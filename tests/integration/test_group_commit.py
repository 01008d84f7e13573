"""Group commit: saves that arrive together in a worker share one transaction, each is answered only
after that commit, and a batch that fails hands every save back to be written alone."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, select

from examsite.extensions import db

ROLE = "implementation-manager"


@pytest.fixture
def trainees(banks, make_user, login):
    """Five trainees, each with a started attempt: (session, attempt) pairs."""
    sessions = [login(make_user("trainee")) for _ in range(5)]
    return [(s, s.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()) for s in sessions]


@pytest.fixture
def group(app):
    """This worker's save group, with group commit on (PostgreSQL has it off by default)."""
    from examsite.delivery.group_commit import save_group

    app.config["SAVE_GROUP_COMMIT"] = True
    with app.app_context():
        return save_group()


class LeaderGate:
    """Once armed, the next leader waits before it takes the list, until the test lets it go;
    the test can thus line up every save behind it."""

    def __init__(self):
        self.armed = threading.Lock()
        self.armed.acquire()
        self.go = threading.Event()

    def hold(self):
        self.armed.release()

    def set(self):
        self.go.set()


@pytest.fixture
def held_leader(monkeypatch, group):
    from examsite.delivery import group_commit

    real = group_commit.begin_write
    gate = LeaderGate()

    def gated():
        if gate.armed.acquire(blocking=False):  # only the first leader after hold()
            assert gate.go.wait(30), "the test never let the leader go"
        real()

    monkeypatch.setattr(group_commit, "begin_write", gated)
    return gate


def _mark_answer_writes(conn, cursor, statement, *args):
    """An engine listener: flags the connection once its transaction has written an answer."""
    if statement.lstrip().upper().startswith("INSERT INTO RESPONSES"):
        conn.info["wrote_answers"] = True


@pytest.fixture
def commits(app):
    """The commits of transactions that wrote answers (read-only commits are not counted)."""
    seen: list[int] = []
    with app.app_context():
        engine = db.engine

    def committed(conn):
        if conn.info.pop("wrote_answers", False):
            seen.append(1)

    def rolled_back(conn):
        conn.info.pop("wrote_answers", None)

    listeners = [
        ("before_cursor_execute", _mark_answer_writes),
        ("commit", committed),
        ("rollback", rolled_back),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    yield seen
    for name, fn in listeners:
        event.remove(engine, name, fn)


def _save_all(pairs, choose):
    """PUT one answer per (session, attempt) from its own thread; the replies in order."""
    replies = [None] * len(pairs)

    def save(i, session, attempt):
        item = attempt["items"][0]
        replies[i] = session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": [choose(item)]},
        )

    threads = [threading.Thread(target=save, args=(i, *pair)) for i, pair in enumerate(pairs)]
    for t in threads:
        t.start()
    return threads, replies


def _save_together(group, held_leader, trainees, option: int, commits=None):
    """Each trainee saves option `option` of their first item at once, all lined up behind one
    held leader; nothing is answered while it is held. The replies, in order."""
    held_leader.hold()
    threads, replies = _save_all(trainees, lambda item: item["options"][option]["id"])
    _wait_for_pending(group, len(trainees))
    assert replies == [None] * len(trainees), "a save was answered before its commit"
    if commits is not None:
        commits.clear()
    held_leader.set()
    for t in threads:
        t.join(30)
    return replies


def _wait_for_pending(group, count):
    deadline = time.monotonic() + 30
    while group.pending() < count:
        assert time.monotonic() < deadline, f"only {group.pending()} of {count} saves lined up"
        time.sleep(0.01)


def _stored(app, attempt):
    from examsite.delivery.models import Response

    with app.app_context():
        row = db.session.scalar(select(Response).where(Response.attempt_item_id == attempt["items"][0]["id"]))
        return None if row is None else (row.choices, row.saves)


def test_saves_waiting_together_are_committed_once_and_each_answered(
    app, trainees, group, held_leader, commits
):
    replies = _save_together(group, held_leader, trainees, 1, commits)
    assert [r.status_code for r in replies] == [200] * len(trainees)
    assert (group.stats.batches, group.stats.largest, group.stats.saves) == (1, 5, 5)
    assert len(commits) == 1
    for _, attempt in trainees:
        assert _stored(app, attempt) == ([attempt["items"][0]["options"][1]["id"]], 1)


def test_no_save_is_answered_until_the_batch_commit_returns(app, trainees, group, held_leader):
    """The batch's COMMIT is held open: while it is, not one of its saves may be answered."""
    with app.app_context():
        engine = db.engine
    in_commit, finish_commit = threading.Event(), threading.Event()

    def slow_commit(conn):
        if conn.info.get("wrote_answers") and not in_commit.is_set():  # the batch's commit
            in_commit.set()
            assert finish_commit.wait(30)

    event.listen(engine, "before_cursor_execute", _mark_answer_writes)
    event.listen(engine, "commit", slow_commit)
    try:
        held_leader.hold()
        threads, replies = _save_all(trainees, lambda item: item["options"][1]["id"])
        _wait_for_pending(group, len(trainees))
        held_leader.set()
        assert in_commit.wait(30)
        time.sleep(0.3)  # time enough for a thread told too early to answer
        assert replies == [None] * len(trainees), "a save was answered before its commit returned"
        finish_commit.set()
        for t in threads:
            t.join(30)
    finally:
        finish_commit.set()
        event.remove(engine, "commit", slow_commit)
        event.remove(engine, "before_cursor_execute", _mark_answer_writes)
    assert [r.status_code for r in replies] == [200] * len(trainees)


def test_a_long_list_is_written_in_turns_of_the_batch_cap(app, trainees, group, held_leader):
    group.max_batch = 2
    replies = _save_together(group, held_leader, trainees, 0)
    assert [r.status_code for r in replies] == [200] * 5
    assert group.stats.largest == 2 and group.stats.saves == 5 and group.stats.batches >= 3
    assert group.pending() == 0
    for _, attempt in trainees:
        assert _stored(app, attempt) == ([attempt["items"][0]["options"][0]["id"]], 1)


def test_a_closed_attempt_in_the_batch_is_refused_and_the_others_are_saved(app, trainees, group, held_leader):
    from examsite.delivery import services

    closed_session, closed = trainees[2]
    item = closed["items"][0]
    url = f"/api/v1/attempts/{closed['id']}/responses/{item['id']}"
    first = item["options"][0]["id"]
    # The worker now remembers this attempt as open; then it is submitted behind its back.
    assert closed_session.api("PUT", url, json={"choices": [first]}).status_code == 200
    with app.app_context():
        services.close_attempt(closed["id"], "submitted", services.utcnow())
    replies = _save_together(group, held_leader, trainees, 1)
    assert [r.status_code for r in replies] == [200, 200, 409, 200, 200]
    assert replies[2].get_json()["error"] == "attempt_closed"
    assert _stored(app, closed) == ([first], 1)
    for i, (_, attempt) in enumerate(trainees):
        if i != 2:
            assert _stored(app, attempt) == ([attempt["items"][0]["options"][1]["id"]], 1)


def test_a_failed_batch_commit_hands_each_save_back_to_be_written_alone(app, trainees, group, held_leader):
    """Nothing of a failed batch is answered; each save then commits on its own, exactly once
    (a save counted twice would mean the batch was kept as well)."""
    with app.app_context():
        engine = db.engine
    failures = []

    def fail_first_commit(conn):
        if not failures:
            failures.append(1)
            raise RuntimeError("the disk is full (simulated)")

    event.listen(engine, "commit", fail_first_commit)
    try:
        replies = _save_together(group, held_leader, trainees, 1)
    finally:
        event.remove(engine, "commit", fail_first_commit)
    assert [r.status_code for r in replies] == [200] * 5
    assert group.stats.failed_batches == 1 and group.stats.batches == 0
    for _, attempt in trainees:
        assert _stored(app, attempt) == ([attempt["items"][0]["options"][1]["id"]], 1)


def test_saves_still_work_with_group_commit_off(app, trainees, group):
    app.config["SAVE_GROUP_COMMIT"] = False
    session, attempt = trainees[0]
    item = attempt["items"][0]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}"
    assert session.api("PUT", url, json={"choices": [item["options"][0]["id"]]}).status_code == 200
    assert group.stats.saves == 0
    assert _stored(app, attempt) == ([item["options"][0]["id"]], 1)


def test_auto_turns_group_commit_on_for_sqlite_only(app):
    assert app.config["SAVE_GROUP_COMMIT"] is app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


@pytest.mark.parametrize(
    ("setting", "dialect", "expected"),
    [
        ("auto", "sqlite", True),
        ("auto", "postgresql", False),
        (" ON ", "postgresql", True),
        ("off", "sqlite", False),
        ("0", "sqlite", False),
        (True, "postgresql", True),
    ],
)
def test_setting_values(setting, dialect, expected):
    from examsite.delivery.group_commit import resolve_setting

    assert resolve_setting(setting, dialect) is expected


def test_a_mistyped_setting_stops_the_app_with_its_name():
    from examsite import create_app

    with pytest.raises(RuntimeError, match="SAVE_GROUP_COMMIT must be on, off or auto, not 'sometimes'"):
        create_app(overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://", "SAVE_GROUP_COMMIT": "sometimes"})
