"""Fast reads of an attempt's content and state.

Item versions are immutable (an edit makes a new version), and so is an attempt's form once it
has started (which versions, in which order, with which option order). Each worker keeps the ones
it has used in memory: reading a 125-item attempt then costs one small query (its responses)
instead of hundreds of lazy loads. The eligible pool per role is cached until the banks change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, select

from examsite.banks.models import Domain, Item, ItemVersion
from examsite.delivery.models import Attempt, AttemptItem, Response
from examsite.extensions import db
from examsite.templating import render_inline, render_markdown


@dataclass(frozen=True)
class VersionData:
    """One immutable item version; its rendered HTML is computed once per worker."""

    id: int
    item_id: int
    type: str
    stem: str
    options: tuple[tuple[str, str], ...]
    keys: frozenset[str]
    domain_id: int
    scenario_id: str | None
    scenario_title: str | None
    scenario_text: str | None

    def option_text(self) -> dict[str, str]:
        return dict(self.options)

    @cached_property
    def stem_html(self) -> Markup:
        return render_markdown(self.stem)

    @cached_property
    def scenario_html(self) -> Markup:
        return render_markdown(self.scenario_text)

    @cached_property
    def options_html(self) -> dict[str, Markup]:
        return {oid: render_inline(text) for oid, text in self.options}


@dataclass(frozen=True)
class RowState:
    """One item of an attempt as the trainee sees it, plus what they answered."""

    id: int
    position: int
    version: VersionData
    option_order: tuple[str, ...]
    is_pretest: bool
    choices: tuple[str, ...]
    flagged: bool

    @property
    def answered(self) -> bool:
        return bool(self.choices)


class _LRU:
    """A bounded, thread-safe map, least recently used out first (one per worker and app)."""

    def __init__(self, size: int):
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get_many(self, keys) -> dict:
        with self._lock:
            found = {k: self._data[k] for k in keys if k in self._data}
            for key in found:
                self._data.move_to_end(key)
        return found

    def get(self, key):
        return self.get_many((key,)).get(key)

    def put_many(self, values: dict) -> None:
        with self._lock:
            self._data.update(values)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def forget(self, key) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class _VersionCache(_LRU):
    def get_many(self, ids: set[int]) -> dict[int, VersionData]:
        found = super().get_many(ids)
        missing = ids - found.keys()
        if missing:
            rows = db.session.execute(
                select(
                    ItemVersion.id,
                    ItemVersion.item_id,
                    ItemVersion.type,
                    ItemVersion.stem,
                    ItemVersion.options,
                    ItemVersion.keys,
                    ItemVersion.domain_id,
                    ItemVersion.scenario_id,
                    ItemVersion.scenario_title,
                    ItemVersion.scenario_text,
                ).where(ItemVersion.id.in_(missing))
            ).all()
            loaded = {
                r[0]: VersionData(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    tuple((o["id"], o["text"]) for o in r[4]),
                    frozenset(r[5]),
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                )
                for r in rows
            }
            self.put_many(loaded)
            found.update(loaded)
        return found


def per_app(name: str, make):
    """The app's one instance of `name`, made on first use (a worker has one app; each test
    builds its own). Looked up first, so a request does not build a cache only to drop it."""
    found = current_app.extensions.get(name)
    return found if found is not None else current_app.extensions.setdefault(name, make())


def version_cache() -> _VersionCache:
    return per_app("examsite_versions", lambda: _VersionCache(20_000))


def version(version_id: int) -> VersionData:
    return version_cache().get_many({version_id})[version_id]


def domains() -> dict[int, tuple[str, str]]:
    """Domain id -> (code, name); a couple of dozen rows, read fresh so renames show at once."""
    return {i: (c, n) for i, c, n in db.session.execute(select(Domain.id, Domain.code, Domain.name))}


@dataclass(frozen=True)
class FormRow:
    """One item of a started attempt's form: fixed from the start to the end of the attempt."""

    id: int
    position: int
    version_id: int
    option_order: tuple[str, ...]
    is_pretest: bool


@dataclass(frozen=True)
class AttemptForm:
    """What never changes about a started attempt: whose it is, which instance (started_at, so a
    reused id never matches), its grace, and its form (versions, order, option order)."""

    user_id: int
    started_at: datetime
    grace_seconds: int
    rows: tuple[FormRow, ...]

    @cached_property
    def versions(self) -> dict[int, int]:
        """attempt item id -> item version id"""
        return {row.id: row.version_id for row in self.rows}


class _AttemptForms(_LRU):
    """attempt id -> AttemptForm, per worker; loaded with one query."""

    def load(self, attempt_id: int) -> AttemptForm | None:
        form = self.get(attempt_id)
        if form is not None:
            return form
        rows = db.session.execute(
            select(
                AttemptItem.id,
                AttemptItem.position,
                AttemptItem.item_version_id,
                AttemptItem.option_order,
                AttemptItem.is_pretest,
                Attempt.user_id,
                Attempt.started_at,
                Attempt.grace_seconds,
            )
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.position)
        ).all()
        if not rows:  # no such attempt (an attempt's items are inserted with it)
            return None
        first = rows[0]
        form = AttemptForm(
            first.user_id,
            first.started_at,
            first.grace_seconds,
            tuple(FormRow(r[0], r[1], r[2], tuple(r[3]), bool(r[4])) for r in rows),
        )
        self.put_many({attempt_id: form})
        return form


def attempt_forms() -> _AttemptForms:
    """The worker's attempt forms. Whoever relies on one re-checks it against the database: the
    pages by the attempt's start time (attempt_form), a save by its guarded write."""
    return per_app("examsite_attempt_forms", lambda: _AttemptForms(5_000))


def attempt_form(attempt: Attempt) -> tuple[FormRow, ...]:
    forms = attempt_forms()
    form = forms.load(attempt.id)
    if form is not None and form.started_at != attempt.started_at:
        forms.forget(attempt.id)  # another attempt under a reused id: read it afresh
        form = forms.load(attempt.id)
    return form.rows if form is not None else ()


def attempt_rows(attempt: Attempt) -> list[RowState]:
    """Every item of the attempt in order, with the trainee's answers: one query once the form is
    cached in this worker (its responses), two before."""
    form = attempt_form(attempt)
    answers = {
        r[0]: (tuple(r[1] or ()), bool(r[2]))
        for r in db.session.execute(
            select(Response.attempt_item_id, Response.choices, Response.flagged).where(
                Response.attempt_id == attempt.id
            )
        )
    }
    cache = version_cache().get_many({f.version_id for f in form})
    return [
        RowState(
            f.id,
            f.position,
            cache[f.version_id],
            f.option_order,
            f.is_pretest,
            *answers.get(f.id, ((), False)),
        )
        for f in form
    ]


def bank_revision() -> tuple:
    """Changes whenever an import adds a version or retires or restores an item."""
    return tuple(
        db.session.execute(
            select(
                select(func.max(ItemVersion.id)).scalar_subquery(),
                select(func.count(Item.retired_at)).scalar_subquery(),
                select(func.max(Item.retired_at)).scalar_subquery(),
            )
        ).one()
    )
