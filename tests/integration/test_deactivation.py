"""A deactivated trainee's open attempts close without a certificate, and the scorer certifies
no inactive account, whether it closes the attempt at deactivation, from cron or on a late
submit (issue 18)."""

from __future__ import annotations

from sqlalchemy import func, select

from examsite.extensions import db

ROLE = "implementation-manager"


def answer_everything_right(app, session) -> dict:
    from examsite.delivery.models import AttemptItem

    attempt = session.api("POST", "/api/v1/attempts", json={"role": ROLE}).get_json()
    with app.app_context():
        keys = {
            r.id: list(r.item_version.keys)
            for r in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"]))
        }
    for item in attempt["items"]:
        reply = session.api(
            "PUT",
            f"/api/v1/attempts/{attempt['id']}/responses/{item['id']}",
            json={"choices": keys[item["id"]]},
        )
        assert reply.status_code == 200
    return attempt


def certificates(app) -> int:
    from examsite.certificates.models import Certificate

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Certificate))


def attempt_row(app, attempt_id):
    from examsite.delivery.models import Attempt

    with app.app_context():
        row = db.session.get(Attempt, attempt_id)
        db.session.expunge(row)
        return row


def audit(app, action: str) -> list:
    from examsite.audit.models import AuditEvent

    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_deactivation_closes_open_attempts_without_certificate(app, banks, make_user, login, clock):
    trainee = make_user("trainee")
    attempt = answer_everything_right(app, login(trainee))
    admin = login(make_user("admin"))
    assert admin.form(f"/admin/users/{trainee.id}/deactivate").status_code == 302
    row = attempt_row(app, attempt["id"])
    assert row.status == "expired" and row.closed_at is not None
    assert row.passed is True  # scored truthfully...
    assert certificates(app) == 0  # ...and certified by nobody
    [event] = audit(app, "attempt.closed_on_deactivation")
    assert str(event.object_id) == str(attempt["id"])
    assert "no certificate" in str(event.details)
    # reactivating does not reopen it or issue anything
    assert admin.form(f"/admin/users/{trainee.id}/reactivate").status_code == 302
    assert attempt_row(app, attempt["id"]).status == "expired" and certificates(app) == 0


def test_cron_scorer_issues_no_certificate_to_an_inactive_account(
    app, banks, make_user, login, clock, runner
):
    from examsite.accounts.models import User

    trainee = make_user("trainee")
    attempt = answer_everything_right(app, login(trainee))
    with app.app_context():
        # deactivated behind the app's back (a database edit): the scorer itself must check
        db.session.get(User, trainee.id).active = False
        db.session.commit()
    clock.advance(days=1)
    result = runner.invoke(args=["attempts", "close-expired"])
    assert result.exit_code == 0, result.output
    row = attempt_row(app, attempt["id"])
    assert row.status == "expired" and row.passed is True
    assert certificates(app) == 0
    assert len(audit(app, "certificate.withheld")) == 1


def test_late_submit_of_an_inactive_account_gets_no_certificate(app, banks, make_user, login, clock):
    from examsite.accounts.models import User
    from examsite.delivery.models import Attempt
    from examsite.delivery.services import submit_attempt

    trainee = make_user("trainee")
    attempt = answer_everything_right(app, login(trainee))
    with app.app_context():
        db.session.get(User, trainee.id).active = False
        db.session.commit()
        submit_attempt(db.session.get(Attempt, attempt["id"]))
    row = attempt_row(app, attempt["id"])
    assert row.status == "submitted" and row.passed is True
    assert certificates(app) == 0


def test_an_active_account_still_gets_its_certificate(app, banks, make_user, login, clock):
    session = login(make_user("trainee"))
    attempt = answer_everything_right(app, session)
    result = session.api("POST", f"/api/v1/attempts/{attempt['id']}/submit").get_json()
    assert result["passed"] is True and result["certificate"]["code"]
    assert certificates(app) == 1
