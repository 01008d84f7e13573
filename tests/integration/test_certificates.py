"""Certificates: issued once on passing, none on failing, PDF, verification, revocation, credential."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import jwt
import pytest
from sqlalchemy import func, select

from examsite.extensions import db
from tests.support import ob3_verifier

ROLE = "implementation-manager"


def take(app, session, correct: bool):
    from examsite.delivery.models import AttemptItem

    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    with app.app_context():
        rows = {
            r.id: r.item_version
            for r in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"]))
        }
    for item in attempt["items"]:
        version = rows[item["id"]]
        choices = (
            version.keys if correct else [o["id"] for o in version.options if o["id"] not in version.keys][:1]
        )
        session.api(
            "PUT", f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}", json={"choices": choices}
        )
    return session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()


@pytest.fixture
def passed(app, banks, make_user, login, clock):
    user = make_user("trainee", name="Zoë Nguyễn")
    session = login(user)
    result = take(app, session, correct=True)
    return session, result["certificate"]["code"]


def count_certificates(app):
    from examsite.certificates.models import Certificate

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def test_fail_issues_none(app, banks, make_user, login):
    result = take(app, login(make_user("trainee")), correct=False)
    assert result["passed"] is False
    assert result["certificate"] is None
    assert count_certificates(app) == 0


def test_pass_issues_one_with_expiry(app, passed, clock):
    session, code = passed
    assert count_certificates(app) == 1
    data = session.client.get(f"/api/v1/certificates/{code}").get_json()
    assert data["holder"] == "Zoë Nguyễn"
    assert data["status"] == "valid"
    assert data["issued_at"].startswith("2026-11-23T09:00")
    assert data["expires_at"].startswith("2028-11-23T09:00")  # 24 calendar months
    assert data["role"]["slug"] == ROLE


def test_verify_tolerates_case_spaces_and_dashes(client, passed):
    _, code = passed
    messy = " " + code.lower().replace("-", " ") + " "
    assert client.get(f"/api/v1/certificates/{messy}").status_code == 200
    page = client.get("/verify?code=" + code.replace("-", "").lower())
    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/verify/{code}")
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Valid" in html and "Zoë Nguyễn" in html and "Implementation manager" in html


def test_unknown_code_says_so(client, banks):
    assert client.get("/api/v1/certificates/AAAA-BBBB-CCCC").status_code == 404
    page = client.get("/verify/AAAA-BBBB-CCCC")
    assert page.status_code == 404
    assert "No certificate has the code" in page.get_data(as_text=True)


def test_expired_status(client, passed, clock):
    _, code = passed
    clock.advance(days=731)
    assert client.get(f"/api/v1/certificates/{code}").get_json()["status"] == "expired"
    assert "Expired" in client.get(f"/verify/{code}").get_data(as_text=True)


def test_revoke_cli_keeps_record_and_reason(app, client, passed, runner):
    _, code = passed
    result = runner.invoke(args=["certificates", "revoke", code, "--reason", "Exam misconduct"])
    assert result.exit_code == 0, result.output
    data = client.get(f"/api/v1/certificates/{code}").get_json()
    assert data["status"] == "revoked"
    assert data["revoked_reason"] == "Exam misconduct"
    assert count_certificates(app) == 1
    again = runner.invoke(args=["certificates", "revoke", code, "--reason", "again"])
    assert again.exit_code == 1 and "already revoked" in again.output
    unknown = runner.invoke(args=["certificates", "revoke", "ZZZZ-ZZZZ-ZZZZ", "--reason", "x"])
    assert unknown.exit_code == 1
    from examsite.audit.models import AuditEvent

    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))


def test_only_admins_revoke_or_reissue_in_the_browser(app, passed, make_user, login):
    session, code = passed
    for path in (f"/certificates/{code}/revoke", f"/certificates/{code}/reissue"):
        assert session.form(path, {"reason": "x", "new_name": "Y"}).status_code == 403
        assert login(make_user("instructor")).form(path, {"reason": "x", "new_name": "Y"}).status_code == 403
    admin = login(make_user("admin"))
    response = admin.form(f"/certificates/{code}/revoke", {"reason": "Identity fraud"})
    assert response.status_code == 302
    assert admin.client.get(f"/api/v1/certificates/{code}").get_json()["status"] == "revoked"


def test_reissue_after_name_correction_keeps_code_and_history(app, passed, make_user, login):
    _, code = passed
    admin = login(make_user("admin"))
    response = admin.form(
        f"/certificates/{code}/reissue", {"new_name": "Zoë Nguyễn-Smith", "reason": "Legal name change"}
    )
    assert response.status_code == 302
    data = admin.client.get(f"/api/v1/certificates/{code}").get_json()
    assert data["holder"] == "Zoë Nguyễn-Smith"
    from examsite.certificates.models import CertificateNameChange

    with app.app_context():
        change = db.session.scalar(select(CertificateNameChange))
        assert (change.old_name, change.new_name) == ("Zoë Nguyễn", "Zoë Nguyễn-Smith")


def test_pdf_text_and_qr(app, passed):
    from pypdf import PdfReader

    session, code = passed
    response = session.client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = reader.pages[0].extract_text()
    for expected in (
        "Zoë Nguyễn",
        "Implementation manager",
        code,
        "23 November 2026",
        f"https://exams.example.test/verify/{code}",
    ):
        assert expected in text
    import zxingcpp
    from PIL import Image

    image = Image.open(io.BytesIO(reader.pages[0].images[0].data))
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [f"https://exams.example.test/verify/{code}"]


def test_revoked_pdf_says_so(app, passed, runner):
    from pypdf import PdfReader

    session, code = passed
    runner.invoke(args=["certificates", "revoke", code, "--reason", "Issued in error"])
    text = PdfReader(io.BytesIO(session.client.get(f"/certificates/{code}.pdf").data)).pages[0].extract_text()
    assert "REVOKED" in text and "Issued in error" in text


def test_pdf_only_for_holder_or_admin(passed, make_user, login, client):
    _, code = passed
    assert login(make_user("trainee")).client.get(f"/certificates/{code}.pdf").status_code == 404
    assert client.get(f"/certificates/{code}.pdf").status_code == 302
    assert login(make_user("admin")).client.get(f"/certificates/{code}.pdf").status_code == 200


def fetcher(client):
    def fetch(url: str) -> bytes:
        assert url.startswith("https://exams.example.test/"), url
        response = client.get(url.removeprefix("https://exams.example.test"))
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data()

    return fetch


def test_credential_passes_the_open_badges_verification_steps_fresh_and_revoked(client, passed, runner):
    _, code = passed
    token = client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    checked = ob3_verifier.verify(token, fetcher(client))
    assert checked["revoked"] is False
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert checked["credentialSubject"]["achievement"]["name"]
    assert checked["credentialStatus"]["id"].endswith(f"/certificates/{code}/status")
    # tampering with the payload breaks the signature
    head, payload, signature = token.split(".")
    tampered = ".".join([head, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature])
    with pytest.raises(ob3_verifier.VerificationError, match="signature"):
        ob3_verifier.verify(tampered, fetcher(client))
    # revocation is visible to a conformant verifier through the status document
    assert runner.invoke(args=["certificates", "revoke", code, "--reason", "Misconduct"]).exit_code == 0
    assert ob3_verifier.verify(token, fetcher(client))["revoked"] is True
    status = client.get(f"/api/v1/certificates/{code}/status").get_json()
    assert status["revoked"] is True and status["status"] == "revoked"
    assert status["revokedCredential"] == [
        {"id": checked["id"], "revoked": True, "revocationReason": "Misconduct"}
    ]


def test_a_credential_signed_before_a_key_rotation_still_verifies(app, client, passed, runner):
    _, code = passed
    before = client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    after = client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    assert jwt.get_unverified_header(before)["kid"] != jwt.get_unverified_header(after)["kid"]
    for token in (before, after):
        assert ob3_verifier.verify(token, fetcher(client))["revoked"] is False
    kids = [k["kid"] for k in client.get("/api/v1/issuer/jwks.json").get_json()["keys"]]
    assert kids == [jwt.get_unverified_header(after)["kid"], jwt.get_unverified_header(before)["kid"]]


def test_rs256_by_setting_and_the_old_eddsa_key_still_verifies(app, client, passed, tmp_path):
    from examsite.certificates import keys

    _, code = passed
    path = tmp_path / "rs-key.pem"
    old = keys.load_or_create(path, "EdDSA")  # the key an earlier version made
    app.config.update(SIGNING_KEY_PATH=str(path), CREDENTIAL_ALGORITHM="RS256")
    app.extensions.pop("examsite_signing_key", None)
    token = client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert ob3_verifier.verify(token, fetcher(client))["revoked"] is False
    published = client.get("/api/v1/issuer/jwks.json").get_json()["keys"]
    assert [k["alg"] for k in published] == ["RS256", "EdDSA"]
    assert published[1]["kid"].endswith(keys.thumbprint(old))


def test_images_issuer_profile_and_baked_badge(client, passed):
    _, code = passed
    token = client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    claims = jwt.decode(token, options={"verify_signature": False})
    for url in (claims["image"]["id"], claims["credentialSubject"]["achievement"]["image"]["id"]):
        response = client.get(url.removeprefix("https://exams.example.test"))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert "script-src" not in response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    profile = client.get("/api/v1/issuer").get_json()
    assert profile["name"] and profile["url"] and profile["image"]["type"] == "Image"
    assert client.get(profile["image"]["id"].removeprefix("https://exams.example.test")).status_code == 200
    baked = client.get(f"/api/v1/certificates/{code}/badge.svg")
    assert baked.status_code == 200 and baked.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(baked.get_data())
    [credential] = root.findall("{https://purl.imsglobal.org/ob/v3p0}credential")
    assert ob3_verifier.verify(credential.text.strip(), fetcher(client))["id"] == claims["id"]
    assert client.get("/api/v1/roles/no-such-role/badge.svg").status_code == 404
    assert client.get("/api/v1/issuer/keys/not-a-key").get_json()["error"] == "not_found"


def test_certificates_page_lists_downloads(passed):
    session, code = passed
    html = session.client.get("/certificates").get_data(as_text=True)
    assert code in html and f"/certificates/{code}.pdf" in html


def test_verification_is_rate_limited(app, client, banks):
    statuses = [client.get("/api/v1/certificates/AAAA-BBBB-CCCC").status_code for _ in range(62)]
    assert statuses[0] == 404
    assert statuses[-1] == 429
