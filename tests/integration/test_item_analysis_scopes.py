"""Item analysis of a whole category, and the pretest recommendations, through the command, the
API and the pages (the five hand-computed attempts of test_item_analysis_queries, plus one)."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.test_item_analysis_queries import (  # noqa: F401  (fixture)
    ROLE,
    START,
    _versions,
    five_attempts,
    write_attempt,
)

MAS = "mobile-adoption-support"
SIBLING = "practice-workflow-redesign-specialist"  # another role of the same category
ELSEWHERE = "trainer"  # a role of another category


def _more_attempts(app, make_user):
    """One attempt at a sibling role (A, B, C all keyed) and one at another category's role."""
    from examsite.catalog.services import get_role

    first, second = make_user("trainee"), make_user("trainee")
    with app.app_context():
        role = get_role(ROLE)
        a, b, c = _versions(role)
        plan = [(a, a.keys, False), (b, b.keys, False), (c, c.keys, True)]
        write_attempt(first.id, get_role(SIBLING), plan, 1, START + timedelta(days=6))
        write_attempt(second.id, get_role(ELSEWHERE), plan, 1, START + timedelta(days=7))
        return {"a": a.id, "c": c.id}


def test_category_scope_in_the_command_api_and_page(app, runner, login, make_user, five_attempts):  # noqa: F811
    ids = _more_attempts(app, make_user)
    out = runner.invoke(args=["stats", "items", "--category", MAS, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert (result["role"], result["category"], result["attempts"]) == (None, MAS, 6)
    items = {i["item_version_id"]: i for i in result["items"]}
    # A: right in attempts 1, 2, 5 and the sibling's: 4 of 6 (the other category's attempt left out)
    assert (items[ids["a"]]["responses"], items[ids["a"]]["facility"]) == (6, round(4 / 6, 3))
    # the category's roles have different passing standards (50% and 70%): no CSEM at one cut
    assert result["forms"]["all"]["passing_percent"] is None and result["forms"]["all"]["csem_at_cut"] is None
    role_only = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    assert role_only["attempts"] == 5 and role_only["category"] is None  # stored apart from the category's

    both = runner.invoke(args=["stats", "items", ROLE, "--category", MAS])
    assert both.exit_code == 2 and "one of them" in both.output
    assert runner.invoke(args=["stats", "items"]).exit_code == 2
    unknown = runner.invoke(args=["stats", "items", "--category", "nope"])
    assert unknown.exit_code == 2 and "no category" in unknown.output

    instructor = login(make_user("instructor"))
    api = instructor.client.get(f"/api/v1/categories/{MAS}/item-statistics")
    assert api.status_code == 200 and api.get_json() == result
    missing = instructor.client.get("/api/v1/categories/nope/item-statistics")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    trainee = login(make_user("trainee"))
    assert trainee.client.get(f"/api/v1/categories/{MAS}/item-statistics").status_code == 403

    page_path = f"/instructor/categories/{MAS}/items"
    page = instructor.client.get(page_path).get_data(as_text=True)
    assert "from 6 closed attempts" in page and "the roles' passing standards differ" in page
    assert instructor.client.get("/instructor/categories/nope/items").status_code == 404
    bad = instructor.client.get(page_path + "?from=whenever")
    assert bad.status_code == 422


def test_pretest_recommendations(app, runner, login, make_user, five_attempts):  # noqa: F811
    from examsite.instructors.pretest import advise

    instructor = login(make_user("instructor"))
    page_path = f"/instructor/roles/{ROLE}/pretest"
    before = instructor.client.get(page_path).get_data(as_text=True)
    assert "has not been calculated yet" in before
    done = instructor.form(f"/instructor/roles/{ROLE}/items/recalculate", {"next": "pretest"})
    assert done.status_code == 302 and done.headers["Location"].endswith(page_path)
    page = instructor.client.get(page_path).get_data(as_text=True)
    external_c = five_attempts["external"][five_attempts["c"]]
    assert external_c in page and "Wait for more responses" in page
    assert "Only 5 responses so far; wait for 50 before deciding." in page
    for scored in (five_attempts["a"], five_attempts["b"]):
        assert five_attempts["external"][scored] not in page  # scored items are not pretest items

    api = instructor.client.get(f"/api/v1/roles/{ROLE}/pretest-recommendations")
    assert api.status_code == 200
    body = api.get_json()
    stats = json.loads(runner.invoke(args=["stats", "items", ROLE, "--json"]).output)
    row_c = next(i for i in stats["items"] if i["item_version_id"] == five_attempts["c"])
    assert body["items"] == [advise(row_c).as_dict()]
    assert body["items"][0]["recommendation"] == "wait" and body["attempts"] == 5
    assert instructor.client.get("/api/v1/roles/nope/pretest-recommendations").status_code == 404
    assert instructor.client.get(f"/api/v1/roles/{ROLE}/pretest-recommendations?to=x").status_code == 422
    assert app.test_client().get(f"/api/v1/roles/{ROLE}/pretest-recommendations").status_code == 401
