"""The printable certificate: its text, its metadata, and a QR code that leads to the right page."""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
import zxingcpp
from pypdf import PdfReader

from examsite.certificates.pdf import CertificateDocument, format_date, render_certificate_pdf

VERIFY_URL = "https://exams.example.org/verify/7KQM-XH3P-A9TZ"


@pytest.fixture
def document() -> CertificateDocument:
    return CertificateDocument(
        holder="Zoë Nguyễn",
        role_name="Health Information Privacy & Security Specialist",
        category_name="Permanent staff",
        issued_at=datetime(2026, 11, 23, 10, 30, tzinfo=UTC),
        expires_at=datetime(2028, 11, 23, 10, 30, tzinfo=UTC),
        code="7KQM-XH3P-A9TZ",
        verify_url=VERIFY_URL,
        status="valid",
        revoked_reason=None,
        score_percent=87.5,
        issuer_name="examsite",
    )


def read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader, reader.pages[0].extract_text()


def test_text_carries_holder_role_dates_code_and_url(document):
    pdf = render_certificate_pdf(document)
    assert pdf.startswith(b"%PDF-")
    _, text = read(pdf)
    for expected in [
        "Certificate of competency",
        "Zoë Nguyễn",
        "has passed the competency exam for",
        "Health Information Privacy & Security Specialist",
        "Permanent staff",
        "23 November 2026",
        "23 November 2028",
        "7KQM-XH3P-A9TZ",
        VERIFY_URL,
        "87.5%",
    ]:
        assert expected in text, expected
    assert "REVOKED" not in text
    assert "EXPIRED" not in text


def test_page_is_landscape(document):
    reader, _ = read(render_certificate_pdf(document))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)


def test_metadata(document):
    reader, _ = read(render_certificate_pdf(document))
    meta = reader.metadata
    assert "Certificate of competency" in meta.title
    assert "Zoë Nguyễn" in meta.title
    assert meta.author == "examsite"
    assert meta.creator == "examsite"


def test_qr_code_decodes_to_the_verification_url(document):
    reader, _ = read(render_certificate_pdf(document))
    images = reader.pages[0].images
    assert len(images) == 1
    results = zxingcpp.read_barcodes(images[0].image)
    assert [r.text for r in results] == [VERIFY_URL]


def test_revoked_certificate_says_so_with_the_reason(document):
    revoked = dataclasses.replace(
        document, status="revoked", revoked_reason="Exam misconduct confirmed on review"
    )
    _, text = read(render_certificate_pdf(revoked))
    assert "REVOKED" in text
    assert "Exam misconduct confirmed on review" in text
    assert "Zoë Nguyễn" in text  # still says whose certificate it was


def test_expired_certificate_says_so(document):
    expired = dataclasses.replace(document, status="expired")
    _, text = read(render_certificate_pdf(expired))
    assert "EXPIRED" in text
    assert "Expired on 23 November 2028" in text


def test_decomposed_name_is_printed_composed(document):
    decomposed = unicodedata.normalize("NFD", "Zoë Nguyễn")
    assert decomposed != "Zoë Nguyễn"
    _, text = read(render_certificate_pdf(dataclasses.replace(document, holder=decomposed)))
    assert "Zoë Nguyễn" in text


def test_long_names_stay_on_the_page(document):
    long = dataclasses.replace(
        document,
        holder="Maximilian Alexander Konstantinopoulos-Wüstenhagen de la Cruz y Ortega",
        role_name="Clinician/Practitioner Consultant " * 4,
        status="revoked",
        revoked_reason="A long reason. " * 12,
    )
    reader, text = read(render_certificate_pdf(long))
    assert "Konstantinopoulos" in text
    assert VERIFY_URL in text
    assert len(reader.pages) == 1


def test_same_document_gives_same_bytes(document):
    assert render_certificate_pdf(document) == render_certificate_pdf(document)


def test_dates_are_printed_in_utc():
    # 23:30 on 22 November in UTC-5 is already 23 November in UTC.
    eastern = timezone(timedelta(hours=-5))
    assert format_date(datetime(2026, 11, 22, 23, 30, tzinfo=eastern)) == "23 November 2026"


def test_naive_dates_are_refused(document):
    with pytest.raises(ValueError):
        render_certificate_pdf(dataclasses.replace(document, issued_at=datetime(2026, 11, 23)))


def test_unknown_status_is_refused(document):
    with pytest.raises(ValueError):
        render_certificate_pdf(dataclasses.replace(document, status="suspended"))
