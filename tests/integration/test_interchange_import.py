"""`flask banks import-external`: all or nothing, drafts only, idempotent, `file:line` problems."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from examsite.banks.models import Item, ItemVersion
from examsite.extensions import db
from tests.conftest import FIXTURE_BANKS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
CATEGORY = ["--category", "mobile-adoption-support"]
DOMAIN = ["--domain", "mas-deployment-support"]


def imported(app) -> list[ItemVersion]:
    with app.app_context():
        versions = db.session.scalars(
            select(ItemVersion).where(ItemVersion.source_file.startswith("import:")).order_by(ItemVersion.id)
        ).all()
        for v in versions:
            db.session.expunge(v)
        return versions


def item_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Item))


def run(runner, *args):
    return runner.invoke(args=["banks", "import-external", *map(str, args)])


def test_gift_imports_as_drafts_marked_with_file_and_line_once(app, runner, banks):
    gift = FIXTURES / "moodle-export.gift.txt"
    result = run(runner, gift, "--format", "gift", *CATEGORY, *DOMAIN)
    assert result.exit_code == 0, result.output
    assert "imported 6 draft(s)" in result.output
    assert "moodle-export.gift.txt:38: skipped essay" in result.output
    assert "all-or-nothing" in result.output
    versions = imported(app)
    assert len(versions) == 6 and {v.status for v in versions} == {"draft"}
    assert versions[0].source_file == "import:moodle-export.gift.txt:5"
    assert {v.keys[0] for v in versions if v.type == "single"} == {"a", "b"}
    before = item_count(app)
    again = run(runner, gift, "--format", "gift", *CATEGORY, *DOMAIN)
    assert again.exit_code == 0 and "imported 0 draft(s)" in again.output
    assert "already in the bank as MAS-X" in again.output
    assert item_count(app) == before


def test_any_error_imports_nothing_and_names_every_problem(app, runner, banks):
    before = item_count(app)
    result = run(
        runner,
        FIXTURES / "blackboard.aiken.txt",
        FIXTURES / "broken.aiken.txt",
        "--format",
        "aiken",
        *CATEGORY,
        *DOMAIN,
    )
    assert result.exit_code != 0
    assert "broken.aiken.txt:1: question has no ANSWER: line" in result.output
    assert "broken.aiken.txt:9: ANSWER: E is not one of the options A, B" in result.output
    assert "nothing was imported" in result.output
    assert item_count(app) == before


def test_missing_domain_needs_a_choice(app, runner, banks):
    result = run(runner, FIXTURES / "blackboard.aiken.txt", "--format", "aiken", *CATEGORY)
    assert result.exit_code != 0
    assert (
        "blackboard.aiken.txt:1: needs a choice: no domain in the file; choose one (--domain CODE"
        in result.output
    )
    bad = run(
        runner,
        FIXTURES / "blackboard.aiken.txt",
        "--format",
        "aiken",
        *CATEGORY,
        "--domain",
        "core-privacy-security",
    )
    assert "belongs to the core bank" in bad.output and bad.exit_code != 0
    assert imported(app) == []


def test_dry_run_writes_nothing(app, runner, banks):
    result = run(runner, FIXTURES / "questions.csv", "--format", "csv", *CATEGORY, *DOMAIN, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: 2 new draft(s)" in result.output
    assert "marked unscored (pretest)" in result.output
    assert imported(app) == []


def test_hostile_xml_is_refused(app, runner, banks):
    result = run(runner, FIXTURES / "qti30" / "xxe.xml", "--format", "qti", *CATEGORY, *DOMAIN)
    assert (
        result.exit_code != 0
        and "xxe.xml:2: XML with a DTD or entity declarations is refused" in result.output
    )
    assert imported(app) == []


def test_bank_reimport_keeps_imported_drafts(app, runner, banks):
    assert run(runner, FIXTURES / "questions.csv", "--format", "csv", *CATEGORY, *DOMAIN).exit_code == 0
    result = runner.invoke(args=["banks", "import", str(FIXTURE_BANKS)])
    assert result.exit_code == 0, result.output
    assert "0 retired" in result.output
    with app.app_context():
        retired = db.session.scalar(
            select(func.count()).select_from(Item).where(Item.retired_at.is_not(None))
        )
    assert retired == 0 and len(imported(app)) == 2


def test_exported_qti_imports_back_into_another_category_as_drafts(app, runner, banks, tmp_path):
    out = tmp_path / "export"
    assert (
        runner.invoke(
            args=["banks", "export", "--format", "qti21", "--out", str(out), "--category", "core"]
        ).exit_code
        == 0
    )
    package = out / "core.qti21.zip"
    same_bank = run(runner, package, "--format", "qti", "--category", "core", "--dry-run")
    assert same_bank.exit_code == 0 and "0 new draft(s)" in same_bank.output  # already there
