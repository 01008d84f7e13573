"""The certificate PDF is tagged for screen readers (issue 24), read back with pikepdf: the
catalog's language and MarkInfo, a structure tree in reading order, alternative text on the QR
code, and every marked content sequence on the page either tagged or an artifact."""

from __future__ import annotations

import dataclasses
import io
import re

import pikepdf
import pytest

from examsite.certificates.pdf import render_certificate_pdf
from tests.unit.test_certificate_pdf import VERIFY_URL, document  # noqa: F401 - the fixture


def structure(pdf: bytes) -> tuple[pikepdf.Pdf, list[tuple[str, pikepdf.Dictionary]]]:
    opened = pikepdf.open(io.BytesIO(pdf))
    root = opened.Root
    tree = root.StructTreeRoot
    (top,) = list(tree.K) if isinstance(tree.K, pikepdf.Array) else [tree.K]
    assert top.S == "/Document"
    return opened, [(str(elem.S), elem) for elem in top.K]


def test_catalog_has_language_markinfo_title_and_a_structure_tree(document):  # noqa: F811
    pdf = pikepdf.open(io.BytesIO(render_certificate_pdf(document)))
    root = pdf.Root
    assert str(root.Lang) == "en"
    assert bool(root.MarkInfo.Marked) is True
    assert "/StructTreeRoot" in root
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    assert "Certificate of competency" in str(pdf.docinfo.Title)
    assert pdf.pages[0].obj.StructParents is not None


def test_reading_order_heading_text_and_qr_with_alt_text(document):  # noqa: F811
    _, elements = structure(render_certificate_pdf(document))
    kinds = [kind for kind, _ in elements]
    assert kinds[0] == "/H1"
    assert kinds.count("/H1") == 1 and kinds.count("/Figure") == 1
    assert kinds.count("/P") >= 10
    (figure,) = [elem for kind, elem in elements if kind == "/Figure"]
    assert str(figure.Alt).startswith("QR code") and VERIFY_URL in str(figure.Alt)


@pytest.mark.parametrize("status", ["valid", "revoked"])
def test_every_marked_sequence_is_tagged_or_an_artifact(document, status):  # noqa: F811
    doc = dataclasses.replace(document, status=status, revoked_reason="Issued in error")
    opened, elements = structure(render_certificate_pdf(doc))
    content = opened.pages[0].obj.Contents.read_bytes().decode("latin-1")
    marked = re.findall(r"/(\w+) <</MCID (\d+)>> BDC", content)
    # each tagged sequence belongs to one structure element, in the same order (fpdf2 writes its
    # figure's sequence as /P; the element says /Figure, which is what a reader goes by)
    order = [(kind, elem.K[0] if isinstance(elem.K, pikepdf.Array) else elem.K) for kind, elem in elements]
    assert [int(mcid) for _, mcid in marked] == [int(mcid) for _, mcid in order]
    for (tag, _), (kind, _) in zip(marked, order, strict=True):
        assert kind in (f"/{tag}", "/Figure")
    assert content.count("/Artifact BMC") == (2 if status == "revoked" else 1)
    # text drawn outside any marked sequence would be invisible to a screen reader
    depth, untagged = 0, 0
    for token in re.findall(r"BDC|BMC|EMC|\bBT\b", content):
        if token in ("BDC", "BMC"):
            depth += 1
        elif token == "EMC":
            depth -= 1
        elif depth == 0:
            untagged += 1
    assert untagged == 0 and depth == 0
