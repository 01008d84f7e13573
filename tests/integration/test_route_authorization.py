"""Every route of the app, classified by who may use it, and refused to everyone else.

A new route fails `test_every_route_is_classified` until it is added to ACCESS below, so no
route can ship without someone deciding who may call it. Object-level checks (another trainee's
attempt, another institution's trainee: 404) are tested beside each feature; this test checks
the first gate: anonymous callers are sent to the login page (401 on the API), and logged-in
users of a role the route is not for get 403 (or 404, which says no more).
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from

ANYONE, USER, TRAINEE, STAFF, ADMIN = "anyone", "user", "trainee", "staff", "admin"
ALLOWED = {
    ANYONE: {None, "trainee", "instructor", "admin"},
    USER: {"trainee", "instructor", "admin"},
    TRAINEE: {"trainee"},
    STAFF: {"instructor", "admin"},
    ADMIN: {"admin"},
}

ACCESS = {
    # public pages and documents
    "static": ANYONE,
    "catalog.home": ANYONE,
    "catalog.role": ANYONE,
    "accounts.login": ANYONE,
    "accounts.logout": ANYONE,
    "accounts.register": ANYONE,
    "accounts.forgot_password": ANYONE,
    "accounts.reset_password": ANYONE,
    "accounts.two_factor_login": ANYONE,
    "certificates.verify": ANYONE,
    "certificates.verify_search": ANYONE,
    "health.healthz": ANYONE,
    "api.list_roles": ANYONE,
    "api.role_badge": ANYONE,
    "api.openapi_document": ANYONE,
    "api.certificate": ANYONE,
    "api.certificate_badge": ANYONE,
    "api.certificate_credential": ANYONE,
    "api.certificate_status": ANYONE,
    "api.issuer_profile": ANYONE,
    "api.issuer_image": ANYONE,
    "api.issuer_jwks": ANYONE,
    "api.issuer_key": ANYONE,
    "i18n.choose_language": ANYONE,
    # LTI 1.3 protocol endpoints: the platform's signed messages are checked inside
    "lti.jwks": ANYONE,
    "lti.login": ANYONE,
    "lti.launch": ANYONE,
    # any logged-in user (their own things)
    "accounts.account": USER,
    "accounts.two_factor": USER,
    "accounts.disable_two_factor": USER,
    "accounts.revoke_own_token": USER,
    "accounts.preferences": USER,
    "api.put_preferences": USER,
    "accounts.create_own_token": USER,
    "certificates.mine": USER,
    "certificates.pdf": USER,
    "media.item_image": USER,
    # trainees
    "delivery.confirm": TRAINEE,
    "delivery.history": TRAINEE,
    "delivery.take": TRAINEE,
    "delivery.item": TRAINEE,
    "delivery.review": TRAINEE,
    "delivery.submit": TRAINEE,
    "delivery.result": TRAINEE,
    "api.start_attempt": TRAINEE,
    "api.strike_options": TRAINEE,
    "api.get_attempt": TRAINEE,
    "api.attempt_time": TRAINEE,
    "api.attempt_events": TRAINEE,
    "api.save_response": TRAINEE,
    "api.submit_attempt": TRAINEE,
    "skills.mine": TRAINEE,
    "skills.mine_pdf": TRAINEE,
    "api.my_skills_profile": TRAINEE,
    # instructors and administrators
    "instructors.index": STAFF,
    "instructors.integrity": STAFF,
    "instructors.attempt_events": STAFF,
    "instructors.items": STAFF,
    "instructors.item_flags_csv": STAFF,
    "instructors.recalculate_items": STAFF,
    "instructors.pretest": STAFF,
    "api.pretest_recommendations": STAFF,
    "standards.index": STAFF,
    "standards.study": STAFF,
    "standards.invite": STAFF,
    "standards.rate": STAFF,
    "standards.round2": STAFF,
    "standards.close": STAFF,
    "standards.apply": ADMIN,
    "authoring.find": STAFF,
    "authoring.new": STAFF,
    "authoring.edit": STAFF,
    "authoring.history": STAFF,
    "authoring.review": STAFF,
    "authoring.check": STAFF,
    "authoring.queue": STAFF,
    "authoring.roles": STAFF,
    "authoring.blueprint": STAFF,
    "authoring.blueprint_check": STAFF,
    "authoring.exam": STAFF,
    "authoring.upload_image": STAFF,
    "interchange.upload": STAFF,
    "interchange.preview": STAFF,
    "interchange.confirm": STAFF,
    "interchange.template_csv_file": STAFF,
    "interchange.template_xlsx_file": STAFF,
    "api.list_items": STAFF,
    "api.create_item": STAFF,
    "api.get_item": STAFF,
    "api.update_item": STAFF,
    "api.review_item": STAFF,
    "api.item_versions": STAFF,
    "api.get_blueprint": STAFF,
    "api.put_blueprint": STAFF,
    "api.get_exam": STAFF,
    "api.put_exam": STAFF,
    "api.item_statistics": STAFF,
    "skills.skills_gap": STAFF,
    "skills.skills_gap_csv": STAFF,
    "skills.skills_gap_xlsx": STAFF,
    "skills.trainees": STAFF,
    "skills.trainee_profile": STAFF,
    "api.skills_gap_report": STAFF,
    "api.trainee_skills_profile": STAFF,
    "lti.deep_link": STAFF,
    "lti.courses": STAFF,
    "lti.sync": STAFF,
    "api.list_scenarios": STAFF,
    "api.create_scenario": STAFF,
    "api.get_scenario": STAFF,
    "api.update_scenario": STAFF,
    "api.review_scenario": STAFF,
    "authoring.scenario_sets": STAFF,
    "authoring.new_scenario": STAFF,
    "authoring.scenario": STAFF,
    "authoring.scenario_preview": STAFF,
    "authoring.scenario_review": STAFF,
    # administrators
    "authoring.assignments": ADMIN,
    "certificates.manage": ADMIN,
    "certificates.reissue_certificate": ADMIN,
    "certificates.revoke_certificate": ADMIN,
    "reports.pass_rates": ADMIN,
    "reports.pass_rates_csv": ADMIN,
    "reports.pass_rates_xlsx": ADMIN,
    "api.pass_rates_report": ADMIN,
    "lti_admin.index": ADMIN,
    "certificates.expiring": ADMIN,
    "certificates.expiring_csv": ADMIN,
    "certificates.record_continuing_education": ADMIN,
    "lti_admin.add": ADMIN,
    "lti_admin.send_scores": ADMIN,
}
for _endpoint in (
    "index",
    "audit",
    "institutions",
    "institution",
    "rename_institution",
    "archive_institution",
    "create_cohort",
    "roster",
    "cohort",
    "rename_cohort",
    "archive_cohort",
    "add_member",
    "remove_member",
    "users",
    "user",
    "user_role",
    "user_active",
    "user_cohort",
    "set_accommodation",
    "clear_accommodation",
    "one_time_password",
    "revoke_certificate",
):
    ACCESS[f"admin.{_endpoint}"] = ADMIN


def _requests(app):
    """(endpoint, method, path) for every route and method, with sample values in the path."""
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            if "Integer" in kind or "Int" in kind:
                values[name] = 1
            elif "Any" in kind:
                values[name] = sorted(converter.items)[0]
            elif name == "slug":
                values[name] = "implementation-manager"
            else:
                values[name] = "x"
        path = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def test_every_route_is_classified(app):
    endpoints = {endpoint for endpoint, _, _ in _requests(app)}
    assert endpoints - set(ACCESS) == set(), "classify the new routes in ACCESS"
    assert set(ACCESS) - endpoints == set(), "ACCESS names routes that no longer exist"


def _send(client, method: str, path: str, token: str):
    if path.startswith("/api/v1/"):
        return client.open(path, method=method, json={}, headers={"X-CSRFToken": token})
    if method == "GET":
        return client.get(path)
    return client.open(path, method=method, data={"csrf_token": token})


def test_anonymous_callers_are_sent_to_log_in(app, banks, client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for endpoint, method, path in _requests(app):
        if ACCESS[endpoint] == ANYONE:
            continue
        response = _send(client, method, path, token)
        if path.startswith("/api/v1/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 302, (method, path, response.status_code)
            assert "/login" in response.headers["Location"], (method, path)


@pytest.mark.parametrize("role", ["trainee", "instructor", "admin"])
def test_other_roles_are_refused(app, banks, make_user, login, role):
    session = login(make_user(role))
    for endpoint, method, path in _requests(app):
        if role in ALLOWED[ACCESS[endpoint]]:
            continue
        response = _send(session.client, method, path, session.csrf)
        assert response.status_code in (403, 404), (role, method, path, response.status_code)
