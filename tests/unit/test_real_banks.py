"""The bundled banks meet the content issues' rules for every role (read from the files)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from examsite.banks.lint import eligible_units, lint_tree
from examsite.banks.loader import CATEGORY_ROLES, CORE, load_tree
from examsite.catalog.data import ROLE_SLUGS

BANKS = Path(__file__).resolve().parents[2] / "question_banks"


@pytest.fixture(scope="module")
def tree():
    tree = load_tree(BANKS)
    problems = lint_tree(tree)
    assert [str(p) for p in problems if p.severity == "error"] == []
    return tree


def eligible(tree, role):
    category = next(c for c, roles in CATEGORY_ROLES.items() if role in roles)
    return [i for i in tree.items if i.status == "active" and role in i.roles and i.bank in (CORE, category)]


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_each_role_can_assemble_two_mostly_different_forms(tree, role):
    items = eligible(tree, role)
    blueprint = tree.blueprints[role]
    assert blueprint.form_items == 125
    assert sum(n for _, n in blueprint.domains) == 125
    assert len(items) >= 250, f"{role}: {len(items)} eligible items"
    units = eligible_units(tree, role, "active")
    for code, need in blueprint.domains:
        assert sum(units.get(code, [])) >= need


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_each_role_has_depth_few_multiple_response_and_scenarios(tree, role):
    items = eligible(tree, role)
    levels = Counter(i.level for i in items)
    assert (levels["application"] + levels["analysis"]) / len(items) >= 0.40
    assert sum(1 for i in items if i.type == "multiple") / len(items) <= 0.15
    assert len({i.scenario_id for i in items if i.scenario_id}) >= 3


def test_every_item_has_rationale_reviewer_and_one_key_per_single(tree):
    for item in tree.items:
        assert len(item.rationale.split()) >= 12, item.external_id
        assert item.reviewer.startswith("blind review"), item.external_id
        if item.type == "single":
            assert len(item.keys) == 1 and len(item.options) == 4


def test_pretest_items_available_for_every_role(tree):
    for role in ROLE_SLUGS:
        pretest = sum(sum(sizes) for sizes in eligible_units(tree, role, "pretest").values())
        assert pretest >= tree.blueprints[role].pretest_items


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_each_role_tests_ai_and_automation(tree, role):
    """Issue 22: at least 5% of every role's eligible items are on AI and automation (tag `ai`)."""
    items = eligible(tree, role)
    tagged = [i for i in items if "ai" in i.tags]
    assert len(tagged) / len(items) >= 0.05, f"{role}: {len(tagged)} of {len(items)} tagged ai"
    # and not only from the shared core bank: the role's own category bank has some
    assert any(i.bank != CORE for i in tagged), role
