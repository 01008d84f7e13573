"""IMS QTI 2.1 and 3.0 choice items, alone or in zipped content packages (imsmanifest.xml).

The XML is read with defusedxml (no DTDs, no entities) and element lines kept for messages; the
mapping from QTI's elements to examsite's item is what is written here. Only choiceInteraction
items can come in; any other interaction is listed as skipped with its line.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from html import escape
from xml.etree.ElementTree import Element

from examsite.interchange.model import ParsedItem, ParseResult, Skipped, option_ids
from examsite.interchange.safety import InputFile, RefusedFile, XmlDocument, parse_xml, unzip
from examsite.interchange.text import html_to_markdown

QTI21_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI30_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MAX_OPTIONS = 6


@dataclass(frozen=True)
class Names:
    """Element and attribute names: QTI 3.0 renamed 2.1's camelCase to kebab-case with a qti- prefix."""

    item: str
    response: str
    correct: str
    value: str
    body: str
    choice_interaction: str
    prompt: str
    choice: str
    modal: str
    feedback_block: str
    feedback_inline: str
    response_identifier: str

    def is_interaction(self, local_name: str) -> bool:
        return local_name.endswith("Interaction") or local_name.endswith("-interaction")


V21 = Names(
    "assessmentItem", "responseDeclaration", "correctResponse", "value", "itemBody", "choiceInteraction",
    "prompt", "simpleChoice", "modalFeedback", "feedbackBlock", "feedbackInline", "responseIdentifier",
)  # fmt: skip
V30 = Names(
    "qti-assessment-item", "qti-response-declaration", "qti-correct-response", "qti-value", "qti-item-body",
    "qti-choice-interaction", "qti-prompt", "qti-simple-choice", "qti-modal-feedback", "qti-feedback-block",
    "qti-feedback-inline", "response-identifier",
)  # fmt: skip
_KINDS = {"extendedText": "essay", "textEntry": "short answer", "match": "matching", "associate": "matching",
          "order": "ordering", "gapMatch": "gap match", "hotspot": "hotspot", "slider": "numerical",
          "upload": "file upload", "inlineChoice": "inline choice"}  # fmt: skip


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element.iter() if local(child.tag) == name]


def _inner_html(element: Element, skip: set[str]) -> str:
    """An element's content as namespace-free HTML, leaving out the named child elements."""
    parts = [escape(element.text or "", quote=False)]
    for child in element:
        name = local(child.tag)
        if name not in skip:
            parts.append(f"<{name}>{_inner_html(child, skip)}</{name}>")
        parts.append(escape(child.tail or "", quote=False))
    return "".join(parts)


def parse_qti(file: InputFile) -> ParseResult:
    """A zipped content package or one item's XML."""
    if file.data[:4] == b"PK\x03\x04":
        return _parse_package(file)
    result = ParseResult()
    _parse_item(parse_xml(file.data, file.name), {}, result)
    return result


def _parse_package(file: InputFile) -> ParseResult:
    members = unzip(file)
    if "imsmanifest.xml" not in members:
        raise RefusedFile(file.name, "a QTI package needs imsmanifest.xml at its top level")
    manifest = parse_xml(members["imsmanifest.xml"], f"{file.name}/imsmanifest.xml")
    result = ParseResult()
    found = 0
    for resource in _children(manifest.root, "resource"):
        kind = resource.get("type", "")
        if not kind.startswith("imsqti_item"):
            continue
        found += 1
        href = resource.get("href") or next((f.get("href") for f in _children(resource, "file")), None)
        path = posixpath.normpath(href or "")
        if not href or path.startswith(("..", "/")):
            result.error(
                manifest.file, manifest.line(resource), f"resource href {href!r} is not inside the package"
            )
            continue
        if path not in members:
            result.error(
                manifest.file, manifest.line(resource), f"resource file {href} is missing from the package"
            )
            continue
        document = parse_xml(members[path], f"{file.name}/{path}")
        _parse_item(document, _metadata(resource), result)
    if not found:
        result.error(manifest.file, 1, "the manifest lists no QTI item resources (type imsqti_item_...)")
    return result


def _metadata(resource: Element) -> dict[str, list[str]]:
    """`name:value` keywords from the resource's LOM metadata (what examsite's export writes)."""
    found: dict[str, list[str]] = {}
    for keyword in _children(resource, "keyword"):
        for string in keyword.iter():
            if local(string.tag) == "string" and string.text and ":" in string.text:
                name, _, value = string.text.strip().partition(":")
                found.setdefault(name, []).append(value)
    return found


