"""GIFT (Moodle) and QTI 2.1 (IMS content package) exporters, so banks move to other platforms."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

from examsite.banks.export import current_items, exporter

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")
QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"


def gift_escape(text: str) -> str:
    return _GIFT_SPECIAL.sub(r"\\\1", text.strip()).replace("\n", "\\n")


def gift_item(external_id: str, version) -> str:
    lines = [f"// {external_id} · {version.domain.code} · {version.level}"]
    stem = version.stem
    if version.scenario_text:
        stem = f"{version.scenario_title}\n\n{version.scenario_text}\n\n{stem}"
    lines.append(f"::{external_id}::[markdown]{gift_escape(stem)} {{")
    keys = set(version.keys)
    for option in version.options:
        text = gift_escape(option["text"])
        if version.type == "single":
            lines.append(f"\t{'=' if option['id'] in keys else '~'}{text}")
        else:
            right = 100 / len(keys)
            wrong = -100 / (len(version.options) - len(keys))
            weight = right if option["id"] in keys else wrong
            lines.append(f"\t~%{weight:g}%{text}")
    lines.append(f"\t####{gift_escape(version.rationale)}")
    lines.append("}")
    return "\n".join(lines)


@exporter("gift")
def export_gift(out: Path, category: str | None) -> list[Path]:
    """One GIFT file per bank; Moodle imports each as a question category."""
    by_bank: dict[str, list[str]] = defaultdict(list)
    for item, version in current_items(category):
        by_bank[item.bank].append(gift_item(item.external_id, version))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for bank, items in sorted(by_bank.items()):
        path = out / f"{bank}.gift.txt"
        path.write_text(f"$CATEGORY: examsite/{bank}\n\n" + "\n\n".join(items) + "\n", encoding="utf-8")
        written.append(path)
    return written


def qti_item(external_id: str, version) -> ET.Element:
    ET.register_namespace("", QTI_NS)
    q = f"{{{QTI_NS}}}"
    root = ET.Element(
        f"{q}assessmentItem",
        {"identifier": external_id, "title": external_id, "adaptive": "false", "timeDependent": "false"},
    )
    declaration = ET.SubElement(
        root,
        f"{q}responseDeclaration",
        {
            "identifier": "RESPONSE",
            "cardinality": "single" if version.type == "single" else "multiple",
            "baseType": "identifier",
        },
    )
    correct = ET.SubElement(declaration, f"{q}correctResponse")
    for key in version.keys:
        ET.SubElement(correct, f"{q}value").text = key.upper()
    outcome = ET.SubElement(
        root, f"{q}outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"}
    )
    ET.SubElement(ET.SubElement(outcome, f"{q}defaultValue"), f"{q}value").text = "0"
    body = ET.SubElement(root, f"{q}itemBody")
    if version.scenario_text:
        case = ET.SubElement(body, f"{q}div", {"class": "case"})
        ET.SubElement(case, f"{q}p").text = version.scenario_title
        for para in version.scenario_text.split("\n\n"):
            ET.SubElement(case, f"{q}p").text = " ".join(para.split())
    interaction = ET.SubElement(
        body,
        f"{q}choiceInteraction",
        {
            "responseIdentifier": "RESPONSE",
            "shuffle": "true",
            "maxChoices": "1" if version.type == "single" else str(len(version.keys)),
        },
    )
    ET.SubElement(interaction, f"{q}prompt").text = " ".join(version.stem.split())
    for option in version.options:
        ET.SubElement(interaction, f"{q}simpleChoice", {"identifier": option["id"].upper()}).text = option[
            "text"
        ]
    ET.SubElement(
        root,
        f"{q}responseProcessing",
        {"template": "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"},
    )
    feedback = ET.SubElement(
        root,
        f"{q}modalFeedback",
        {"outcomeIdentifier": "FEEDBACK", "identifier": "RATIONALE", "showHide": "show"},
    )
    feedback.text = " ".join(version.rationale.split())
    return root


@exporter("qti21")
def export_qti21(out: Path, category: str | None) -> list[Path]:
    """An IMS content package per bank: imsmanifest.xml and one QTI 2.1 assessmentItem per item."""
    by_bank: dict[str, list] = defaultdict(list)
    for item, version in current_items(category):
        by_bank[item.bank].append((item.external_id, version))
    written = []
    for bank, items in sorted(by_bank.items()):
        folder = out / bank
        (folder / "items").mkdir(parents=True, exist_ok=True)
        ET.register_namespace("", CP_NS)
        c = f"{{{CP_NS}}}"
        manifest = ET.Element(f"{c}manifest", {"identifier": f"examsite-{bank}"})
        ET.SubElement(manifest, f"{c}organizations")
        resources = ET.SubElement(manifest, f"{c}resources")
        for external_id, version in items:
            href = f"items/{external_id}.xml"
            tree = ET.ElementTree(qti_item(external_id, version))
            tree.write(folder / href, encoding="utf-8", xml_declaration=True)
            written.append(folder / href)
            resource = ET.SubElement(
                resources,
                f"{c}resource",
                {"identifier": f"RES-{external_id}", "type": "imsqti_item_xmlv2p1", "href": href},
            )
            ET.SubElement(resource, f"{c}file", {"href": href})
        ET.register_namespace("", CP_NS)
        ET.ElementTree(manifest).write(folder / "imsmanifest.xml", encoding="utf-8", xml_declaration=True)
        written.append(folder / "imsmanifest.xml")
    return written
