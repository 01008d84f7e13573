"""Each import format on real-looking fixture files, broken ones and hostile ones (no database)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from examsite.banks.interchange import gift_item
from examsite.interchange.gift import parse_gift
from examsite.interchange.mapping import plan_import
from examsite.interchange.parsing import parse_files
from examsite.interchange.safety import MAX_FILE_BYTES, InputFile
from examsite.interchange.tabular import COLUMNS, template_csv, template_xlsx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"


def fixture(name: str) -> InputFile:
    return InputFile(Path(name).name, (FIXTURES / name).read_bytes())


def zipped(members: dict[str, bytes], name: str = "package.zip") -> InputFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(path, data)
    return InputFile(name, buffer.getvalue())


def package(folder: str) -> InputFile:
    root = FIXTURES / folder
    return zipped({p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()})


def test_gift_every_documented_construct():
    result = parse_files([fixture("moodle-export.gift.txt")], "gift")
    assert result.problems == []
    by_title = {i.title or i.stem[:20]: i for i in result.items}
    html = by_title["Cut-over planning"]
    assert html.stem == "A clinic goes live on its new **EHR** in two weeks. Which step comes *first*?"
    assert html.keys == ["b"] and html.type == "single" and html.line == 5
    assert html.rationale == "The cut-over plan sets the order of everything else."
    assert html.category == "$course$/top/Go-live/Planning"
    weighted = by_title["Downtime"]
    assert weighted.type == "multiple" and weighted.keys == ["a", "b"]
    assert "all-or-nothing" in weighted.notes[0] and "50/50/-100/-100" in weighted.notes[0]
    escaped = next(i for i in result.items if i.stem.startswith("Which HL7"))
    assert (
        escaped.stem
        == 'Which HL7 v2 segment carries {patient} identifiers: PID or OBR? Staff often say = "OBR".'
    )
    assert escaped.options[0] == ("a", "PID ~ the patient identification segment")
    missing_word = next(i for i in result.items if "minimum" in i.stem)
    assert missing_word.stem.startswith("The privacy rule's minimum \\_\\_\\_\\_\\_ standard")
    assert by_title["Access"].category == "$course$/top/Go-live/Security"
    assert [(s.line, s.kind) for s in result.skipped] == [
        (38, "essay"), (40, "true/false"), (42, "numerical"), (44, "matching"), (50, "short answer"),
    ]  # fmt: skip


def test_gift_per_answer_feedback_becomes_the_rationale_when_there_is_no_general_feedback():
    result = parse_gift("Which?{=Right#Because.\n~Wrong#No.\n~Other\n~More}", "f.gift")
    assert result.items[0].rationale == "A: Because.\n\nB: No."


def test_gift_plain_format_escapes_markdown():
    result = parse_gift("[plain]Is *this* bold?{=No ~Yes ~Maybe ~Never}", "f.gift")
    assert result.items[0].stem == "Is \\*this\\* bold?"


def test_gift_broken_file_names_every_problem():
    result = parse_files([fixture("broken.gift.txt")], "gift")
    assert [str(p) for p in result.problems] == [
        "broken.gift.txt:2: error: answer block opened with { is not closed with }",
        "broken.gift.txt:6: error: weight 200% is outside -100..100",
        "broken.gift.txt:8: error: no answer is marked right (= or a positive %weight%)",
        "broken.gift.txt:10: error: options a, b each give full credit: examsite needs one key per single "
        "item, or weights that add up to 100 for a multiple-response item",
    ]


def test_aiken():
    result = parse_files([fixture("blackboard.aiken.txt")], "aiken")
    assert result.problems == []
    assert [(i.line, i.keys, len(i.options)) for i in result.items] == [(1, ["a"], 4), (8, ["b"], 4)]


def test_aiken_broken():
    result = parse_files([fixture("broken.aiken.txt")], "aiken")
    assert [(p.line, p.message.split(" ")[0]) for p in result.problems] == [
        (1, "question"),
        (9, "ANSWER:"),
        (11, "ANSWER:"),
    ]
    assert result.items == []


def test_qti21_package_with_manifest_metadata_and_skipped_essay():
    result = parse_files([package("qti21-package")], "qti")
    assert result.problems == []
    access, safeguards = result.items
    assert access.keys == ["c"] and access.level == "analysis" and access.tags == ["security"]
    assert access.stem.endswith("Which record answers the question *most directly*?")
    assert safeguards.type == "multiple" and safeguards.keys == ["a", "d"]
    assert safeguards.rationale.startswith("Unique IDs") and "partial credit" in safeguards.notes[0]
    assert [(s.file, s.line, s.kind) for s in result.skipped] == [("package.zip/items/essay.xml", 5, "essay")]


def test_qti30_item():
    result = parse_files([fixture("qti30/minimum-necessary.xml")], "qti")
    (item,) = result.items
    assert item.keys == ["b"] and item.title == "Minimum necessary"
    assert item.rationale == "Payment is a permitted use, but only the minimum needed."


@pytest.mark.parametrize("name", ["qti30/xxe.xml", "qti30/billion-laughs.xml"])
def test_xml_entities_are_refused(name):
    result = parse_files([fixture(name)], "qti")
    assert result.items == []
    assert "DTD or entity declarations is refused" in result.problems[0].message


def test_package_paths_outside_the_package_are_refused():
    evil = zipped({"imsmanifest.xml": b"<manifest/>", "../../etc/cron.d/x": b"boom"})
    result = parse_files([evil], "qti")
    assert "points outside the package" in result.problems[0].message


def test_manifest_href_outside_the_package_is_refused():
    manifest = (
        b'<manifest><resources><resource type="imsqti_item_xmlv2p1" href="../x.xml"/></resources></manifest>'
    )
    result = parse_files([zipped({"imsmanifest.xml": manifest})], "qti")
    assert "is not inside the package" in result.problems[0].message


def test_zip_bomb_is_refused():
    bomb = zipped({"imsmanifest.xml": b"<manifest/>", "items/big.xml": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb.data) < MAX_FILE_BYTES
    result = parse_files([bomb], "qti")
    assert "zip bomb" in result.problems[0].message


def test_file_over_the_upload_limit_is_refused():
    result = parse_files([InputFile("huge.txt", b"x" * (MAX_FILE_BYTES + 1))], "gift")
    assert "over the" in result.problems[0].message and result.items == []


def test_csv():
    result = parse_files([fixture("questions.csv")], "csv")
    assert result.problems == []
    single, multiple = result.items
    assert single.line == 2 and single.level == "application" and single.tags == ["workflow", "scheduling"]
    assert multiple.type == "multiple" and multiple.keys == ["a", "c"] and multiple.status == "pretest"


def test_csv_broken():
    result = parse_files([fixture("broken.csv")], "csv")
    assert [p.line for p in result.problems] == [2, 3, 4] and result.items == []


def test_xlsx_reads_like_the_csv():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    stem = "Which law set the meaningful use program?"
    sheet.append(
        ["", "", "recall", stem, "HITECH Act", "HIPAA", "ACA", "MACRA", "", "", "a", "HITECH, 2009.", "", ""]
    )
    sheet.append(["", "", "", "Which one?", "Only one option", "", "", "", "", "", "a", "", "", ""])
    out = io.BytesIO()
    workbook.save(out)
    result = parse_files([InputFile("bank.xlsx", out.getvalue())], "xlsx")
    assert [(i.line, i.keys) for i in result.items] == [(2, ["a"])]
    assert [(p.line, p.message) for p in result.problems] == [
        (3, "a question needs at least 2 options, not 1")
    ]


def test_templates_parse_cleanly():
    assert parse_files([InputFile("t.csv", template_csv().encode())], "csv").problems == []
    assert len(parse_files([InputFile("t.xlsx", template_xlsx())], "xlsx").items) == 1


def test_plan_needs_a_domain_and_skips_what_is_already_in_the_bank():
    parsed = parse_files([fixture("blackboard.aiken.txt")], "aiken")
    domains = {"mas-go-live": "mobile-adoption-support", "core-x": "core"}
    plan = plan_import(parsed, "mobile-adoption-support", domains, {})
    assert [p.message.split(":")[0] for p in plan.errors] == ["needs a choice", "needs a choice"]
    plan = plan_import(parsed, "mobile-adoption-support", domains, {}, default_domain="core-x")
    assert "belongs to the core bank" in plan.errors[0].message
    plan = plan_import(parsed, "mobile-adoption-support", domains, {}, default_domain="mas-go-live")
    assert plan.errors == [] and len(plan.new_items) == 2
    first = plan.items[0].external_id
    assert first.startswith("MAS-X") and "level not given" in plan.items[0].choices[0]
    again = plan_import(
        parsed, "mobile-adoption-support", domains, {first: first}, default_domain="mas-go-live"
    )
    assert [i.duplicate_of for i in again.items] == [first, None]


def test_xlsx_zip_bomb_is_refused_before_openpyxl_reads_it():
    bomb = zipped(
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b" " * (60 * 1024 * 1024)}, "b.xlsx"
    )
    result = parse_files([bomb], "xlsx")
    assert "zip bomb" in result.problems[0].message and result.items == []


def test_gift_with_windows_line_endings_and_a_bom():
    source = "\ufeff// comment\r\n::Q1::Which?{\r\n=Right\r\n~Wrong\r\n~Other\r\n~More\r\n}\r\n"
    result = parse_gift(source, "w.gift")
    assert (
        result.problems == [] and result.items[0].line == 2 and result.items[0].options[0] == ("a", "Right")
    )


def test_text_where_a_zip_is_expected_and_the_reverse_are_refused():
    assert "not an XLSX workbook" in parse_files([fixture("questions.csv")], "xlsx").problems[0].message
    assert "a zip file" in parse_files([package("qti21-package")], "gift").problems[0].message


GIFT_TEXT = st.text(alphabet=st.sampled_from("ab Z9.?~=#{}:\\\n-*_`n/"), min_size=1, max_size=40).filter(
    lambda s: s.strip() and "\n\n" not in s.strip()
)


@given(
    stem=GIFT_TEXT,
    options=st.lists(GIFT_TEXT, min_size=4, max_size=4, unique_by=str.strip),
    key=st.integers(0, 3),
)
def test_gift_escapes_round_trip_any_text(stem, options, key):
    """Whatever an item's text holds (GIFT's special characters, backslashes, line breaks), the
    exported GIFT reads back to the same text."""
    version = SimpleNamespace(
        stem=stem, scenario_text=None, type="single", keys=["abcd"[key]], rationale="Because.",
        options=[{"id": oid, "text": text} for oid, text in zip("abcd", options, strict=True)],
        domain=SimpleNamespace(code="mas-x"), level="recall", status="active", tags=[],
    )  # fmt: skip
    result = parse_gift(gift_item("MAS-0001", version), "x.gift")
    assert result.problems == [] and len(result.items) == 1
    item = result.items[0]
    assert item.stem == stem.strip()
    assert [t for _, t in item.options] == [o.strip() for o in options]
    assert item.keys == ["abcd"[key]]
