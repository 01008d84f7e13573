"""Renewal (issue 25): passing again inside the renewal window renews the certificate (a chain
through renews_id, validity running on from the old expiry); continuing-education credits an
administrator records renew it without the exam where the exam's settings allow; history shown."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from examsite.extensions import db
from tests.integration.test_certificates import ROLE, fetcher, take
from tests.support import ob3_verifier


@pytest.fixture
def holder(app, banks, make_user, login, runner, clock):
    """A trainee who passed on 31 January 2027 (24 months: valid until 31 January 2029)."""
    runner.invoke(args=["exams", "configure", ROLE, "--retake-days", "0"])
    clock.current = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    session = login(make_user("trainee", name="Rena Newell"))
    code = take(app, session, correct=True)["certificate"]["code"]
    return session, code


def certificate(app, code: str):
    from examsite.certificates.models import Certificate

    with app.app_context():
        found = db.session.scalar(select(Certificate).where(Certificate.code == code))
        db.session.expunge(found)
        return found


def audit(app, action: str):
    from examsite.audit.models import AuditEvent

    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_no_retest_before_the_renewal_window_opens(holder, clock):
    session, _ = holder
    refused = session.api("POST", "/api/v1/attempts", json={"role": ROLE})
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "retake_not_allowed"
    assert "renew it by taking the exam again from 2 November 2028" in body["message"]
    assert body["available_at"].startswith("2028-11-02T09:00")  # 90 days before 31 January 2029
    clock.current = datetime(2028, 11, 2, 8, 59, tzinfo=UTC)
    assert session.api("POST", "/api/v1/attempts", json={"role": ROLE}).status_code == 409
    role_page = session.client.get(f"/roles/{ROLE}").get_data(as_text=True)
    assert "2 November 2028" in role_page


def test_passing_inside_the_window_renews_and_keeps_the_chain(app, holder, clock, runner):
    session, old_code = holder
    clock.current = datetime(2028, 12, 1, 9, 0, tzinfo=UTC)  # 61 days before expiry
    result = take(app, session, correct=True)
    assert result["passed"]
    new_code = result["certificate"]["code"]
    assert new_code != old_code
    new = session.client.get(f"/api/v1/certificates/{new_code}").get_json()
    old = session.client.get(f"/api/v1/certificates/{old_code}").get_json()
    assert new["renews"] == old_code and old["renewed_by"] == new_code
    assert new["issued_at"].startswith("2028-12-01T09:00")
    assert new["expires_at"].startswith("2031-01-31T09:00")  # runs on from the old expiry
    assert old["status"] == "valid"  # still valid until its own expiry: renewed, not revoked
    stored = certificate(app, new_code)
    assert (stored.basis, stored.attempt_id is not None) == ("exam", True)
    [event] = [e for e in audit(app, "certificate.issue") if e.details.get("renews")]
    assert event.details["renews"] == old_code

    token = session.client.get(f"/api/v1/certificates/{new_code}/credential").get_data(as_text=True)
    checked = ob3_verifier.verify(token, fetcher(session.client), now=clock.now().timestamp())
    assert checked["validUntil"] == "2031-01-31T09:00:00Z" and not checked["expired"]

    page = session.client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "Renewed by certificate" in page and new_code in page and "History" in page
    mine = session.client.get("/certificates").get_data(as_text=True)
    assert f"Renews {old_code} (exam)" in mine and f"renewed by {new_code}" in mine
    # the renewed certificate is no longer "expiring soon"; the new one is the current one
    assert "Expiring in the next" not in mine
    # a third pass only once the new one's window opens
    assert session.api("POST", "/api/v1/attempts", json={"role": ROLE}).status_code == 409


def test_a_pass_within_the_grace_after_expiry_still_renews_but_not_after(
    app, holder, clock, make_user, login
):
    session, old_code = holder
    clock.current = datetime(2029, 3, 1, 9, 0, tzinfo=UTC)  # 29 days after expiry
    assert session.client.get(f"/api/v1/certificates/{old_code}").get_json()["status"] == "expired"
    new_code = take(app, session, correct=True)["certificate"]["code"]
    new = session.client.get(f"/api/v1/certificates/{new_code}").get_json()
    assert new["renews"] == old_code
    assert new["expires_at"].startswith("2031-03-01T09:00")  # from the renewal: later than the old expiry

    clock.current = datetime(2031, 3, 1, 9, 0, tzinfo=UTC) + timedelta(days=91)  # lapsed past the grace
    lapsed_code = take(app, session, correct=True)["certificate"]["code"]
    assert session.client.get(f"/api/v1/certificates/{lapsed_code}").get_json()["renews"] is None


def test_a_failed_retest_leaves_the_certificate_alone(app, holder, clock):
    session, old_code = holder
    clock.current = datetime(2028, 12, 1, 9, 0, tzinfo=UTC)
    assert take(app, session, correct=False)["certificate"] is None
    assert session.client.get(f"/api/v1/certificates/{old_code}").get_json()["renewed_by"] is None


def test_a_revoked_certificate_is_not_renewed(app, holder, clock, runner):
    session, old_code = holder
    runner.invoke(args=["certificates", "revoke", old_code, "--reason", "Misconduct"])
    new_code = take(app, session, correct=True)["certificate"]["code"]  # revoked: no bar, no chain
    assert session.client.get(f"/api/v1/certificates/{new_code}").get_json()["renews"] is None


# --- continuing education ---------------------------------------------------------------------------


def ce(admin, code: str, hours="10", activity="HIMSS annual conference", day="2028-06-01"):
    return admin.form(
        f"/certificates/{code}/continuing-education",
        {"hours": hours, "activity": activity, "completed_on": day},
    )


def test_continuing_education_renews_without_the_exam(app, holder, make_user, login, runner, clock):
    from pypdf import PdfReader

    _, code = holder
    runner.invoke(args=["exams", "configure", ROLE, "--renewal-ce-hours", "20"])
    clock.current = datetime(2028, 7, 1, 9, 0, tzinfo=UTC)
    admin = login(make_user("admin", name="Ada Admin"))
    page = admin.client.get(f"/certificates/{code}/manage").get_data(as_text=True)
    assert "0 of 20 hours recorded" in page
    assert ce(admin, code, hours="12").status_code == 302
    page = admin.client.get(f"/certificates/{code}/manage").get_data(as_text=True)
    assert "12 of 20 hours recorded" in page and "HIMSS annual conference" in page
    done = ce(admin, code, hours="8", activity="Privacy course", day="2028-06-30")
    assert done.status_code == 302
    new_code = done.headers["Location"].split("/certificates/")[1].split("/")[0]
    assert new_code != code
    new = admin.client.get(f"/api/v1/certificates/{new_code}").get_json()
    assert new["renews"] == code
    assert new["expires_at"].startswith("2031-01-31T09:00")  # from the old expiry, not from today
    stored = certificate(app, new_code)
    assert (stored.basis, stored.attempt_id, stored.score_percent) == ("ce", None, None)
    assert [e.details["hours"] for e in audit(app, "certificate.ce_record")] == ["12.0", "8.0"]
    [renewal] = audit(app, "certificate.renew")
    assert renewal.details == {"code": new_code, "renews": code, "basis": "ce", "hours": "20.0"}
    assert renewal.actor_id is not None
    page = admin.client.get(f"/certificates/{new_code}/manage").get_data(as_text=True)
    assert "Continuing education" in page and code in page and "Privacy course" in page
    # the old certificate takes no more credits
    page = admin.client.get(f"/certificates/{code}/manage").get_data(as_text=True)
    assert f"already renewed by {new_code}" in page
    assert ce(admin, code, hours="1").status_code == 422
    # the holder's PDF of the new certificate has no score and is valid until 2031
    text = (
        PdfReader(io.BytesIO(admin.client.get(f"/certificates/{new_code}.pdf").data)).pages[0].extract_text()
    )
    assert "31 January 2031" in text and "Score" not in text


def test_continuing_education_input_is_checked_and_nothing_half_written(
    app, holder, make_user, login, runner, clock
):
    from examsite.certificates.models import ContinuingEducation

    _, code = holder
    admin = login(make_user("admin"))
    refused = ce(admin, code)  # the exam does not accept continuing education yet
    assert refused.status_code == 422
    assert "does not accept continuing education" in refused.get_data(as_text=True)
    runner.invoke(args=["exams", "configure", ROLE, "--renewal-ce-hours", "20"])
    clock.current = datetime(2028, 7, 1, 9, 0, tzinfo=UTC)
    for hours, activity, day, message in (
        ("abc", "Course", "2028-06-01", "Not a valid decimal"),
        ("0", "Course", "2028-06-01", "between 0.1 and 1000"),
        ("5000", "Course", "2028-06-01", "between 0.1 and 1000"),
        ("1.25", "Course", "2028-06-01", "tenths of an hour"),
        ("2", "", "2028-06-01", "required"),
        ("2", "Course\u202e", "2028-06-01", "bidirectional"),
        ("2", "Course", "2028-07-02", "in the future"),
        ("2", "Course", "2027-01-30", "predates the certificate"),
        ("2", "Course", "yesterday", "Not a valid date"),
    ):
        response = ce(admin, code, hours, activity, day)
        assert response.status_code == 422, (hours, activity, day)
        assert message in response.get_data(as_text=True), (hours, activity, day, message)
    no_csrf = admin.client.post(
        f"/certificates/{code}/continuing-education",
        data={"hours": "2", "activity": "Course", "completed_on": "2028-06-01"},
    )
    assert no_csrf.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ContinuingEducation)).all() == []


def test_only_administrators_of_the_holders_institution_record_credits(
    app, holder, make_user, login, runner, clock
):
    from examsite.programs.models import Institution

    session, code = holder
    runner.invoke(args=["exams", "configure", ROLE, "--renewal-ce-hours", "20"])
    assert ce(session, code).status_code == 403  # the holder
    assert ce(login(make_user("instructor")), code).status_code == 403
    with app.app_context():
        db.session.add(Institution(name="Elsewhere College"))
        db.session.commit()
    other = make_user("admin")
    assert (
        runner.invoke(args=["users", "scope", other.email, "--institution", "Elsewhere College"]).exit_code
        == 0
    )
    assert ce(login(other), code).status_code == 404  # the holder is in no cohort of that institution
    clock.current = datetime(2028, 7, 1, 9, 0, tzinfo=UTC)
    assert ce(login(make_user("admin")), code).status_code == 302  # a program-wide administrator


def test_record_ce_from_the_command_line(app, holder, runner, clock):
    _, code = holder
    runner.invoke(args=["exams", "configure", ROLE, "--renewal-ce-hours", "4"])
    clock.current = datetime(2028, 7, 1, 9, 0, tzinfo=UTC)
    args = ["certificates", "record-ce", code, "--activity", "Webinar", "--date", "2028-06-01"]
    first = runner.invoke(args=[*args, "--hours", "3"])
    assert first.exit_code == 0 and "3 of 4 hours recorded" in first.output
    assert runner.invoke(args=[*args, "--hours", "-1"]).exit_code == 1
    second = runner.invoke(args=[*args, "--hours", "1"])
    assert second.exit_code == 0 and f"renewed {code} as" in second.output
