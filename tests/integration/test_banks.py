"""Bank import (all or nothing, idempotent, versions, retirement), stats, export round trip."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from examsite.banks.models import Item, ItemVersion
from examsite.extensions import db
from tests.conftest import FIXTURE_BANKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bank_copy(tmp_path):
    root = tmp_path / "banks"
    shutil.copytree(FIXTURE_BANKS, root)
    return root


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Item)),
            db.session.scalar(select(func.count()).select_from(ItemVersion)),
        )


def test_import_then_reimport_changes_nothing(app, runner, bank_copy):
    first = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert first.exit_code == 0, first.output
    assert "12 added, 0 new versions, 0 retired, 0 unchanged" in first.output
    second = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert "0 added, 0 new versions, 0 retired, 12 unchanged" in second.output
    assert counts(app) == (12, 12)


def test_tags_are_imported_exported_and_change_only_the_tagged_item(app, runner, bank_copy, tmp_path):
    first = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert first.exit_code == 0, first.output
    [items_file] = (bank_copy / "core" / "items").glob("*.yaml")
    text = items_file.read_text()
    tagged = text.replace(
        "    rationale: Medicare covers people 65 and older; Medicaid is means-tested.\n",
        "    rationale: Medicare covers people 65 and older; Medicaid is means-tested.\n"
        "    tags: [ai, policy]\n",
        1,
    )
    assert tagged != text
    items_file.write_text(tagged)
    second = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert "0 added, 1 new versions, 0 retired, 11 unchanged" in second.output, second.output
    with app.app_context():
        version = db.session.scalars(
            select(ItemVersion)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(Item.external_id == "CORE-0001")
            .order_by(ItemVersion.version.desc())
        ).first()
        assert version.tags == ["ai", "policy"]
    out = tmp_path / "export"
    assert runner.invoke(args=["banks", "export", "--format", "native", "--out", str(out)]).exit_code == 0
    assert "tags:" in "".join(p.read_text() for p in out.rglob("*.yaml"))
    bad = tagged.replace("tags: [ai, policy]", "tags: [AI Models!]")
    items_file.write_text(bad)
    refused = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert refused.exit_code != 0 and "tags" in refused.output


def test_broken_file_anywhere_imports_nothing(app, runner, bank_copy):
    (bank_copy / "mobile-adoption-support" / "items" / "broken.yaml").write_text("items:\n  - id: [oops\n")
    result = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert result.exit_code == 1
    assert "broken.yaml:3: error: YAML syntax" in result.output
    assert "nothing was imported" in result.output
    assert counts(app) == (0, 0)


def test_broken_file_keeps_previous_import_intact(app, runner, bank_copy):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    path = bank_copy / "core" / "items" / "core.yaml"
    path.write_text(
        path.read_text()
        .replace("Medicare covers people 65", "Edited rationale. Medicare covers people 65")
        .replace("key: [a, c]", "key: [a]")
    )
    result = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert result.exit_code == 1
    assert counts(app) == (12, 12)  # the valid edit in the same run was not applied either


def test_changed_item_gets_new_version_and_attempt_keeps_old(app, runner, bank_copy, make_user, login, clock):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    session = login(make_user("trainee"))
    attempt = session.api("POST", "/api/v1/attempts", json={"role": "implementation-manager"}).get_json()
    from examsite.delivery.models import AttemptItem

    with app.app_context():
        rows = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"])).all()
        single = next(r for r in rows if r.item_version.type == "single" and not r.item_version.scenario_id)
        target_id = single.id
        external_id = single.item_version.item.external_id
        old_key = single.item_version.keys[0]
    shown = next(i for i in attempt["items"] if i["id"] == target_id)
    # Edit that item in its file: a new stem and a different key.
    path = next(p for p in bank_copy.rglob("*.yaml") if f"id: {external_id}" in p.read_text())
    text = path.read_text()
    block_start = text.index(f"id: {external_id}")
    block_end = text.find("  - id:", block_start + 5)
    block_end = len(text) if block_end == -1 else block_end
    block = text[block_start:block_end]
    new_key = "b" if old_key != "b" else "c"
    edited = block.replace("stem: ", "stem: Revised. ", 1).replace(f"key: {old_key}", f"key: {new_key}", 1)
    path.write_text(text[:block_start] + edited + text[block_end:])
    result = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert "0 added, 1 new versions" in result.output, result.output
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.external_id == external_id))
        assert item.current_version.version == 2
        assert item.current_version.stem.startswith("Revised.")
    again = session.api("GET", f"/api/v1/attempts/{attempt['id']}").get_json()
    assert next(i for i in again["items"] if i["id"] == target_id)["stem"] == shown["stem"]
    # The OLD key scores correct: scoring uses the version the attempt showed.
    session.api("PUT", f"/api/v1/attempts/{attempt['id']}/responses/{target_id}", json={"choices": [old_key]})
    session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit")
    with app.app_context():
        row = db.session.get(AttemptItem, target_id)
        assert row.item_version.version == 1
        assert row.correct is True


def test_item_removed_from_files_is_retired_not_deleted(app, runner, bank_copy):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    path = bank_copy / "core" / "items" / "core.yaml"
    text = path.read_text()
    start = text.index("  - id: CORE-0003")
    end = text.index("  - id: CORE-0004")
    path.write_text(text[:start] + text[end:])
    result = runner.invoke(args=["banks", "import", str(bank_copy)])
    assert "1 retired" in result.output
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.external_id == "CORE-0003"))
        assert item is not None and item.retired_at is not None
    assert counts(app) == (12, 12)
    path.write_text(text)
    runner.invoke(args=["banks", "import", str(bank_copy)])
    with app.app_context():
        assert db.session.scalar(select(Item).where(Item.external_id == "CORE-0003")).retired_at is None


def test_lint_cli_exit_codes(runner, bank_copy):
    ok = runner.invoke(args=["banks", "lint", str(bank_copy)])
    assert ok.exit_code == 0, ok.output
    shutil.copy(
        ROOT / "tests" / "fixtures" / "flaws" / "all-of-the-above.yaml",
        bank_copy / "core" / "items" / "bad.yaml",
    )
    bad = runner.invoke(args=["banks", "lint", str(bank_copy)])
    assert bad.exit_code == 1
    assert "bad.yaml:" in bad.output and "all/none of the above" in bad.output


def test_stats_json_shape(app, runner, bank_copy):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    result = runner.invoke(args=["banks", "stats", "--json"])
    data = json.loads(result.output)
    assert data["total_items"] == 12
    manager = next(r for r in data["roles"] if r["slug"] == "implementation-manager")
    assert manager["form_items"] == 6 and manager["minutes"] == 30 and manager["passing_percent"] == 50.0
    assert {d["name"]: (d["required"], d["available"]) for d in manager["domains"]} == {
        "The U.S. health care and public health system": (2, 3),
        "Privacy and security essentials": (1, 2),
        "Workflow analysis and process redesign": (2, 4),
        "Installation, testing and go-live support": (1, 2),
    }
    assert manager["eligible_items"] == 11
    text = runner.invoke(args=["banks", "stats"]).output
    assert "implementation-manager: 6 items + 1 pretest, 30 min, pass 50%" in text


def test_native_export_round_trips(app, runner, bank_copy, tmp_path):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    out = tmp_path / "exported"
    result = runner.invoke(args=["banks", "export", "--format", "native", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lint = runner.invoke(args=["banks", "lint", str(out)])
    assert lint.exit_code == 0, lint.output
    again = runner.invoke(args=["banks", "import", str(out)])
    assert "0 added, 0 new versions, 0 retired, 12 unchanged" in again.output, again.output


def test_blueprint_sets_exam_settings_unless_configured(app, runner, bank_copy):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    from examsite.catalog.services import get_role

    with app.app_context():
        exam = get_role("implementation-manager").exam
        assert (exam.form_items, exam.minutes, exam.pretest_items) == (6, 30, 1)
    runner.invoke(args=["exams", "configure", "implementation-manager", "--minutes", "45"])
    path = bank_copy / "mobile-adoption-support" / "blueprints" / "implementation-manager.yaml"
    path.write_text(path.read_text().replace("minutes: 30", "minutes: 35"))
    runner.invoke(args=["banks", "import", str(bank_copy)])
    with app.app_context():
        assert get_role("implementation-manager").exam.minutes == 45


def test_gift_export(app, runner, bank_copy, tmp_path):
    runner.invoke(args=["banks", "import", str(bank_copy)])
    out = tmp_path / "gift"
    result = runner.invoke(
        args=["banks", "export", "--format", "gift", "--out", str(out), "--category", "core"]
    )
    assert result.exit_code == 0, result.output
    text = (out / "core.gift.txt").read_text()
    assert text.startswith("$CATEGORY: examsite/core/active")
    assert "::CORE-0001::[markdown]Which federal program primarily covers adults aged 65 and older? {" in text
    block = text[text.index("::CORE-0001::") : text.index("}", text.index("::CORE-0001::"))]
    assert "\t=Medicare" in block and "\t~Medicaid" in block
    multiple = text[text.index("::CORE-0005::") :]
    assert "~%50%Audit controls" in multiple and "~%-100%Workforce training" in multiple


def test_qti21_export(app, runner, bank_copy, tmp_path):
    from xml.etree import ElementTree as ET

    runner.invoke(args=["banks", "import", str(bank_copy)])
    out = tmp_path / "qti"
    result = runner.invoke(args=["banks", "export", "--format", "qti21", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ns = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1", "c": "http://www.imsglobal.org/xsd/imscp_v1p1"}
    with zipfile.ZipFile(out / "core.qti21.zip") as package:
        manifest = ET.fromstring(package.read("imsmanifest.xml"))  # noqa: S314 - our own export
        item = ET.fromstring(package.read("items/CORE-0005.xml"))  # noqa: S314 - our own export
    hrefs = [r.get("href") for r in manifest.findall(".//c:resource", ns)]
    assert "items/CORE-0005.xml" in hrefs
    assert item.find("q:responseDeclaration", ns).get("cardinality") == "multiple"
    assert [v.text for v in item.findall(".//q:correctResponse/q:value", ns)] == ["A", "C"]
    assert item.find(".//q:choiceInteraction", ns).get("maxChoices") == "2"
    assert len(item.findall(".//q:simpleChoice", ns)) == 4
