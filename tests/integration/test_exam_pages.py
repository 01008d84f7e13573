"""The exam without JavaScript: every page is a form post; confirmation page; history."""

from __future__ import annotations

import re

from sqlalchemy import select

from examsite.extensions import db

ROLE = "implementation-manager"


def test_confirmation_page_states_the_rules(login, make_user, banks):
    session = login(make_user("trainee", multiplier=1.5))
    html = session.client.get(f"/exams/{ROLE}/start").get_data(as_text=True)
    assert "7 multiple-choice questions" in html  # 6 scored + 1 pretest
    assert "45 minutes" in html and "1.5" in html  # 30 min x 1.5 accommodation
    assert "50.0% of the scored questions" in html
    assert "wait 90 days" in html


def test_whole_exam_by_form_posts(app, login, make_user, banks):
    from examsite.delivery.models import AttemptItem

    session = login(make_user("trainee"))
    started = session.form(f"/exams/{ROLE}/start", {})
    assert started.status_code == 302
    attempt_id = int(re.search(r"/attempts/(\d+)/items/1", started.headers["Location"]).group(1))
    with app.app_context():
        rows = db.session.scalars(
            select(AttemptItem).where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)
        ).all()
        keys = [(r.position, list(r.item_version.keys)) for r in rows]
    for position, key in keys:
        page = session.client.get(f"/attempts/{attempt_id}/items/{position}").get_data(as_text=True)
        assert f"Question {position} of {len(keys)}" in page
        response = session.client.post(
            f"/attempts/{attempt_id}/items/{position}",
            data={
                "csrf_token": session.csrf,
                "choice": key,
                "flagged": "1" if position == 2 else "",
                "go": "next",
            },
        )
        assert response.status_code == 302
    review = session.client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "7 of 7 questions answered" in review
    assert "Flagged for review (1)" in review
    result = session.form(f"/attempts/{attempt_id}/submit", {})
    assert result.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    page = session.client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Passed: 100.0%" in page
    assert "Performance by domain" in page
    history = session.client.get("/attempts").get_data(as_text=True)
    assert "Passed, 100.0%" in history


def test_previous_and_jump_navigation(login, make_user, banks):
    session = login(make_user("trainee"))
    started = session.form(f"/exams/{ROLE}/start", {})
    base = started.headers["Location"].rsplit("/items/", 1)[0]
    back = session.client.post(f"{base}/items/3", data={"csrf_token": session.csrf, "go": "prev"})
    assert back.headers["Location"].endswith("/items/2")
    jump = session.client.post(f"{base}/items/3", data={"csrf_token": session.csrf, "go": "6"})
    assert jump.headers["Location"].endswith("/items/6")
    last = session.client.post(f"{base}/items/7", data={"csrf_token": session.csrf, "go": "next"})
    assert last.headers["Location"].endswith("/review")


def test_form_post_needs_csrf(login, make_user, banks):
    session = login(make_user("trainee"))
    started = session.form(f"/exams/{ROLE}/start", {})
    response = session.client.post(started.headers["Location"], data={"choice": "a", "go": "next"})
    assert response.status_code == 400


def test_result_page_hides_keys_and_points_to_weak_domains(app, login, make_user, banks):
    session = login(make_user("trainee"))
    started = session.form(f"/exams/{ROLE}/start", {})
    attempt_id = int(re.search(r"/attempts/(\d+)/", started.headers["Location"]).group(1))
    session.form(f"/attempts/{attempt_id}/submit", {})
    page = session.client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed: 0.0%" in page
    assert "review this area" in page
    from examsite.banks.models import ItemVersion

    with app.app_context():
        for version in db.session.scalars(select(ItemVersion)):
            assert version.rationale[:30] not in page


def test_trainee_pages_need_a_trainee(client, login, make_user, banks):
    assert client.get(f"/exams/{ROLE}/start").status_code == 302
    assert login(make_user("admin")).client.get(f"/exams/{ROLE}/start").status_code == 403


def _started(session) -> int:
    started = session.form(f"/exams/{ROLE}/start", {})
    return int(re.search(r"/attempts/(\d+)/", started.headers["Location"]).group(1))


def test_enter_in_an_option_saves_and_goes_next(login, make_user, banks):
    """The form's first submit button is what Enter presses (implicit submission): save and next."""
    session = login(make_user("trainee"))
    attempt_id = _started(session)
    for position, default in ((2, "next"), (7, "review")):
        page = session.client.get(f"/attempts/{attempt_id}/items/{position}").get_data(as_text=True)
        # the form's buttons sit in the sticky exam bar (form="answer-form") and in the form
        first_button = re.search(r"<button[^>]*>", page.split('id="exam-bar"', 1)[1]).group(0)
        assert 'form="answer-form"' in first_button
        assert f'value="{default}"' in first_button and "hidden" in first_button
        assert page.index('value="prev"') > page.index(first_button)


def test_pages_of_an_attempt_submitted_elsewhere_say_so(login, make_user, banks):
    session = login(make_user("trainee"))
    attempt_id = _started(session)
    other = login(session.user)  # another window or device
    other.form(f"/attempts/{attempt_id}/submit", {})
    base = f"/attempts/{attempt_id}"
    for reply in (
        session.client.get(f"{base}/items/2", follow_redirects=True),
        session.client.post(
            f"{base}/items/2",
            data={"csrf_token": session.csrf, "choice": "a", "go": "next"},
            follow_redirects=True,
        ),
        session.client.get(f"{base}/review", follow_redirects=True),
    ):
        assert reply.request.path == f"{base}/result"
        page = reply.get_data(as_text=True)
        assert "submitted, from another window or device" in page
        assert "time is up" not in page.lower()
    plain = session.client.get(f"{base}/result").get_data(as_text=True)
    assert "another window" not in plain  # said once, where the trainee was sent from


def test_pages_of_an_attempt_out_of_time_say_so(login, make_user, banks, clock):
    session = login(make_user("trainee"))
    attempt_id = _started(session)
    clock.advance(minutes=31, seconds=1)
    base = f"/attempts/{attempt_id}"
    reply = session.client.post(
        f"{base}/items/2",
        data={"csrf_token": session.csrf, "choice": "a", "go": "next"},
        follow_redirects=True,
    )
    assert reply.request.path == f"{base}/result"
    page = reply.get_data(as_text=True)
    assert "Your time is up" in page
    assert "another window" not in page
