"""Certificate expiry (issue 25): the validity period in the exam's settings, validUntil in the
credential, expired (not revoked) on verification, what expires in the next 90 days for trainees
and administrators (institution scope, CSV), and reminders through the outbox at 60 and 30 days."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import func, select

from examsite.extensions import db
from tests.integration.test_certificates import ROLE, fetcher, take
from tests.support import ob3_verifier
from tests.support.smtp import SmtpServer

EXAM = f"/api/v1/roles/{ROLE}/exam"


def audit_actions(app) -> list[str]:
    from examsite.audit.models import AuditEvent

    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def exam_settings(app):
    from examsite.catalog.services import get_role

    with app.app_context():
        exam = get_role(ROLE).exam
        return exam.validity_months, exam.renewal_ce_hours


# --- the setting ----------------------------------------------------------------------------------


def test_validity_is_24_months_by_default_and_set_from_the_command_line(app, runner):
    assert exam_settings(app) == (24, 0)
    result = runner.invoke(args=["exams", "configure", ROLE, "--validity-months", "never"])
    assert result.exit_code == 0, result.output
    assert "certificates never expire" in result.output
    assert exam_settings(app) == (None, 0)
    result = runner.invoke(
        args=["exams", "configure", ROLE, "--validity-months", "36", "--renewal-ce-hours", "20"]
    )
    assert result.exit_code == 0 and "valid 36 months" in result.output and "20 CE hours" in result.output
    assert exam_settings(app) == (36, 20)
    for bad in ("0", "abc", "601", "-3"):
        refused = runner.invoke(args=["exams", "configure", ROLE, "--validity-months", bad])
        assert refused.exit_code != 0, bad
    assert exam_settings(app) == (36, 20)
    assert audit_actions(app).count("exam.configure") == 2


def test_validity_through_the_api_null_never_expires_audited(app, make_user, login):
    admin = login(make_user("admin"))
    assert admin.api("GET", EXAM).get_json()["validity_months"] == 24
    saved = admin.api("PUT", EXAM, {"validity_months": None, "renewal_ce_hours": 20})
    assert saved.status_code == 200, saved.get_json()
    assert (saved.get_json()["validity_months"], saved.get_json()["renewal_ce_hours"]) == (None, 20)
    assert admin.api("PUT", EXAM, {"validity_months": 12}).get_json()["validity_months"] == 12
    for bad in (
        {"validity_months": 0},
        {"validity_months": "2y"},
        {"renewal_ce_hours": -1},
        {"validity_months": 1.5},
    ):
        response = admin.api("PUT", EXAM, bad)
        assert response.status_code == 422, bad
        assert response.get_json()["error"] == "invalid"
    assert exam_settings(app) == (12, 20)
    from examsite.audit.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "exam.configure")).all()
        assert events[0].details["validity_months"] == "never"
        assert events[1].details["validity_months"] == "12"
    trainee = login(make_user("trainee"))
    assert trainee.api("PUT", EXAM, {"validity_months": 1}).status_code == 403


def test_validity_on_the_settings_page(app, make_user, login):
    admin = login(make_user("admin"))
    page = admin.client.get(f"/instructor/roles/{ROLE}/exam").get_data(as_text=True)
    assert 'id="validity_months"' in page and 'value="24"' in page
    assert admin.form(f"/instructor/roles/{ROLE}/exam", {"validity_months": "6"}).status_code == 302
    assert exam_settings(app) == (6, 0)
    saved = admin.form(f"/instructor/roles/{ROLE}/exam", {"never_expires": "1", "renewal_ce_hours": "15"})
    assert saved.status_code == 302
    assert exam_settings(app) == (None, 15)
    bad = admin.form(f"/instructor/roles/{ROLE}/exam", {"validity_months": "soon"})
    assert bad.status_code == 422 and "must be a number" in bad.get_data(as_text=True)
    refused = admin.client.post(f"/instructor/roles/{ROLE}/exam", data={"validity_months": "3"})
    assert refused.status_code == 400  # no CSRF token
    assert exam_settings(app) == (None, 15)


# --- issued certificates ---------------------------------------------------------------------------


def test_a_certificate_that_never_expires(app, banks, make_user, login, runner, clock):
    from pypdf import PdfReader

    runner.invoke(args=["exams", "configure", ROLE, "--validity-months", "never"])
    session = login(make_user("trainee"))
    code = take(app, session, correct=True)["certificate"]["code"]
    data = session.client.get(f"/api/v1/certificates/{code}").get_json()
    assert data["expires_at"] is None and data["status"] == "valid"
    token = session.client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "validUntil" not in claims and "exp" not in claims
    clock.advance(days=365 * 30)
    checked = ob3_verifier.verify(token, fetcher(session.client), now=clock.now().timestamp())
    assert (checked["expired"], checked["revoked"]) == (False, False)
    assert "Does not expire" in session.client.get(f"/verify/{code}").get_data(as_text=True)
    text = PdfReader(io.BytesIO(session.client.get(f"/certificates/{code}.pdf").data)).pages[0].extract_text()
    assert "does not expire" in text
    refused = session.api("POST", "/api/v1/attempts", json={"role": ROLE})
    assert refused.status_code == 409 and "does not expire" in refused.get_json()["message"]


def test_an_expired_credential_verifies_as_expired_not_revoked(app, banks, make_user, login, runner, clock):
    from pypdf import PdfReader

    clock.current = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    runner.invoke(args=["exams", "configure", ROLE, "--validity-months", "1"])
    session = login(make_user("trainee"))
    code = take(app, session, correct=True)["certificate"]["code"]
    assert (
        session.client.get(f"/api/v1/certificates/{code}")
        .get_json()["expires_at"]
        .startswith(
            "2027-02-28T09:00"  # 31 January + 1 month
        )
    )
    token = session.client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["validUntil"] == "2027-02-28T09:00:00Z"
    assert claims["exp"] == int(datetime(2027, 2, 28, 9, 0, tzinfo=UTC).timestamp())
    fresh = ob3_verifier.verify(token, fetcher(session.client), now=clock.now().timestamp())
    assert (fresh["expired"], fresh["revoked"]) == (False, False)
    page = session.client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Valid until" in page and "28 February 2027" in page
    text = PdfReader(io.BytesIO(session.client.get(f"/certificates/{code}.pdf").data)).pages[0].extract_text()
    assert "Valid until" in text and "28 February 2027" in text

    clock.current = datetime(2027, 2, 28, 9, 0, tzinfo=UTC)  # the very moment of expiry
    checked = ob3_verifier.verify(token, fetcher(session.client), now=clock.now().timestamp())
    assert (checked["expired"], checked["revoked"]) == (True, False)
    status = session.client.get(f"/api/v1/certificates/{code}/status").get_json()
    assert status["status"] == "expired" and status["revokedCredential"] == []
    page = session.client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Expired" in page and "it was not revoked" in page and "Revoked" not in page
    text = PdfReader(io.BytesIO(session.client.get(f"/certificates/{code}.pdf").data)).pages[0].extract_text()
    assert "EXPIRED" in text and "28 February 2027" in text


def test_the_verifier_refuses_an_exp_that_disagrees_with_valid_until(app, banks, make_user, login, clock):
    """The verifier is not a rubber stamp: a credential signed (with the issuer's own key) whose
    exp says later than its validUntil fails its steps, and one not valid yet is refused."""
    from examsite.certificates import signing

    session = login(make_user("trainee"))
    code = take(app, session, correct=True)["certificate"]["code"]
    token = session.client.get(f"/api/v1/certificates/{code}/credential").get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    with app.test_request_context():
        key = signing.signing_key()
    stretched = jwt.encode(
        {**claims, "exp": claims["exp"] + 86400 * 365}, key, algorithm="ES256", headers=header
    )
    now = clock.now().timestamp()
    assert ob3_verifier.verify(token, fetcher(session.client), now=now)["expired"] is False
    with pytest.raises(ob3_verifier.VerificationError, match="exp does not equal validUntil"):
        ob3_verifier.verify(stretched, fetcher(session.client), now=now)
    with pytest.raises(ob3_verifier.VerificationError, match="not valid yet"):
        ob3_verifier.verify(token, fetcher(session.client), now=now - 3600)


# --- what expires in the next 90 days --------------------------------------------------------------


@pytest.fixture
def holders(app, make_user, clock):
    """Two institutions with a trainee each holding a certificate expiring in 50 days, and one
    trainee in no cohort whose certificate expires in 200 days."""
    from examsite.catalog.services import get_role
    from examsite.certificates.models import Certificate
    from examsite.programs.models import Cohort, Institution

    with app.app_context():
        north, south = Institution(name="North College"), Institution(name="South College")
        db.session.add_all([north, south])
        db.session.flush()
        cohorts = Cohort(institution_id=north.id, name="N1"), Cohort(institution_id=south.id, name="S1")
        db.session.add_all(cohorts)
        db.session.commit()
        ids = {"north": north.id, "south": south.id, "n1": cohorts[0].id, "s1": cohorts[1].id}
    people = {
        "north": make_user("trainee", name="Nora North", cohort=ids["n1"]),
        "south": make_user("trainee", name="=Sam South", cohort=ids["s1"]),  # a formula-like name
        "loose": make_user("trainee", name="Lou Loose"),
    }
    now = clock.now()
    codes = {"north": "NNNN-NNNN-NNNN", "south": "SSSS-SSSS-SSSS", "loose": "KKKK-KKKK-KKKK"}
    with app.app_context():
        role = get_role(ROLE)
        for key, user in people.items():
            expires = now + timedelta(days=200 if key == "loose" else 50)
            db.session.add(
                Certificate(
                    code=codes[key],
                    user_id=user.id,
                    role_id=role.id,
                    holder_name=user.name,
                    role_name=role.name,
                    category_name=role.category.name,
                    score_percent=80,
                    issued_at=expires - timedelta(days=730),
                    expires_at=expires,
                )
            )
        db.session.commit()
    return {"ids": ids, "people": people, "codes": codes}


def scope(runner, email: str, institution: str) -> None:
    result = runner.invoke(args=["users", "scope", email, "--institution", institution])
    assert result.exit_code == 0, result.output


def test_trainees_see_only_their_own_certificates_expiring_soon(holders, login):
    north = login(holders["people"]["north"]).client.get("/certificates").get_data(as_text=True)
    assert "Expiring in the next 90 days" in north and "NNNN-NNNN-NNNN" in north
    assert "SSSS-SSSS-SSSS" not in north and "KKKK-KKKK-KKKK" not in north
    assert "You can renew it now" in north  # 50 days before expiry: inside the renewal window
    loose = login(holders["people"]["loose"]).client.get("/certificates").get_data(as_text=True)
    assert "KKKK-KKKK-KKKK" in loose and "Expiring in the next" not in loose  # 200 days: not soon


def test_administrators_see_what_expires_and_institution_admins_only_theirs(
    app, holders, make_user, login, runner
):
    wide = login(make_user("admin"))
    page = wide.client.get("/admin/certificates/expiring").get_data(as_text=True)
    assert "NNNN-NNNN-NNNN" in page and "SSSS-SSSS-SSSS" in page and "KKKK-KKKK-KKKK" not in page
    only_south = wide.client.get(f"/admin/certificates/expiring?institution={holders['ids']['south']}")
    assert "SSSS" in only_south.get_data(as_text=True) and "NNNN" not in only_south.get_data(as_text=True)
    assert wide.client.get("/admin/certificates/expiring?institution=99999").status_code == 404
    assert wide.client.get("/admin/certificates/expiring?institution=abc").status_code == 404

    northern_admin = make_user("admin")
    scope(runner, northern_admin.email, "North College")
    northern = login(northern_admin)
    page = northern.client.get("/admin/certificates/expiring").get_data(as_text=True)
    assert "NNNN-NNNN-NNNN" in page and "SSSS-SSSS-SSSS" not in page
    # asking for another institution does not widen the scope
    page = northern.client.get(f"/admin/certificates/expiring?institution={holders['ids']['south']}")
    assert "SSSS" not in page.get_data(as_text=True)
    rows = list(
        csv.DictReader(
            io.StringIO(northern.client.get("/admin/certificates/expiring.csv").get_data(as_text=True))
        )
    )
    assert [r["code"] for r in rows] == ["NNNN-NNNN-NNNN"]
    # another institution's certificate is not there at all for this administrator
    for path in ("/certificates/SSSS-SSSS-SSSS/manage", "/certificates/SSSS-SSSS-SSSS.pdf"):
        assert northern.client.get(path).status_code == 404, path
    revoke = northern.form("/certificates/SSSS-SSSS-SSSS/revoke", {"reason": "not yours"})
    assert revoke.status_code == 404
    from examsite.certificates.models import Certificate

    with app.app_context():
        south_id = db.session.scalar(select(Certificate.id).where(Certificate.code == "SSSS-SSSS-SSSS"))
    assert northern.form(f"/admin/certificates/{south_id}/revoke", {"reason": "not yours"}).status_code == 404
    assert wide.client.get("/api/v1/certificates/SSSS-SSSS-SSSS").get_json()["status"] == "valid"
    assert northern.client.get("/certificates/NNNN-NNNN-NNNN/manage").status_code == 200
    assert wide.client.get("/certificates/SSSS-SSSS-SSSS/manage").status_code == 200

    trainee = login(holders["people"]["north"])
    assert trainee.client.get("/admin/certificates/expiring").status_code == 403
    assert trainee.client.get("/admin/certificates/expiring.csv").status_code == 403
    assert login(make_user("instructor")).client.get("/admin/certificates/expiring").status_code == 403


def test_the_csv_is_spreadsheet_safe(holders, make_user, login):
    body = login(make_user("admin")).client.get("/admin/certificates/expiring.csv")
    assert body.mimetype == "text/csv"
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(body.get_data(as_text=True)))}
    assert rows["SSSS-SSSS-SSSS"]["holder"] == "'=Sam South"
    assert rows["NNNN-NNNN-NNNN"]["institution"] == "North College"
    assert rows["NNNN-NNNN-NNNN"]["days_left"] == "50"
    assert rows["NNNN-NNNN-NNNN"]["renewable_now"] == "true"


def test_scope_command_checks_its_input(holders, make_user, runner):
    admin, trainee = make_user("admin"), make_user("trainee")
    assert (
        runner.invoke(args=["users", "scope", trainee.email, "--institution", "North College"]).exit_code == 1
    )
    assert runner.invoke(args=["users", "scope", admin.email, "--institution", "Nowhere"]).exit_code == 1
    assert runner.invoke(args=["users", "scope", admin.email]).exit_code == 1
    scope(runner, admin.email, "South College")
    scope(runner, admin.email, "North College")
    assert runner.invoke(args=["users", "scope", admin.email, "--program-wide"]).exit_code == 0


# --- reminders -----------------------------------------------------------------------------------


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="exams@example.test")
    return app


def reminder_rows(app) -> list[tuple[str, int, bool]]:
    from examsite.certificates.models import Certificate, CertificateReminder

    with app.app_context():
        rows = db.session.execute(
            select(Certificate.code, CertificateReminder.days_before, CertificateReminder.outbox_message_id)
            .join(Certificate, Certificate.id == CertificateReminder.certificate_id)
            .order_by(Certificate.code, CertificateReminder.days_before)
        ).all()
        return [(code, days, message is not None) for code, days, message in rows]


def send_reminders(runner) -> str:
    result = runner.invoke(args=["certificates", "send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def test_reminders_at_60_and_30_days_are_sent_once(mail_app, smtp, holders, runner, clock):
    # holders' certificates expire in 50 days: the 60-day reminder is due now for two of them
    send_reminders(runner)
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        [holders["people"]["north"].email, holders["people"]["south"].email]
    )
    message = next(m for m in smtp.messages if m["To"] == holders["people"]["north"].email)
    assert message["Subject"] == "Your Implementation manager certificate expires in 60 days"
    body = message.get_payload(decode=True).decode()
    assert "NNNN-NNNN-NNNN" in body and f"https://exams.example.test/roles/{ROLE}" in body
    assert "https://exams.example.test/verify/NNNN-NNNN-NNNN" in body
    for _ in range(3):  # cron again and again: nothing more
        assert "0 reminders queued" in send_reminders(runner)
    assert len(smtp.messages) == 2
    clock.advance(days=19)  # 31 days left
    assert "0 reminders queued" in send_reminders(runner)
    clock.advance(days=1)  # 30 days left
    send_reminders(runner)
    send_reminders(runner)
    assert len(smtp.messages) == 4
    assert {m["Subject"] for m in smtp.messages[2:]} == {
        "Your Implementation manager certificate expires in 30 days"
    }
    assert reminder_rows(mail_app) == [
        ("NNNN-NNNN-NNNN", 30, True),
        ("NNNN-NNNN-NNNN", 60, True),
        ("SSSS-SSSS-SSSS", 30, True),
        ("SSSS-SSSS-SSSS", 60, True),
    ]
    clock.advance(days=200)  # the loose one's thresholds passed long ago... and it expired: no mail
    send_reminders(runner)
    assert len(smtp.messages) == 4


def test_reminders_wait_in_the_outbox_when_the_mail_server_is_down(app, holders, runner, clock):
    from examsite.mail.models import OutboxMessage

    assert "2 reminders queued" in send_reminders(runner)  # MAIL_SERVER unset: kept in the outbox
    assert "0 reminders queued" in send_reminders(runner)
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert kinds == ["certificate_expiry", "certificate_expiry"]


def test_only_the_nearer_reminder_is_mailed_when_cron_missed_one(mail_app, smtp, holders, runner, clock):
    clock.advance(days=25)  # 25 days left: 60 and 30 both passed
    send_reminders(runner)
    assert len(smtp.messages) == 2
    assert all("expires in 30 days" in m["Subject"] for m in smtp.messages)
    assert ("NNNN-NNNN-NNNN", 60, False) in reminder_rows(mail_app)


def test_no_reminder_for_revoked_renewed_or_deactivated_holders(mail_app, smtp, holders, runner, make_user):
    from examsite.accounts.models import User
    from examsite.certificates.models import Certificate

    runner.invoke(args=["certificates", "revoke", "NNNN-NNNN-NNNN", "--reason", "Misconduct"])
    with mail_app.app_context():
        db.session.get(User, holders["people"]["south"].id).active = False
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 3
    send_reminders(runner)
    assert smtp.messages == []
