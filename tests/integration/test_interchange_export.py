"""Exports checked the way other systems read them: round trips through examsite's own importers,
QTI response processing that sets the feedback outcome, manifest metadata, zipped packages."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest

from examsite.banks.export import current_items
from examsite.banks.interchange import full_stem
from examsite.interchange.gift import parse_gift
from examsite.interchange.qti import parse_qti
from examsite.interchange.safety import InputFile
from examsite.templating import render_markdown

ROOT = Path(__file__).resolve().parents[2]
Q21 = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1"}
Q30 = {"q": "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"}


@pytest.fixture
def bundled(app, runner):
    result = runner.invoke(args=["banks", "import", str(ROOT / "question_banks")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return {
            item.external_id: SimpleNamespace(
                full_stem=full_stem(v),
                options=v.options,
                keys=v.keys,
                type=v.type,
                rationale=v.rationale,
                domain=v.domain.code,
                level=v.level,
                status=v.status,
            )  # fmt: skip
            for item, v in current_items(None)
        }


def export(runner, fmt: str, out: Path) -> list[Path]:
    result = runner.invoke(args=["banks", "export", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return sorted(out.iterdir())


def visible(markdown: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(render_markdown(markdown)))).split())


def assert_same(parsed, version, external_id, text=lambda s: s.strip()):
    assert text(parsed.stem) == text(version.full_stem), external_id
    assert [text(t) for _, t in parsed.options] == [text(o["text"]) for o in version.options], external_id
    assert parsed.keys == sorted(version.keys), external_id
    assert parsed.type == version.type, external_id
    assert text(parsed.rationale) == text(version.rationale), external_id
    assert parsed.domain == version.domain and parsed.level == version.level, external_id


def test_gift_export_round_trips_every_bundled_item(app, runner, bundled, tmp_path):
    seen = {}
    for path in export(runner, "gift", tmp_path / "out"):
        result = parse_gift(path.read_text(encoding="utf-8"), path.name)
        assert not result.problems and not result.skipped
        seen.update({item.title: item for item in result.items})
    assert set(seen) == set(bundled)
    for external_id, version in bundled.items():
        assert_same(seen[external_id], version, external_id)
        assert (seen[external_id].status == "pretest") == (version.status == "pretest")


def test_gift_multiple_response_gives_no_credit_with_a_wrong_choice(app, runner, bundled, tmp_path):
    text = "".join(p.read_text() for p in export(runner, "gift", tmp_path / "out"))
    external_id, version = next((i, v) for i, v in bundled.items() if v.type == "multiple")
    block = text[text.index(f"::{external_id}::") :].split("\n}\n")[0]
    weights = [float(line.split("%")[1]) for line in block.splitlines() if line.startswith("\t~%")]
    assert sorted(w for w in weights if w > 0) == [100 / len(version.keys)] * len(version.keys)
    assert [w for w in weights if w <= 0] == [-100.0] * (len(version.options) - len(version.keys))
    assert "// all-or-nothing in examsite" in text[: text.index(f"::{external_id}::")]


@pytest.mark.parametrize(("fmt", "ns"), [("qti21", Q21), ("qti30", Q30)])
def test_qti_packages_round_trip_every_bundled_item(app, runner, bundled, tmp_path, fmt, ns):
    seen = {}
    for path in export(runner, fmt, tmp_path / "out"):
        assert path.suffix == ".zip" and zipfile.is_zipfile(path)
        result = parse_qti(InputFile(path.name, path.read_bytes()))
        assert not result.problems and not result.skipped
        for item in result.items:
            seen[Path(item.file).stem] = item
    assert set(seen) == set(bundled)
    for external_id, version in bundled.items():
        # QTI carries HTML: compared as a trainee reads it (soft line breaks render as spaces)
        assert_same(seen[external_id], version, external_id, text=visible)
        assert (seen[external_id].status == "pretest") == (version.status == "pretest")


V21_NAMES = (
    "outcomeDeclaration responseProcessing modalFeedback outcomeIdentifier baseType setOutcomeValue baseValue"
)
V30_NAMES = (
    "qti-outcome-declaration qti-response-processing qti-modal-feedback outcome-identifier base-type "
    "qti-set-outcome-value qti-base-value"
)


@pytest.mark.parametrize(
    ("fmt", "ns", "names"), [("qti21", Q21, V21_NAMES.split()), ("qti30", Q30, V30_NAMES.split())]
)
def test_qti_feedback_outcome_is_declared_and_set(app, runner, bundled, tmp_path, fmt, ns, names):
    """What a conformant player needs to show the rationale: the outcome declared, set, matched."""
    declaration, processing_name, modal, outcome_attr, base_type, setter, base_value = names
    path = export(runner, fmt, tmp_path / "out")[0]
    with zipfile.ZipFile(path) as archive:
        items = [n for n in archive.namelist() if n.startswith("items/")]
        assert items
        for name in items:
            root = ET.fromstring(archive.read(name))  # noqa: S314 - our own export
            declared = {d.get("identifier"): d.get(base_type) for d in root.findall(f"q:{declaration}", ns)}
            assert declared.get("FEEDBACK") == "identifier"
            feedback = root.find(f"q:{modal}", ns)
            assert feedback.get(outcome_attr) == "FEEDBACK" and "".join(feedback.itertext()).strip()
            order = [c.tag.rsplit("}", 1)[1] for c in root]
            assert order.index(processing_name) < order.index(modal)  # the XSD's sequence
            assert max(i for i, t in enumerate(order) if t == declaration) < order.index(processing_name)
            processing = root.find(f"q:{processing_name}", ns)
            assert processing.get("template") is None
            sets = [
                (s.get("identifier"), s.find(f"q:{base_value}", ns).text)
                for s in processing.iter(ET.QName(ns["q"], setter).text)
            ]
            assert ("FEEDBACK", feedback.get("identifier")) in sets
            assert ("SCORE", "1") in sets and ("SCORE", "0") in sets
            assert root.get("title") and root.get("title") != root.get("identifier")


def test_qti_manifest_carries_metadata_and_marks_pretest_unscored(app, runner, bundled, tmp_path):
    cp = {"c": "http://www.imsglobal.org/xsd/imscp_v1p1", "m": "http://ltsc.ieee.org/xsd/LOM"}
    keywords = {}
    for path in export(runner, "qti21", tmp_path / "out"):
        with zipfile.ZipFile(path) as archive:
            manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314 - our own export
        for resource in manifest.findall(".//c:resource", cp):
            entry = resource.find(".//m:identifier/m:entry", cp).text
            keywords[entry] = {k.text for k in resource.findall(".//m:keyword/m:string", cp)}
    pretest = [i for i, v in bundled.items() if v.status == "pretest"]
    active = [i for i, v in bundled.items() if v.status == "active"]
    assert pretest and active
    for external_id in pretest:
        assert {"status:pretest", "scored:false"} <= keywords[external_id]
    for external_id in active:
        version = bundled[external_id]
        assert {f"domain:{version.domain}", f"level:{version.level}", "scored:true"} <= keywords[external_id]


def test_qti_package_is_an_ims_content_package(app, runner, bundled, tmp_path):
    path = export(runner, "qti21", tmp_path / "out")[0]
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        names = archive.namelist()
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314 - our own export
    assert "imsmanifest.xml" in names
    cp = {"c": "http://www.imsglobal.org/xsd/imscp_v1p1"}
    hrefs = [r.get("href") for r in manifest.findall(".//c:resource", cp)]
    assert hrefs and all(h in names for h in hrefs)
    assert {r.get("type") for r in manifest.findall(".//c:resource", cp)} == {"imsqti_item_xmlv2p1"}
