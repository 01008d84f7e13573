"""Password reset by e-mail through the outbox and a real local SMTP server (issue 18)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examsite.extensions import db
from tests.conftest import PASSWORD, csrf_from
from tests.support.smtp import SmtpServer

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_DEFAULT_SENDER="exams@example.test")
    return app


def ask_for_link(client, email: str):
    token = csrf_from(client.get("/forgot-password").get_data(as_text=True))
    return client.post("/forgot-password", data={"email": email, "csrf_token": token}, follow_redirects=True)


def body(message) -> str:
    return message.get_payload(decode=True).decode()


def link_in(message) -> str:
    match = re.search(r"https://exams\.example\.test(/reset-password/\S+)", body(message))
    assert match, body(message)
    return match.group(1)


def set_password(client, path: str, password: str = NEW_PASSWORD):
    page = client.get(path)
    if page.status_code != 200:
        return page
    token = csrf_from(page.get_data(as_text=True))
    return client.post(path, data={"password": password, "confirm": password, "csrf_token": token})


def can_log_in(app, email: str, password: str) -> bool:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    reply = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    return reply.status_code == 302


def test_login_page_links_to_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot-password"' in page and "Forgot your password?" in page


def test_reset_by_mail_is_single_use(mail_app, smtp, make_user):
    user = make_user("trainee", email="forgetful@example.org")
    client = mail_app.test_client()
    reply = ask_for_link(client, "Forgetful@Example.org")
    assert "If an account uses that address" in reply.get_data(as_text=True)
    [message] = smtp.messages
    assert message["To"] == user.email and message["From"] == "exams@example.test"
    path = link_in(message)
    from examsite.accounts.models import PasswordReset

    with mail_app.app_context():
        stored = db.session.scalar(select(PasswordReset.token_hash))
    assert path.rsplit("/", 1)[1] not in stored  # only a hash is kept
    assert set_password(client, path).status_code == 302
    assert can_log_in(mail_app, user.email, NEW_PASSWORD)
    assert not can_log_in(mail_app, user.email, PASSWORD)
    # the same link a second time: refused, the password stays
    again = set_password(client, path, "yet another passphrase")
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    assert can_log_in(mail_app, user.email, NEW_PASSWORD)


def test_reset_link_expires_after_an_hour(mail_app, smtp, make_user, clock):
    user = make_user("trainee")
    client = mail_app.test_client()
    ask_for_link(client, user.email)
    path = link_in(smtp.messages[0])
    clock.advance(hours=1, seconds=1)
    reply = set_password(client, path)
    assert reply.status_code == 404 and "expired" in reply.get_data(as_text=True)
    assert can_log_in(mail_app, user.email, PASSWORD)


def test_same_answer_for_unknown_address_and_no_mail(mail_app, smtp, make_user):
    make_user("trainee", email="known@example.org")
    client = mail_app.test_client()
    known = ask_for_link(client, "known@example.org").get_data(as_text=True)
    unknown = ask_for_link(client, "nobody@example.org").get_data(as_text=True)

    def notice(html):
        return re.search(r"If an account uses that address[^<]*", html).group(0)

    assert notice(known) == notice(unknown)
    assert [m["To"] for m in smtp.messages] == ["known@example.org"]


def test_only_the_newest_link_works_and_bad_tokens_are_refused(mail_app, smtp, make_user):
    user = make_user("trainee")
    client = mail_app.test_client()
    ask_for_link(client, user.email)
    ask_for_link(client, user.email)
    first, second = (link_in(m) for m in smtp.messages)
    assert set_password(client, first).status_code == 404
    for bogus in ("/reset-password/nonsense", "/reset-password/" + "x" * 500):
        assert client.get(bogus).status_code == 404
    weak = set_password(client, second, "short")
    assert weak.status_code == 422
    assert set_password(client, second).status_code == 302


def test_mail_server_down_first_then_delivered_on_retry(app, make_user, clock, runner):
    from examsite.mail.models import OutboxMessage

    server = SmtpServer()  # its port chosen, nothing listening yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    user = make_user("trainee")
    reply = ask_for_link(app.test_client(), user.email)
    assert "If an account uses that address" in reply.get_data(as_text=True)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.sent_at is None and message.tries == 1 and message.last_error
        assert message.next_attempt_at > clock.now()
    # still down: cron reports the failure and keeps the message
    clock.advance(minutes=2)
    down = runner.invoke(args=["mail", "send-outbox"])
    assert down.exit_code == 1 and "1 failed" in down.output
    server.start()
    try:
        # not yet due (the second delay is longer): nothing is tried
        assert "0 sent, 0 failed" in runner.invoke(args=["mail", "send-outbox"]).output
        clock.advance(minutes=3)
        up = runner.invoke(args=["mail", "send-outbox"])
        assert up.exit_code == 0 and "1 sent" in up.output, up.output
        [delivered] = server.messages
        assert delivered["To"] == user.email and "/reset-password/" in body(delivered)
        with app.app_context():
            message = db.session.scalar(select(OutboxMessage))
            assert message.sent_at is not None and message.tries == 3
        # sent once only
        assert "0 sent" in runner.invoke(args=["mail", "send-outbox"]).output
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_without_mail_server_messages_wait(app, make_user, runner):
    from examsite.mail.models import OutboxMessage

    user = make_user("trainee")
    ask_for_link(app.test_client(), user.email)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.sent_at is None and message.tries == 0
    result = runner.invoke(args=["mail", "send-outbox"])
    assert result.exit_code == 1 and "MAIL_SERVER is not set" in result.output


def test_the_answer_does_not_wait_for_the_mail_server(mail_app, smtp, make_user):
    """The page answers first; the mail is sent once the response has gone (the WSGI server
    closes it), so a slow mail server never holds the page and the timing tells nothing."""
    make_user("trainee", email="waits@example.org")
    client = mail_app.test_client()
    token = csrf_from(client.get("/forgot-password").get_data(as_text=True))
    reply = client.post(
        "/forgot-password", data={"email": "waits@example.org", "csrf_token": token}, buffered=False
    )
    assert reply.status_code == 302
    assert smtp.messages == []  # answered, nothing sent yet
    reply.close()  # what the WSGI server does after writing the response
    assert [m["To"] for m in smtp.messages] == ["waits@example.org"]