def _parse_item(document: XmlDocument, meta: dict[str, list[str]], result: ParseResult) -> None:
    root, file = document.root, document.file
    names = {V21.item: V21, V30.item: V30}.get(local(root.tag))
    if names is None:
        result.error(
            file, document.line(root), f"<{local(root.tag)}> is not a QTI 2.1 or 3.0 assessment item"
        )
        return
    line = document.line(root)
    body = next(iter(_children(root, names.body)), None)
    if body is None:
        result.error(file, line, f"the item has no <{names.body}>")
        return
    interactions = [e for e in body.iter() if names.is_interaction(local(e.tag))]
    if len(interactions) != 1 or local(interactions[0].tag) != names.choice_interaction:
        kinds = [local(e.tag) for e in interactions]
        if not kinds:
            result.skipped.append(
                Skipped(file, line, "no interaction", "the item asks nothing examsite can score")
            )
        else:
            first = kinds[0].removeprefix("qti-").replace("-interaction", "").removesuffix("Interaction")
            camel = "".join(w.capitalize() if i else w for i, w in enumerate(first.split("-")))
            kind = "composite" if len(kinds) > 1 else _KINDS.get(camel, camel)
            reason = f"examsite scores one choice interaction; this item has {', '.join(kinds)}"
            result.skipped.append(Skipped(file, document.line(interactions[0]), kind, reason))
        return
    interaction = interactions[0]
    declarations = {d.get("identifier"): d for d in _children(root, names.response)}
    declaration = declarations.get(interaction.get(names.response_identifier))
    if declaration is None:
        result.error(file, document.line(interaction), "the interaction's response is not declared")
        return
    choices = _children(interaction, names.choice)
    if not 2 <= len(choices) <= MAX_OPTIONS:
        result.error(
            file,
            document.line(interaction),
            f"examsite items have 2 to {MAX_OPTIONS} options, not {len(choices)}",
        )
        return
    ids = option_ids(len(choices))
    by_identifier = {c.get("identifier"): oid for c, oid in zip(choices, ids, strict=True)}
    correct = [v.text.strip() for v in _children(declaration, names.value) if v.text]
    unknown = [c for c in correct if c not in by_identifier]
    if not correct or unknown:
        message = (
            "no correct response" if not correct else f"correct response {', '.join(unknown)} is not a choice"
        )
        result.error(file, document.line(declaration), message)
        return
    cardinality = declaration.get("cardinality", "single")
    # rubric blocks speak to scorers or proctors, not to the candidate
    skip = {
        names.choice_interaction,
        names.modal,
        names.feedback_block,
        names.feedback_inline,
        "rubricBlock",
        "qti-rubric-block",
    }
    prompt = next(iter(_children(interaction, names.prompt)), None)
    stem_html = _inner_html(body, skip) + (_inner_html(prompt, set()) if prompt is not None else "")
    item = ParsedItem(
        file=file,
        line=line,
        type="multiple" if cardinality == "multiple" else "single",
        stem=html_to_markdown(stem_html),
        options=[
            (oid, html_to_markdown(_inner_html(c, {names.feedback_inline})))
            for c, oid in zip(choices, ids, strict=True)
        ],
        keys=sorted(by_identifier[c] for c in correct),
        title=root.get("title", ""),
        domain=(meta.get("domain") or [None])[0],
        level=(meta.get("level") or [None])[0],
        status="pretest"
        if "pretest" in meta.get("status", []) or "false" in meta.get("scored", [])
        else None,
        tags=meta.get("tag", []),
    )
    feedback = [
        html_to_markdown(_inner_html(f, set()))
        for f in _children(root, names.modal) + _children(body, names.feedback_block)
    ]
    item.rationale = "\n\n".join(f for f in feedback if f)
    if not item.stem:
        result.error(file, line, "the item has no question text")
        return
    if item.type == "single" and len(item.keys) != 1:
        result.error(
            file, document.line(declaration), f"single cardinality with {len(item.keys)} correct responses"
        )
        return
    if _children(declaration, "mapping") or _children(declaration, "qti-mapping"):
        item.notes.append("the response mapping's partial credit is not kept: examsite scores all-or-nothing")
    result.items.append(item)
