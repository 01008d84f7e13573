"""The language switch in a real browser: Spanish pages, remembered, and accessible (issue 24)."""

from __future__ import annotations


def test_switch_to_spanish_and_back(live_server, page, check_a11y):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Exámenes de competencia para las doce funciones laborales de TI en salud"
    )
    check_a11y(page, "home page in Spanish")

    page.get_by_role("link", name="Iniciar sesión").click()  # remembered on the next page
    assert page.get_by_label("Correo electrónico").is_visible()
    page.get_by_role("button", name="Iniciar sesión").click()  # empty form: errors in Spanish
    assert "Este campo es obligatorio." in page.get_by_role("alert").inner_text()
    check_a11y(page, "login page with errors in Spanish")

    page.get_by_role("link", name="¿Olvidó su contraseña?").click()
    check_a11y(page, "forgot-password page in Spanish")
    page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Forgot your password?"


def test_browser_language_is_the_default(live_server, page):
    page.context.set_extra_http_headers({"Accept-Language": "es-US,es;q=0.9"})
    page.goto(live_server.url + "/login")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"
