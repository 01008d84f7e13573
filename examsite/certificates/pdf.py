"""The printable certificate: one landscape A4 page rendered with fpdf2.

The PDF is a convenience copy; the truth is the public verification page its QR code and printed
URL lead to. So the page always carries the code and the URL as plain text, and a copy rendered
after revocation or expiry says so in a banner nobody can miss.

Fonts are the DejaVu Sans files bundled with matplotlib (already a dependency for charts), so any
Latin, Greek, Cyrillic or Vietnamese name renders without fetching anything at run time. Output is
deterministic for the same document (the creation date is the issue date), which lets callers cache
it and send an ETag.

The PDF is tagged for screen readers (PDF/UA's structure): the catalog's /Lang and /MarkInfo, a
structure tree in reading order (the title as /H1, every other line of text as /P, the QR code as
a /Figure with alternative text) and the decoration (frame, watermark) marked as artifacts.
fpdf2 tags figures itself; text is wrapped the same way by `_tagged`, through fpdf2's structure
builder (pinned version; tests/unit/test_certificate_pdf_tags.py reads the result back with pikepdf).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF, ViewerPreferences

STATUSES = ("valid", "revoked", "expired")

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_FONT = "DejaVu"
_INK = (33, 37, 41)
_MUTED = (90, 98, 107)
_ACCENT = (21, 82, 138)
_ALERT = (176, 0, 32)

_PAGE_W, _PAGE_H = 297.0, 210.0
_MARGIN = 18.0
_QR_SIZE = 42.0


@dataclass(frozen=True)
class CertificateDocument:
    """Everything printed on a certificate, already looked up and decided by the caller."""

    holder: str
    role_name: str
    category_name: str
    issued_at: datetime
    #: None: the certificate does not expire
    expires_at: datetime | None
    code: str
    verify_url: str
    status: str  # "valid" | "revoked" | "expired"
    revoked_reason: str | None
    score_percent: float | None
    issuer_name: str = "examsite"


@cache
def _font_files() -> tuple[Path, Path]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return fonts / "DejaVuSans.ttf", fonts / "DejaVuSans-Bold.ttf"


def format_date(value: datetime) -> str:
    """A date as "23 November 2026" (UTC), spelled out so no reader confuses day and month.

    Month names come from a table, not strftime("%B"), so the server's locale cannot change them.
    """
    if value.tzinfo is None:
        raise ValueError("naive datetime: certificate dates must be timezone-aware")
    value = value.astimezone(UTC)
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _clean(text: str) -> str:
    # Names typed on some keyboards arrive decomposed (e + combining accent); the composed form
    # is the one DejaVu has single glyphs for, so it renders without text shaping.
    return unicodedata.normalize("NFC", text).strip()


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    # Level M survives a crease or a smudge on a printed page; border 4 is the quiet zone
    # scanners need.
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    return buffer


@contextmanager
def _tagged(pdf: FPDF, struct_type: str) -> Iterator[None]:
    """Mark what is drawn inside as one structure element (H1, P) in reading order."""
    mcid = pdf.struct_builder.next_mcid_for_page(pdf.page)
    pdf._add_marked_content(struct_type=f"/{struct_type}", mcid=mcid)  # noqa: SLF001 - see module doc
    pdf._out(f"/{struct_type} <</MCID {mcid}>> BDC")  # noqa: SLF001
    yield
    pdf._out("EMC")  # noqa: SLF001


@contextmanager
def _artifact(pdf: FPDF) -> Iterator[None]:
    """Decoration a screen reader skips (PDF/UA: everything is either tagged or an artifact)."""
    pdf._out("/Artifact BMC")  # noqa: SLF001
    yield
    pdf._out("EMC")  # noqa: SLF001


def _fit_font_size(pdf: FPDF, text: str, style: str, size: float, width: float, floor: float) -> float:
    """The largest size up to `size` at which `text` fits one line of `width`, floor at least."""
    while size > floor:
        pdf.set_font(_FONT, style, size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return floor


def _centered(pdf: FPDF, text: str, *, style: str, size: float, color=_INK, tag: str = "P") -> None:
    width = _PAGE_W - 2 * _MARGIN - 10
    size = _fit_font_size(pdf, text, style, size, width, floor=size * 0.6)
    pdf.set_font(_FONT, style, size)
    pdf.set_text_color(*color)
    pdf.set_x(_MARGIN + 5)
    # multi_cell wraps what still does not fit at the floor size instead of running off the page;
    # the line height follows the size actually used (1 pt = 0.3528 mm, plus leading).
    with _tagged(pdf, tag):
        pdf.multi_cell(width, size * 0.3528 * 1.3, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _status_banner(pdf: FPDF, doc: CertificateDocument) -> None:
    word = doc.status.upper()
    # A large diagonal watermark under the banner, so a cropped or photocopied page still shows it.
    with _artifact(pdf), pdf.local_context(fill_opacity=0.12), pdf.rotation(25, _PAGE_W / 2, _PAGE_H / 2):
        pdf.set_font(_FONT, "B", 110)
        pdf.set_text_color(*_ALERT)
        pdf.set_xy(0, _PAGE_H / 2 - 20)
        pdf.cell(_PAGE_W, 40, word, align="C")
    if doc.status == "revoked":
        reason = _clean(doc.revoked_reason or "")
        detail = f"Reason: {reason.rstrip('.')}." if reason else "Revoked by the issuer."
    else:
        detail = f"Expired on {format_date(doc.expires_at)}."
    detail += " This certificate is no longer valid."
    pdf.set_fill_color(*_ALERT)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(_MARGIN, _MARGIN - 6)
    pdf.set_font(_FONT, "B", 22)
    with _tagged(pdf, "P"):
        pdf.cell(_PAGE_W - 2 * _MARGIN, 11, word, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(_MARGIN)
    pdf.set_font(_FONT, "", 11)
    with _tagged(pdf, "P"):
        pdf.multi_cell(_PAGE_W - 2 * _MARGIN, 6, detail, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")


def _details(pdf: FPDF, doc: CertificateDocument) -> None:
    """Dates, code and URL bottom left; the QR code bottom right."""
    qr_x = _PAGE_W - _MARGIN - 6 - _QR_SIZE
    qr_y = _PAGE_H - _MARGIN - 10 - _QR_SIZE
    alt = f"QR code: scan it to open the verification page {doc.verify_url}"
    pdf.image(_qr_png(doc.verify_url), x=qr_x, y=qr_y, w=_QR_SIZE, h=_QR_SIZE, alt_text=alt)
    pdf.set_font(_FONT, "", 8)
    pdf.set_text_color(*_MUTED)
    pdf.set_xy(qr_x, qr_y + _QR_SIZE)
    with _tagged(pdf, "P"):
        pdf.cell(_QR_SIZE, 5, "Scan to verify", align="C")

    left = _MARGIN + 8
    text_w = qr_x - left - 6
    rows = [
        ("Issued", format_date(doc.issued_at)),
        ("Valid until", "does not expire" if doc.expires_at is None else format_date(doc.expires_at)),
        ("Certificate code", doc.code),
    ]
    if doc.score_percent is not None:
        rows.insert(0, ("Score", f"{round(doc.score_percent, 1):g}%"))
    y = qr_y + 2
    for label, value in rows:
        pdf.set_xy(left, y)
        with _tagged(pdf, "P"):
            pdf.set_font(_FONT, "", 10)
            pdf.set_text_color(*_MUTED)
            pdf.cell(38, 6.5, label)
            pdf.set_font(_FONT, "B", 11)
            pdf.set_text_color(*_INK)
            pdf.cell(text_w - 38, 6.5, value)
        y += 6.5
    pdf.set_xy(left, y + 2)
    pdf.set_font(_FONT, "", 10)
    pdf.set_text_color(*_MUTED)
    with _tagged(pdf, "P"):
        pdf.cell(text_w, 6, "Check that this certificate is genuine and current at:")
    # One line, shrunk to fit: a URL broken across lines is one nobody can type back in.
    size = _fit_font_size(pdf, doc.verify_url, "", 10, text_w, floor=6)
    pdf.set_font(_FONT, "", size)
    pdf.set_text_color(*_ACCENT)
    pdf.set_xy(left, y + 8)
    with _tagged(pdf, "P"):
        pdf.cell(text_w, 6, doc.verify_url, link=doc.verify_url)


def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """The certificate as PDF bytes, ready to send with Content-Type application/pdf.

    A revoked or expired certificate still renders (holders and auditors may ask for the copy),
    but with the status in a red banner and a watermark, and the reason for a revocation.
    """
    if doc.status not in STATUSES:
        raise ValueError(f"unknown certificate status {doc.status!r}")
    if doc.issued_at.tzinfo is None or (doc.expires_at is not None and doc.expires_at.tzinfo is None):
        raise ValueError("naive datetime: certificate dates must be timezone-aware")
    regular, bold = _font_files()
    holder = _clean(doc.holder)
    role = _clean(doc.role_name)

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_font(_FONT, "", str(regular))
    pdf.add_font(_FONT, "B", str(bold))
    pdf.set_title(f"Certificate of competency: {role} ({holder})")
    pdf.set_subject(f"Certificate {doc.code}; verify at {doc.verify_url}")
    pdf.set_author(doc.issuer_name)
    pdf.set_creator(doc.issuer_name)
    pdf.set_keywords(f"certificate competency {doc.code}")
    pdf.set_lang("en")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)  # PDF/UA: title, not file name
    # A fixed creation date makes the bytes reproducible for the same certificate.
    pdf.set_creation_date(doc.issued_at.astimezone(UTC))
    pdf.add_page()

    # Frame: a double rule, classic for certificates and cheap to draw.
    with _artifact(pdf):
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(1.2)
        pdf.rect(8, 8, _PAGE_W - 16, _PAGE_H - 16)
        pdf.set_line_width(0.3)
        pdf.rect(11, 11, _PAGE_W - 22, _PAGE_H - 22)

    top = _MARGIN + 14
    if doc.status != "valid":
        _status_banner(pdf, doc)
        top = pdf.get_y() + 5

    pdf.set_y(top)
    _centered(pdf, "Certificate of competency", style="B", size=32, color=_ACCENT, tag="H1")
    pdf.ln(6)
    _centered(pdf, "This certifies that", style="", size=13, color=_MUTED)
    pdf.ln(1)
    _centered(pdf, holder, style="B", size=30)
    pdf.ln(3)
    _centered(pdf, "has passed the competency exam for", style="", size=13, color=_MUTED)
    pdf.ln(1)
    _centered(pdf, role, style="B", size=21)
    _centered(pdf, _clean(doc.category_name), style="", size=13, color=_MUTED)

    _details(pdf, doc)

    pdf.set_font(_FONT, "", 9)
    pdf.set_text_color(*_MUTED)
    pdf.set_xy(_MARGIN, _PAGE_H - _MARGIN - 4)
    with _tagged(pdf, "P"):
        pdf.cell(_PAGE_W - 2 * _MARGIN, 5, f"Issued by {doc.issuer_name}", align="C")
    return bytes(pdf.output())
