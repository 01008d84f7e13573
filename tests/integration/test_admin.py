"""Administration: institutions, cohorts, rosters, users, accommodations, certificates, audit log."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from examsite.extensions import db
from tests.conftest import PASSWORD, Session, csrf_from


def events(app, action: str) -> list:
    from examsite.audit.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [(e.actor_id, e.object_type, e.object_id, e.details) for e in rows]


def get(app, model, **where):
    with app.app_context():
        row = db.session.scalar(select(model).filter_by(**where))
        if row is not None:
            db.session.expunge(row)
        return row


def make_place(app, institution: str, *cohorts: str, archived=False) -> tuple[int, list[int]]:
    from examsite.programs.models import Cohort, Institution

    with app.app_context():
        place = Institution(
            name=institution, archived_at=datetime(2025, 1, 1, tzinfo=UTC) if archived else None
        )
        db.session.add(place)
        db.session.flush()
        made = [Cohort(institution_id=place.id, name=name) for name in cohorts]
        db.session.add_all(made)
        db.session.commit()
        return place.id, [c.id for c in made]


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", name="Pat Admin")


@pytest.fixture
def admin(admin_user, login):
    return login(admin_user)


# --- access -------------------------------------------------------------------------------------

PAGES = [
    "/admin/",
    "/admin/institutions",
    "/admin/institutions/1",
    "/admin/institutions/1/roster",
    "/admin/cohorts/1",
    "/admin/users",
    "/admin/users/1",
    "/admin/audit",
    "/admin/lti/",
]
ACTIONS = [
    "/admin/institutions",
    "/admin/institutions/1/rename",
    "/admin/institutions/1/archive",
    "/admin/institutions/1/restore",
    "/admin/institutions/1/cohorts",
    "/admin/institutions/1/roster",
    "/admin/cohorts/1/rename",
    "/admin/cohorts/1/archive",
    "/admin/cohorts/1/restore",
    "/admin/cohorts/1/members",
    "/admin/cohorts/1/members/1/remove",
    "/admin/users/1/role",
    "/admin/users/1/deactivate",
    "/admin/users/1/reactivate",
    "/admin/users/1/cohort",
    "/admin/users/1/accommodation",
    "/admin/users/1/accommodation/clear",
    "/admin/users/1/one-time-password",
    "/admin/certificates/1/revoke",
    "/admin/lti/",
    "/admin/lti/scores/send",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(path, headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("path", ACTIONS)
def test_actions_refuse_anonymous_users(client, path):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "new_name": "x", "reason": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["trainee", "instructor"])
def test_pages_and_actions_are_for_administrators_only(app, make_user, login, role):
    make_place(app, "Somewhere", "Someone")
    session = login(make_user(role))
    for path in PAGES:
        assert session.client.get(path).status_code == 403, path
    for path in ACTIONS:
        assert session.form(path, {"new_name": "Taken over", "reason": "x"}).status_code == 403, path
    assert events(app, "institution.rename") == []


def test_actions_need_the_csrf_token(app, admin):
    response = admin.client.post("/admin/institutions", data={"institution_name": "Forged"})
    assert response.status_code == 400
    assert events(app, "institution.create") == []


def test_home_links_every_area(app, admin):
    html = admin.client.get("/admin/").get_data(as_text=True)
    for path in ("/admin/institutions", "/admin/users", "/admin/audit", "/reports/pass-rates"):
        assert f'href="{path}"' in html


# --- institutions and cohorts -------------------------------------------------------------------


def test_create_rename_archive_and_restore_an_institution(app, admin, admin_user):
    from examsite.programs.models import Institution

    response = admin.form("/admin/institutions", {"institution_name": "  Northern   Virginia CC "})
    assert response.status_code == 302
    place = get(app, Institution, name="Northern Virginia CC")
    assert response.headers["Location"].endswith(f"/admin/institutions/{place.id}")
    assert events(app, "institution.create") == [
        (admin_user.id, "Institution", str(place.id), {"name": "Northern Virginia CC"})
    ]

    response = admin.form("/admin/institutions", {"institution_name": "northern virginia cc"})
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)

    assert admin.form(f"/admin/institutions/{place.id}/rename", {"new_name": "NOVA"}).status_code == 302
    assert get(app, Institution, id=place.id).name == "NOVA"
    assert events(app, "institution.rename")[0][3] == {"old": "Northern Virginia CC", "new": "NOVA"}

    assert admin.form(f"/admin/institutions/{place.id}/archive").status_code == 302
    assert get(app, Institution, id=place.id).archived_at is not None
    response = admin.form(f"/admin/institutions/{place.id}/cohorts", {"cohort_name": "Late"})
    assert response.status_code == 422 and "archived" in response.get_data(as_text=True)
    assert admin.form(f"/admin/institutions/{place.id}/restore").status_code == 302
    assert get(app, Institution, id=place.id).archived_at is None
    assert [e[2] for e in events(app, "institution.archive")] == [str(place.id)]
    assert [e[2] for e in events(app, "institution.restore")] == [str(place.id)]


def test_rename_needs_a_name(app, admin):
    place, _ = make_place(app, "Keep Me")
    response = admin.form(f"/admin/institutions/{place}/rename", {"new_name": ""})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_cohorts_are_unique_within_their_institution(app, admin):
    from examsite.programs.models import Cohort

    first, _ = make_place(app, "First College")
    second, _ = make_place(app, "Second College")
    assert (
        admin.form(f"/admin/institutions/{first}/cohorts", {"cohort_name": "Spring 2027"}).status_code == 302
    )
    response = admin.form(f"/admin/institutions/{first}/cohorts", {"cohort_name": "SPRING 2027"})
    assert response.status_code == 422 and "already has a cohort" in response.get_data(as_text=True)
    assert (
        admin.form(f"/admin/institutions/{second}/cohorts", {"cohort_name": "Spring 2027"}).status_code == 302
    )
    cohort = get(app, Cohort, institution_id=first)
    assert (
        admin.form(f"/admin/cohorts/{cohort.id}/rename", {"new_name": "Spring 2027 day"}).status_code == 302
    )
    assert get(app, Cohort, id=cohort.id).name == "Spring 2027 day"
    assert len(events(app, "cohort.create")) == 2 and len(events(app, "cohort.rename")) == 1
    page = admin.client.get(f"/admin/institutions/{first}").get_data(as_text=True)
    assert "Spring 2027 day" in page


def test_add_and_remove_a_trainee(app, admin, admin_user, make_user):
    from examsite.accounts.models import User

    _, (cohort,) = make_place(app, "College", "Evening")
    trainee = make_user("trainee", email="sam@example.org", name="Sam")
    response = admin.form(f"/admin/cohorts/{cohort}/members", {"email": " SAM@example.org "})
    assert response.status_code == 302
    assert get(app, User, id=trainee.id).cohort_id == cohort
    assert events(app, "user.cohort") == [
        (admin_user.id, "User", str(trainee.id), {"new": cohort, "new_name": "Evening"})
    ]
    assert "Sam" in admin.client.get(f"/admin/cohorts/{cohort}").get_data(as_text=True)

    response = admin.form(f"/admin/cohorts/{cohort}/members", {"email": "nobody@example.org"})
    assert response.status_code == 422 and "No account has the e-mail" in response.get_data(as_text=True)
    instructor = make_user("instructor", email="ina@example.org")
    response = admin.form(f"/admin/cohorts/{cohort}/members", {"email": instructor.email})
    assert response.status_code == 422 and "only trainees belong to cohorts" in response.get_data(
        as_text=True
    )

    assert admin.form(f"/admin/cohorts/{cohort}/members/{trainee.id}/remove").status_code == 302
    assert get(app, User, id=trainee.id).cohort_id is None
    assert len(events(app, "user.cohort")) == 2


def test_an_archived_cohort_takes_no_one(app, admin, make_user):
    _, (cohort,) = make_place(app, "College", "Old")
    trainee = make_user("trainee")
    assert admin.form(f"/admin/cohorts/{cohort}/archive").status_code == 302
    response = admin.form(f"/admin/cohorts/{cohort}/members", {"email": trainee.email})
    # The add form is gone from the page, and posting anyway is refused.
    assert response.status_code == 422 and "is archived" in response.get_data(as_text=True)
    assert admin.form(f"/admin/cohorts/{cohort}/restore").status_code == 302
    assert admin.form(f"/admin/cohorts/{cohort}/members", {"email": trainee.email}).status_code == 302


# --- roster upload ------------------------------------------------------------------------------


def upload(session, institution: int, text: str | bytes, check_only=False, filename="roster.csv"):
    data = text.encode() if isinstance(text, str) else text
    fields = {"roster": (io.BytesIO(data), filename)}
    if check_only:
        fields["check_only"] = "y"
    return session.form(
        f"/admin/institutions/{institution}/roster", fields, content_type="multipart/form-data"
    )


@pytest.fixture
def roster_place(app, make_user):
    place, (spring, fall) = make_place(app, "Roster College", "Spring", "Fall")
    _, (elsewhere,) = make_place(app, "Other College", "Spring")
    from examsite.programs.models import Cohort

    with app.app_context():
        old = Cohort(institution_id=place, name="Closed", archived_at=datetime(2025, 1, 1, tzinfo=UTC))
        db.session.add(old)
        db.session.commit()
    known = make_user("trainee", email="known@example.org", name="Known Trainee", cohort=fall)
    settled = make_user("trainee", email="settled@example.org", name="Settled", cohort=spring)
    make_user("instructor", email="teacher@example.org")
    return {
        "place": place,
        "spring": spring,
        "fall": fall,
        "elsewhere": elsewhere,
        "known": known,
        "settled": settled,
    }


ROSTER = """email,name,cohort
known@example.org,Another Name,Spring
new.one@example.org,New One,Spring
not-an-email,Bad Address,Spring
new.two@example.org,New Two,Nowhere
NEW.ONE@example.org,New One Again,Spring
teacher@example.org,Teacher,Spring
new.three@example.org,,Fall
new.four@example.org,New Four,Closed
settled@example.org,Settled,spring
new.five@example.org,New Five,
"""


def test_roster_applies_good_rows_and_explains_refused_ones(app, admin, admin_user, roster_place):
    from examsite.accounts.models import User

    response = upload(admin, roster_place["place"], ROSTER)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Roster applied: 3 rows accepted, 7 refused" in html
    for reason in (
        "is not valid",
        "Roster College has no cohort named &#39;Nowhere&#39;",
        "The same e-mail is already on line 3",
        "only trainees belong to cohorts",
        "Name is missing",
        "Cohort &#39;Closed&#39; is archived.",
        "Already in this cohort.",
        "Cohort is missing",
        "Moved from Fall. The account keeps its name (Known Trainee).",
    ):
        assert reason in html, reason

    known = get(app, User, email="known@example.org")
    assert known.cohort_id == roster_place["spring"] and known.name == "Known Trainee"
    new_one = get(app, User, email="new.one@example.org")
    assert (new_one.role, new_one.cohort_id, new_one.must_change_password) == (
        "trainee",
        roster_place["spring"],
        True,
    )
    for email in (
        "new.two@example.org",
        "new.three@example.org",
        "new.four@example.org",
        "new.five@example.org",
        "not-an-email",
    ):
        assert get(app, User, email=email) is None
    assert get(app, User, email="teacher@example.org").cohort_id is None

    # The new account's one-time password is on the page, once, and works.
    password = re.search(r"new\.one@example\.org</td><td><code>([^<]+)</code>", html).group(1)
    assert (
        admin.client.get(f"/admin/institutions/{roster_place['place']}/roster")
        .get_data(as_text=True)
        .count(password)
        == 0
    )
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "new.one@example.org", "password": password, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")

    assert events(app, "roster.import") == [
        (
            admin_user.id,
            "Institution",
            str(roster_place["place"]),
            {"filename": "roster.csv", "created": 1, "accepted": 3, "refused": 7},
        )
    ]
    assert [e[3]["email"] for e in events(app, "user.create")] == ["new.one@example.org"]
    assert len(events(app, "user.cohort")) == 2  # known moved, new one placed; settled unchanged


def test_roster_check_only_changes_nothing(app, admin, roster_place):
    from examsite.accounts.models import User

    response = upload(admin, roster_place["place"], ROSTER, check_only=True)
    html = response.get_data(as_text=True)
    assert "Check only: 3 rows would be accepted, 7 refused; nothing was changed" in html
    assert "Would create an account" in html and "New accounts and their one-time passwords" not in html
    assert get(app, User, email="new.one@example.org") is None
    assert get(app, User, email="known@example.org").cohort_id == roster_place["fall"]
    assert events(app, "roster.import") == [] and events(app, "user.cohort") == []


def test_roster_is_applied_all_together(app, admin, roster_place, monkeypatch):
    """If applying fails part-way, the rows already applied are undone too."""
    from examsite.accounts.models import User
    from examsite.accounts.services import AccountError
    from examsite.programs import services

    real = services.create_user

    def failing(email, *args, **kwargs):
        if email == "new.two@example.org":
            db.session.rollback()
            raise AccountError(f"an account with e-mail {email} already exists")
        return real(email, *args, **kwargs)

    monkeypatch.setattr(services, "create_user", failing)
    text = (
        "email,name,cohort\nknown@example.org,Known,Spring\nnew.one@example.org,New One,Spring\n"
        "new.two@example.org,New Two,Spring\n"
    )
    response = upload(admin, roster_place["place"], text)
    assert response.status_code == 422
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert get(app, User, email="new.one@example.org") is None
    assert get(app, User, email="known@example.org").cohort_id == roster_place["fall"]
    assert events(app, "roster.import") == []


def test_roster_accepts_excel_style_files(app, admin, roster_place):
    from examsite.accounts.models import User

    text = "\ufeffE-mail;Full name;Cohort\r\nsemi@example.org;Semi Colon;Fall\r\n\r\n"
    response = upload(admin, roster_place["place"], text.encode("utf-8"))
    assert "Roster applied: 1 row accepted, 0 refused" in response.get_data(as_text=True)
    assert get(app, User, email="semi@example.org").cohort_id == roster_place["fall"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"name,cohort\nA,Spring\n", "missing: email"),
        (b"email,name,cohort\n", "no trainees"),
        ("email,name,cohort\nlatin@example.org,Jos\xe9,Spring\n".encode("latin-1"), "not UTF-8"),
        (b"", "missing: email, name, cohort"),
    ],
)
def test_roster_files_refused_whole(app, admin, roster_place, body, message):
    from examsite.accounts.models import User

    before = get_count(app, User)
    html = upload(admin, roster_place["place"], body).get_data(as_text=True)
    assert "The file was refused; nothing was changed" in html and message in html
    assert get_count(app, User) == before


def test_roster_refuses_too_many_rows(app, admin, roster_place, monkeypatch):
    from examsite.programs import services

    monkeypatch.setattr(services, "MAX_ROSTER_ROWS", 2)
    rows = "".join(f"t{n}@example.org,T {n},Spring\n" for n in range(3))
    html = upload(admin, roster_place["place"], "email,name,cohort\n" + rows).get_data(as_text=True)
    assert "more than 2 rows" in html


def test_roster_must_be_a_csv_file(app, admin, roster_place):
    response = upload(admin, roster_place["place"], "email,name,cohort\n", filename="roster.exe")
    assert response.status_code == 422 and "must be a .csv file" in response.get_data(as_text=True)


def get_count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- users --------------------------------------------------------------------------------------


def listed(session, **params) -> list[str]:
    html = session.client.get("/admin/users", query_string=params).get_data(as_text=True)
    return re.findall(r'<th scope="row"><a href="/admin/users/\d+">([^<]+)</a>', html)


def test_user_search_and_filters(app, admin, make_user):
    from examsite.programs.models import Institution

    _, (north_a, north_b) = make_place(app, "North", "A", "B")
    _, (south,) = make_place(app, "South", "S")
    make_user("trainee", name="Alice Rivera", email="alice@north.example", cohort=north_a)
    make_user("trainee", name="Bob Stone", email="bob@north.example", cohort=north_b)
    make_user("trainee", name="Carol 100%_", email="carol@south.example", cohort=south)
    make_user("instructor", name="Dana Rivers", email="dana@example.org")
    assert listed(admin, q="river") == ["Alice Rivera", "Dana Rivers"]
    assert listed(admin, q="NORTH.example") == ["Alice Rivera", "Bob Stone"]
    assert listed(admin, q="100%_") == ["Carol 100%_"]  # wildcards are taken literally
    assert listed(admin, role="instructor") == ["Dana Rivers"]
    assert listed(admin, role="trainee", q="river") == ["Alice Rivera"]
    north = get(app, Institution, name="North")
    assert listed(admin, institution=north.id) == ["Alice Rivera", "Bob Stone"]
    assert listed(admin, cohort=north_b) == ["Bob Stone"]
    assert listed(admin, cohort="not-a-number", q="carol") == ["Carol 100%_"]


def test_users_are_paginated(app, admin, make_user):
    for n in range(27):
        make_user("trainee", name=f"Trainee {n:02d}")
    first = listed(admin, role="trainee")
    second = listed(admin, role="trainee", page=2)
    assert len(first) == 25 and len(second) == 2 and not set(first) & set(second)
    html = admin.client.get("/admin/users?role=trainee").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'href="/admin/users?role=trainee&amp;page=2"' in html
    assert listed(admin, role="trainee", page=99) == []


@pytest.fixture
def trainee_with_history(app, make_user):
    """A trainee with a failed and a passed attempt and the certificate it earned."""
    from examsite.catalog.models import Role
    from examsite.certificates.codes import new_code
    from examsite.certificates.models import Certificate
    from examsite.delivery.models import Attempt

    trainee = make_user("trainee", name="Terry Trainee")
    with app.app_context():
        role = db.session.scalar(select(Role).where(Role.slug == "trainer"))
        start = datetime(2026, 3, 1, 9, tzinfo=UTC)
        common = {
            "user_id": trainee.id,
            "role_id": role.id,
            "deadline": start + timedelta(hours=3),
            "grace_seconds": 60,
            "minutes": 180,
            "passing_percent": Decimal(70),
        }
        failed = Attempt(
            status="submitted",
            started_at=start,
            sequence=1,
            closed_at=start + timedelta(hours=2),
            score_percent=Decimal("61.5"),
            passed=False,
            **common,
        )
        passed = Attempt(
            status="submitted",
            started_at=start + timedelta(days=100),
            sequence=2,
            closed_at=start + timedelta(days=100, hours=2),
            score_percent=Decimal("84"),
            passed=True,
            **common,
        )
        db.session.add_all([failed, passed])
        db.session.flush()
        certificate = Certificate(
            code=new_code(),
            attempt_id=passed.id,
            user_id=trainee.id,
            role_id=role.id,
            holder_name=trainee.name,
            role_name=role.name,
            category_name=role.category.name,
            score_percent=Decimal("84"),
            issued_at=passed.closed_at,
            expires_at=passed.closed_at + timedelta(days=730),
        )
        db.session.add(certificate)
        db.session.commit()
        return trainee, certificate.id, certificate.code


def test_user_page_shows_attempts_and_certificates(app, admin, trainee_with_history):
    trainee, _, code = trainee_with_history
    html = admin.client.get(f"/admin/users/{trainee.id}").get_data(as_text=True)
    assert "Terry Trainee" in html and "61.5%" in html and "84.0%" in html and "Not passed" in html
    assert code in html and "Revoke" in html
    for label in ("role", "cohort", "multiplier", "note"):
        assert f'<label for="{label}">' in html
    assert admin.client.get("/admin/users/9999").status_code == 404


def test_revoke_a_certificate(app, admin, admin_user, trainee_with_history):
    from examsite.certificates.models import Certificate

    trainee, certificate_id, code = trainee_with_history
    response = admin.form(f"/admin/certificates/{certificate_id}/revoke", {"reason": ""})
    assert response.status_code == 422 and get(app, Certificate, id=certificate_id).revoked_at is None
    response = admin.form(f"/admin/certificates/{certificate_id}/revoke", {"reason": "Exam misconduct"})
    assert response.status_code == 302
    certificate = get(app, Certificate, id=certificate_id)
    assert certificate.revoked_reason == "Exam misconduct" and certificate.revoked_by_id == admin_user.id
    assert events(app, "certificate.revoke")[0][3] == {"code": code, "reason": "Exam misconduct"}
    response = admin.form(f"/admin/certificates/{certificate_id}/revoke", {"reason": "Again"})
    assert response.status_code == 422 and "already revoked" in response.get_data(as_text=True)
    assert admin.client.get(f"/api/v1/certificates/{code}").get_json()["status"] == "revoked"


def test_change_role_and_access(app, admin, admin_user, make_user):
    from examsite.accounts.models import User

    user = make_user("trainee")
    assert admin.form(f"/admin/users/{user.id}/role", {"role": "instructor"}).status_code == 302
    assert get(app, User, id=user.id).role == "instructor"
    assert events(app, "user.role") == [
        (admin_user.id, "User", str(user.id), {"old": "trainee", "new": "instructor"})
    ]
    assert admin.form(f"/admin/users/{user.id}/role", {"role": "wizard"}).status_code == 422
    response = admin.form(f"/admin/users/{admin_user.id}/role", {"role": "trainee"})
    assert response.status_code == 422 and "your own account type" in response.get_data(as_text=True)

    assert admin.form(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert get(app, User, id=user.id).active is False
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert (
        client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 401
    )
    assert admin.form(f"/admin/users/{user.id}/reactivate").status_code == 302
    assert get(app, User, id=user.id).active is True
    assert len(events(app, "user.deactivate")) == 1 and len(events(app, "user.activate")) == 1

    response = admin.form(f"/admin/users/{admin_user.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert get(app, User, id=admin_user.id).active is True


def test_assign_a_cohort_from_the_user_page(app, admin, make_user):
    from examsite.accounts.models import User

    _, (cohort,) = make_place(app, "College", "Day")
    _, (closed,) = make_place(app, "Closed College", "Gone", archived=True)
    user = make_user("trainee")
    html = admin.client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert '<optgroup label="College">' in html and "Closed College" not in html
    assert admin.form(f"/admin/users/{user.id}/cohort", {"cohort": str(cohort)}).status_code == 302
    assert get(app, User, id=user.id).cohort_id == cohort
    assert admin.form(f"/admin/users/{user.id}/cohort", {"cohort": str(closed)}).status_code == 422
    assert admin.form(f"/admin/users/{user.id}/cohort", {"cohort": ""}).status_code == 302
    assert get(app, User, id=user.id).cohort_id is None


def test_accommodation_set_change_and_clear(app, admin, admin_user, make_user):
    from examsite.accounts.models import User
    from examsite.programs.models import Accommodation

    user = make_user("trainee")
    path = f"/admin/users/{user.id}/accommodation"
    for bad in ("0.9", "4.01", "many"):
        response = admin.form(path, {"multiplier": bad, "note": "Letter from disability services"})
        assert response.status_code == 422, bad
    assert admin.form(path, {"multiplier": "1.5", "note": ""}).status_code == 422
    assert get(app, Accommodation, user_id=user.id) is None

    assert (
        admin.form(path, {"multiplier": "1.5", "note": "Letter from disability services"}).status_code == 302
    )
    accommodation = get(app, Accommodation, user_id=user.id)
    assert accommodation.time_multiplier == Decimal("1.50") and accommodation.set_by_id == admin_user.id
    assert admin.form(path, {"multiplier": "4", "note": "Updated letter"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).time_multiplier == 4.0
    assert [e[3] for e in events(app, "accommodation.set")] == [
        {"new": "1.50", "note": "Letter from disability services"},
        {"old": "1.50", "new": "4.00", "note": "Updated letter"},
    ]
    html = admin.client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "4 × the time limit" in html and "by Pat Admin" in html

    assert admin.form(f"{path}/clear").status_code == 302
    assert get(app, Accommodation, user_id=user.id) is None
    assert events(app, "accommodation.clear")[0][3] == {"old": "4.00", "note": "Updated letter"}

    instructor = make_user("instructor")
    response = admin.form(f"/admin/users/{instructor.id}/accommodation", {"multiplier": "2", "note": "x"})
    assert response.status_code == 422 and "Only trainee accounts" in response.get_data(as_text=True)


def test_one_time_password(app, admin, make_user):
    user = make_user("trainee", email="forgot@example.org")
    response = admin.form(f"/admin/users/{user.id}/one-time-password")
    html = response.get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "forgot@example.org", "password": password, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
    assert len(events(app, "user.one_time_password")) == 1


# --- audit log ----------------------------------------------------------------------------------


def test_audit_log_filters_and_pages(app, admin, make_user, clock):
    other = make_user("admin", name="Olga Other", email="olga@example.org")
    olga = Session(app.test_client(), other)
    clock.current = datetime(2026, 1, 10, 12, tzinfo=UTC)
    admin.form("/admin/institutions", {"institution_name": "January College"})
    clock.current = datetime(2026, 2, 10, 12, tzinfo=UTC)
    olga.form("/admin/institutions", {"institution_name": "February College"})
    for n in range(52):
        admin.form("/admin/institutions", {"institution_name": f"Bulk {n}"})

    def rows(**params):
        response = admin.client.get("/admin/audit", query_string=params)
        assert response.status_code == 200
        return re.findall(r"<li>name: ([^<]+)</li>", response.get_data(as_text=True))

    assert rows(action="institution.create", actor="olga") == ["February College"]
    assert rows(action="institution.create", **{"from": "2026-01-01", "to": "2026-02-01"}) == [
        "January College"
    ]
    first_page = rows(action="institution.create")
    assert len(first_page) == 50 and first_page[0] == "Bulk 51"  # newest first
    assert rows(action="institution.create", page=2)[-2:] == ["February College", "January College"]
    html = admin.client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="institution.create">institution.create</option>' in html
    response = admin.client.get("/admin/audit?from=2026-02-01&to=2026-01-01")
    assert response.status_code == 422
    assert "The end date must come after the start date." in response.get_data(as_text=True)
