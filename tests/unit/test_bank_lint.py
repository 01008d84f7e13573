"""The bank lint: each flaw fixture produces its message at file:line; the valid bank is clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from examsite.banks.lint import lint_tree, normalize_stem
from examsite.banks.loader import load_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VALID = FIXTURES / "banks" / "valid"
FLAWS = sorted((FIXTURES / "flaws").glob("*.yaml"))


def expected_message(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: ")
    return first.removeprefix("# expect: ")


def copy_valid(tmp_path: Path) -> Path:
    root = tmp_path / "banks"
    shutil.copytree(VALID, root)
    return root


def test_valid_fixture_bank_has_no_errors():
    problems = lint_tree(load_tree(VALID))
    assert [p for p in problems if p.severity == "error"] == []


@pytest.mark.parametrize("flaw", FLAWS, ids=[f.stem for f in FLAWS])
def test_each_flaw_is_reported_with_file_and_line(tmp_path, flaw):
    root = copy_valid(tmp_path)
    if flaw.stem.startswith("blueprint-"):
        target = root / "mobile-adoption-support" / "blueprints" / "implementation-manager.yaml"
    else:
        target = root / "core" / "items" / f"{flaw.stem}.yaml"
    shutil.copy(flaw, target)
    problems = [p for p in lint_tree(load_tree(root)) if p.severity == "error"]
    message = expected_message(flaw)
    matching = [p for p in problems if message in p.message]
    assert matching, f"expected {message!r}, got {[str(p) for p in problems]}"
    problem = matching[0]
    assert problem.file.endswith(target.name)
    assert problem.line > 1 or flaw.stem == "yaml-syntax"
    assert str(problem).startswith(f"{problem.file}:{problem.line}: error: ")


def test_line_points_at_the_offending_key(tmp_path):
    root = copy_valid(tmp_path)
    target = root / "core" / "items" / "flaw.yaml"
    shutil.copy(FIXTURES / "flaws" / "bad-key.yaml", target)
    lines = target.read_text().splitlines()
    key_line = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("key:"))
    problem = next(p for p in lint_tree(load_tree(root)) if "key 'e'" in p.message)
    assert problem.line == key_line


def test_duplicate_ids_reported(tmp_path):
    root = copy_valid(tmp_path)
    source = (root / "core" / "items" / "core.yaml").read_text()
    (root / "core" / "items" / "copy.yaml").write_text(source.replace("Which", "Whichever"))
    problems = lint_tree(load_tree(root))
    assert any("duplicate item id CORE-0001" in p.message for p in problems)


def test_key_position_and_length_warnings(tmp_path):
    root = copy_valid(tmp_path)
    items = []
    for n in range(10):
        items.append(f"""  - id: CORE-08{n:02d}
    type: single
    domain: core-health-care-system
    level: recall
    components: [1]
    status: active
    author: Test Writer
    stem: Warning fixture question number {n} about care settings?
    options:
      a: The much longer and therefore suspicious key option {n}
      b: Short {n}
      c: Brief {n}
      d: Small {n}
    key: a
    rationale: Fixture.
""")
    (root / "core" / "items" / "skewed.yaml").write_text("items:\n" + "".join(items))
    warnings = [p for p in lint_tree(load_tree(root)) if p.severity == "warning"]
    assert any("key position a is used by 100%" in p.message for p in warnings)
    assert any("uniquely longest option" in p.message for p in warnings)


def test_multiple_count_must_match_keys(tmp_path):
    root = copy_valid(tmp_path)
    text = (root / "core" / "items" / "core.yaml").read_text().replace("key: [a, c]", "key: [a, b, c]")
    (root / "core" / "items" / "core.yaml").write_text(text)
    problems = lint_tree(load_tree(root))
    assert any("says choose 2 but the item has 3 keys" in p.message for p in problems)


def test_negative_word_in_a_case_sentence_is_fine(tmp_path):
    root = copy_valid(tmp_path)
    text = (
        (root / "core" / "items" / "core.yaml")
        .read_text()
        .replace(
            "stem: Which agency runs the Medicare program?",
            "stem: A patient does not know who runs Medicare. Which agency runs the Medicare program?",
        )
    )
    (root / "core" / "items" / "core.yaml").write_text(text)
    assert not [p for p in lint_tree(load_tree(root)) if p.severity == "error"]


def test_normalize_stem():
    assert normalize_stem("  Which  PROGRAM, covers?\n") == "which program covers"
