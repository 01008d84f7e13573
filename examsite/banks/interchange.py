"""GIFT (Moodle) and QTI 2.1 / 3.0 (zipped IMS content packages) exporters, so banks move to other platforms.

Checked the way the other systems read them (tests/integration/test_interchange_export.py): every
export imports back through examsite's own importers with the same stems, options, keys and
rationales; the QTI validates against the IMS schemas and sets the FEEDBACK outcome its modal
feedback shows on; GIFT gives no partial credit for multiple-response items (see README).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from examsite.banks.export import current_items, exporter
from examsite.templating import render_markdown

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")
QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
QTI30_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP30_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def gift_escape(text: str) -> str:
    return _GIFT_SPECIAL.sub(r"\\\1", text.strip()).replace("\n", "\\n")


def full_stem(version) -> str:
    """The stem with its case in front: GIFT and QTI have no shared case, so each item carries it."""
    if version.scenario_text:
        return f"{version.scenario_title}\n\n{version.scenario_text.strip()}\n\n{version.stem}"
    return version.stem


def gift_item(external_id: str, version) -> str:
    meta = f"id={external_id} domain={version.domain.code} level={version.level} status={version.status}"
    tags = [t for t in (version.tags or []) if " " not in t and "," not in t]
    if tags:
        meta += f" tags={','.join(tags)}"
    lines = [f"// examsite: {meta}"]
    if version.status == "pretest":
        lines.append("// pretest: unscored in examsite's exams until approved as active")
    keys = set(version.keys)
    if version.type == "multiple":
        # Moodle's GIFT multiple-answer questions always give partial credit for a subset of the
        # keys; -100% on every distractor makes any wrong choice score 0, the closest GIFT gets
        # to examsite's all-or-nothing (README: "GIFT and all-or-nothing").
        lines.append(f"// all-or-nothing in examsite: choose all {len(keys)} keys and nothing else")
    lines.append(f"::{external_id}::[markdown]{gift_escape(full_stem(version))} {{")
    for option in version.options:
        text = gift_escape(option["text"])
        if version.type == "single":
            lines.append(f"\t{'=' if option['id'] in keys else '~'}{text}")
        else:
            weight = 100 / len(keys) if option["id"] in keys else -100
            lines.append(f"\t~%{weight:.5g}%{text}")
    lines.append(f"\t####{gift_escape(version.rationale)}")
    lines.append("}")
    return "\n".join(lines)


@exporter("gift")
def export_gift(out: Path, category: str | None) -> list[Path]:
    """One GIFT file per bank; Moodle imports each as a question category (pretest ones apart)."""
    by_bank: dict[str, list] = defaultdict(list)
    for item, version in current_items(category):
        by_bank[item.bank].append((item, version))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for bank, items in sorted(by_bank.items()):
        parts = []
        for status in ("active", "pretest", "draft"):
            chosen = [gift_item(i.external_id, v) for i, v in items if v.status == status]
            if chosen:
                parts.append(f"$CATEGORY: examsite/{bank}/{status}\n\n" + "\n\n".join(chosen))
        path = out / f"{bank}.gift.txt"
        path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        written.append(path)
    return written


@dataclass(frozen=True)
class QtiDialect:
    """QTI 3.0 renamed 2.1's camelCase names to kebab-case (elements with a qti- prefix)."""

    version: str
    ns: str
    cp_ns: str
    resource_type: str

    def el(self, name: str) -> str:
        if self.version == "2.1":
            return f"{{{self.ns}}}{name}"
        return f"{{{self.ns}}}qti-{_kebab(name)}"

    def html(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def attr(self, name: str) -> str:
        return name if self.version == "2.1" else _kebab(name)


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


QTI21 = QtiDialect("2.1", QTI_NS, CP_NS, "imsqti_item_xmlv2p1")
QTI30 = QtiDialect("3.0", QTI30_NS, CP30_NS, "imsqti_item_xmlv3p0")


def title_from_stem(stem: str, limit: int = 80) -> str:
    text = " ".join(re.sub(r"[*_`#>\\]", "", stem).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


#: the attributes QTI's XHTML subset allows, of those render_markdown keeps (it also keeps the
#: generic title and lang, which QTI 2.1's body elements do not have)
_QTI_ATTRIBUTES = {"img": {"src", "alt"}}
MEDIA_FOLDER = "media"


def _html_into(parent: ET.Element, markdown: str, dialect: QtiDialect, media: dict | None = None) -> None:
    """Rendered (sanitized) Markdown as XHTML children of `parent`, in the QTI namespace.

    Uploaded images go into the package (`media` collects them: name -> bytes) and are referenced
    relative to the item file; an image that cannot be packaged is replaced by its alt text.
    """
    fragment = _xhtml(str(render_markdown(markdown)))
    parents = {child: element for element in fragment.iter() for child in element}
    for element in list(fragment.iter()):
        allowed = _QTI_ATTRIBUTES.get(element.tag, set())
        for name in [n for n in element.attrib if n not in allowed]:
            del element.attrib[name]
        if element.tag == "img" and not _package_image(element, media):
            _replace_with_text(element, parents[element], element.get("alt") or "")
            continue
        element.tag = dialect.html(element.tag)
    parent.text = fragment.text
    parent.extend(list(fragment))


_VOID = {"br", "hr", "img", "col"}


class _TreeBuilder(HTMLParser):
    """The sanitizer's HTML (void elements unclosed, as HTML writes them) as an XML element tree."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("div")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        ET.SubElement(self.stack[-1], tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag):
        if tag in _VOID or tag not in [e.tag for e in self.stack[1:]]:
            return
        while self.stack.pop().tag != tag:
            pass

    def handle_data(self, data):
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def _xhtml(html: str) -> ET.Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _package_image(img: ET.Element, media: dict | None) -> bool:
    from examsite.authoring.images import URL_PREFIX, find_image

    src = img.get("src") or ""
    if media is None or not src.startswith(URL_PREFIX):
        return False
    name = src.removeprefix(URL_PREFIX)
    image = find_image(name)
    if image is None:
        return False
    media[name] = image.data
    img.set("src", f"../{MEDIA_FOLDER}/{name}")  # items live in items/, relative to the item file
    img.set("alt", img.get("alt") or "")
    return True


def _replace_with_text(element: ET.Element, parent: ET.Element, text: str) -> None:
    index = list(parent).index(element)
    joined = text + (element.tail or "")
    if index == 0:
        parent.text = (parent.text or "") + joined
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + joined
    parent.remove(element)


def _inline_into(parent: ET.Element, markdown: str, dialect: QtiDialect, media: dict | None = None) -> None:
    _html_into(parent, markdown, dialect, media)
    if len(parent) == 1 and parent[0].tag == dialect.html("p"):  # a prompt or choice holds inline content
        paragraph = parent[0]
        parent.remove(paragraph)
        parent.text = paragraph.text
        parent.extend(list(paragraph))


def qti_item(external_id: str, version, dialect: QtiDialect = QTI21, media: dict | None = None) -> ET.Element:
    el, attr = dialect.el, dialect.attr
    root = ET.Element(
        el("assessmentItem"),
        {
            "identifier": external_id,
            "title": title_from_stem(version.stem),
            "adaptive": "false",
            attr("timeDependent"): "false",
        },
    )
    declaration = ET.SubElement(
        root,
        el("responseDeclaration"),
        {
            "identifier": "RESPONSE",
            "cardinality": "single" if version.type == "single" else "multiple",
            attr("baseType"): "identifier",
        },
    )
    correct = ET.SubElement(declaration, el("correctResponse"))
    for key in version.keys:
        ET.SubElement(correct, el("value")).text = key.upper()
    outcome = ET.SubElement(
        root,
        el("outcomeDeclaration"),
        {"identifier": "SCORE", "cardinality": "single", attr("baseType"): "float"},
    )
    ET.SubElement(ET.SubElement(outcome, el("defaultValue")), el("value")).text = "0"
    # The modal feedback shows when FEEDBACK holds its identifier: declared here, set below.
    ET.SubElement(
        root,
        el("outcomeDeclaration"),
        {"identifier": "FEEDBACK", "cardinality": "single", attr("baseType"): "identifier"},
    )
    body = ET.SubElement(root, el("itemBody"))
    stem = full_stem(version)
    rendered = str(render_markdown(stem))
    single_paragraph = rendered.count("<p>") == 1 and rendered.strip().startswith("<p>")
    if not single_paragraph:
        _html_into(ET.SubElement(body, dialect.html("div")), stem, dialect, media)
    interaction = ET.SubElement(
        body,
        el("choiceInteraction"),
        {
            attr("responseIdentifier"): "RESPONSE",
            "shuffle": "true",
            attr("maxChoices"): "1" if version.type == "single" else str(len(version.keys)),
        },
    )
    if single_paragraph:
        _inline_into(ET.SubElement(interaction, el("prompt")), stem, dialect, media)
    for option in version.options:
        choice = ET.SubElement(interaction, el("simpleChoice"), {"identifier": option["id"].upper()})
        _inline_into(choice, option["text"], dialect, media)
    processing = ET.SubElement(root, el("responseProcessing"))
    condition = ET.SubElement(processing, el("responseCondition"))
    when = ET.SubElement(condition, el("responseIf"))
    match = ET.SubElement(when, el("match"))
    ET.SubElement(match, el("variable"), {"identifier": "RESPONSE"})
    ET.SubElement(match, el("correct"), {"identifier": "RESPONSE"})
    _set_outcome(when, "SCORE", "float", "1", dialect)
    _set_outcome(ET.SubElement(condition, el("responseElse")), "SCORE", "float", "0", dialect)
    _set_outcome(processing, "FEEDBACK", "identifier", "RATIONALE", dialect)
    feedback = ET.SubElement(
        root,
        el("modalFeedback"),
        {attr("outcomeIdentifier"): "FEEDBACK", "identifier": "RATIONALE", attr("showHide"): "show"},
    )
    _html_into(feedback, version.rationale, dialect, media)
    return root


def _set_outcome(
    parent: ET.Element, identifier: str, base_type: str, value: str, dialect: QtiDialect
) -> None:
    setter = ET.SubElement(parent, dialect.el("setOutcomeValue"), {"identifier": identifier})
    ET.SubElement(setter, dialect.el("baseValue"), {dialect.attr("baseType"): base_type}).text = value


def _metadata(resource: ET.Element, item, version, dialect: QtiDialect) -> None:
    """LOM keywords an LMS keeps and examsite's importer reads back: domain, level, status, scored."""
    lom = ET.SubElement(ET.SubElement(resource, f"{{{dialect.cp_ns}}}metadata"), f"{{{LOM_NS}}}lom")
    general = ET.SubElement(lom, f"{{{LOM_NS}}}general")
    identifier = ET.SubElement(general, f"{{{LOM_NS}}}identifier")
    ET.SubElement(identifier, f"{{{LOM_NS}}}catalog").text = "examsite"
    ET.SubElement(identifier, f"{{{LOM_NS}}}entry").text = item.external_id
    title = ET.SubElement(general, f"{{{LOM_NS}}}title")
    ET.SubElement(title, f"{{{LOM_NS}}}string").text = title_from_stem(version.stem)
    words = [f"domain:{version.domain.code}", f"level:{version.level}", f"status:{version.status}"]
    words.append("scored:false" if version.status == "pretest" else "scored:true")
    words += [f"tag:{tag}" for tag in version.tags or []]
    for word in words:
        ET.SubElement(ET.SubElement(general, f"{{{LOM_NS}}}keyword"), f"{{{LOM_NS}}}string").text = word


def _xml_bytes(element: ET.Element) -> bytes:
    out = io.BytesIO()
    ET.ElementTree(element).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue()


def qti_package(bank: str, items: list, dialect: QtiDialect) -> bytes:
    """A zipped IMS content package: imsmanifest.xml at the top, one item file per resource."""
    ET.register_namespace("", dialect.cp_ns)
    ET.register_namespace("imsmd", LOM_NS)
    c = f"{{{dialect.cp_ns}}}"
    manifest = ET.Element(
        f"{c}manifest", {"identifier": f"examsite-{bank}-qti{dialect.version.replace('.', '')}"}
    )
    metadata = ET.SubElement(manifest, f"{c}metadata")
    ET.SubElement(metadata, f"{c}schema").text = "QTI Package" if dialect is QTI30 else "QTIv2.1 Package"
    ET.SubElement(metadata, f"{c}schemaversion").text = "3.0.0" if dialect is QTI30 else "1.0.0"
    ET.SubElement(manifest, f"{c}organizations")
    resources = ET.SubElement(manifest, f"{c}resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        packaged: set[str] = set()
        for item, version in items:
            href = f"items/{item.external_id}.xml"
            ET.register_namespace("", dialect.ns)
            media: dict[str, bytes] = {}
            archive.writestr(href, _xml_bytes(qti_item(item.external_id, version, dialect, media)))
            resource = ET.SubElement(
                resources,
                f"{c}resource",
                {"identifier": f"RES-{item.external_id}", "type": dialect.resource_type, "href": href},
            )
            _metadata(resource, item, version, dialect)
            ET.SubElement(resource, f"{c}file", {"href": href})
            for name, data in sorted(media.items()):
                ET.SubElement(resource, f"{c}file", {"href": f"{MEDIA_FOLDER}/{name}"})
                if name not in packaged:
                    archive.writestr(f"{MEDIA_FOLDER}/{name}", data)
                    packaged.add(name)
        ET.register_namespace("", dialect.cp_ns)
        archive.writestr("imsmanifest.xml", _xml_bytes(manifest))
    return buffer.getvalue()


def _export_qti(out: Path, category: str | None, dialect: QtiDialect) -> list[Path]:
    by_bank: dict[str, list] = defaultdict(list)
    for item, version in current_items(category):
        by_bank[item.bank].append((item, version))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for bank, items in sorted(by_bank.items()):
        path = out / f"{bank}.qti{dialect.version.replace('.', '')}.zip"
        path.write_bytes(qti_package(bank, items, dialect))
        written.append(path)
    return written


@exporter("qti21")
def export_qti21(out: Path, category: str | None) -> list[Path]:
    """A zipped QTI 2.1 content package per bank (what Canvas, Moodle and TAO upload)."""
    return _export_qti(out, category, QTI21)


@exporter("qti30")
def export_qti30(out: Path, category: str | None) -> list[Path]:
    """A zipped QTI 3.0 content package per bank."""
    return _export_qti(out, category, QTI30)
