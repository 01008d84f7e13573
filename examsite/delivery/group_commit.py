"""Group commit for answer saves: the saves waiting in one worker are written in one transaction.

Every save is a small guarded upsert, and what it costs under load is not the upsert but what
surrounds it: the turn in SQLite's writer queue (a lock hand-off between threads and processes),
BEGIN, COMMIT and its fsync, and the Python around each. When many trainees save at once, the
saves that arrive in a worker while a transaction is being written wait in a list; the next
thread to lead takes the whole list once it holds the write lock, runs each save's own guarded
statement, and commits once. Each save is answered only after that commit, so an acknowledged
answer is exactly as durable as before. At a quiet moment a save leads alone, which is the plain
path.

If anything goes wrong in a batch (a statement or the commit fails), the batch is rolled back and
every save in it is handed back to its own thread to be written alone, so one bad save cannot
fail the others and nothing is answered that was not committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app

from examsite.database import begin_write, own_transaction
from examsite.delivery.content import per_app

# A batch is capped so that a leader's own reply, and the lock it holds, wait a bounded time.
MAX_BATCH = 64

WRITTEN, REFUSED, ALONE = "written", "refused", "alone"


@dataclass
class _Ticket:
    statement: Any
    params: dict
    outcome: str | None = None


@dataclass
class GroupStats:
    batches: int = 0
    saves: int = 0
    largest: int = 0
    failed_batches: int = 0


class SaveGroup:
    """One per worker (per app): the saves waiting for the next transaction, and who leads it."""

    def __init__(self, max_batch: int = MAX_BATCH):
        self.max_batch = max_batch
        self.stats = GroupStats()
        self._lock = threading.Lock()
        self._pending: list[_Ticket] = []
        self._leading = False
        self._turn = threading.Condition(self._lock)

    def write(self, statement, params: dict) -> str:
        """Run `statement` (an INSERT … RETURNING that returns a row when it wrote) in the next
        transaction of this worker's saves and return WRITTEN once it is committed, REFUSED if
        the statement wrote nothing (its guard said no; nothing to commit), or ALONE if the
        batch failed and the caller must write it in its own transaction."""
        ticket = _Ticket(statement, params)
        with self._turn:
            self._pending.append(ticket)
            while self._leading and ticket.outcome is None:
                self._turn.wait()
            if ticket.outcome is not None:
                return ticket.outcome
            self._leading = True
        try:
            while ticket.outcome is None:  # a long list is led in turns of max_batch
                self._lead()
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        return ticket.outcome

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _lead(self) -> None:
        with own_transaction() as session:  # this leader commits the batch, or rolls it back
            self._lead_batch(session)

    def _lead_batch(self, session) -> None:
        batch: list[_Ticket] | None = None
        try:
            begin_write()  # SQLite: the writer queue and BEGIN IMMEDIATE, so the list is taken late
            with self._lock:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            outcomes = []
            for ticket in batch:
                written = session.execute(ticket.statement, ticket.params).first()
                outcomes.append(WRITTEN if written is not None else REFUSED)
            session.commit()
        except BaseException as exc:
            # Nothing of this batch is committed: every save in it goes back to its own thread
            # (the whole list, if the failure came before it was taken), where writing alone
            # either succeeds or raises the error in the request it belongs to.
            try:
                session.rollback()
            finally:
                if batch is None:
                    with self._lock:
                        batch, self._pending = self._pending, []
                self.stats.failed_batches += 1
                self._finish(batch, [ALONE] * len(batch))
            if not isinstance(exc, Exception):
                raise  # the worker is stopping: the saves went back to their threads first
            return
        self.stats.batches += 1
        self.stats.saves += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        self._finish(batch, outcomes)

    def _finish(self, batch: list[_Ticket], outcomes: list[str]) -> None:
        with self._turn:
            for ticket, outcome in zip(batch, outcomes, strict=True):
                ticket.outcome = outcome
            self._turn.notify_all()


def resolve_setting(setting, dialect_name: str) -> bool:
    """SAVE_GROUP_COMMIT: "on", "off", or "auto" (the default): on for SQLite, where writers take
    turns and each turn costs a lock hand-off and an fsync; off for PostgreSQL, whose concurrent
    commits already share WAL flushes (measured: batching there only serialized a worker's saves)."""
    if isinstance(setting, bool):
        return setting
    value = str(setting).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    if value != "auto":
        raise RuntimeError(f"SAVE_GROUP_COMMIT must be on, off or auto, not {setting!r}")
    return dialect_name == "sqlite"


def group_commit_enabled() -> bool:
    return bool(current_app.config["SAVE_GROUP_COMMIT"])  # resolved to True/False by database.init_app


def save_group() -> SaveGroup:
    return per_app("examsite_save_group", SaveGroup)
