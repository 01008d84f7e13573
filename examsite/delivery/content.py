"""Fast reads of an attempt's content and state.

Item versions are immutable (an edit makes a new version), so each worker keeps the ones it has
used in memory: a 125-item attempt then costs two small queries (its rows and its responses)
instead of hundreds of lazy loads. The eligible pool per role is cached until the banks change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from examsite.banks.models import Domain, Item, ItemVersion
from examsite.delivery.models import AttemptItem, Response
from examsite.extensions import db


@dataclass(frozen=True)
class VersionData:
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


class _VersionCache:
    def __init__(self, size: int = 20_000):
        self._data: OrderedDict[int, VersionData] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get_many(self, ids: set[int]) -> dict[int, VersionData]:
        with self._lock:
            found = {i: self._data[i] for i in ids if i in self._data}
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
            with self._lock:
                self._data.update(loaded)
                while len(self._data) > self._size:
                    self._data.popitem(last=False)
            found.update(loaded)
        return found

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def version_cache() -> _VersionCache:
    """One cache per app (a worker has one app; each test builds its own)."""
    return current_app.extensions.setdefault("examsite_versions", _VersionCache())


def version(version_id: int) -> VersionData:
    return version_cache().get_many({version_id})[version_id]


def domains() -> dict[int, tuple[str, str]]:
    """Domain id -> (code, name); a couple of dozen rows, read fresh so renames show at once."""
    return {i: (c, n) for i, c, n in db.session.execute(select(Domain.id, Domain.code, Domain.name))}


def attempt_rows(attempt_id: int) -> list[RowState]:
    """Every item of the attempt in order, with the trainee's answers: two queries."""
    rows = db.session.execute(
        select(
            AttemptItem.id,
            AttemptItem.position,
            AttemptItem.item_version_id,
            AttemptItem.option_order,
            AttemptItem.is_pretest,
        )
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    ).all()
    answers = {
        r[0]: (tuple(r[1] or ()), bool(r[2]))
        for r in db.session.execute(
            select(Response.attempt_item_id, Response.choices, Response.flagged).where(
                Response.attempt_id == attempt_id
            )
        )
    }
    cache = version_cache().get_many({r[2] for r in rows})
    return [
        RowState(r[0], r[1], cache[r[2]], tuple(r[3]), bool(r[4]), *answers.get(r[0], ((), False)))
        for r in rows
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
