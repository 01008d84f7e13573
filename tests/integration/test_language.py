"""English and Spanish: Accept-Language by default, a switch that is remembered, safe redirects,
messages and mail in the reader's language (issue 24)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from tests.conftest import PASSWORD, csrf_from
from tests.integration.test_password_reset import SmtpServer, body

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def lang_and_h1(reply) -> tuple[str, str]:
    html = reply.get_data(as_text=True)
    return re.search(r'<html lang="([^"]+)"', html).group(1), re.search(r"<h1>(.*?)</h1>", html).group(1)


def test_the_browser_language_is_the_default(client):
    assert lang_and_h1(client.get("/login")) == ("en", "Log in")
    assert lang_and_h1(client.get("/login", headers=SPANISH)) == ("es", "Iniciar sesión")
    # a language we do not have: English
    assert lang_and_h1(client.get("/login", headers={"Accept-Language": "fr-FR,de;q=0.8"}))[0] == "en"


def test_the_switch_is_remembered_and_beats_the_browser(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    reply = client.post("/language", data={"language": "es", "next": "/login?next=/x", "csrf_token": token})
    assert reply.status_code == 303 and reply.headers["Location"] == "/login?next=/x"
    cookie = reply.headers["Set-Cookie"]
    assert "lang=es" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert lang_and_h1(client.get("/login")) == ("es", "Iniciar sesión")
    # the choice wins over the browser's preference
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/language", data={"language": "en", "next": "/login", "csrf_token": token})
    assert lang_and_h1(client.get("/login", headers=SPANISH)) == ("en", "Log in")


def test_the_switch_refuses_bad_input_and_foreign_redirects(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/language", data={"language": "es"}).status_code == 400  # no CSRF token
    unknown = client.post("/language", data={"language": "xx", "csrf_token": token})
    assert unknown.status_code == 400 and "Set-Cookie" not in unknown.headers
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        reply = client.post("/language", data={"language": "es", "next": target, "csrf_token": token})
        assert reply.status_code == 303 and reply.headers["Location"] == "/", target


def test_form_messages_and_flashes_in_spanish(app, make_user):
    make_user("trainee", email="ana@example.org")
    client = app.test_client()
    token = csrf_from(client.get("/login", headers=SPANISH).get_data(as_text=True))
    wrong = client.post(
        "/login",
        data={"email": "ana@example.org", "password": "not it at all", "csrf_token": token},
        headers=SPANISH,
    )
    assert wrong.status_code == 401
    assert "El correo electrónico o la contraseña no son correctos." in wrong.get_data(as_text=True)
    # WTForms' own messages follow the language too (Flask-WTF's I18N)
    empty = client.post("/register", data={"csrf_token": token}, headers=SPANISH)
    assert "Este campo es obligatorio." in empty.get_data(as_text=True)
    ok = client.post(
        "/login",
        data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token},
        headers=SPANISH,
    )
    assert ok.status_code == 302
    page = client.get("/account", headers=SPANISH).get_data(as_text=True)
    assert "<h1>Su cuenta</h1>" in page and "Estudiante" in page


def test_role_page_numbers_and_percentages_in_spanish(client, banks):
    english = client.get("/roles/implementation-manager").get_data(as_text=True)
    spanish = client.get("/roles/implementation-manager", headers=SPANISH).get_data(as_text=True)
    assert "<dt>Passing standard</dt>" in english and re.search(
        r"<dd>\d+(\.\d)?% of scored questions\.\s+Set by the program \(no study recorded\)\.</dd>", english
    )
    assert re.search(
        r"<dd>\d+(,\d)?\xa0% de las preguntas calificadas\.\s+"
        r"Fijado por el programa \(sin estudio registrado\)\.</dd>",
        spanish,
    )
    assert "Comenzar este examen" not in spanish  # not logged in: the log-in prompt instead
    assert "Inicie sesión</a> o <a" in spanish


def test_reset_mail_in_the_language_it_was_asked_in(app, make_user):
    server = SmtpServer().start()
    try:
        app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_DEFAULT_SENDER="x@example.test"
        )
        make_user("trainee", email="luz@example.org")
        client = app.test_client()
        token = csrf_from(client.get("/forgot-password", headers=SPANISH).get_data(as_text=True))
        reply = client.post(
            "/forgot-password",
            data={"email": "luz@example.org", "csrf_token": token},
            headers=SPANISH,
            follow_redirects=True,
        )
        assert "Si alguna cuenta usa esa dirección" in reply.get_data(as_text=True)
        [message] = server.messages
        assert str(make_header(decode_header(message["Subject"]))) == "Restablezca su contraseña de examsite"
        assert "Abra este enlace dentro de 1 hora" in body(message)
    finally:
        server.stop()
