"""Database set-up: SQLite durability pragmas, the unit of work (the one owner of every write
transaction, with the SQLite writer queue), and a clear message when the database is down."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
from collections.abc import Iterator

import click
from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from examsite.extensions import db, migrate


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not _in_memory(uri):  # a pool of connections (an in-memory database has one connection)
        options.setdefault("pool_size", app.config["DB_POOL_SIZE"])
        options.setdefault("max_overflow", 2)  # a request uses one connection; a little slack
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {})
        options["connect_args"].setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config.get("STRICT_UNIT_OF_WORK"):
        _install_strict_checks()
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True, compare_type=True
    )
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, app.config)
        from examsite.delivery.group_commit import resolve_setting

        app.config["SAVE_GROUP_COMMIT"] = resolve_setting(
            app.config.get("SAVE_GROUP_COMMIT", "auto"), db.engine.dialect.name
        )


def _in_memory(uri: str) -> bool:
    url = make_url(uri)
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _configure_sqlite(engine: Engine, config) -> None:
    synchronous = config["SQLITE_SYNCHRONOUS"]
    busy_ms = int(config["SQLITE_BUSY_TIMEOUT_MS"])
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Python's sqlite3 opens transactions lazily; take the write lock at BEGIN instead
        # (BEGIN IMMEDIATE) so two writers queue on the busy timeout rather than deadlock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Reads use a deferred BEGIN (WAL readers never block writers); a transaction that
        # writes starts with BEGIN IMMEDIATE (see begin_write) so writers queue on the busy
        # timeout instead of failing when their read snapshot goes stale.
        immediate = conn.get_execution_options().get(IMMEDIATE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


IMMEDIATE_OPTION = "examsite_sqlite_immediate"


def begin_single_statements() -> None:
    """On PostgreSQL, let the request's statements each commit on their own (autocommit) until
    it calls begin_write.

    For a request whose only write is one statement (an answer's guarded upsert): psycopg
    otherwise sends BEGIN before its first statement and COMMIT after the write, two more round
    trips to the server on the busiest route. A statement in autocommit is still a transaction
    of its own, committed (with synchronous_commit on) before the server replies, and its row
    locks are held until then. Call it before the request's first statement; SQLite keeps its
    writer queue and explicit transactions.
    """
    session = db.session()
    if db.engine.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def in_single_statements() -> bool:
    session = db.session()
    return (
        session.in_transaction()
        and session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    )


def begin_write() -> None:
    """Start a write transaction: on SQLite, end any read snapshot, wait in the writer queue,
    and take the write lock now.

    unit_of_work() calls it; code outside examsite/database.py opens a unit instead. On
    PostgreSQL it does nothing: row locks and the guarded UPDATEs in the services handle
    concurrency there.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if db.engine.dialect.name != "sqlite":
        if in_single_statements():
            # A write of several statements must be one transaction: end the request's
            # single-statement run; the next statement opens a transaction on a pooled
            # connection with the usual isolation.
            session.commit()
        return
    if session.in_transaction():
        if session.connection().get_execution_options().get(IMMEDIATE_OPTION):
            return
        if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
            # Already writing in this transaction (it holds the lock, or will at its next
            # flush): committing here would break the caller's all-or-nothing unit of work.
            return
        session.commit()
    queue = writer_queue()
    queue.acquire()
    session.info[QUEUED] = queue  # released when this transaction ends (commit or rollback)
    try:
        session.connection(execution_options={IMMEDIATE_OPTION: True})
    except BaseException:
        session.info.pop(QUEUED, None)
        queue.release()
        raise


class WriterQueue:
    """SQLite writers take turns: a lock per process, then a file lock shared by the processes.

    SQLite's own busy handler makes a waiting writer sleep and retry with growing back-off (up
    to 100 ms a try), so under load writers get the lock in no particular order and a few wait
    seconds while the lock sits idle between retries. Here a waiting writer blocks in the kernel
    and wakes as soon as the holder's transaction ends; the busy timeout stays as the backstop
    for writers outside the queue (a CLI import, say).
    """

    def __init__(self, lock_path: str | None, timeout: float):
        self.lock_path, self.timeout = lock_path, timeout
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def _file(self) -> int | None:
        if self.lock_path is None:
            return None
        if self._pid != os.getpid():  # opened after fork: each worker has its own descriptor
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise TimeoutError(f"waited {self.timeout:.0f} s for the database's writer queue")
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def writer_queue() -> WriterQueue:
    app = current_app._get_current_object()
    queue = app.extensions.get("examsite_writer_queue")
    if queue is None:
        database = db.engine.url.database
        lock_path = None if database in (None, "", ":memory:") else f"{database}.writer-lock"
        queue = app.extensions.setdefault(
            "examsite_writer_queue", WriterQueue(lock_path, app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        )
    return queue


WROTE = "examsite_wrote"
QUEUED = "examsite_writer_queue"
#: session.info key: how deep the code runs in units of work (0 or absent: outside any)
UNIT = "examsite_unit_of_work"


class WriteOutsideUnitOfWork(RuntimeError):
    """A request or a command wrote without opening a unit of work (STRICT_UNIT_OF_WORK)."""


class HashingInsideUnitOfWork(RuntimeError):
    """A password was hashed or checked while a unit of work held the writer queue."""


@contextlib.contextmanager
def unit_of_work() -> Iterator[Session]:
    """The one owner of a write transaction: views and CLI commands that write open it, the
    services they call only add and flush.

    On entry it takes the SQLite writer queue and the write lock (begin_write: ends any read
    snapshot first; on PostgreSQL it ends a run of single statements); on leaving it commits, or
    rolls back if anything raised, so nothing is half-written. A unit opened inside another
    joins it: only the outermost commits. Never do CPU work inside (hash passwords, render
    pages): every writer of the site waits behind it. Also a decorator: `@unit_of_work()`.
    """
    session = db.session()
    depth = session.info.get(UNIT, 0)
    if depth:
        session.info[UNIT] = depth + 1
        try:
            yield session
        finally:
            session.info[UNIT] = depth
        return
    if _strict() and _has_changes(session):
        # begin_write would keep those changes' transaction, without the writer queue
        raise WriteOutsideUnitOfWork(
            "objects were changed before the unit of work opened: change them inside it"
        )
    session.info[UNIT] = 1
    try:
        begin_write()
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(UNIT, None)


@contextlib.contextmanager
def own_transaction() -> Iterator[Session]:
    """Declare code that ends its transaction itself as a unit of work, for the save path's
    fast paths only: group commit (its leader commits a batch of saves, see
    examsite/delivery/group_commit.py) and a save's single statement in autocommit on
    PostgreSQL (begin_single_statements). The code inside commits or rolls back on its own;
    an exception still rolls back."""
    session = db.session()
    depth = session.info.get(UNIT, 0)
    session.info[UNIT] = depth + 1
    try:
        yield session
    except BaseException:
        if not depth:
            session.rollback()
        raise
    finally:
        if depth:
            session.info[UNIT] = depth
        else:
            session.info.pop(UNIT, None)


def in_unit_of_work() -> bool:
    return has_app_context() and bool(db.session().info.get(UNIT))


def _strict() -> bool:
    """STRICT_UNIT_OF_WORK applies to what the site runs: requests and CLI commands (a test's
    own set-up code, writing its fixtures directly, is neither)."""
    if not has_app_context() or not current_app.config.get("STRICT_UNIT_OF_WORK"):
        return False
    return has_request_context() or click.get_current_context(silent=True) is not None


def check_not_writing(what: str = "A password was hashed or checked") -> None:
    """Refuse CPU-heavy work (argon2) inside a unit of work when STRICT_UNIT_OF_WORK is on."""
    if in_unit_of_work() and current_app.config.get("STRICT_UNIT_OF_WORK"):
        raise HashingInsideUnitOfWork(f"{what} inside a unit of work (while holding the writer queue)")


_WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


_checks_installed = False


def _install_strict_checks() -> None:
    """Listen for writes outside a unit of work, once, when an app asks for STRICT_UNIT_OF_WORK
    (the tests): a production app pays nothing for the checks."""
    global _checks_installed
    if _checks_installed:
        return
    event.listen(Session, "before_flush", _flush_inside_unit)
    event.listen(Session, "do_orm_execute", _execute_inside_unit)
    event.listen(Session, "before_commit", _commit_inside_unit)
    _checks_installed = True


def _has_changes(session: Session) -> bool:
    return bool(session.new or session.deleted or any(session.is_modified(o) for o in session.dirty))


def _flush_inside_unit(session, _context, _instances) -> None:
    if session.info.get(UNIT) or not _strict():
        return
    if _has_changes(session):
        raise WriteOutsideUnitOfWork(
            "changes flushed outside a unit of work: open `with unit_of_work():` in the view or command"
        )


def _execute_inside_unit(state) -> None:
    if state.session.info.get(UNIT):
        return
    statement = state.statement
    writes = state.is_insert or state.is_update or state.is_delete
    if not writes:  # text(...), or text(...).columns(...) (a TextualSelect, like the save's upsert)
        clause = statement if isinstance(statement, TextClause) else getattr(statement, "element", None)
        writes = isinstance(clause, TextClause) and bool(_WRITE_SQL.match(clause.text))
    if writes and _strict():
        raise WriteOutsideUnitOfWork(
            "a write statement outside a unit of work: open `with unit_of_work():` in the view or command"
        )


def _commit_inside_unit(session) -> None:
    if session.info.get(UNIT) or not _strict():
        return
    if session.info.get(WROTE):
        raise WriteOutsideUnitOfWork("a commit of writes outside a unit of work")


@event.listens_for(Session, "after_flush")
def _mark_written(session, _context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _clear_written(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)
        queue = session.info.pop(QUEUED, None)
        if queue is not None:
            queue.release()


def database_state() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True, "ok"
    except OperationalError as exc:
        db.session.rollback()
        return False, str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"


def require_database() -> None:
    """Stop a CLI command with one clear line when the database cannot be reached."""
    ok, detail = database_state()
    if not ok:
        raise click.ClickException(f"cannot reach the database ({db.engine.url!r}): {detail}")
