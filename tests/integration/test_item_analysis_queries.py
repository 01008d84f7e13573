"""Item analysis from the stored responses, checked against figures computed by hand.

Five attempts at three items (A and B scored, C pretest), closed through the real scoring:

    attempt  trainee  A      B      C          raw
    1        t1       key    key    key        2
    2        t2       key    x      x          1
    3        t3       x      key    key        1
    4        t4       y      x      (none)     0
    5        t4 (2nd) key    key    x          2

Group size is 1 (27% of 5, floored, at least one): upper {5}, lower {4} (ranked by raw, then id).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

ROLE = "implementation-manager"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _versions(role):
    from examsite.banks.models import ItemVersion, ItemVersionRole
    from examsite.extensions import db

    return db.session.scalars(
        select(ItemVersion)
        .join(ItemVersionRole, ItemVersionRole.item_version_id == ItemVersion.id)
        .where(ItemVersionRole.role_id == role.id, ItemVersion.type == "single")
        .order_by(ItemVersion.id)
        .limit(3)
    ).all()


def _wrong(version, n):
    return [o["id"] for o in version.options if o["id"] not in version.keys][n]


def write_attempt(user_id, role, plan, sequence, moment, simulated=False):
    """An attempt showing `plan` [(version, choices or None, is_pretest)], closed by the scoring."""
    from examsite.delivery.models import Attempt, AttemptItem, Response
    from examsite.delivery.services import close_attempt
    from examsite.extensions import db

    attempt = Attempt(
        user_id=user_id,
        role_id=role.id,
        status="in_progress",
        started_at=moment,
        deadline=moment + timedelta(hours=2),
        grace_seconds=60,
        minutes=120,
        passing_percent=Decimal("50"),
        sequence=sequence,
        simulated=simulated,
    )
    db.session.add(attempt)
    db.session.flush()
    for position, (version, choices, pretest) in enumerate(plan, start=1):
        item = AttemptItem(
            attempt_id=attempt.id,
            item_version_id=version.id,
            position=position,
            option_order=[o["id"] for o in version.options],
            is_pretest=pretest,
        )
        db.session.add(item)
        db.session.flush()
        if choices is not None:
            db.session.add(Response(attempt_id=attempt.id, attempt_item_id=item.id, choices=choices))
    db.session.commit()
    assert close_attempt(attempt.id, "submitted", moment + timedelta(minutes=30))
    return attempt.id


@pytest.fixture
def five_attempts(app, banks, make_user):
    from examsite.catalog.services import get_role
    from examsite.extensions import db

    users = [make_user("trainee") for _ in range(4)]
    with app.app_context():
        role = get_role(ROLE)
        role.exam.passing_percent = Decimal("50")
        db.session.commit()
        a, b, c = _versions(role)
        ka, kb, kc = a.keys, b.keys, c.keys
        xa, ya, xb, xc = [_wrong(a, 0)], [_wrong(a, 1)], [_wrong(b, 0)], [_wrong(c, 0)]
        plans = [
            (users[0], [ka, kb, kc], 1),
            (users[1], [ka, xb, xc], 1),
            (users[2], [xa, kb, kc], 1),
            (users[3], [ya, xb, None], 1),
            (users[3], [ka, kb, xc], 2),
        ]
        ids = []
        for n, (user, (ca, cb, cc), sequence) in enumerate(plans):
            plan = [(a, ca, False), (b, cb, False), (c, cc, True)]
            ids.append(write_attempt(user.id, role, plan, sequence, START + timedelta(days=n)))
        return {
            "ids": ids,
            "external": {v.id: v.item.external_id for v in (a, b, c)},
            "a": a.id,
            "b": b.id,
            "c": c.id,
            "options": {
                "a": (ka[0], xa[0], ya[0]),
                "b": (kb[0], xb[0]),
                "c": (kc[0], xc[0]),
            },
        }


def _by_version(result):
    return {i["item_version_id"]: i for i in result["items"]}


def _options(item):
    return {o["id"]: o for o in item["options"]}


def test_figures_match_hand_computation(app, runner, five_attempts):
    out = runner.invoke(args=["stats", "items", ROLE, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["attempts"] == 5
    items = _by_version(result)
    a, b, c = items[five_attempts["a"]], items[five_attempts["b"]], items[five_attempts["c"]]
    assert a["external_id"] == five_attempts["external"][five_attempts["a"]]
    # A: x = 1 1 0 0 1, rest = 1 0 1 0 1 -> r = 0.2 / 1.2
    assert (a["responses"], a["facility"], a["scored"]) == (5, 0.6, True)
    assert a["discrimination"] == round(1 / 6, 3)
    assert a["upper_lower"] == 1.0
    key, x, y = five_attempts["options"]["a"]
    opts = _options(a)
    assert opts[key] == {"id": key, "share": 0.6, "upper": 1.0, "lower": 0.0, "key": True}
    assert opts[x] == {"id": x, "share": 0.2, "upper": 0.0, "lower": 0.0, "key": False}
    assert opts[y] == {"id": y, "share": 0.2, "upper": 0.0, "lower": 1.0, "key": False}
    others = [o for o in a["options"] if o["id"] not in (key, x, y)]
    assert others and all(o["share"] == 0.0 for o in others)  # unchosen options are listed too
    # B: the mirror image of A
    assert (b["facility"], b["discrimination"]) == (0.6, round(1 / 6, 3))
    # C (pretest, not in the total): x = 1 0 1 0 0, y = 2 1 1 0 2 -> r = 0.6 / sqrt(1.2 * 2.8)
    assert (c["responses"], c["facility"], c["scored"]) == (5, 0.4, False)
    assert c["discrimination"] == round(0.6 / math.sqrt(1.2 * 2.8), 3)
    key_c, x_c = five_attempts["options"]["c"]
    assert _options(c)[key_c]["share"] == 0.4 and _options(c)[x_c]["share"] == 0.4
    assert _options(c)[x_c]["upper"] == 1.0 and _options(c)[key_c]["lower"] == 0.0
    assert all(i["flags"] == [] for i in result["items"])  # fewer than 20 responses: no flags
    # the form: raw scores 2 1 1 0 2 of 2 items, four passed at 50%
    form = result["forms"]["all"]
    assert (form["candidates"], form["passed"], form["items"]) == (5, 4, 2)
    assert form["pass_rate"] == 0.8 and form["mean"] == 1.2
    assert form["sd"] == round(math.sqrt(0.56), 2)
    kr20 = 2 * (1 - 2 * 0.24 / 0.56)
    assert form["kr20"] == round(kr20, 3)
    assert form["sem"] == round(math.sqrt(0.56) * math.sqrt(1 - kr20), 2)
    assert form["csem_at_cut"] == 1.0  # cut 1 of 2: sqrt(1 * 1 / 1)
    # first attempts (1-4): scores 2 1 1 0, p(A) = p(B) = 0.5 -> KR-20 = 2 (1 - 2 * 0.25 / 0.5) = 0
    first = result["forms"]["first"]
    assert (first["candidates"], first["passed"], first["mean"]) == (4, 3, 1.0)
    assert first["kr20"] == 0.0 and first["sem"] == round(math.sqrt(0.5), 2)


def test_cache_and_recalculate(app, runner, make_user, five_attempts, clock):
    from examsite.catalog.services import get_role
    from examsite.instructors.models import ItemAnalysisCache

    first = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    user = make_user("trainee")
    with app.app_context():
        from examsite.extensions import db

        assert db.session.scalar(select(ItemAnalysisCache.scope)) == f"role={ROLE};from=;to="
        role = get_role(ROLE)
        versions = _versions(role)
        write_attempt(user.id, role, [(v, v.keys, False) for v in versions], 1, START + timedelta(days=9))
    clock.advance(hours=1)
    cached = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    assert cached == first  # read from the cache: the new attempt is not in it
    fresh = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json", "--recalculate"]).output)
    assert fresh["attempts"] == 6 and fresh["calculated_at"] > first["calculated_at"]
    again = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    assert again == fresh


def test_date_range_and_bad_input(runner, five_attempts):
    # closed on 2 Nov + n days, 30 minutes after the start: [3 Nov, 5 Nov) holds attempts 2 and 3
    out = runner.invoke(args=["stats", "items", ROLE, "--json", "--from", "2026-11-03", "--to", "2026-11-05"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["attempts"] == 2 and result["from"].startswith("2026-11-03")
    assert all(i["responses"] == 2 for i in result["items"])
    one = json.loads(
        runner.invoke(
            args=["stats", "items", ROLE, "--json", "--from", "2026-11-03", "--to", "2026-11-04"]
        ).output
    )
    assert one["attempts"] == 1 and all(i["upper_lower"] is None for i in one["items"])  # no groups of one
    bad = runner.invoke(args=["stats", "items", ROLE, "--from", "yesterday"])
    assert bad.exit_code == 2 and "--from" in bad.output
    unknown = runner.invoke(args=["stats", "items", "no-such-role"])
    assert unknown.exit_code == 2 and "no role" in unknown.output


def test_table_output_names_items(runner, five_attempts):
    out = runner.invoke(args=["stats", "items", ROLE])
    assert out.exit_code == 0, out.output
    assert "5 closed attempt(s)" in out.output
    for external_id in five_attempts["external"].values():
        assert external_id in out.output


def test_api_gives_what_the_command_prints(runner, client, login, make_user, five_attempts):
    path = f"/api/v1/roles/{ROLE}/item-statistics"
    assert client.get(path).status_code == 401
    assert login(make_user("trainee")).client.get(path).status_code == 403
    instructor = login(make_user("instructor"))
    response = instructor.client.get(path)
    assert response.status_code == 200
    printed = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    assert response.get_json() == printed
    admin = login(make_user("admin"))
    assert admin.client.get(path + "?from=2026-11-03&to=2026-11-05").get_json()["attempts"] == 2
    bad = admin.client.get(path + "?from=soon")
    assert bad.status_code == 422 and bad.get_json()["error"] == "invalid"
    missing = admin.client.get("/api/v1/roles/nope/item-statistics")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
