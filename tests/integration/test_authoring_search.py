"""Finding items stays cheap in a big bank: a fixed number of queries per page, and the latest
versions reached by primary key (items.latest_version_id), never by scanning all versions."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select, text, update

from examsite.authoring.queries import ItemFilters, find_items
from examsite.banks.models import Domain, Item, ItemVersion
from examsite.extensions import db

MAS = "mobile-adoption-support"
BANK_SIZE = 5000


@pytest.fixture
def big_bank(app, banks):
    """5,000 items with a version each, written in bulk (ids from 10,000 up)."""
    with app.app_context():
        domains = dict(db.session.execute(select(Domain.code, Domain.id)).all())
        codes = ["mas-workflow-redesign", "mas-deployment-support"]
        ids = range(10_000, 10_000 + BANK_SIZE)
        db.session.execute(insert(Item), [{"id": i, "external_id": f"BIG-{i}", "bank": MAS} for i in ids])
        db.session.execute(
            insert(ItemVersion),
            [
                {
                    "id": i,
                    "item_id": i,
                    "version": 1,
                    "content_hash": "x",
                    "type": "single",
                    "stem": f"Bulk question number {i} about {'printers' if i % 10 == 0 else 'workflows'}?",
                    "options": [{"id": o, "text": f"{o} {i}"} for o in "abcd"],
                    "keys": ["a"],
                    "rationale": "r",
                    "domain_id": domains[codes[i % 2]],
                    "level": ("recall", "application", "analysis")[i % 3],
                    "components": [10],
                    "references": [],
                    "status": "draft" if i % 4 else "active",
                    "author": "Bulk",
                    "reviewer": "",
                    "tags": ["bulk", "printer"] if i % 10 == 0 else ["bulk"],
                }
                for i in ids
            ],
        )
        db.session.execute(update(Item).where(Item.id >= 10_000).values(latest_version_id=Item.id))
        db.session.commit()


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args):
        self.statements.append(statement)


def test_a_page_costs_the_same_queries_whatever_its_size(app, big_bank, make_user, runner, login):
    user = make_user("instructor")
    runner.invoke(args=["users", "assign", user.email, "--category", MAS])
    session = login(user)
    counts = {}
    for per_page in (25, 100):
        with app.app_context():
            engine = db.engine
        with QueryCounter(engine) as counter:
            response = session.client.get(f"/instructor/items?per_page={per_page}&sort=-updated&tag=bulk")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f"{BANK_SIZE} items found." in page
        assert page.count("Bulk question number") == per_page
        counts[per_page] = len(counter.statements)
    assert counts[25] == counts[100] <= 8, counts
    filtered = session.client.get("/instructor/items?q=printers&level=recall&status=active")
    expected = sum(1 for i in range(10_000, 10_000 + BANK_SIZE) if i % 10 == 0 and i % 3 == 0 and i % 4 == 0)
    assert f"{expected} items found." in filtered.get_data(as_text=True)


def test_latest_versions_are_reached_by_primary_key(app, big_bank, backend):
    if backend != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL chooses by its statistics")
    with app.app_context():
        filters = ItemFilters(banks={MAS}, domain="mas-deployment-support", per_page=50)
        page = find_items(filters)
        assert page.total == BANK_SIZE // 2 + 2  # and MAS-0003/0004 from the fixture bank
        from examsite.authoring import queries

        statement = (
            queries._filtered(filters, [Item.id, ItemVersion.stem]).order_by(Item.external_id).limit(50)
        )
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(r[-1]) for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "SCAN item_versions" not in plan, plan
        assert "item_versions USING INTEGER PRIMARY KEY" in plan, plan
